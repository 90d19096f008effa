"""Packs: the reader and render caches as a few append-only files instead of a file per entry.

A cold build of 1,000 articles stores some 2,000 parsed sources and rendered pages. Creating that
many files is slow (on this machine ext4 spends more time finding free inodes than Python spends
writing), so each process appends its entries to one *pack* file of its own, and the locations
(file, offset, length, checksum) go into the build's manifest (islet.build.incremental.Session.commit),
which only the main process writes, after a successful build.

No file is ever written by two processes: a forked worker or helper opens its own pack and reports
the entries it added (`Pack.added`) to the main process. Readers use `os.pread`, which does not
share a file position between processes. An entry whose bytes do not match its checksum, or whose
pack is gone, is a cache miss. Packs of one output folder that its manifest no longer mentions are
deleted at commit, and a pack mostly holding entries nobody uses any more is rewritten.
"""
from __future__ import annotations

import os
import secrets
import zlib
from pathlib import Path


def _check(body: bytes) -> str:
    # CRC-32, made to catch damaged bytes, not forged ones (the cache is the site's own): a build reads 50 MB of
    # entries at 5,000 articles, and it is six times quicker than a cryptographic hash.
    return f"crc32:{zlib.crc32(body):08x}"


class Pack:
    """The entries of one kind (``reader``, ``render``) of one output folder's cache."""

    def __init__(self, folder: Path, prefix: str, index: dict[str, list]):
        self.folder, self.prefix = Path(folder), prefix
        self.index = dict(index)             # key -> [pack file name, offset, length, checksum]
        self.added: dict[str, list] = {}      # what this process appended
        self._readers: dict[str, int] = {}
        self._writer: tuple[int, int, str] | None = None     # (pid, fd, name)

    def __contains__(self, key: str) -> bool:
        return key in self.index

    def get(self, key: str) -> bytes | None:
        where = self.index.get(key)
        if where is None:
            return None
        name, offset, length, check = where
        try:
            fd = self._readers.get(name)
            if fd is None:
                fd = self._readers[name] = os.open(self.folder / name, os.O_RDONLY)
            body = os.pread(fd, length, offset)
        except OSError:
            return None
        return body if len(body) == length and _check(body) == check else None

    def put(self, key: str, body: bytes) -> None:
        pid, fd, name = self._writer if self._writer and self._writer[0] == os.getpid() else self._open()
        offset = os.lseek(fd, 0, os.SEEK_END)
        os.write(fd, body)
        self.index[key] = self.added[key] = [name, offset, len(body), _check(body)]

    def merge(self, added: dict[str, list]) -> None:
        """Entries another process (a forked worker) appended to its own pack."""
        self.index.update(added)
        self.added.update(added)

    def _open(self) -> tuple[int, int, str]:
        # A forked process never appends to its parent's pack: it opens one of its own.
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{self.prefix}-{os.getpid()}-{secrets.token_hex(4)}.pack"
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._writer = (os.getpid(), fd, name)
        return self._writer

    def keep(self, keys: set[str]) -> dict[str, list]:
        """After a successful build: the index of `keys` (what the build used) for the manifest. Deletes
        this output's packs that hold none of them, and rewrites the live entries into one new pack when
        the packs they are in are mostly dead weight."""
        self.close()
        live = {key: self.index[key] for key in keys if key in self.index}
        ours = {p.name: p.stat().st_size for p in self.folder.glob(f"{self.prefix}-*.pack")} \
            if self.folder.is_dir() else {}
        used = {where[0] for where in live.values()}
        if sum(ours[n] for n in used if n in ours) > 2 * sum(w[2] for w in live.values()) + (8 << 20):
            live = self._rewrite(live)
            used = {where[0] for where in live.values()}
        for name in ours.keys() - used:
            (self.folder / name).unlink(missing_ok=True)
        return live

    def _rewrite(self, live: dict[str, list]) -> dict[str, list]:
        fresh = Pack(self.folder, self.prefix, self.index)
        for key in sorted(live, key=lambda k: live[k][:2]):
            body = self.get(key)
            if body is not None:
                fresh.put(key, body)
        fresh.close()
        self.close()
        return {key: fresh.index[key] for key in live if key in fresh.added}

    def close(self) -> None:
        for fd in self._readers.values():
            os.close(fd)
        self._readers.clear()
        if self._writer and self._writer[0] == os.getpid():
            os.close(self._writer[1])
        self._writer = None
