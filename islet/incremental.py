"""Incremental builds: do again only the work whose inputs changed, with the same bytes as a clean build.

Three layers, each keyed by content hashes (never by file times), each falling back to the
ordinary full work when in doubt:

1. **Build fingerprint** (islet.fingerprint). Before Pelican starts, the build driver hashes every
   input; when nothing changed since the last successful build of the same output folder, nothing
   runs at all.

2. **Reader cache** (`CachedMarkdownReader`). Each Markdown source's rendered HTML and raw
   front matter are stored in ``<cache>/reader/`` (pack files, islet.packs) by the hash of its bytes, its path and
   everything else the reader depends on (data files, widgets, islet, Markdown settings and
   versions; see `Inputs.reader`). Sources not in the cache are parsed by a pool of worker processes
   (`preparse`), while Pelican reads those they have done (`Ahead`) from the cache.
   A source with problems is never cached, so its problems are reported by the normal reader.

3. **Render cache** (islet.render_cache; islet.render's parallel writer uses it). A page whose
   template, own objects and site-wide metadata are unchanged is not rendered again; a whole
   ``write_file`` call whose inputs are those of a call of the previous build is not made at all
   (its files are hard-linked from the previous output). Every later stage still sees exactly
   what a clean build gives it.

Caches only ever hold results of successful work and are kept per output folder: the manifest of
its last successful build says where its entries are, and what that build did not use is dropped
(`Session.commit`).
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .content import IsletMarkdownReader
from .fingerprint import Inputs, atomic_write
from .memo import PAGE_FACTS, Memo, file_identity
from .packs import Pack
from .settings import processes, start_helper_process

POOL_MINIMUM = 16              # fewer uncached sources than this are parsed in-process


# --- the session: one build's caches ------------------------------------------------------------------

@dataclass
class Session:
    """One build's use of the caches: what it read and wrote, for the report and for pruning."""
    cache: Path
    output: Path
    inputs: Inputs | None = None
    reader_key: str = ""
    plain_reader_key: str = ""
    render_key: str = ""
    used: dict[str, set] = field(default_factory=lambda: {"reader": set(), "render": set()})
    memos: dict[str, "Memo"] = field(default_factory=dict)
    calls: dict[str, list] = field(default_factory=dict)    # write_file call key -> [files, their identities, render keys]
    packs: dict[str, Pack] = field(default_factory=dict)     # "reader", "render": the caches (islet.packs)
    previous: dict = field(default_factory=dict)             # the manifest of the build now in the output
    ahead: "Ahead | None" = None                             # sources being parsed by worker processes
    learnt: list | None = None       # in a render helper process: (memo name, key, result) of `learn_pages`
    counts: dict[str, int] = field(default_factory=lambda: {"parsed": 0, "preparsed": 0, "read_cached": 0,
                                                             "rendered": 0, "render_cached": 0,
                                                             "unchanged": 0, "linked": 0})

    def open_packs(self) -> None:
        """Read the manifest of the build now in the output (once) and open the caches it indexes."""
        self.previous, prefix = self._previous_manifest(), self.manifest().stem
        for kind in self.used:
            index = self.previous.get(kind)
            self.packs[kind] = Pack(self.cache / kind, prefix, index if isinstance(index, dict) else {})

    def manifest(self) -> Path:
        name = hashlib.blake2b(str(self.output.resolve()).encode(), digest_size=10).hexdigest()
        return self.cache / "incremental" / f"{name}.json"

    def summary(self) -> str:
        c = self.counts
        return (f"Incremental: {c['read_cached']} sources from the cache, {c['preparsed']} parsed by {processes()} "
                f"processes, {c['parsed']} in-process; {c['unchanged']} pages with unchanged inputs, "
                f"{c['render_cached']} from the render cache, {c['rendered']} rendered; "
                f"{c['unchanged'] + c['linked']} files unchanged, linked from the previous build.")

    def finish_reading(self) -> None:
        """Every source was read (plugin.on_read)."""
        if self.ahead is not None:
            self.ahead, ahead = None, self.ahead
            ahead.finish()

    def close(self) -> None:
        """Close the cache files (a build in a long-running process, livereload, may fail before commit)."""
        if self.ahead is not None:
            self.ahead, ahead = None, self.ahead
            ahead.cancel()
        for pack in self.packs.values():
            pack.close()

    def _previous_manifest(self) -> dict:
        try:
            return json.loads(self.manifest().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def previous_calls(self) -> dict[str, list]:
        """The write_file calls of the build now in the output folder, by call key (see CachingWriter)."""
        calls = self.previous.get("calls")
        return calls if isinstance(calls, dict) else {}

    def commit(self) -> None:
        """After a successful build (its output in place): delete cache entries the previous build of this
        output used and this one did not (entries shared with other sites are only ever a missed cache hit
        for them), and remember the calls whose files are still the writer's own (not replaced by a later
        stage: hydrate and images rewrite pages), which the next build may link instead of writing."""
        indexes = {kind: self.packs[kind].keep(keys) for kind, keys in self.used.items()}
        calls = {key: call for key, call in self.calls.items() if _still_written(self.output, call)}
        atomic_write(self.manifest(), json.dumps({**indexes, "calls": calls}).encode())
        for kind in indexes:                  # the layout before packs: a file per entry in 256 folders
            for old in (self.cache / kind).glob("??"):
                shutil.rmtree(old, ignore_errors=True)
        for memo in self.memos.values():
            memo.save()


def _still_written(output: Path, call: list) -> bool:
    files, identities, _ = call
    try:
        return all(file_identity(output / name) == identity for name, identity in zip(files, identities))
    except OSError:
        return False


session: Session | None = None


def start(settings: dict, cache: Path, templates: Iterable[str]) -> Session | None:
    """Called once the reader is configured (plugin.on_initialized). None when the build driver did
    not scan the inputs (e.g. plain ``pelican`` with the plugin): then nothing is cached."""
    global session
    inputs: Inputs | None = settings.get("ISLET_INPUTS")
    session = None
    if inputs is None:
        return None
    probe = CachedMarkdownReader(settings)     # normalises settings["MARKDOWN"] as every reader will
    markdown = probe.settings["MARKDOWN"]
    session = Session(Path(cache), Path(inputs.output or settings["OUTPUT_PATH"]), inputs,
                      reader_key=inputs.reader(templates, markdown), render_key=inputs.render,
                      plain_reader_key=inputs.reader(templates, markdown, plain=True))
    session.open_packs()
    # Compiled templates kept between builds (Jinja checks each against its source): every build
    # makes new Jinja environments, and compiling the theme again costs more than rendering a page.
    # Those environments last one build, in which no template changes: Jinja need not look at a
    # template's file again each time a page asks for the template (unless the site says otherwise).
    from jinja2 import FileSystemBytecodeCache

    (session.cache / "jinja").mkdir(parents=True, exist_ok=True)
    jinja = settings.setdefault("JINJA_ENVIRONMENT", {})
    jinja["bytecode_cache"] = FileSystemBytecodeCache(str(session.cache / "jinja"))
    jinja.setdefault("auto_reload", False)
    session.counts["preparsed"] = preparse(settings)
    return session


def memoised(name: str, function) -> Memo:
    """`function` (of strings, or of a file's text: islet.memo) remembered across builds of this output;
    remembered only during this build when incremental builds are off."""
    if session is None:
        return Memo(None, function)
    if name not in session.memos:
        session.memos[name] = Memo(session.manifest().with_name(f"{session.manifest().stem}-{name}.pickle"),
                                   function)
    session.memos[name].function = function        # the caller's, with what it knows of this build
    return session.memos[name]


def learn_pages(written: Iterable[tuple[str, str]] | None) -> None:
    """The render stage has just written these files (path, text): work out the PAGE_FACTS of those that
    are pages (islet.memo), so that verify, images and hydrate do not read them again. A render helper
    process sends `session.learnt` back (`absorb_learnt`)."""
    if session is None or not written:
        return
    for path, text in written:
        if not path.endswith(".html"):
            continue
        try:
            for name, function in PAGE_FACTS.items():
                learnt = memoised(name, function).learn_file(path, text)
                if learnt is not None and session.learnt is not None:
                    session.learnt.append((name, *learnt))
        except OSError:
            continue                     # the stage reads the file itself, and reports what is wrong


def page_memos() -> list[Memo]:
    """The memos of PAGE_FACTS, loaded (before the render stage forks, so that it is done once)."""
    return [memoised(name, function) for name, function in PAGE_FACTS.items()]


def absorb_learnt(learnt: list) -> None:
    for name, key, found in learnt:
        memoised(name, PAGE_FACTS[name]).used[key] = found


def previous_output() -> Path | None:
    """The output folder this build replaces, when it was written by the same islet (so its
    post-processed files, e.g. compressed variants, can be reused for files whose bytes are equal)."""
    if session is None or session.inputs is None or not session.output.is_dir():
        return None
    same = session.inputs.previous.get("islet") == session.inputs.parts["islet"]
    return session.output if same else None


# --- 2. the reader cache ------------------------------------------------------------------------------

def _is_plain(body: bytes) -> bool:
    """No Jinja syntax and no widget block: the HTML cannot depend on data files or widgets."""
    return not any(marker in body for marker in (b"{{", b"{%", b"{#", b"widget"))


def _reader_key(path: Path, body: bytes) -> str:
    common = session.plain_reader_key if _is_plain(body) else session.reader_key
    digest = hashlib.blake2b(common.encode() + b"\0" + str(path).encode() + b"\0", digest_size=20)
    digest.update(body)
    return digest.hexdigest()


class CachedMarkdownReader(IsletMarkdownReader):
    """IsletMarkdownReader whose results (HTML, raw front matter, formatted fields) are cached by key."""

    caching_only = False      # True in the parse workers' reader, whose results go only to the cache

    def read(self, source_path):
        if session is None:
            return super().read(source_path)
        if session.ahead is not None:
            session.ahead.wait_for(source_path)
        key = _reader_key(Path(source_path), Path(source_path).read_bytes())
        pack = session.packs["reader"]
        session.used["reader"].add(key)
        try:
            content, meta, formatted = pickle.loads(pack.get(key))
        except (TypeError, pickle.UnpicklingError, EOFError, ValueError):     # (TypeError: not in the cache)
            self._raw_meta, self._formatted = {}, {}
            content, metadata = super().read(source_path)
            session.counts["parsed"] += 1
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

        # Dates are remembered by their text: the usual YYYY-MM-DD[ HH:MM] is quick (content.parse_date),
        # any other form goes through dateutil, the slowest of the fields.
        process = memoised("dates", self.process_metadata)
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
        key = _reader_key(Path(source_path), Path(source_path).read_bytes())
        if key in session.packs["reader"]:
            return
        self._raw_meta, self._formatted = {}, {}
        try:
            content, _ = IsletMarkdownReader.read(self, source_path)
        except Exception:              # the main process reads it again and reports the problem
            return
        session.packs["reader"].put(key, pickle.dumps((content, self._raw_meta, self._formatted), protocol=5))


def markdown_sources(settings: dict) -> list[Path]:
    """The Markdown files Pelican will read as articles or pages (a superset is harmless)."""
    from fnmatch import fnmatch

    from .plugin import MARKDOWN_EXTENSIONS

    content = Path(settings["PATH"])
    ignored = list(settings.get("IGNORE_FILES", []))
    found = set()
    for folder in [*settings.get("ARTICLE_PATHS", []), *settings.get("PAGE_PATHS", [])]:
        for base, dirs, files in os.walk(content / folder):
            dirs[:] = [d for d in dirs if not any(fnmatch(d, p) for p in ignored)]
            found.update(Path(base) / f for f in files
                         if f.rsplit(".", 1)[-1] in MARKDOWN_EXTENSIONS and not any(fnmatch(f, p) for p in ignored))
    return sorted(found)


_worker_reader: CachedMarkdownReader | None = None
CHUNK = 8            # sources per worker task: small, so that Pelican can start on the first ones early


def _parse_in_worker(paths: list[str]) -> dict[str, list]:
    """Parse `paths` into this worker's own pack; returns where the entries are."""
    pack = session.packs["reader"]
    pack.added = {}
    for path in paths:
        _worker_reader._store_only(path)
    return pack.added


def preparse(settings: dict) -> int:
    """Start parsing the uncached sources in worker processes (forked: they inherit the configured reader,
    data and widgets), so a cold build uses every core; Pelican reads them meanwhile (`Ahead`).
    Returns how many were handed to workers."""
    global _worker_reader
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    missing = []
    for path in markdown_sources(settings):
        try:
            key = _reader_key(path, path.read_bytes())
        except OSError:
            continue
        if key not in session.packs["reader"]:
            missing.append(os.path.abspath(path))
    workers = processes()
    if len(missing) < POOL_MINIMUM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    _worker_reader = CachedMarkdownReader(settings)
    _worker_reader.caching_only = True
    try:      # (forks every worker at the first task: they inherit _worker_reader)
        session.ahead = Ahead(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                                  initializer=start_helper_process), missing)
    except Exception:              # a pool that cannot start only costs time: the reader parses in-process
        return 0
    finally:
        _worker_reader = None
    return len(missing)


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
            session.packs["reader"].merge(future.result())
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
        ahead = session.ahead if session is not None else None
        return ahead.in_ready_order(files, generator.path) if ahead is not None and ahead.pending else files

    generator.get_files = get_files


def timed(seconds_since: float) -> str:
    return f"{time.perf_counter() - seconds_since:.2f} s"
