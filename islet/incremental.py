"""Incremental builds: do again only the work whose inputs changed, with the same bytes as a clean build.

Three layers, each keyed by content hashes (never by file times), each falling back to the
ordinary full work when in doubt:

1. **Build fingerprint** (islet.fingerprint). Before Pelican starts, the build driver hashes every
   input; when nothing changed since the last successful build of the same output folder, nothing
   runs at all.

2. **Reader cache** (`CachedMarkdownReader`). Each Markdown source's rendered HTML and raw
   front matter are stored in ``<cache>/reader/`` (pack files, islet.packs) by the hash of its bytes, its path and
   everything else the reader depends on (data files, widgets, islet, Markdown settings and
   versions; see `Inputs.reader`). Sources not in the cache are parsed *before* Pelican asks,
   by a pool of worker processes (`preparse`); Pelican's reader then finds them in the cache.
   A source with problems is never cached, so its problems are reported by the normal reader.

3. **Render cache** (`CachingWriter`; islet.render's parallel writer is one).
   For each page Pelican renders, a key is computed from the template, the page's own
   variables (the article it shows, or the articles of a paginated page, the tag…), and one
   fingerprint of everything the page could also see: every article's and page's metadata and
   URL (not their bodies), the static files and all non-content inputs (`Inputs.render`).
   The rendered text is stored in ``<cache>/render/`` by that key; a page whose key is
   already there is not rendered again. One step up, a whole ``write_file`` call (an article, or
   the 20 pages of a tag) whose key, made the same way from its arguments, is that of a call of
   the previous build is not made at all: the files it wrote then are hard-linked from the old
   output, unless a later stage (hydrate, images) rewrote them there, or a plugin listens to
   Pelican's ``content_written`` signal. Every later stage still sees exactly what a clean build
   gives it.
   The contract this relies on: a template shows the *body* (content, derived summary) only of
   the objects it is given (``article``, ``page``, ``articles_page``); everything else it may
   use of other articles is metadata. A value the key cannot describe exactly (an object with no
   stable representation) makes the page render normally.

Caches only ever hold results of successful work and are kept per output folder: the manifest of
its last successful build says where its entries are, and what that build did not use is dropped
(`Session.commit`).
"""
from __future__ import annotations

import hashlib
import inspect
import io
import json
import os
import pickle
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from pelican import signals
from pelican.writers import Writer

