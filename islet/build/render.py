"""Render stage: Pelican's page writes, run by several processes at once.

Pelican renders and writes its pages one after another on one core. `ParallelWriter` (given to
Pelican through the ``get_writer`` signal, with islet.build.incremental's render cache inside) only
*records* each ``write_file`` call while the generators run. `flush` (called first thing when
Pelican signals ``finalized``) then forks helpers that inherit the finished context, and every
process takes the next unwritten call from a shared counter until none is left, the largest first (a
list of 1,000 articles paginated is one call of 200 pages: taken last, it would leave the other cores
idle while one process writes it). Each call writes
its own files, so the output does not depend on which process wrote what; calls that would write
the same file run in one process, in Pelican's order.

What a helper learnt that the build needs afterwards comes back through a pipe: render cache use
and counts, the files written, and log records (Pelican's warnings). When a helper fails, its
call is run again in this process, so the error (a template mistake…) is raised here exactly as
in a sequential build.
"""
from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
import signal
from contextlib import contextmanager
from dataclasses import dataclass, field

from pelican.log import FilteredMessage

from islet.settings import processes, start_helper_process

from . import incremental, render_cache

MINIMUM = 16                  # fewer calls than this are written in-process: a fork costs more


@dataclass
class _Share:
    """What one helper process reports back."""
    counts: dict = field(default_factory=dict)
    used: set = field(default_factory=set)
    calls: dict = field(default_factory=dict)
    added: dict = field(default_factory=dict)        # render cache entries, in the helper's own pack
    learnt: list = field(default_factory=list)       # facts of the pages it wrote (islet.build.memo.PAGE_FACTS)
    written: set = field(default_factory=set)
    records: list = field(default_factory=list)
    failed: int | None = None         # index of the call that raised


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)          # as islet.build.driver's capture: no "Writing …" lines
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        record.msg, record.args, record.exc_info = record.getMessage(), None, None   # picklable
        self.records.append(record)


class ParallelWriter(render_cache.CachingWriter):
    """Pelican's Writer (with the render cache) whose page writes wait for `flush`."""

    active: "ParallelWriter | None" = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[tuple, dict]] = []
        self.feeds: list[tuple[tuple, dict]] = []           # write_feed calls, also made at `flush`
        self.current = 0                                   # the call being written, for error reports
        ParallelWriter.active = self

    def write_file(self, name, template, context, *args, **kwargs):
        # The context is Pelican's shared dict, kept as it is (not copied): Pelican's own write_file sets its
        # "localsiteurl" for each page, and the articles read it from there to make their links relative.
        self.calls.append(((name, template, context, *args), kwargs))

    def write_feed(self, elements, context, path=None, *args, **kwargs):
        # A feed too is written at `flush`, once the context is final (then it may be linked from the previous
        # build: CachingWriter._feed_key), unless a plugin wants it now (it may use what write_feed returns).
        if incremental.session is None or not path or not render_cache.feeds_unwatched():
            return super().write_feed(elements, context, path, *args, **kwargs)
        self.feeds.append(((elements, context, path, *args), kwargs))

    def flush(self) -> None:
        calls, self.calls = self.calls, []
        feeds, self.feeds = self.feeds, []
        self.settled = True                   # every generator is done: the context is final
        names = [c[0][0] for c in calls if c[0][0]]
        with settled_urls():
            for args, kwargs in feeds:
                render_cache.CachingWriter.write_feed(self, *args, **kwargs)
            if len(calls) < MINIMUM or processes() < 2 or len(set(names)) < len(names) or "fork" not in multiprocessing.get_all_start_methods():
                for index in range(len(calls)):
                    self._write(calls, index)
                return
            if incremental.session is not None:          # once, not in every process
                self.digest_of(calls[0][0][2])
                incremental.page_memos()
            self._in_parallel(calls)

    def _write(self, calls, index) -> None:
        args, kwargs = calls[index]
        render_cache.CachingWriter.write_file(self, *args, **kwargs)

    def _in_parallel(self, calls) -> None:
        counter = multiprocessing.get_context("fork").Value("l", 0)
        order = largest_first(calls)
        helpers: list[tuple[int, int]] = []
        gc.freeze()                   # keep the collector from touching (and so copying) inherited objects
        try:
            for _ in range(processes() - 1):
                helpers.append(self._fork(calls, order, counter))
            self._take(calls, order, counter)
        except BaseException:
            for pid, _ in helpers:
                os.kill(pid, signal.SIGKILL)
            raise
        finally:
            shares = [self._collect(pid, pipe) for pid, pipe in helpers]
            gc.unfreeze()
        for share in shares:
            self._merge(share)
        for share in shares:
            if share.failed is not None:
                self._write(calls, share.failed)            # raises the helper's error here
            elif share.counts is None:
                raise RuntimeError("a page-writing process stopped without reporting; run the build again")

    def _take(self, calls, order, counter) -> None:
        """Write the next call nobody has taken, until none is left."""
        while True:
            with counter.get_lock():
                taken = counter.value
                counter.value += 1
            if taken >= len(order):
                return
            self.current = order[taken]
            self._write(calls, order[taken])

    def _fork(self, calls, order, counter) -> tuple[int, int]:
        read, write = os.pipe()
        pid = os.fork()
        if pid:
            os.close(write)
            return pid, read
        os.close(read)                                     # in the helper, from here on: never returns
        start_helper_process()
        share, records = _Share(), _Records()
        pelican_logger = logging.getLogger("pelican")
        pelican_logger.handlers, pelican_logger.propagate = [records], False
        logging.getLogger().handlers = [records]
        session = incremental.session
        if session is not None:
            session.counts = dict.fromkeys(session.counts, 0)
            session.used["render"], session.calls, session.learnt = set(), {}, []
            session.packs["render"].added = {}
        before = set(self._written_files)
        try:
            self._take(calls, order, counter)
        except BaseException:
            share.failed = self.current
        if session is not None:
            share.counts, share.used, share.calls = session.counts, session.used["render"], session.calls
            share.added, share.learnt = session.packs["render"].added, session.learnt
            session.packs["render"].close()
        share.written, share.records = set(self._written_files) - before, records.records
        try:
            with os.fdopen(write, "wb") as out:
                pickle.dump(share, out)
        finally:
            os._exit(0)

    @staticmethod
    def _collect(pid: int, pipe: int) -> _Share:
        with os.fdopen(pipe, "rb") as handle:
            body = handle.read()
        os.waitpid(pid, 0)
        try:
            return pickle.loads(body)
        except (pickle.UnpicklingError, EOFError, ValueError):
            return _Share(counts=None)

    def _merge(self, share: _Share) -> None:
        session = incremental.session
        if session is not None and share.counts:
            for key, value in share.counts.items():
                session.counts[key] += value
            session.used["render"] |= share.used
            session.calls.update(share.calls)
            session.packs["render"].merge(share.added)
            incremental.absorb_learnt(share.learnt)
        self._written_files |= share.written
        for record in share.records:
            try:
                logging.getLogger(record.name).handle(record)
            except FilteredMessage:       # Pelican's loggers raise this when they drop a repeated message
                pass


