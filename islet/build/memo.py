"""Memo: results of pure functions, kept between builds of one output folder.

Stages that look at every page of the output (verify, images, hydrate, the search index) ask
`islet.build.incremental.memoised(name, function)` for one of these, so that a rebuild repeats their work
only for what changed. Two ways to ask:

* ``memo(*texts)`` is ``function(*texts)``, remembered by a hash of the texts;
* ``memo.of_file(path, *texts)`` is ``function(text of path, *texts)``, remembered by the texts and
  the file's identity (`file_identity`). A page this build hard-linked unchanged from the previous
  build keeps its identity, so it is not even read;
* ``memo.of_path(path, *texts)`` is ``function(path, *texts)``, remembered in the same way.

A stage that asks ``of_file(page)`` of every page with a function of the page alone registers it in
`PAGE_FACTS`: the render stage then works it out for each page just after writing it (the page is in
the page cache, and every core is busy rendering then), and the stage finds it remembered.

A memo without a path (no incremental build) remembers nothing between builds.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

from . import sealed
from .fingerprint import atomic_write

PAGE_FACTS: dict[str, Callable[[str], Any]] = {}    # memo name -> function of a page's HTML (see above)


def file_identity(path) -> list[int]:
    """Which file this is: a hard link keeps it; a file written in its place changes it (inode numbers
    alone are reused at once by a new file, its modification time and size are its own)."""
    if _settled is None:
        return _asked(path)
    name = os.fspath(path)
    known = _settled.get(name)
    if known is None:
        known = _settled[name] = _asked(name)
    return known


def _asked(path) -> list[int]:
    found = os.stat(path)
    return [found.st_ino, found.st_mtime_ns, found.st_size]


_settled: dict | None = None      # inside `settled_files`: path -> identity, (path, *texts) -> `_file_key`


@contextmanager
def settled_files():
    """Inside, each file's identity is asked of the system once, and its memo key worked out once (`_file_key`).
    For islet's output stages: the sitemap, the link check, images, widgets and CSP each key a memo on every
    page's identity, and those six stats of each of 7,766 files took a tenth of a one-edit build of 5,000
    articles. A page rewritten inside must be written with `rewrite`, which forgets every identity; a new file
    (a sitemap) may be written as it is."""
    global _settled
    _settled = {}
    try:
        yield
    finally:
        _settled = None


def rewrite(path: Path, body: bytes) -> None:
    """Replace a page of the output with a new file (`atomic_write`: build/ may share the old one, a hard link);
    identities are then asked of the system again, whatever path they were asked by."""
    atomic_write(path, body)
    if _settled is not None:
        _settled.clear()


class Memo:
    """Saved with only the entries this build used, so it holds one build's worth."""

    def __init__(self, path: Path | None, function):
        self.path, self.function, self.kept, self.used = path, function, {}, {}
        self.worked_out = False       # whether this build added a result (else a save with as many is the same)
        try:     # (`checked`: a file damaged since it was saved is forgotten; a changed character would reach pages)
            body = sealed.opened(path.read_bytes()) if path else None
            if body is not None:
                self.kept = pickle.loads(body)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError):
            pass

    def __call__(self, *texts: str):
        return self._get(_key(texts), lambda: self.function(*texts))

    def of_file(self, path, *texts: str):
        return self._get(_file_key(path, texts), lambda: self._of_text(path, texts))

    def of_path(self, path, *texts: str):
        return self._get(_file_key(path, texts), lambda: self.function(path, *texts))

    def learn_file(self, path, text: str) -> tuple[bytes, Any] | None:
        """Work out ``of_file(path)`` from `text`, the file's text, unless it is known; returns (key, result)
        when it was not."""
        key = _file_key(path, ())
        if self._known(key) is not None:
            return None
        found = self.function(text)
        self.learn(key, found)
        return key, found

    def learn(self, key: bytes, found) -> None:
        """A result worked out elsewhere (a forked process) for `key`."""
        self.used[key] = found
        self.worked_out = True

    def fill_files(self, jobs: list[tuple], processes: int, minimum: int = 200) -> None:
        """Work out ahead, in `processes` forked processes, the ``of_file(path, *texts)`` of the `jobs`
        (tuples of path and texts) not remembered yet, when there are at least `minimum` of them (a first
        build: every page is new). Whatever goes wrong there is left to `of_file`, which raises it here.
        Those remembered already count as used: a stage that fills ahead may not ask for each (the link check
        asks only for the pages whose links it checks again), and the next build's would be missing."""
        global _filling
        missing = []
        for path, *texts in jobs:
            key = _file_key(path, texts)
            found = self._known(key)
            if found is None:
                missing.append((key, (path, *texts)))
            else:
                self.used[key] = found
        if len(missing) < minimum or processes < 2:
            return
        _filling, parts = (self, missing), processes * 4
        try:
            with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
                for results in pool.map(_fill, range(parts), [parts] * parts):
                    self.used.update(results)
                    self.worked_out = True
        except Exception:
            pass
        finally:
            _filling = None

    def _of_text(self, path, texts):
        return self.function(Path(path).read_text(encoding="utf-8"), *texts)

    def _known(self, key: bytes):
        found = self.used.get(key)
        return self.kept.get(key) if found is None else found

    def _get(self, key: bytes, compute):
        found = self._known(key)
        if found is None:
            found = compute()
            self.worked_out = True
        self.used[key] = found
        return found

    def save(self) -> None:
        """Keep what this build used, unless that is what the file holds already: nothing worked out, and every
        entry kept was used (a memo of every page holds megabytes at 5,000 articles)."""
        if self.path is not None and (self.worked_out or len(self.used) != len(self.kept)):
            atomic_write(self.path, sealed.checked(pickle.dumps(self.used, protocol=5)))


