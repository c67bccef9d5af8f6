"""Claiming work so that several workers sharing one store never do the same thing twice.

Two workers (two `serve` processes, two `run` crons, a backfill beside a desk) may look at the
same pending article or the same edition at the same moment. Before working on one, a worker
*claims* it; a claim that fails means another worker has it, so this one moves on.

On PostgreSQL a claim is an advisory lock keyed by a 64-bit hash of (namespace, key):
- `claim(engine, namespace, key)` holds a session-level lock on a connection of its own for as
  long as the work takes (analysing an article, sending an edition), and releases it after. If
  the worker dies, PostgreSQL drops its connection and the lock with it: nothing stays stuck.
- `try_xact_lock(connection, ...)` takes a transaction-level lock, released at commit: enough
  when the check and the write happen in one short transaction.
- `xact_lock(connection, ...)` waits for it (used around migrations).

On SQLite there is one writer at a time for the whole file, so transactions never interleave;
processes on one machine are kept apart by POSIX byte-range locks on a `<database>.locks` file
beside the database (one byte per key hash, released by the kernel when a process dies), and
threads of one process by an in-process registry. An in-memory SQLite database is private to its
process: there the registry alone decides.

The rule for callers is the same on both: claim, then check again that the work is still to do
(another worker may have finished it between your query and your claim), then do it and commit,
then release. `Claimer.pending` does the first two for a list of keys.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

ANALYSIS = "analysis"  # namespace of article claims (key: article id)
PUBLICATION = "publication"  # namespace of edition claims (key: edition id, or edition:channel)


def lock_key(namespace: str, key: str = "") -> int:
    """A signed 64-bit lock id for (namespace, key), the same in every process and on every machine."""
    digest = hashlib.blake2b(f"{namespace}\x00{key}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _connection(bind: Connection | Session) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind


def try_xact_lock(bind: Connection | Session, namespace: str, key: str = "") -> bool:
    """Take a transaction-level lock without waiting; True when taken. It is released when the
    transaction ends. On SQLite: always True (one writer at a time already serialises writes)."""
    connection = _connection(bind)
    if connection.dialect.name != "postgresql":
        return True
    return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock_key(namespace, key)}).scalar())


def xact_lock(bind: Connection | Session, namespace: str, key: str = "") -> None:
    """Wait for a transaction-level lock (PostgreSQL); nothing to do on SQLite."""
    connection = _connection(bind)
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(namespace, key)})


class _LocalLocks:
    """Claims held by this process, and POSIX byte-range locks that keep other processes out."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held: set[tuple[str, int]] = set()
        self._mutexes: dict[tuple[str, int], threading.Lock] = {}
        self._files: dict[str, int] = {}  # one descriptor per lock file, never closed: closing
        # any descriptor of a file drops every POSIX lock the process holds on it

    def _fd(self, path: str) -> int:
        if path not in self._files:
            self._files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        return self._files[path]

    def acquire(self, scope: str, lock_file: str | None, key: int) -> bool:
        with self._guard:
            if (scope, key) in self._held:
                return False
            if lock_file is not None and not _byte_lock(self._fd(lock_file), key, lock=True):
                return False
            self._held.add((scope, key))
            return True

    @contextmanager
    def waiting(self, scope: str, lock_file: str | None, key: int) -> Iterator[None]:
        """Hold (scope, key) exclusively, waiting for other threads and processes to let go."""
        with self._guard:
            mutex = self._mutexes.setdefault((scope, key), threading.Lock())
        with mutex:
            if lock_file is not None:
                fd = self._fd(lock_file)
                _byte_lock(fd, key, lock=True, wait=True)
            try:
                yield
            finally:
                if lock_file is not None:
                    _byte_lock(fd, key, lock=False)

    def release(self, scope: str, lock_file: str | None, key: int) -> None:
        with self._guard:
            if (scope, key) not in self._held:
                return
            self._held.discard((scope, key))
            if lock_file is not None:
                _byte_lock(self._fd(lock_file), key, lock=False)


