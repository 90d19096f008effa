"""Render cache: Pelican's page writes done only when their inputs changed (islet.build.incremental, layer 3).

For each page Pelican renders, a key is computed from the template, the page's own variables (the
article it shows, or the articles of a paginated page, the tag…) and one fingerprint of everything
the page could also see: every article's and page's metadata and URL (not their bodies), the static
files and all non-content inputs. A page whose key is in the cache is not rendered again. One step
up, a whole ``write_file`` call whose key, made the same way from its arguments, is that of a call
of the previous build is not made at all: its files are hard-linked from the previous output; so is a
feed whose articles and arguments are those of a feed of the previous build (`_feed_key`). A paginated call
whose key changed (an article of the list was edited) links from the previous build's call of the same shape
each page that shows none of the changed objects (`link_page`). And a file whose bytes equal the previous
build's is hard-linked instead of written. The keys are made of the descriptions in islet.build.render_keys.

What a template shows of *other* objects than those it is given is not assumed to be metadata: while a
page renders, islet.build.reads records every object it reads more of (a body, a summary, a reading time a
plugin set), and the cache entry keeps their digests (`dependency_digest`); the page, or the call that
wrote it, is reused only while each still has its digest. Context entries a plugin adds are in the global
fingerprint. A value the key cannot describe exactly makes the page render normally.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

from pelican import signals
from pelican.contents import Content
from pelican.utils import sanitised_join
from pelican.writers import Writer

from . import incremental, reads
from .content_cache import only
from .memo import file_identity
from .render_keys import (Uncacheable, arguments, dependency_digest, describe, global_digest_of, list_digest,
                          paginated_digest)

# Receivers of Pelican's feed_generated signal that change a feed from the settings alone (islet.plugin.on_feed): with
# no other receiver, a feed whose inputs did not change is not made again (CachingWriter._feed_key).
FEED_RECEIVERS: list = []


def feeds_unwatched() -> bool:
    """No plugin looks at a feed as it is made or written (receivers of feed_generated in FEED_RECEIVERS only)."""
    return not signals.feed_written.receivers and only(signals.feed_generated, FEED_RECEIVERS)


def _pack(dependencies: dict[str, str], text: str) -> bytes:
    """A render cache entry: the digests of the page's dependencies (by source path), then the page."""
    return json.dumps(dependencies, sort_keys=True).encode() + b"\n" + text.encode("utf-8")


def _unpack(entry: bytes) -> tuple[dict[str, str], str]:
    head, _, text = entry.partition(b"\n")
    return json.loads(head), text.decode("utf-8")


class _CachedTemplate:
    """Stands in for a Jinja template in Writer.write_file: same render(), answered from the cache."""

    def __init__(self, template, writer: "CachingWriter", context: dict):
        self.template, self.writer, self.context = template, writer, context

    def __getattr__(self, name):
        return getattr(self.template, name)

    def render(self, localcontext: dict) -> str:
        writer, session = self.writer, incremental.session
        try:
            writer.digest_of(self.context)
            own = {k: v for k, v in localcontext.items() if k not in self.context or v is not self.context[k]}
            shown = paginated_digest(own, writer.memo) if writer.reusable is not None else None  # (a list's page)
            if writer.reusable and writer.link_page(localcontext.get("output_file"), shown):
                return ""                              # linked from the previous build (see CachingWriter.link_page)
            digest = hashlib.blake2b(f"{writer.global_digest}\0{self.template.name}\0".encode(), digest_size=20)
            for name in ("output_file", "SITEURL", "localsiteurl"):     # always, even when equal to the context's
                digest.update(f"{name}={localcontext.get(name)!r}\0".encode())
            for name in sorted(own):
                digest.update(f"{name}={describe(own[name], writer.memo, shown=True)}\0".encode())
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
            dependencies, text = _unpack(cached)
            if writer.still(dependencies):
                session.counts["render_cached"] += 1
                writer.depends_on(dependencies, shown)
                return text
        with reads.recording() as read:
            text = self.template.render(localcontext)
        session.counts["rendered"] += 1
        try:
            dependencies = writer.dependencies(read.values())
        except Uncacheable:                            # it read an object the cache cannot describe
            writer.call_renders = None
            return text
        writer.depends_on(dependencies, shown)
        if writer.call_texts is not None:
            writer.call_texts.append((key, dependencies, text))   # kept or not once the call is done
        else:
            session.packs["render"].put(key, _pack(dependencies, text))
        return text


