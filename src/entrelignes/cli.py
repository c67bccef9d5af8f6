"""The command line: each command parses its arguments, calls one library function, prints."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from entrelignes.config import CONFIG_NAME, STARTER, Config, ConfigError, load_config

app = typer.Typer(help="entrelignes: a self-hosted news desk that reads between the lines.", no_args_is_help=True)
sources_app = typer.Typer(help="Follow, list and drop sources.", no_args_is_help=True)
edition_app = typer.Typer(help="Build editions.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(edition_app, name="edition")
users_app = typer.Typer(help="Editors of the web desk: accounts and API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")

console = Console(stderr=True, soft_wrap=True)  # stdout is kept for data (JSON lines); messages never re-wrapped
ConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", help=f"Configuration file (default: ./{CONFIG_NAME}).")]
SlotOption = Annotated[str, typer.Option("--slot", help="morning or evening.")]
DateOption = Annotated[Optional[str], typer.Option("--date", help="YYYY-MM-DD (default: the latest slot).")]


def _config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        console.print(f"[red]Configuration error:[/red] {error}")
        raise typer.Exit(2) from None


def _engine(config: Config):
    from entrelignes.store import open_store

    return open_store(config.database_url)


@contextmanager
def _progress() -> Iterator[Progress]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        yield progress


def _slot(config: Config, slot: str | None, day: str | None):
    from entrelignes.editions import latest_slot, slot_time

    try:
        if day is None and slot is None:
            return latest_slot(config, datetime.now(timezone.utc))
        chosen_day = date.fromisoformat(day) if day else datetime.now(config.tz).date()
        return slot_time(config, chosen_day, slot or "morning")
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def _print_errors(errors: list[tuple[str, str]]) -> None:
    for where, reason in errors:
        console.print(f"[yellow]skipped[/yellow] {where}: {reason}")


@app.command()
def init(path: Annotated[Path, typer.Argument(help="Where to write the file.")] = Path(CONFIG_NAME)) -> None:
    """Write a commented starter configuration file."""
    if path.exists():
        console.print(f"[red]{path} already exists[/red]: not overwriting it.")
        raise typer.Exit(1)
    path.write_text(STARTER, encoding="utf-8")
    console.print(f"Wrote {path}. Add [[sources]] to it, then run `entrelignes run`.", markup=False)


@sources_app.command("add")
def sources_add(
    url: str,
    name: Annotated[str, typer.Option(help="Display name (default: the URL).")] = "",
    language: Annotated[str, typer.Option(help="Language hint, e.g. fr.")] = "",
    tag: Annotated[Optional[list[str]], typer.Option(help="Tag (repeatable).")] = None,
    config_path: ConfigOption = None,
) -> None:
    """Follow a feed, sitemap or page (a URL), or a local file or folder (a path)."""
    from entrelignes.store import session_scope
    from entrelignes.store.sources import add_source

    config = _config(config_path)
    if "://" not in url:
        if not Path(url).exists():
            console.print(f"[red]{url!r} is neither a URL nor an existing file or folder.[/red]")
            raise typer.Exit(2)
        url = Path(url).resolve().as_uri()
    elif url.lower().startswith(("http://", "https://")):
        url, name = _feed_of(url, name, config)
    with session_scope(_engine(config)) as session:
        source = add_source(session, name=name or url, url=url, language=language, tags=tuple(tag or ()))
        console.print(f"Following {source.name} ({source.url}).")


def _feed_of(url: str, name: str, config: Config) -> tuple[str, str]:
    """The URL to follow and a default name: a home page's announced feed and its title."""
    from entrelignes.ingest import find_feed
    from entrelignes.ingest.feeds import FeedError
    from entrelignes.ingest.fetcher import FetchError
    from entrelignes.ingest.safety import UnsafeURL

    try:
        found = find_feed(url, config)
    except (FetchError, FeedError, UnsafeURL) as error:  # the site may be down just now
        console.print(f"Could not check {url} now ({error}); following it as given.", markup=False)
        return url, name
    if found.url != url:
        console.print(f"{url} announces the feed {found.url}: following the feed.", markup=False)
    return found.url, name or found.title