def _byte_lock(fd: int, key: int, *, lock: bool, wait: bool = False) -> bool:
    try:
        import fcntl
    except ImportError:  # not POSIX: rely on SQLite's single writer alone
        return True
    offset = key & 0x3FFF_FFFF_FFFF_FFFF  # a positive offset: one byte per key
    try:
        flags = (fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB) if lock else fcntl.LOCK_UN
        fcntl.lockf(fd, flags, 1, offset)
    except (BlockingIOError, PermissionError):
        return False
    return True


_LOCAL = _LocalLocks()


@contextmanager
def exclusive(engine: Engine, namespace: str, key: str = "") -> Iterator[None]:
    """Wait until (namespace, key) is free, then hold it for the `with` block: for short steps
    that every worker must run but one at a time (migrating the schema)."""
    lock_id = lock_key(namespace, key)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_id})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id})
    else:
        with _LOCAL.waiting(str(engine.url), _sqlite_lock_file(engine), lock_id):
            yield


def _sqlite_lock_file(engine: Engine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return str(Path(database).resolve()) + ".locks"


class Claimer:
    """One worker's claims on one store. On PostgreSQL it keeps one connection for its locks.

    Use it as a context manager; every claim still held is released on exit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._connection: Connection | None = None
        self._held: set[int] = set()
        self._lock_file = None if self.postgres else _sqlite_lock_file(engine)

    def _conn(self) -> Connection:
        if self._connection is None:
            # autocommit: session-level advisory locks outlive transactions, and no transaction
            # stays open (and holds back vacuum) while the work goes on
            self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def try_claim(self, namespace: str, key: str) -> bool:
        """Claim (namespace, key) without waiting; True when this worker now holds it."""
        lock_id = lock_key(namespace, key)
        if lock_id in self._held:
            return True
        if self.postgres:
            taken = bool(self._conn().execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_id}).scalar())
        else:
            taken = _LOCAL.acquire(str(self.engine.url), self._lock_file, lock_id)
        if taken:
            self._held.add(lock_id)
        return taken

    def release(self, namespace: str, key: str) -> None:
        lock_id = lock_key(namespace, key)
        if lock_id not in self._held:
            return
        self._held.discard(lock_id)
        if self.postgres:
            if self._connection is not None:
                self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id})
        else:
            _LOCAL.release(str(self.engine.url), self._lock_file, lock_id)

    def release_all(self) -> None:
        if self.postgres:
            if self._connection is not None:
                self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
        else:
            for lock_id in self._held:
                _LOCAL.release(str(self.engine.url), self._lock_file, lock_id)
        self._held.clear()

    def close(self) -> None:
        try:
            self.release_all()
        finally:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> Claimer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def hold(self, namespace: str, key: str) -> Iterator[bool]:
        """Claim for the duration of a `with` block; yields whether the claim was had."""
        taken = self.try_claim(namespace, key)
        try:
            yield taken
        finally:
            if taken:
                self.release(namespace, key)

    def pending(self, namespace: str, keys: Iterable[str], still_to_do: Callable[[str], bool]) -> Iterator[str]:
        """The keys this worker claims and that are still to do, one at a time.

        Each yielded key is held until the caller asks for the next one (so do the work and
        commit before that); keys another worker holds, or that are already done, are skipped."""
        for key in keys:
            if not self.try_claim(namespace, key):
                continue
            try:
                if still_to_do(key):
                    yield key
            finally:
                self.release(namespace, key)


@contextmanager
def claim(engine: Engine, namespace: str, key: str) -> Iterator[bool]:
    """Hold (namespace, key) while the `with` block runs; yields False when another worker has it.

        with claim(engine, PUBLICATION, edition_id) as mine:
            if mine and not already_published(edition_id):
                publish(edition_id)
    """
    with Claimer(engine) as claimer, claimer.hold(namespace, key) as taken:
        yield taken