def _key(texts) -> bytes:
    digest = hashlib.blake2b(digest_size=20)
    for text in texts:
        if len(text) > LONG:
            digest.update(b"L" + text_digest(text))
        else:
            encoded = text.encode("utf-8")
            digest.update(b"S" + len(encoded).to_bytes(8, "little") + encoded)
    return digest.digest()


LONG = 1024                   # texts longer than this (articles' HTML) are hashed once per build (`text_digest`)
_digests: dict[int, tuple[str, bytes]] = {}


def text_digest(text: str) -> bytes:
    """A digest of `text`, worked out once per build for the very same string: several stages key memos on an
    article's HTML (its links, whether they may leave the content folder, its render cache digest), and
    hashing every article's each time costs more than the rest of those lookups."""
    found = _digests.get(id(text))
    if found is None or found[0] is not text:
        found = _digests[id(text)] = (text, hashlib.blake2b(text.encode("utf-8"), digest_size=20).digest())
    return found[1]


def known_digest(text: str, digest: bytes) -> None:
    """`text_digest(text)` is `digest`: worked out when `text` was stored, and loaded with it (a cached object's
    body: islet.build.content_cache)."""
    _digests[id(text)] = (text, digest)


def forget_texts() -> None:
    """The build is over (islet.build.incremental.Session.close): let go of its texts."""
    _digests.clear()


def _file_key(path, texts) -> bytes:
    if _settled is None:
        return _key((*texts, ":".join(map(str, file_identity(path)))))
    # Settled: each stage asks for every page's key (without texts): worked out once, kept with the identity.
    name = (os.fspath(path), *texts)
    found = _settled.get(name)
    if found is None:
        found = _settled[name] = _key((*texts, ":".join(map(str, file_identity(path)))))
    return found


_filling: tuple[Memo, list] | None = None     # what Memo.fill_files' forked processes work on


def _fill(start: int, step: int) -> list[tuple[bytes, object]]:
    memo, missing = _filling
    return [(key, memo._of_text(job[0], job[1:])) for key, job in missing[start::step]]


def fresh(name: str, function) -> Memo:
    """A memo that remembers only during this build: the default of stages run outside a build."""
    return Memo(None, function)
