"""Incremental builds: do again only the work whose inputs changed, with the same bytes as a clean build.

Three layers, each keyed by content hashes (never by file times), each falling back to the
ordinary full work when in doubt:

1. **Build fingerprint** (islet.build.fingerprint). Before Pelican starts, the build driver hashes every
   input; when nothing changed since the last successful build of the same output folder, nothing
   runs at all.

2. **Reader cache** (islet.build.reader_cache). Each Markdown source's rendered HTML and raw
   front matter are stored in ``<cache>/reader/`` (pack files, islet.build.packs) by the hash of its bytes, its path and
   everything else the reader depends on (data files, widgets, islet, Markdown settings and
   versions; see `Inputs.reader`). Sources not in the cache are parsed by a pool of worker processes
   (`preparse`), while Pelican reads those they have done (`Ahead`) from the cache.
   A source with problems is never cached, so its problems are reported by the normal reader.

3. **Render cache** (islet.build.render_cache; islet.build.render's parallel writer uses it). A page whose
   template, own objects and site-wide metadata are unchanged is not rendered again; a whole
   ``write_file`` call whose inputs are those of a call of the previous build is not made at all
   (its files are hard-linked from the previous output). Every later stage still sees exactly
   what a clean build gives it.

Caches only ever hold results of successful work and are kept per output folder: the manifest of
its last successful build says where its entries are, and what that build did not use is dropped
(`Session.commit`). This module holds the `Session` of one build, which the other two layers use.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from islet.settings import processes

from .fingerprint import Inputs, atomic_write
from .memo import PAGE_FACTS, Memo, file_identity, forget_texts
from .packs import Pack


@dataclass
class Session:
    """One build's use of the caches: what it read and wrote, for the report and for pruning."""
    cache: Path
    output: Path
    inputs: Inputs | None = None
    reader_key: str = ""
    plain_reader_key: str = ""
    render_key: str = ""
    used: dict[str, set] = field(default_factory=lambda: {"reader": set(), "objects": set(), "render": set()})
    memos: dict[str, "Memo"] = field(default_factory=dict)
    calls: dict[str, list] = field(default_factory=dict)    # write_file call key -> [files, their identities, render keys]
    packs: dict[str, Pack] = field(default_factory=dict)     # "reader", "objects", "render": the caches (islet.build.packs)
    reader_keys: dict[str, tuple] = field(default_factory=dict)   # source path -> (mtime, size, reader cache key)
    previous: dict = field(default_factory=dict)             # the manifest of the build now in the output
    ahead: object = None                                     # a reader_cache.Ahead while workers parse sources
    ahead_of_reading: bool = True    # until every source was read, the scan's times and sizes stand for the files'
    rewritten_later: Callable[[str], bool] = lambda text: True   # may a later stage rewrite this page? (plugin)
    cleanups: list[Callable[[], None]] = field(default_factory=list)   # run by `close` (content_cache.detach)
    learnt: list | None = None       # in a render helper process: (memo name, key, result) of `learn_pages`
    counts: dict[str, int] = field(default_factory=lambda: {"parsed": 0, "preparsed": 0, "read_cached": 0,
                                                             "objects_cached": 0,
                                                             "rendered": 0, "render_cached": 0,
                                                             "unchanged": 0, "linked": 0})

    def open_packs(self) -> None:
        """Read the manifest of the build now in the output (once) and open the caches it indexes."""
        self.previous, prefix = self._previous_manifest(), self.manifest().stem
        for kind in self.used:
            index = self.previous.get(kind)
            self.packs[kind] = Pack(self.cache / kind, prefix, index if isinstance(index, dict) else {})

    def manifest(self) -> Path:
        # In marshal's format: at 5,000 articles it holds 20,000 entries, which JSON takes ten times longer to write.
        name = hashlib.blake2b(str(self.output.resolve()).encode(), digest_size=10).hexdigest()
        return self.cache / "incremental" / f"{name}.marshal"

    def summary(self) -> str:
        c = self.counts
        return (f"Incremental: {c['objects_cached'] + c['read_cached']} sources from the cache "
                f"({c['objects_cached']} as Pelican objects), {c['preparsed']} parsed by {processes()} "
                f"processes, {c['parsed']} in-process; {c['unchanged']} pages with unchanged inputs, "
                f"{c['render_cached']} from the render cache, {c['rendered']} rendered; "
                f"{c['unchanged'] + c['linked']} files unchanged, linked from the previous build.")

    def finish_reading(self) -> None:
        """Every source was read (plugin.on_read)."""
        self.ahead_of_reading = False
        if self.ahead is not None:
            self.ahead, ahead = None, self.ahead
            ahead.finish()

    def close(self) -> None:
        """Close the cache files (a build in a long-running process, livereload, may fail before commit)."""
        forget_texts()
        for cleanup in self.cleanups:
            cleanup()
        if self.ahead is not None:
            self.ahead, ahead = None, self.ahead
            ahead.cancel()
        for pack in self.packs.values():
            pack.close()

    def _previous_manifest(self) -> dict:
        try:
            found = marshal.loads(self.manifest().read_bytes())
        except (OSError, ValueError, EOFError, TypeError):     # none yet, or of another Python
            return {}
        return found if isinstance(found, dict) else {}

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
        output = str(self.output)
        calls = {key: call for key, call in self.calls.items() if _still_written(output, call)}
        atomic_write(self.manifest(), marshal.dumps({**indexes, "calls": calls}))
        self.manifest().with_suffix(".json").unlink(missing_ok=True)      # (the format before)
        for kind in indexes:                  # the layout before packs: a file per entry in 256 folders
            for old in (self.cache / kind).glob("??"):
                shutil.rmtree(old, ignore_errors=True)
        for memo in self.memos.values():
            memo.save()