from .content import IsletMarkdownReader
from .fingerprint import Inputs, atomic_write
from .memo import Memo, file_identity
from .packs import Pack
from .settings import processes

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
    counts: dict[str, int] = field(default_factory=lambda: {"parsed": 0, "preparsed": 0, "read_cached": 0,
                                                             "rendered": 0, "render_cached": 0,
                                                             "unchanged": 0, "linked": 0})

    def open_packs(self) -> None:
        previous, prefix = self._previous_manifest(), self.manifest().stem
        for kind in self.used:
            index = previous.get(kind)
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

    def _previous_manifest(self) -> dict:
        try:
            return json.loads(self.manifest().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def previous_calls(self) -> dict[str, list]:
        """The write_file calls of the build now in the output folder, by call key (see CachingWriter)."""
        calls = self._previous_manifest().get("calls")
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
    from jinja2 import FileSystemBytecodeCache

    (session.cache / "jinja").mkdir(parents=True, exist_ok=True)
    settings.setdefault("JINJA_ENVIRONMENT", {})["bytecode_cache"] = FileSystemBytecodeCache(str(session.cache / "jinja"))
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

    def read(self, source_path):
        if session is None:
            return super().read(source_path)
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
        return self._metadata(meta, formatted)

    def _metadata(self, meta, formatted):
        from pelican.readers import DUPLICATES_DEFINITIONS_ALLOWED, logger

        # Dates are parsed by dateutil, the slowest of the fields: remembered by their text.
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
        """Worker side: parse one source into the cache; problems are left for the main process."""
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


def _parse_in_worker(paths: list[str]) -> dict[str, list]:
    """Parse `paths` into this worker's own pack; returns where the entries are."""
    pack = session.packs["reader"]
    pack.added = {}
    for path in paths:
        _worker_reader._store_only(path)
    return pack.added


def preparse(settings: dict) -> int:
    """Parse the uncached sources in worker processes (forked: they inherit the configured reader,
    data and widgets), so a cold build uses both cores. Returns how many were handed to workers."""
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
            missing.append(str(path))
    workers = processes()
    if len(missing) < POOL_MINIMUM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    _worker_reader = CachedMarkdownReader(settings)
    chunks = [missing[i::workers * 4] for i in range(workers * 4)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for added in pool.map(_parse_in_worker, chunks):
                session.packs["reader"].merge(added)
    except Exception:              # a pool that cannot start only costs time: the reader parses in-process
        return 0
    finally:
        _worker_reader = None
    return len(missing)


# --- 3. the render cache ------------------------------------------------------------------------------

class Uncacheable(Exception):
    """A template variable the render key cannot describe exactly: render the page normally."""


def _content_digest(obj, memo: dict) -> str:
    """Everything of one content object a page showing it may print: body, metadata, URL."""
    found = memo.get(id(obj))
    if found is None:
        digest = hashlib.blake2b(digest_size=20)
        for part in (str(getattr(obj, "source_path", "")), getattr(obj, "_content", "") or "",
                     _describe(getattr(obj, "metadata", {}), memo, shown=False), _identity(obj, memo)):
            digest.update(part.encode() + b"\0")
        found = memo[id(obj)] = digest.hexdigest()
    return found


def _identity(obj, memo: dict) -> str:
    """Which object this is and where it is published. Memoised per object (Pelican computes URLs on
    every access, and a tag page lists the same articles as its siblings)."""
    found = memo.get(("identity", id(obj)))
    if found is None:
        found = memo[("identity", id(obj))] = _identity_of(obj)
    return found


def _identity_of(obj) -> str:
    return repr((type(obj).__name__, getattr(obj, "url", None), getattr(obj, "save_as", None),
                 getattr(obj, "status", None), getattr(obj, "lang", None), getattr(obj, "in_default_lang", None),
                 [getattr(t, "url", None) for t in getattr(obj, "translations", [])]))


def _describe(value, memo: dict, shown: bool) -> str:
    """A stable text for a template variable. Content objects count fully where `shown`, else by identity
    (their metadata is in the global fingerprint)."""
    from pelican.contents import Content
    from pelican.paginator import Page, Paginator
    from pelican.urlwrappers import URLWrapper

    if value is None or isinstance(value, (str, int, float, bool)):
        return repr(value)
    if isinstance(value, Content):
        return _content_digest(value, memo) if shown else _identity(value, memo)
    if isinstance(value, Page):
        return repr(("Page", value.number, value.paginator.num_pages, value.url, value.save_as,
                     [_content_digest(o, memo) for o in value.object_list]))
    if isinstance(value, Paginator):
        return repr(("Paginator", value.name, value.count, value.per_page, value.num_pages))
    if isinstance(value, URLWrapper):
        return repr((type(value).__name__, value.name, value.slug, value.url))
    if isinstance(value, (list, tuple)):
        # Pages and calls share their lists (a tag's 80 articles, every tag page's `all_articles`): each
        # list is described once, and kept in the memo so that its id stays its own.
        lists = memo.setdefault("lists", {})
        found = lists.get(id(value))
        if found is None or found[0] is not value or found[1] != len(value):
            text = "[" + ",".join(_describe(v, memo, False) for v in value) + "]"
            found = lists[id(value)] = (value, len(value), hashlib.blake2b(text.encode(), digest_size=20).hexdigest())
        return found[2]
    if isinstance(value, dict):
        return "{" + ",".join(f"{_describe(k, memo, False)}:{_describe(v, memo, False)}"
                              for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))) + "}"
    text = repr(value)
    if " at 0x" in text or text.startswith("<"):
        raise Uncacheable(type(value).__name__)
    return text


def _global_digest(context: dict, memo: dict) -> str:
    """Every article's and page's metadata and URL, and the static files: what any page may list."""
    digest = hashlib.blake2b(session.render_key.encode(), digest_size=20)
    for name in ("articles", "drafts", "pages", "hidden_pages", "draft_pages"):
        for obj in context.get(name, []):
            digest.update(f"{name}\0{obj.source_path}\0{_identity(obj, memo)}\0".encode())
            digest.update(_describe(obj.metadata, memo, shown=False).encode() + b"\0")
    # Sorted: Pelican adds static files linked with {static} in set order, which varies between runs.
    for source, save_as in sorted((str(o.source_path), str(o.save_as)) for o in context.get("staticfiles", [])):
        digest.update(f"static\0{source}\0{save_as}\0".encode())
    return digest.hexdigest()