class CachingWriter(Writer):
    """Pelican's Writer, rendering each page only when its render key is not in the cache, and skipping
    a whole ``write_file`` call when its inputs are those of a call of the previous build."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.global_digest: str | None = None
        self.global_context: dict | None = None     # the context `global_digest` describes
        self.memo: dict = {}
        self.previous = incremental.previous_output()      # once: the same for every file of this build
        self.previous_calls = incremental.session.previous_calls() if incremental.session is not None and self.previous else {}
        self.previous_shapes = {call[5]: call for call in self.previous_calls.values() if len(call) == 6 and call[5]}
        self.call_files: list[str] | None = None      # what the call being written opened, in order
        self.call_renders: list[str] | None = None    # and its pages' render keys
        self.call_pages: list | None = None            # and [`paginated_digest`, what it read] of each
        self.call_texts: list | None = None            # and the render cache entries it made
        self.call_written: list | None = None          # and (path, text) of the pages it wrote
        self.call_dependencies: dict | None = None     # and what its pages read of other objects (islet.build.reads)
        self.by_source: dict | None = None             # source path -> content object, for dependencies
        self.made: set[str] = set()                   # folders known to exist in the output
        self.settled = False                          # True once Pelican's context no longer changes
        self.reusable: dict | None = None             # a paginated call's pages of the previous build (`link_page`)
        self.linked_page: str | None = None           # the page `link_page` linked, until Pelican opens it

    def digest_of(self, context: dict) -> str:
        if self.global_digest is None:
            self.global_digest, self.global_context = global_digest_of(context, self.memo), context
        return self.global_digest

    def dependencies(self, objects) -> dict[str, str]:
        """{source path: digest} of the objects a page read beyond their metadata."""
        found = {}
        for obj in objects:
            if not getattr(obj, "source_path", None):
                raise Uncacheable("a content object without a source")
            found[str(obj.source_path)] = dependency_digest(obj, self.memo)
        return found

    def still(self, dependencies: dict[str, str]) -> bool:
        """Whether every dependency of a cached page is still there with the digest it had."""
        if not dependencies:
            return True
        if self.by_source is None:
            self.by_source = _content_by_source(self.global_context or {})
        try:
            return all((obj := self.by_source.get(source)) is not None and dependency_digest(obj, self.memo) == digest
                       for source, digest in dependencies.items())
        except Uncacheable:
            return False

    def depends_on(self, dependencies: dict[str, str], shown: str | None) -> None:
        """A page of the call being made read these objects (islet.build.reads) and showed these (`shown`)."""
        if self.call_dependencies is not None:
            self.call_dependencies.update(dependencies)
            if self.reusable is not None:          # a paginated call: its pages are recorded for link_page
                self.call_pages.append([shown, list(dependencies)])

    def write_file(self, name, template, context, *args, **kwargs):
        if incremental.session is None or not name:
            return super().write_file(name, template, context, *args, **kwargs)
        if not self.settled:
            self.memo.pop("lists", None)      # while generators run, a list may still change
        key, shape = self._call_keys(name, template, context, args, kwargs)
        return self._made_or_linked(key, lambda: super(CachingWriter, self).write_file(
            name, _CachedTemplate(template, self, context), context, *args, **kwargs), shape)

    def write_feed(self, elements, context, path=None, *args, **kwargs):
        """Pelican's, but a feed whose inputs are those of a feed of the previous build is linked from there."""
        if incremental.session is None or not path:
            return super().write_feed(elements, context, path, *args, **kwargs)
        key = self._feed_key(elements, context, path, args, kwargs)
        return self._made_or_linked(key, lambda: super(CachingWriter, self).write_feed(
            elements, context, path, *args, **kwargs))

    def _made_or_linked(self, key: str | None, make, shape: str | None = None):
        """Link the files of the previous build's call with this `key`, or `make` them (a write_file or write_feed
        of Pelican's), linking those of its pages that are pages of the previous build's call of this `shape`
        (`link_page`), and remember the call under its key."""
        session = incremental.session
        if key is not None and self._link_call(self.previous_calls.get(key)):
            session.calls[key] = self.previous_calls[key]
            return None
        self.call_files, self.call_renders, self.call_pages, self.call_texts, self.call_written = [], [], [], [], []
        self.call_dependencies = {}
        # ({} for a paginated call with nothing to link: its pages are still recorded for the next build)
        self.reusable = (self._reusable_pages(self.previous_shapes.get(shape)) or {}) if shape is not None else None
        try:
            return make()
        finally:
            files, renders, pages, texts, written = (self.call_files, self.call_renders, self.call_pages,
                                                     self.call_texts, self.call_written)
            dependencies = self.call_dependencies
            self.call_files = self.call_renders = self.call_pages = self.call_texts = self.call_written = None
            self.call_dependencies = self.reusable = self.linked_page = None
            skippable = key is not None and files and renders is not None
            # The page of a one-page call (an article) is not kept in the render cache when the call itself
            # will be remembered: its key then only changes when the page's does (a file less to create per
            # article). Unless a later stage rewrites the page: then the call is not remembered (commit).
            for page_key, page_dependencies, text in texts:
                if not (skippable and len(files) == 1) or session.rewritten_later(text):
                    session.packs["render"].put(page_key, _pack(page_dependencies, text))
            if skippable:
                self._record_call(key, files, renders, dependencies, pages, shape)
            incremental.learn_pages(written)

    # -- skipping a call whose inputs did not change ----------------------------------------------------
    # A call's pages are a function of the template, its arguments (the article, the tag and its articles
    # with their bodies…) and what the global digest covers, exactly as each page's render key is.

    def _call_keys(self, name, template, context, args, kwargs) -> tuple[str | None, str | None]:
        """The call's key, and for a paginated call its shape: the key with the paginated lists described by
        their objects' metadata (the global digest's part), not their bodies. Two calls of one shape write the
        same pages, listing the same objects; a page is then the same page when those objects' bodies are
        (`link_page`)."""
        if signals.content_written.receivers or getattr(template, "name", None) is None:
            return None, None                 # a plugin wants to see every file written: write them all
        try:
            self.digest_of(context)
            if context is not self.global_context:
                return None, None              # a context of its own: the global digest does not cover it
            call = arguments(self, name, template, context, args, kwargs)
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
                digest.update(f"{part}={describe(value, self.memo, shown=True)}\0".encode())
            shape = digest.copy() if paginated else None
            for part, value in sorted(paginated.items()):  # the objects whose bodies its pages show
                digest.update(f"paginated {part}={list_digest(value, self.memo, shown=True)}\0".encode())
                shape.update(f"paginated {part}={list_digest(value, self.memo, shown=False)}\0".encode())
            return digest.hexdigest(), shape and shape.hexdigest()
        except (Uncacheable, TypeError):
            return None, None

    def _feed_key(self, elements, context, path, args, kwargs) -> str | None:
        """A feed is a function of its arguments, the objects it lists (their bodies: a feed may show them whole)
        and the global digest, once the context is final (`settled`, see islet.build.render), unless a plugin
        looks at feeds or files (only receivers that change a feed from the settings alone: `FEED_RECEIVERS`)."""
        if not self.settled or signals.content_written.receivers or not feeds_unwatched():
            return None
        try:
            self.digest_of(context)
            if context is not self.global_context or not isinstance(elements, list):
                return None
            digest = hashlib.blake2b(f"{self.global_digest}\0feed\0{path!r}\0{args!r}\0".encode(), digest_size=20)
            for part, value in sorted(kwargs.items()):
                digest.update(f"{part}={value!r}\0".encode())
            for element in elements[:self.settings["FEED_MAX_ITEMS"]]:
                if not isinstance(element, Content) or not element.source_path:
                    return None
                digest.update(f"{element.source_path}\0{dependency_digest(element, self.memo)}\0".encode())
            return digest.hexdigest()
        except (Uncacheable, TypeError):
            return None

    def _link_call(self, entry) -> bool:
        """Link the files `entry` (a call of the previous build) wrote from there; False, having linked
        nothing, when one of them is gone, was replaced since, or is written by this build already."""
        if not entry or len(entry) != 6 or not self.still(entry[3]):
            return False
        files, identities, renders = entry[:3]
        targets = [os.path.abspath(os.path.join(self.output_path, name)) for name in files]
        if any(t in self._written_files or t in self._overridden_files for t in targets):
            return False
        done, previous = [], str(self.previous)
        try:
            for name, identity, target in zip(files, identities, targets):
                source = os.path.join(previous, name)
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
        incremental.session.used["render"].update(renders)     # kept: a later edit may need them
        incremental.session.counts["unchanged"] += len(files)
        return True

    # -- linking the pages of a paginated call whose objects' bodies did not change -------------------------
    # An edit to one article changes the key of every list that shows it: the index, its author's, its tags'.
    # Their other pages are those of the previous build's call of the same shape; linking them spares rendering
    # (or finding in the cache) hundreds of pages.

    def _reusable_pages(self, entry) -> dict | None:
        """{file: (identity, render key, paginated digest, {source: digest} of what it read)} of the pages of a
        previous call of the same shape."""
        if not entry or len(entry) != 6:
            return None
        files, identities, renders, dependencies, pages, _ = entry
        return {name: (identity, render, page[0], {source: dependencies[source] for source in page[1]})
                for name, identity, render, page in zip(files, identities, renders, pages)}

    def link_page(self, output_file, shown: str | None) -> bool:
        """Link a page of the call being made from the previous build, when it is a page of the previous call of
        the call's shape that showed objects with these bodies (`paginated_digest`): it has the same render key,
        so the bytes it would be rendered to while what it read is unchanged. Pelican then opens the file
        (`_open_w`) and writes nothing to it."""
        try:
            target = sanitised_join(self.output_path, output_file)
            name = os.path.relpath(target, self.output_path)
        except (TypeError, ValueError, RuntimeError):
            return False
        found = self.reusable.get(name)
        if found is None or shown is None or found[2] != shown or self.call_renders is None or not self.still(found[3]):
            return False
        if target in self._written_files or target in self._overridden_files:
            return False
        try:
            source = os.path.join(str(self.previous), name)
            if file_identity(source) != found[0]:
                return False
            self._folder_for(target)
            os.link(source, target)
        except OSError:
            return False
        self.linked_page = target
        self.call_renders.append(found[1])
        self.depends_on(found[3], shown)
        incremental.session.used["render"].add(found[1])       # kept: a later edit may need it
        incremental.session.counts["unchanged"] += 1
        return True

    def _record_call(self, key: str, files: list[str], renders: list[str], dependencies: dict, pages: list,
                     shape: str | None) -> None:
        """Remember which files the call wrote, and which files they are (a later stage that rewrites a
        page replaces it with a new file, so `Session.commit` can tell those still the writer's own)."""
        if len(set(files)) < len(files) or os.devnull in files:
            return                           # Pelican's rules for writing a file twice were at work
        if shape is None or len(pages) != len(files):
            pages = shape = None      # only a paginated call's pages are linked one by one (link_page)
        else:                         # each source as the very string `dependencies` holds: marshal writes it once
            sources = {source: source for source in dependencies}
            pages = [[shown, [sources[source] for source in read]] for shown, read in pages]
        try:
            found = [[os.path.relpath(f, self.output_path) for f in files], [file_identity(f) for f in files], renders,
                     dependencies, pages, shape]
        except OSError:
            return
        incremental.session.calls[key] = found

    def _folder_for(self, path: str) -> None:
        folder = os.path.dirname(path)
        if folder not in self.made:
            os.makedirs(folder, exist_ok=True)
            self.made.add(folder)

    def _open_w(self, filename, encoding, override=False):
        """A file written once (the usual case) is kept only in memory until closed: when the build this
        one replaces has the same bytes at the same place, it is hard-linked from there instead of written.
        (Creating files is the slow part of writing a large site; stages that change pages later
        replace them with new files, so the old build's file is never modified.) The text of a page a
        call wrote is handed to islet.build.incremental.learn_pages, so that later stages need not read it."""
        previous = self.previous
        if filename == self.linked_page:               # link_page has put it there: Pelican writes nothing
            self.linked_page = None
            self.call_files.append(filename)
            (self._overridden_files if override else self._written_files).add(filename)
            return io.StringIO()
        if self.call_files is not None:                # a file written twice: the call is not recorded
            again = filename in self._written_files or filename in self._overridden_files
            self.call_files.append(os.devnull if again else filename)
        if filename in self._written_files or filename in self._overridden_files:
            return super()._open_w(filename, encoding, override)     # Pelican's rules for writing a file twice
        (self._overridden_files if override else self._written_files).add(filename)    # as Pelican's _open_w
        same = previous / os.path.relpath(filename, self.output_path) if previous is not None else None
        return _SameOrNew(filename, same, encoding, self.call_written)


