"""Cache entries (key → bytes) in one SQLite file instead of one file each.

A cold build of 1,000 articles makes about 3,000 cache entries; as files, creating them (and the
folders and temporary names an atomic write needs) costs more than rendering the pages. In one
database they are rows. Each write is its own short transaction (cheap: write-ahead log, no
fsync), so two processes writing at once only ever wait for one row, never for each other's batch.

Forked processes (the Markdown workers, the page-writing helpers) share a `Store` object but never
a connection: each process opens its own the first time it uses the store. Entries are only ever
results of successful work, so a write that cannot happen (the database locked for a minute, the
disk full) is skipped: it is a cache miss next time, never an error. A file that is not a database
(or a broken one) is replaced by an empty one.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Iterable

_INHERITED: list = []          # connections a forked process got from its parent: kept, never closed


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._pid: int | None = None
        self._db: sqlite3.Connection | None = None

    def get(self, key: str) -> bytes | None:
        try:
            row = self._connection().execute("SELECT body FROM entries WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def has(self, key: str) -> bool:
        try:
            return self._connection().execute("SELECT 1 FROM entries WHERE key = ?", (key,)).fetchone() is not None
        except sqlite3.Error:
            return False

    def put(self, key: str, body: bytes) -> None:
        try:
            self._connection().execute("INSERT OR REPLACE INTO entries (key, body) VALUES (?, ?)", (key, body))
        except sqlite3.Error:
            pass

    def delete(self, keys: Iterable[str]) -> None:
        try:
            db = self._connection()
            with db:                                   # one transaction: committed, or rolled back on error
                db.execute("BEGIN")
                db.executemany("DELETE FROM entries WHERE key = ?", ((k,) for k in keys))
        except sqlite3.Error:
            pass

    def _connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():                # first use in this process (a fork inherits the object)
            if self._db is not None:
                # The parent's connection: closing it here could release or checkpoint what the parent holds.
                _INHERITED.append(self._db)
            self._db, self._pid = self._open(), os.getpid()
        return self._db

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect()
        except sqlite3.DatabaseError:                         # not a database: start again with an empty one
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)   # autocommit: see the docstring
        try:
            db.execute("PRAGMA journal_mode=WAL")              # readers never wait for the writer
            db.execute("PRAGMA synchronous=OFF")               # a cache: losing the last writes in a crash is fine
            db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, body BLOB NOT NULL)")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db
