"""Reader cache (layer 2 of islet.build.incremental): each Markdown source parsed once, by every core.

`CachingReader` is a mixin for a Pelican Markdown reader: the rendered HTML, raw front matter and
formatted fields of a source are kept in the build's reader pack by a key made of the source's
bytes, its path and everything else the reader depends on (`Inputs.reader`; a source without Jinja
syntax or widget blocks does not depend on data files or widgets). Only sources without problems
are cached, so a source's problems are always reported by the normal reader.

Sources not in the cache are parsed ahead by a pool of forked worker processes (`preparse`), while
Pelican reads, in this process, those they have done (`Ahead`, `read_ready_first`).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import re
from pathlib import Path
from typing import Iterable, Iterator

from islet.settings import processes, start_helper_process

from . import incremental
from .fingerprint import file_digest, is_plain

POOL_MINIMUM = 16              # fewer uncached sources than this are parsed in-process


def reader_key(path: Path) -> str:
    """The source's key in the reader cache. Worked out once per build (preparse, then the reader), unless
    the file changed since (a fast render reads an edited source after the build: islet.build.fast_render).
    The build's input scan read every source already: while Pelican reads, a source is taken to be the one
    the scan read (its digest of the bytes, without asking the system again), as the build's fingerprint
    does; a source parsed then is cached only if it still is that one (`as_scanned`)."""
    session = incremental.session
    name = str(path)
    scanned = _scanned(name)
    if session.ahead_of_reading and scanned is not None:
        now = scanned.mtime_ns, scanned.size
    else:
        stat = os.stat(path)
        now = stat.st_mtime_ns, stat.st_size
    known = session.reader_keys.get(name)
    if known is not None and known[:2] == now:
        return known[2]
    if scanned is not None and (scanned.mtime_ns, scanned.size) == now:
        body_digest, plain = scanned.digest, scanned.plain
    else:
        body = path.read_bytes()
        body_digest, plain = file_digest(body), is_plain(body)
    common = session.plain_reader_key if plain else session.reader_key
    key = hashlib.blake2b(f"{common}\0{name}\0".encode() + body_digest, digest_size=20).hexdigest()
    session.reader_keys[name] = (*now, key)
    return key


def as_scanned(path) -> bool:
    """Whether the source at `path` is still the file the build's scan read (its time and size): what was just
    made of it may be cached under its key. (One changed meanwhile is cached by the next build.)"""
    scanned = _scanned(str(path))
    try:
        found = os.stat(path)
    except OSError:
        return False
    return scanned is None or (scanned.mtime_ns, scanned.size) == (found.st_mtime_ns, found.st_size)


def _scanned(name: str):
    """The `Scanned` facts of the source at `name` (its real path), when the build's input scan read it."""
    inputs = incremental.session.inputs
    return inputs.sources.get(name) if inputs is not None else None