class _CachedTemplate:
    """Stands in for a Jinja template in Writer.write_file: same render(), answered from the cache."""

    def __init__(self, template, writer: "CachingWriter", context: dict):
        self.template, self.writer, self.context = template, writer, context

    def __getattr__(self, name):
        return getattr(self.template, name)

    def render(self, localcontext: dict) -> str:
        writer = self.writer
        try:
            writer.digest_of(self.context)
            own = {k: v for k, v in localcontext.items() if k not in self.context or v is not self.context[k]}
            digest = hashlib.blake2b(f"{writer.global_digest}\0{self.template.name}\0".encode(), digest_size=20)
            for name in ("output_file", "SITEURL", "localsiteurl"):     # always, even when equal to the context's
                digest.update(f"{name}={localcontext.get(name)!r}\0".encode())
            for name in sorted(own):
                digest.update(f"{name}={_describe(own[name], writer.memo, shown=True)}\0".encode())
            key = digest.hexdigest()
        except Uncacheable:
            writer.call_renders = None                 # nor can the call that writes this page be skipped
            session.counts["rendered"] += 1
            return self.template.render(localcontext)
        if writer.call_renders is not None:
            writer.call_renders.append(key)
        session.used["render"].add(key)
        cached = session.packs["render"].get(key)
        if cached is not None:
            session.counts["render_cached"] += 1
            return cached.decode("utf-8")
        text = self.template.render(localcontext)
        session.counts["rendered"] += 1
        if writer.call_texts is not None:
            writer.call_texts.append((key, text))         # kept or not once the call is done
        else:
            session.packs["render"].put(key, text.encode("utf-8"))
        return text