@sources_app.command("list")
def sources_list(config_path: ConfigOption = None) -> None:
    """List sources with their health, worst first."""
    from entrelignes.store import session_scope
    from entrelignes.store.sources import list_sources

    config = _config(config_path)
    table = Table("name", "url", "status", "last success", "failures", "items", "304s", "latency")
    with session_scope(_engine(config)) as session:
        for source in list_sources(session):
            share_304 = f"{source.not_modified / source.polls:.0%}" if source.polls else "-"
            latency = f"{source.total_latency_ms / source.polls:.0f} ms" if source.polls else "-"
            success = source.last_success_at.isoformat(timespec="minutes") if source.last_success_at else "never"
            status = source.last_status + (f": {source.last_error}" if source.last_error else "")
            table.add_row(source.name, source.url, status or "-", success, str(source.consecutive_failures), str(source.items_seen), share_304, latency)
    Console().print(table)


@sources_app.command("import")
def sources_import(opml_file: Annotated[Path, typer.Argument(help="An OPML file exported by a feed reader.")], config_path: ConfigOption = None) -> None:
    """Follow every feed of an OPML file (its folders become tags)."""
    from entrelignes.ingest.opml import OPMLError, import_opml
    from entrelignes.store import session_scope
    from entrelignes.store.sources import add_source

    config = _config(config_path)
    try:
        feeds = import_opml(opml_file.read_bytes())
    except (OSError, OPMLError) as error:
        console.print(f"[red]error[/red] {opml_file}: {error}")
        raise typer.Exit(1) from None
    with session_scope(_engine(config)) as session:
        for feed in feeds:
            add_source(session, name=feed.name, url=feed.url, language=feed.language, tags=feed.tags, site_url=feed.site_url)
    console.print(f"Following {len(feeds)} feeds from {opml_file}.")


@sources_app.command("export")
def sources_export(config_path: ConfigOption = None) -> None:
    """Print every source as OPML, for another feed reader (tags become folders)."""
    from entrelignes.ingest.opml import export_opml
    from entrelignes.store import session_scope
    from entrelignes.store.sources import list_sources

    config = _config(config_path)
    with session_scope(_engine(config)) as session:
        sys.stdout.write(export_opml(list_sources(session)))


@sources_app.command("remove")
def sources_remove(url_or_id: str, config_path: ConfigOption = None) -> None:
    """Stop following a source (its articles stay)."""
    from entrelignes.store import session_scope
    from entrelignes.store.sources import remove_source

    config = _config(config_path)
    with session_scope(_engine(config)) as session:
        if not remove_source(session, url_or_id):
            console.print(f"[red]No source {url_or_id!r}.[/red]")
            raise typer.Exit(1)
    console.print(f"Removed {url_or_id}.")


@app.command()
def fetch(config_path: ConfigOption = None, force: Annotated[bool, typer.Option(help="Poll every source now.")] = False) -> None:
    """Poll due sources and store their new articles."""
    from entrelignes import pipeline

    config = _config(config_path)
    with _progress() as progress:
        report = pipeline.fetch(_engine(config), config, progress=progress, force=force)
    _print_errors(report.errors)
    console.print(f"{report.sources_read} sources read, {report.articles_new} new articles, {report.articles_seen} already stored.")