class CachingReader:
    """Mixin for a Pelican MarkdownReader (before it in the bases): its results (HTML, raw front matter,
    formatted fields) are cached by key."""

    caching_only = False      # True in the parse workers' reader, whose results go only to the cache

    def read(self, source_path):
        session = incremental.session
        if session is None:
            return super().read(source_path)
        if session.ahead is not None:
            session.ahead.wait_for(source_path)
        key = reader_key(Path(source_path))
        pack = session.packs["reader"]
        session.used["reader"].add(key)
        try:
            content, meta, formatted = pickle.loads(pack.get(key))
        except (TypeError, pickle.UnpicklingError, EOFError, ValueError):     # (TypeError: not in the cache)
            self._raw_meta, self._formatted = {}, {}
            content, metadata = super().read(source_path)
            session.counts["parsed"] += 1
            if as_scanned(source_path):
                pack.put(key, pickle.dumps((content, self._raw_meta, self._formatted), protocol=5))
            return content, metadata
        # Only sources without problems are cached (the key covers their bytes and the templates).
        self._source_path = source_path
        session.counts["read_cached"] += 1
        return content, self._metadata(meta, formatted)

    def _parse_metadata(self, meta):
        # Same as Pelican's, split in two so the formatted fields (Markdown in the front matter,
        # e.g. Summary) can be cached with the body and replayed without a Markdown instance.
        self._md.preprocessors.deregister("meta")
        formatted = {}
        for name, value in meta.items():
            if name.lower() in self.settings["FORMATTED_FIELDS"]:
                self._md.reset()
                formatted[name.lower()] = self._md.convert("\n".join(value))
        self._raw_meta, self._formatted = {k: list(v) for k, v in meta.items()}, formatted
        if self.caching_only:      # a parse worker: the main process makes the metadata from what is cached
            return {}
        return self._metadata(meta, formatted)

    def _metadata(self, meta, formatted):
        from pelican.readers import DUPLICATES_DEFINITIONS_ALLOWED, logger

        # Dates are remembered by their text: the usual YYYY-MM-DD[ HH:MM] is quick (front_matter.parse_date),
        # any other form goes through dateutil, the slowest of the fields.
        process = incremental.memoised("dates", self.process_metadata)
        output = {}
        for name, value in meta.items():
            name = name.lower()
            if name in formatted:
                output[name] = self.process_metadata(name, formatted[name])
            elif not DUPLICATES_DEFINITIONS_ALLOWED.get(name, True):
                if len(value) > 1:
                    logger.warning("Duplicate definition of `%s` for %s. Using first one.", name, self._source_path)
                output[name] = (process if name in ("date", "modified") else self.process_metadata)(name, value[0])
            elif len(value) > 1:
                output[name] = self.process_metadata(name, value)
            else:
                output[name] = self.process_metadata(name, value[0])
        return output

    def _store_only(self, source_path: str) -> None:
        """Worker side: parse one source into the cache; problems are left for the main process (one in
        the front matter's values, found only when the metadata is made, then comes from the cache)."""
        key = reader_key(Path(source_path))
        pack = incremental.session.packs["reader"]
        if key in pack:
            return
        self._raw_meta, self._formatted = {}, {}
        try:
            content, _ = super().read(source_path)
        except Exception:              # the main process reads it again and reports the problem
            return
        if as_scanned(source_path):
            pack.put(key, pickle.dumps((content, self._raw_meta, self._formatted), protocol=5))


def markdown_sources(settings: dict, extensions: Iterable[str]) -> list[Path]:
    """The files with these extensions Pelican will read as articles or pages (a superset is harmless)."""
    content = Path(settings["PATH"])
    ignored = ignoring(settings.get("IGNORE_FILES", []))
    found = set()
    for folder in [*settings.get("ARTICLE_PATHS", []), *settings.get("PAGE_PATHS", [])]:
        for base, dirs, files in os.walk(content / folder):
            dirs[:] = [d for d in dirs if not ignored(d)]
            found.update(os.path.join(base, f) for f in files if f.rsplit(".", 1)[-1] in extensions and not ignored(f))
    return [Path(path) for path in sorted(found)]


def ignoring(patterns: Iterable[str]):
    """Pelican's test of a file or folder name against IGNORE_FILES (fnmatch with each pattern), as one
    expression: a tenth of the time."""
    from fnmatch import translate

    expressions = [translate(os.path.normcase(p)) for p in patterns]
    if not expressions:
        return lambda name: False
    match = re.compile("|".join(expressions)).match
    return lambda name: match(os.path.normcase(name)) is not None


_worker_reader: CachingReader | None = None
CHUNK = 8            # sources per worker task: small, so that Pelican can start on the first ones early


def _parse_in_worker(paths: list[str]) -> tuple[dict[str, list], dict[str, list]]:
    """Parse `paths` into this worker's own pack; returns where the entries are, and what the memos worked out
    meanwhile (each code block's highlighting: the next build of an article needs it again)."""
    session = incremental.session
    pack = session.packs["reader"]
    pack.added = {}
    before = {name: set(memo.used) for name, memo in session.memos.items()}
    for path in paths:
        _worker_reader._store_only(path)
    return pack.added, incremental.worked_out_since(before)