class CachingWriter(Writer):
    """Pelican's Writer, rendering each page only when its render key is not in the cache, and skipping
    a whole ``write_file`` call when its inputs are those of a call of the previous build."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.global_digest: str | None = None
        self.global_context: dict | None = None     # the context `global_digest` describes
        self.memo: dict = {}
        self.previous = previous_output()      # once: the same for every file of this build
        self.previous_calls = session.previous_calls() if session is not None and self.previous else {}
        self.call_files: list[str] | None = None      # what the call being written opened, in order
        self.call_renders: list[str] | None = None    # and its pages' render keys
        self.call_texts: list | None = None            # and the render cache entries it made
        self.made: set[str] = set()                   # folders known to exist in the output
        self.settled = False                          # True once Pelican's context no longer changes

    def digest_of(self, context: dict) -> str:
        if self.global_digest is None:
            self.global_digest, self.global_context = _global_digest(context, self.memo), context
        return self.global_digest

    def write_file(self, name, template, context, *args, **kwargs):
        if session is None or not name:
            return super().write_file(name, template, context, *args, **kwargs)
        if not self.settled:
            self.memo.pop("lists", None)      # while generators run, a list may still change
        key = self._call_key(name, template, context, args, kwargs)
        if key is not None and self._link_call(self.previous_calls.get(key)):
            session.calls[key] = self.previous_calls[key]
            return None
        self.call_files, self.call_renders, self.call_texts = [], [], []
        try:
            return super().write_file(name, _CachedTemplate(template, self, context), context, *args, **kwargs)
        finally:
            files, renders, texts = self.call_files, self.call_renders, self.call_texts
            self.call_files = self.call_renders = self.call_texts = None
            skippable = key is not None and files and renders is not None
            # The page of a one-page call (an article) is not kept in the render cache when the call itself
            # will be remembered: its key then only changes when the page's does (a file less to create per
            # article). Unless a later stage rewrites the page: then the call is not remembered (commit).
            for page_key, text in texts:
                if not (skippable and len(files) == 1) or rewritten_later(text):
                    session.packs["render"].put(page_key, text.encode("utf-8"))
            if skippable:
                self._record_call(key, files, renders)

    # -- skipping a call whose inputs did not change ----------------------------------------------------
    # A call's pages are a function of the template, its arguments (the article, the tag and its articles
    # with their bodies…) and what the global digest covers, exactly as each page's render key is.

    def _call_key(self, name, template, context, args, kwargs) -> str | None:
        if signals.content_written.receivers or getattr(template, "name", None) is None:
            return None                       # a plugin wants to see every file written: write them all
        try:
            if self.digest_of(context) is None or context is not self.global_context:
                return None
            call = _WRITE_FILE.bind(self, name, template, context, *args, **kwargs).arguments
            own = call.pop("kwargs", {})
            paginated = call.pop("paginated", None)
            if paginated is None:              # Pelican's default
                paginated = {k: v for k, v in own.items() if k in {"articles", "dates"}}
            if call.get("template_name") not in self.settings["PAGINATED_TEMPLATES"]:
                paginated = {}                 # as Pelican decides: one page, which lists them by metadata
            digest = hashlib.blake2b(f"{self.global_digest}\0{template.name}\0".encode(), digest_size=20)
            for part in ("name", "relative_urls", "template_name", "override_output", "url"):
                digest.update(f"{part}={call.get(part)!r}\0".encode())
            for part, value in sorted(own.items()):        # as in a page's render key
                digest.update(f"{part}={_describe(value, self.memo, shown=True)}\0".encode())
            for part, value in sorted(paginated.items()):  # the objects whose bodies its pages show
                shown = ",".join(_describe(v, self.memo, shown=True) for v in value)
                digest.update(f"paginated {part}=[{shown}]\0".encode())
            return digest.hexdigest()
        except (Uncacheable, TypeError):
            return None

    def _link_call(self, entry) -> bool:
        """Link the files `entry` (a call of the previous build) wrote from there; False, having linked
        nothing, when one of them is gone, was replaced since, or is written by this build already."""
        if not entry:
            return False
        files, identities, renders = entry
        targets = [os.path.abspath(os.path.join(self.output_path, name)) for name in files]
        if any(t in self._written_files or t in self._overridden_files for t in targets):
            return False
        done = []
        try:
            for name, identity, target in zip(files, identities, targets):
                source = self.previous / name
                if file_identity(source) != identity:
                    raise FileNotFoundError(source)
                self._folder_for(target)
                os.link(source, target)
                done.append(target)
        except OSError:
            for target in done:
                os.unlink(target)
            return False
        self._written_files.update(targets)
        session.used["render"].update(renders)
        session.counts["unchanged"] += len(files)
        return True

    def _record_call(self, key: str, files: list[str], renders: list[str]) -> None:
        """Remember which files the call wrote, and which files they are (a later stage that rewrites a
        page replaces it with a new file, so `Session.commit` can tell those still the writer's own)."""
        if len(set(files)) < len(files) or os.devnull in files:
            return                           # Pelican's rules for writing a file twice were at work
        try:
            session.calls[key] = [[os.path.relpath(f, self.output_path) for f in files],
                                  [file_identity(f) for f in files], renders]
        except OSError:
            pass

    def _folder_for(self, path: str) -> None:
        folder = os.path.dirname(path)
        if folder not in self.made:
            os.makedirs(folder, exist_ok=True)
            self.made.add(folder)

    def _open_w(self, filename, encoding, override=False):
        """A file written once (the usual case) is kept only in memory until closed: when the build this
        one replaces has the same bytes at the same place, it is hard-linked from there instead of written.
        (Creating files is the slow part of writing a large site; stages that change pages later
        replace them with new files, so the old build's file is never modified.)"""
        previous = self.previous
        if self.call_files is not None:                # a file written twice: the call is not recorded
            again = filename in self._written_files or filename in self._overridden_files
            self.call_files.append(os.devnull if again else filename)
        if previous is None or override or filename in self._written_files or filename in self._overridden_files:
            return super()._open_w(filename, encoding, override)     # Pelican's rules for writing a file twice
        self._written_files.add(filename)
        return _SameOrNew(filename, previous / os.path.relpath(filename, self.output_path), encoding)


_WRITE_FILE = inspect.signature(Writer.write_file)


def rewritten_later(text: str) -> bool:
    """Whether a later stage may rewrite this page (islet.plugin sets the test: images, widgets)."""
    return True


class _SameOrNew(io.StringIO):
    """A text file being written: on close, a hard link to `same` if that has these bytes, else a new file.
    (A StringIO, so writers that want a real text stream, like the feed's XML writer, accept it.)"""

    def __init__(self, path: str, same: Path, encoding: str):
        super().__init__()
        self.path, self.same, self.charset = path, same, encoding

    def close(self) -> None:
        if self.closed:
            return
        body = self.getvalue().encode(self.charset)
        super().close()
        try:
            if self.same.stat().st_size == len(body) and self.same.read_bytes() == body:
                os.link(self.same, self.path)
                session.counts["linked"] += 1
                return
        except OSError:
            pass
        with open(self.path, "wb") as out:
            out.write(body)


def timed(seconds_since: float) -> str:
    return f"{time.perf_counter() - seconds_since:.2f} s"