def _still_written(output: str, call: list) -> bool:
    files, identities = call[0], call[1]
    try:
        return all(file_identity(os.path.join(output, name)) == identity for name, identity in zip(files, identities))
    except OSError:
        return False


session: Session | None = None


def start(settings: dict, cache: Path, templates: Iterable[str], reader_class: type,
          rewritten_later: Callable[[str], bool]) -> Session | None:
    """Open this build's caches (plugin.on_initialized, once the reader is configured). None when the build
    driver did not scan the inputs (e.g. plain ``pelican`` with the plugin): then nothing is cached.
    `reader_class` is the Markdown reader Pelican will use; `rewritten_later` tells the pages a later
    stage rewrites (see islet.build.render_cache)."""
    global session
    inputs: Inputs | None = settings.get("ISLET_INPUTS")
    session = None
    if inputs is None:
        return None
    probe = reader_class(settings)     # normalises settings["MARKDOWN"] as every reader will
    markdown = probe.settings["MARKDOWN"]
    session = Session(Path(cache), Path(inputs.output or settings["OUTPUT_PATH"]), inputs,
                      reader_key=inputs.reader(templates, markdown), render_key=inputs.render,
                      plain_reader_key=inputs.reader(templates, markdown, plain=True),
                      rewritten_later=rewritten_later)
    session.open_packs()
    # Compiled templates kept between builds (Jinja checks each against its source): every build
    # makes new Jinja environments, and compiling the theme again costs more than rendering a page.
    # Those environments last one build, in which no template changes: Jinja need not look at a
    # template's file again each time a page asks for the template (unless the site says otherwise).
    from .sealed import BytecodeCache

    (session.cache / "jinja").mkdir(parents=True, exist_ok=True)
    jinja = settings.setdefault("JINJA_ENVIRONMENT", {})
    jinja["bytecode_cache"] = BytecodeCache(str(session.cache / "jinja"))
    jinja.setdefault("auto_reload", False)
    return session


def memoised(name: str, function) -> Memo:
    """`function` (of strings, or of a file's text: islet.build.memo) remembered across builds of this output;
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
    are pages (islet.build.memo), so that verify, images and hydrate do not read them again. A render helper
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


def worked_out_since(before: dict[str, set]) -> dict[str, list]:
    """The memo entries this process has used since `before` ({memo name: its keys then}) that its memos did not
    hold when loaded: in a forked worker, what to hand to the build's process (`absorb_memos`)."""
    return {name: [(key, found) for key, found in memo.used.items()
                   if key not in before.get(name, ()) and key not in memo.kept]
            for name, memo in session.memos.items()}


def absorb_memos(worked_out: dict[str, list]) -> None:
    """Memo entries a forked worker worked out (`worked_out_since`): this build has used them too."""
    for name, entries in worked_out.items():
        if entries:
            memo = session.memos.get(name) or memoised(name, None)      # (its caller sets its function)
            for key, found in entries:
                memo.learn(key, found)


def absorb_learnt(learnt: list) -> None:
    for name, key, found in learnt:
        memoised(name, PAGE_FACTS[name]).learn(key, found)


def previous_output() -> Path | None:
    """The output folder this build replaces, when it was written by the same islet (so its
    post-processed files, e.g. compressed variants, can be reused for files whose bytes are equal)."""
    if session is None or session.inputs is None or not session.output.is_dir():
        return None
    same = session.inputs.previous.get("islet") == session.inputs.parts["islet"]
    return session.output if same else None
