"""A throwaway PostgreSQL server for the tests: a temporary cluster on 127.0.0.1, random port.

`PostgresCluster.start()` runs initdb and pg_ctl from the installed PostgreSQL (Debian's
/usr/lib/postgresql/N/bin, or PATH, or ENTRELIGNES_PG_BIN). PostgreSQL refuses to run as root,
so under root (CI) the cluster belongs to the `postgres` user and its commands run through
`runuser`. With ENTRELIGNES_TEST_PG_URL set (an admin URL of a server of your own), no server is
started and the tests create their databases there.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest


class Unavailable(RuntimeError):
    """No PostgreSQL server can be had here; the message says why and what to install."""


def find_bin_dir() -> Path:
    if os.environ.get("ENTRELIGNES_PG_BIN"):
        return Path(os.environ["ENTRELIGNES_PG_BIN"])
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    raise Unavailable("PostgreSQL binaries (initdb, pg_ctl) not found: `apt-get install postgresql` (or set ENTRELIGNES_PG_BIN)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    def __init__(self) -> None:
        self.external = os.environ.get("ENTRELIGNES_TEST_PG_URL", "")
        self.base: Path | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> PostgresCluster:
        if self.external:
            return self
        bin_dir = find_bin_dir()
        self._prefix: list[str] = []
        if os.geteuid() == 0:
            try:
                import pwd

                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root and there is no `postgres` user to run the server as") from None
            runuser = shutil.which("runuser") or next((p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.path.exists(p)), None)
            if runuser is None:
                raise Unavailable("running as root and runuser (util-linux) is missing")
            self._prefix = [runuser, "-u", "postgres", "--"]
        self.base = Path(tempfile.mkdtemp(prefix="entrelignes-pg-"))
        if os.geteuid() == 0:
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        data = self.base / "data"
        self._run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "-N"])
        for _ in range(5):  # a port can be taken between probing and binding: try a few
            self.port = _free_port()
            options = f"-p {self.port} -h 127.0.0.1 -k {self.base} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            try:
                self._run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.base / "server.log"), "-o", options, "-w", "-t", "60", "start"])
                break
            except Unavailable:
                continue
        else:
            raise Unavailable(f"PostgreSQL did not start: {self.log()}")
        self._pg_ctl = bin_dir / "pg_ctl"
        return self

    def _run(self, args: list[str]) -> None:
        result = subprocess.run(self._prefix + args, capture_output=True, text=True, cwd=self.base, timeout=120)
        if result.returncode != 0:
            raise Unavailable(f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")

    def log(self) -> str:
        path = self.base / "server.log" if self.base else None
        return path.read_text(errors="replace")[-2000:] if path and path.exists() else ""

    def stop(self) -> None:
        if self.base is None:
            return
        try:
            self._run([str(self._pg_ctl), "-D", str(self.base / "data"), "-m", "immediate", "-w", "stop"])
        except Exception:  # noqa: BLE001 - best effort: the directory goes anyway
            pass
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    # --- databases ---------------------------------------------------------------------------
    @property
    def admin_url(self) -> str:
        """A libpq URL (what psycopg takes) of a database to create the test databases from."""
        if self.external:
            return self.external.replace("postgresql+psycopg://", "postgresql://", 1)
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """A SQLAlchemy URL (psycopg 3) for `database` on this server."""
        base = self.admin_url.split("://", 1)[1].rsplit("/", 1)[0]
        return f"postgresql+psycopg://{base}/{database}"

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- fixtures (imported by the conftest of each folder that needs a store) ----------------------

BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.start()
    except Unavailable as error:
        cluster.stop()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI: {error}")
        pytest.skip(f"PostgreSQL unavailable: {error}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty store: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()
    yield cluster.url(name)
    cluster.drop_database(name)