@contextmanager
def settled_urls():
    """While the pages are written, an article's or tag's URL and output path are worked out once each.

    Pelican's objects format them from the settings and their metadata on every use, and a site's pages
    use them thousands of times (every list links every article it shows, every menu each category):
    a tenth of the time rendering takes. Nothing changes them once the generators are done (`flush`).
    When `settle_urls` was called already (plugin.on_get_writer), they stay settled after this block."""
    settled_here = settle_urls()
    try:
        yield
    finally:
        if settled_here:
            unsettle_urls()


_originals: list | None = None          # (class, name, property) that settle_urls replaced


def settle_urls() -> bool:
    """From now until `unsettle_urls`, each content object's and tag's `url` and `save_as` are worked out
    once. False when they were settled already."""
    global _originals
    from pelican.contents import Content, Static
    from pelican.urlwrappers import URLWrapper

    if _originals is not None:
        return False
    # By (id of the object, property), not in the objects themselves, which the render keys describe; with
    # the object, so that its id cannot be another's while this lasts.
    known: dict[tuple[int, str], tuple[object, str]] = {}
    _originals = [(cls, name, cls.__dict__[name]) for cls in (Content, URLWrapper) for name in ("url", "save_as")]

    def remembered(name: str, getter):
        def get(obj):
            if isinstance(obj, Static):       # an {attach} link moves its file when the linking page renders
                return getter(obj)
            key = (id(obj), name)
            found = known.get(key)
            if found is None:
                found = known[key] = (obj, getter(obj))
            return found[1]
        return property(get)

    for cls, name, original in _originals:
        setattr(cls, name, remembered(name, original.fget))
    return True


def unsettle_urls() -> None:
    """URLs worked out on every use again, as Pelican does (idempotent)."""
    global _originals
    for cls, name, original in _originals or ():
        setattr(cls, name, original)
    _originals = None


def largest_first(calls) -> list[int]:
    """The calls' indexes, those that list the most objects (paginated indexes, tags, authors) first;
    otherwise in Pelican's order."""
    def size(index):
        kwargs = calls[index][1]         # Pelican paginates `paginated`, else these two of the arguments
        listed = kwargs.get("paginated") or {k: v for k, v in kwargs.items() if k in ("articles", "dates")}
        return max((len(objects) for objects in listed.values() if hasattr(objects, "__len__")), default=0)
    return sorted(range(len(calls)), key=lambda index: -size(index))


def get_writer(pelican):
    """Pelican's ``get_writer`` signal."""
    return ParallelWriter


def flush() -> None:
    """Write the recorded pages (plugin.on_finalized, before any stage reads the output)."""
    if ParallelWriter.active is not None:
        writer, ParallelWriter.active = ParallelWriter.active, None
        writer.flush()