@app.command()
def analyze(
    files: Annotated[Optional[list[Path]], typer.Argument(help="Text, HTML or JSONL files; none: the stored articles.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="Output format for files.")] = "jsonl",
    config_path: ConfigOption = None,
) -> None:
    """Read between the lines: quotes, speakers, sourcing, entities. On files, print JSON lines."""
    from entrelignes import pipeline
    from entrelignes.analyze import Analyzer

    config = _config(config_path)
    if output_format != "jsonl":
        console.print(f"[red]Unknown format {output_format!r}[/red]: only jsonl.")
        raise typer.Exit(2)
    analyzer = Analyzer(config.analysis.models)
    if not files:
        with _progress() as progress:
            report = pipeline.analyze(_engine(config), config, analyzer=analyzer, progress=progress)
        _print_errors(report.errors)
        for notice in report.notices:
            console.print(f"[yellow]note:[/yellow] {notice}")
        console.print(f"{report.analyzed} articles analysed.")
        return
    if not _analyze_files(files, analyzer):
        raise typer.Exit(1)


def _analyze_files(files: list[Path], analyzer) -> bool:
    from entrelignes.documents import DocumentError, read_documents
    from entrelignes.records import to_dict

    ok = True
    for path in files:
        for document in read_documents(path):
            if isinstance(document, DocumentError):
                console.print(f"[red]error[/red] {document.id}: {document.reason}")
                ok = False
                continue
            try:
                result = analyzer.analyze(document.id, document.title, document.text, document.language)
            except ValueError as error:
                console.print(f"[red]error[/red] {document.id}: {error}")
                ok = False
                continue
            sys.stdout.write(json.dumps(to_dict(result), ensure_ascii=False) + "\n")
    return ok


@app.command()
def cluster(
    input_file: Annotated[Optional[Path], typer.Argument(help="JSONL with id, title, text, published, source; none: the stored articles.")] = None,
    config_path: ConfigOption = None,
) -> None:
    """Group articles into stories. On a file, print one {"id", "story"} line per input."""
    from entrelignes import pipeline

    config = _config(config_path)
    if input_file is None:
        report = pipeline.cluster(_engine(config), config)
        replayed = f"; no usable saved state, so the last {pipeline.CLUSTER_LOOKBACK.days} days were clustered afresh" if report.replayed else ""
        console.print(f"{report.articles} articles in {report.stories} stories ({report.changed} assignments changed{replayed}).")
        return
    from entrelignes.stories import cluster as cluster_articles
    from entrelignes.documents import read_story_inputs

    try:
        inputs = read_story_inputs(input_file)
    except (OSError, ValueError) as error:
        console.print(f"[red]error[/red] {input_file}: {error}")
        raise typer.Exit(1) from None
    stories = cluster_articles(inputs)
    for item in inputs:
        sys.stdout.write(json.dumps({"id": item.id, "story": stories[item.id]}, ensure_ascii=False) + "\n")


@edition_app.command("build")
def edition_build(
    slot: SlotOption = "morning",
    day: DateOption = None,
    rebuild: Annotated[bool, typer.Option(help="Build again even if this edition is stored.")] = False,
    config_path: ConfigOption = None,
) -> None:
    """Select and freeze the stories of one edition."""
    from entrelignes import pipeline

    config = _config(config_path)
    edition = pipeline.build(_engine(config), config, _slot(config, slot, day), rebuild=rebuild)
    _print_edition(edition)


@app.command()
def publish(
    edition_id: Annotated[Optional[str], typer.Option("--edition", help="Edition id, e.g. 2026-03-12-morning (default: the latest).")] = None,
    config_path: ConfigOption = None,
) -> None:
    """Publish an edition to every configured channel."""
    from entrelignes import pipeline

    config = _config(config_path)
    engine = _engine(config)
    edition_id = edition_id or _latest_edition_id(engine)
    try:
        report = pipeline.publish(engine, config, edition_id)
    except LookupError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    console.print(report.summary())
    if not report.held and not report.complete:
        console.print("[yellow]Not everything went out[/yellow]: run the same command again to resume.")
        raise typer.Exit(1)


def _latest_edition_id(engine) -> str:
    from sqlalchemy import select

    from entrelignes.store import session_scope
    from entrelignes.store.schema import Edition

    with session_scope(engine) as session:
        latest = session.scalar(select(Edition.id).order_by(Edition.built_at.desc()).limit(1))
    if latest is None:
        console.print("[red]No edition yet[/red]: run `entrelignes edition build` first.")
        raise typer.Exit(1)
    return latest


@app.command()
def run(slot: Annotated[Optional[str], typer.Option("--slot", help="morning or evening (default: the latest slot).")] = None, day: DateOption = None, config_path: ConfigOption = None) -> None:
    """Everything once (fetch, analyse, cluster, build, publish): for cron or a systemd timer."""
    config = _config(config_path)
    _run_and_report(config, _slot(config, slot, day))


def _run_and_report(config: Config, slot) -> dict:
    from entrelignes import pipeline

    with _progress() as progress:
        report = pipeline.run(_engine(config), config, slot, progress=progress)
    _print_errors(report.ingest.errors + report.analysis.errors)
    console.print(
        f"{report.ingest.sources_read} sources read · {report.ingest.articles_new} new articles · "
        f"{report.analysis.analyzed} analysed · {report.clustering.articles} articles in {report.clustering.stories} stories"
    )
    _print_edition(report.edition)
    published = report.published
    if published.held:
        console.print(published.summary())
    else:
        console.print(f"Edition page: [bold]{published.files['html']}[/bold]")
        for channel in published.channels:
            console.print(str(channel))
    return report.edition


def _print_edition(edition: dict) -> None:
    table = Table(title=f"{edition['id']}: {len(edition['stories'])} stories", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("story")
    table.add_column("why it ranks here")
    for story in edition["stories"]:
        headline = story["headline"] + (" [update]" if story["is_update"] else "")
        table.add_row(str(story["rank"]), headline, story["reason"])
    Console(stderr=True).print(table)


EXAMPLE_CONFIG = Path("examples") / CONFIG_NAME
EXAMPLE_DAY = "2026-03-12"  # the fictional newsroom's news day (see examples/README.md)


@app.command()
def demo(
    example: Annotated[Path, typer.Option(help="The example newsroom's configuration.")] = EXAMPLE_CONFIG,
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its store.")] = Path(".data/demo"),
    out_dir: Annotated[Path, typer.Option(help="Where the editions are written.")] = Path("out"),
) -> None:
    """Run the main job on the bundled example newsroom: its morning edition, then its evening one."""
    import dataclasses

    config = _config(example)
    config = dataclasses.replace(config, data_dir=str(data_dir.resolve()), out_dir=str(out_dir.resolve()), database="")
    for slot in ("morning", "evening"):
        console.rule(f"{slot} edition of {EXAMPLE_DAY}")
        _run_and_report(config, _slot(config, slot, EXAMPLE_DAY))


@users_app.command("add")
def users_add(
    username: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Set a new password for an existing editor.")] = False,
    config_path: ConfigOption = None,
) -> None:
    """Create an editor who can log in to the web desk (password hashed with argon2id)."""
    from entrelignes.store import session_scope
    from entrelignes.store.users import UserError, add_user

    config = _config(config_path)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope(_engine(config)) as session:
            add_user(session, username, password, replace=replace)
    except UserError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Editor {username} can now log in at {config.web.base_url}/login.")


@users_app.command("token")
def users_token(username: str, name: Annotated[str, typer.Option(help="What the token is for.")] = "", config_path: ConfigOption = None) -> None:
    """Print a new API token for an editor (shown once: only its hash is stored)."""
    from sqlalchemy import select

    from entrelignes.store import session_scope
    from entrelignes.store.schema import User
    from entrelignes.store.users import create_token

    config = _config(config_path)
    with session_scope(_engine(config)) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            console.print(f"[red]No editor {username!r}[/red]: add one with `entrelignes users add`.")
            raise typer.Exit(1)
        token = create_token(session, user, name)
    sys.stdout.write(token + "\n")


@users_app.command("list")
def users_list(config_path: ConfigOption = None) -> None:
    """List the editors."""
    from entrelignes.store import session_scope
    from entrelignes.store.users import list_users

    config = _config(config_path)
    table = Table("username", "created", "last login", "disabled")
    with session_scope(_engine(config)) as session:
        for user in list_users(session):
            last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "never"
            table.add_row(user.username, user.created_at.isoformat(timespec="minutes"), last, "yes" if user.disabled else "")
    Console().print(table)


# --- editors' desk, email subscribers, serve ------------------------------------------------

subscribers_app = typer.Typer(help="Email subscribers: list, add, remove, record bounces.", no_args_is_help=True)
app.add_typer(subscribers_app, name="subscribers")
EditionArgument = Annotated[str, typer.Argument(help="Edition id, e.g. 2026-03-12-morning.")]
StoryArgument = Annotated[str, typer.Argument(help="Story rank in the edition (1, 2, ...) or story id.")]
ActorOption = Annotated[str, typer.Option("--actor", help="Who does it, for the audit log (default: $USER).")]


def _actor(actor: str) -> str:
    import getpass

    return actor or f"{getpass.getuser()}@cli"


def _desk(config_path: Path | None, action, *args, **kwargs) -> None:
    """Run one desk action, show the edition after it, and say what publishing it now means."""
    from entrelignes.editions.desk import DeskError
    from entrelignes.store import session_scope

    config = _config(config_path)
    try:
        with session_scope(_engine(config)) as session:
            edition = action(session, *args, **kwargs)
            data, status = edition.data, edition.status
    except DeskError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    _print_edition(data)
    if status in ("publishing", "published"):
        console.print(f"{data['id']} was already published: `entrelignes publish --edition {data['id']}` corrects it (Telegram messages are edited).")


@edition_app.command("pin")
def edition_pin(edition_id: EditionArgument, story: StoryArgument, position: Annotated[int, typer.Option(help="Where to put it (1: top).")] = 1, actor: ActorOption = "", config_path: ConfigOption = None) -> None:
    """Pin a story at a position of an edition."""
    from entrelignes.editions.desk import pin

    _desk(config_path, pin, edition_id, story, position=position, actor=_actor(actor))


@edition_app.command("drop")
def edition_drop(edition_id: EditionArgument, story: StoryArgument, actor: ActorOption = "", config_path: ConfigOption = None) -> None:
    """Take a story out of an edition."""
    from entrelignes.editions.desk import drop

    _desk(config_path, drop, edition_id, story, actor=_actor(actor))


@edition_app.command("merge")
def edition_merge(edition_id: EditionArgument, story: StoryArgument, others: Annotated[list[str], typer.Argument(help="Stories to fold into the first.")], actor: ActorOption = "", config_path: ConfigOption = None) -> None:
    """Merge stories into the first one given."""
    from entrelignes.editions.desk import merge

    _desk(config_path, merge, edition_id, story, others, actor=_actor(actor))


@edition_app.command("split")
def edition_split(edition_id: EditionArgument, story: StoryArgument, articles: Annotated[list[str], typer.Argument(help="Article ids to move into a new story.")], actor: ActorOption = "", config_path: ConfigOption = None) -> None:
    """Move some articles of a story into a new story."""
    from entrelignes.editions.desk import split

    _desk(config_path, split, edition_id, story, articles, actor=_actor(actor))


@edition_app.command("approve")
def edition_approve(edition_id: EditionArgument, publish_now: Annotated[bool, typer.Option("--publish/--no-publish", help="Publish right after approving.")] = True, actor: ActorOption = "", config_path: ConfigOption = None) -> None:
    """Approve an edition held for review (editions.review = true), and publish it."""
    from entrelignes import pipeline
    from entrelignes.editions.desk import DeskError, approve
    from entrelignes.store import session_scope

    config = _config(config_path)
    engine = _engine(config)
    try:
        with session_scope(engine) as session:
            approve(session, edition_id, actor=_actor(actor))
    except DeskError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Approved {edition_id}.")
    if publish_now:
        report = pipeline.publish(engine, config, edition_id)
        console.print(report.summary())
        if not report.complete:
            raise typer.Exit(1)


@edition_app.command("log")
def edition_log(edition_id: Annotated[Optional[str], typer.Argument(help="Edition id (default: all).")] = None, config_path: ConfigOption = None) -> None:
    """Show the desk's audit log."""
    from entrelignes.editions.desk import audit_log
    from entrelignes.store import session_scope

    config = _config(config_path)
    table = Table("when", "who", "action", "edition", "detail")
    with session_scope(_engine(config)) as session:
        for entry in audit_log(session, edition_id):
            detail = {k: v for k, v in entry.detail.items() if k != "before"}
            table.add_row(entry.at.isoformat(timespec="seconds"), entry.actor, entry.action, entry.target, json.dumps(detail, ensure_ascii=False))
    Console().print(table)


@subscribers_app.command("list")
def subscribers_list(status: Annotated[Optional[str], typer.Option(help="pending, active, unsubscribed or disabled.")] = None, config_path: ConfigOption = None) -> None:
    """List email subscribers."""
    from entrelignes.store import session_scope
    from entrelignes.store.subscribers import list_subscribers

    config = _config(config_path)
    table = Table("email", "slots", "status", "failures", "since")
    with session_scope(_engine(config)) as session:
        for row in list_subscribers(session, status):
            table.add_row(row.email, ", ".join(row.slots or []), row.status, str(row.failures), row.created_at.date().isoformat())
    Console().print(table)


@subscribers_app.command("add")
def subscribers_add(email: str, slots: Annotated[str, typer.Option(help="morning, evening or both.")] = "both", config_path: ConfigOption = None) -> None:
    """Send a confirmation email to an address (double opt-in, as on the web page)."""
    from entrelignes.publish.subscriptions import SubscriptionError, subscribe
    from entrelignes.store import session_scope

    config = _config(config_path)
    try:
        with session_scope(_engine(config)) as session:
            result = subscribe(session, config, email, slots)
    except (SubscriptionError, RuntimeError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Confirmation sent to {result.email} ({', '.join(result.slots)}).")


@subscribers_app.command("remove")
def subscribers_remove(email: str, config_path: ConfigOption = None) -> None:
    """Unsubscribe an address."""
    from entrelignes.store import session_scope
    from entrelignes.store.subscribers import get_by_email

    config = _config(config_path)
    with session_scope(_engine(config)) as session:
        subscriber = get_by_email(session, email.strip())
        if subscriber is None:
            console.print(f"[red]No subscriber {email!r}.[/red]")
            raise typer.Exit(1)
        subscriber.status = "unsubscribed"
    console.print(f"Unsubscribed {email}.")


@subscribers_app.command("bounce")
def subscribers_bounce(email: str, config_path: ConfigOption = None) -> None:
    """Record a bounce for an address (disabled after email.bounce_threshold in a row)."""
    from entrelignes.publish.subscriptions import record_bounce
    from entrelignes.store import session_scope

    config = _config(config_path)
    with session_scope(_engine(config)) as session:
        subscriber = record_bounce(session, config, email)
        state = f"{subscriber.status}, {subscriber.failures} failure(s)" if subscriber else "not a subscriber"
    console.print(f"{email}: {state}.")


@app.command()
def serve(config_path: ConfigOption = None) -> None:
    """Run the morning and evening editions on schedule, and the web app when installed."""
    import logging

    from entrelignes.editions.schedule import serve as run_schedule

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = _config(config_path)
    try:
        run_schedule(_engine(config), config, on_start=console.print)
    except (KeyboardInterrupt, SystemExit):
        console.print("Stopped.")


@app.command()
def backfill(
    archives: Annotated[list[Path], typer.Argument(help="JSONL, WARC, CSV or zip files, or directories of HTML/text files.")],
    engine: Annotated[str, typer.Option(help="local (a process pool on this machine) or ray (Ray Data).")] = "local",
    address: Annotated[Optional[str], typer.Option(help="Ray cluster: auto, ray://host:10001 (default: a private local Ray).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes or Ray actors, each loading the models once (default: one per CPU).")] = 0,
    out: Annotated[str, typer.Option(help="A Parquet dataset directory (results.parquet), or `store`.")] = "store",
    errors: Annotated[Optional[Path], typer.Option(help="Where bad documents are listed (JSONL; default: beside the output).")] = None,
    include: Annotated[Optional[list[str]], typer.Option(help="Glob of files to take inside directories, e.g. '*/*/*.txt' (repeatable).")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N documents not done yet.")] = None,
    batch_size: Annotated[int, typer.Option(help="Documents per batch sent to a worker (and per Parquet file it writes).")] = 16,
    runtime_env: Annotated[Optional[str], typer.Option(help="Ray runtime environment, as JSON or a .json file.")] = None,
    cluster: Annotated[bool, typer.Option("--cluster", help="Then group each day's articles into stories.")] = False,
    config_path: ConfigOption = None,
) -> None:
    """Extract and analyse whole archives, locally or on a Ray cluster (see docs/SCALE.md)."""
    from entrelignes.scale import ArchiveError
    from entrelignes.scale import backfill as run_backfill

    import os

    config = _config(config_path)
    workers = workers or os.cpu_count() or 1
    env = None
    if runtime_env:
        env = json.loads(Path(runtime_env).read_text(encoding="utf-8") if runtime_env.endswith(".json") else runtime_env)
    target = {"store": _engine(config)} if out == "store" else {"out": Path(out)}
    try:
        report = run_backfill(
            archives, engine=engine, workers=workers, errors_path=errors, models=config.analysis.models, batch_size=batch_size,
            include=tuple(include or ()), limit=limit, address=address, runtime_env=env, cluster=cluster, **target,
        )
    except (ArchiveError, ValueError, RuntimeError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    console.print(
        f"{report.analysed} analysed, {report.errors} errors (listed in {report.errors_path}), {report.already_done} already done; "
        f"{report.seconds:.1f} s, {report.rate:.1f} documents/s with {report.workers} {report.engine} worker(s) → {report.output}"
    )
    if cluster:
        console.print(f"{report.clustered} articles in {report.stories} stories, day by day")