def _content_by_source(context: dict) -> dict[str, Content]:
    """Every article and page of the context (translations too), by source path."""
    found: dict[str, Content] = {}
    for value in context.values():
        if isinstance(value, list):
            for obj in value:
                if isinstance(obj, Content) and obj.source_path:
                    for one in (obj, *getattr(obj, "translations", ())):
                        found.setdefault(str(one.source_path), one)
    return found


class _SameOrNew(io.StringIO):
    """A text file being written: on close, a hard link to `same` (when there is one) if that has these
    bytes, else a new file; then (path, text) is added to `written`, when given.
    (A StringIO, so writers that want a real text stream, like the feed's XML writer, accept it.)"""

    def __init__(self, path: str, same: Path | None, encoding: str, written: list | None = None):
        super().__init__()
        self.path, self.same, self.charset, self.written = path, same, encoding, written

    def close(self) -> None:
        if self.closed:
            return
        text = self.getvalue()
        super().close()
        self._store(text.encode(self.charset))
        if self.written is not None:
            self.written.append((self.path, text))

    def _store(self, body: bytes) -> None:
        try:
            if self.same is not None and self.same.stat().st_size == len(body) and self.same.read_bytes() == body:
                os.link(self.same, self.path)
                incremental.session.counts["linked"] += 1
                return
        except OSError:
            pass
        # (os.open and os.write: a file object's buffering and layers cost more than the write, for a page at once)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