def preparse(settings: dict, reader_class: type[CachingReader]) -> None:
    """Start parsing the uncached sources in worker processes (forked: they inherit the configured reader,
    data and widgets), so a cold build uses every core; Pelican reads them meanwhile (`Ahead`).
    Called once the session is open (plugin.on_initialized); counts the sources handed to workers."""
    global _worker_reader
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    session = incremental.session
    if session is None:
        return
    missing = []
    for path in markdown_sources(settings, reader_class.file_extensions):
        try:
            key = reader_key(path)
        except OSError:
            continue
        if key not in session.packs["reader"]:
            missing.append(os.path.abspath(path))
    workers = processes()
    if len(missing) < POOL_MINIMUM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return
    _worker_reader = reader_class(settings)
    _worker_reader.caching_only = True
    try:      # (forks every worker at the first task: they inherit _worker_reader)
        session.ahead = Ahead(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                                  initializer=start_helper_process), missing)
    except Exception:              # a pool that cannot start only costs time: the reader parses in-process
        return
    finally:
        _worker_reader = None
    session.counts["preparsed"] = len(missing)


class Ahead:
    """Sources being parsed by worker processes while Pelican reads those already done.

    Pelican lists a generator's sources (``Generator.get_files``) and reads them one after another, making
    its Article objects in this process. `in_ready_order` hands it the sources already parsed first and the
    others as their worker finishes them, so that this process works while the workers do, not after them.
    Any source may still be read at any time: `wait_for` waits for the worker that has it."""

    def __init__(self, pool, paths: list[str]):
        self.pool, self.pending, self.parts = pool, {}, {}
        for start in range(0, len(paths), CHUNK):
            part = paths[start:start + CHUNK]
            future = pool.submit(_parse_in_worker, part)
            self.parts[future] = part
            self.pending.update(dict.fromkeys(part, future))

    def in_ready_order(self, files: Iterable[str], base: str) -> Iterator[str]:
        """`files` (relative to `base`, as Pelican lists them), those parsed already first."""
        from concurrent.futures import as_completed

        waiting: dict = {}
        for name in files:
            future = self.pending.get(os.path.abspath(os.path.join(base, name)))
            if future is None:
                yield name
            else:
                waiting.setdefault(future, []).append(name)
        for future in as_completed(waiting):
            self._absorb(future)
            yield from waiting[future]

    def wait_for(self, path: str) -> None:
        future = self.pending.get(os.path.abspath(path))
        if future is not None:
            self._absorb(future)

    def finish(self) -> None:
        """Every source was read: take what the workers parsed that Pelican did not ask for, stop them."""
        for future in list(self.parts):
            self._absorb(future)
        self.pool.shutdown()

    def cancel(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _absorb(self, future) -> None:
        part = self.parts.pop(future, None)
        if part is None:
            return                               # taken already
        try:
            added, worked_out = future.result()
            incremental.session.packs["reader"].merge(added)
            incremental.absorb_memos(worked_out)
        except Exception:          # a worker that failed only costs time: the reader parses these itself
            pass
        for path in part:
            del self.pending[path]


def read_ready_first(generator) -> None:
    """Pelican's article_generator_init and page_generator_init signals: the generator lists the sources
    the workers have parsed first (Pelican sorts what it read afterwards, so the order it reads in is
    its own business: it lists a set)."""
    listed = generator.get_files

    def get_files(paths, exclude=None, extensions=None):
        files = listed(paths, exclude=exclude, extensions=extensions)
        session = incremental.session
        ahead = session.ahead if session is not None else None
        return ahead.in_ready_order(files, generator.path) if ahead is not None and ahead.pending else files

    generator.get_files = get_files
