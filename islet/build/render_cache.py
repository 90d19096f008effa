"""Render cache: Pelican's page writes done only when their inputs changed (islet.build.incremental, layer 3).

For each page Pelican renders, a key is computed from the template, the page's own variables (the
article it shows, or the articles of a paginated page, the tag…) and one fingerprint of everything
the page could also see: every article's and page's metadata and URL (not their bodies), the static
files and all non-content inputs. A page whose key is in the cache is not rendered again. One step
up, a whole ``write_file`` call whose key, made the same way from its arguments, is that of a call
of the previous build is not made at all: its files are hard-linked from the previous output.
And a file whose bytes equal the previous build's is hard-linked instead of written.

What a template shows of *other* objects than those it is given is not assumed to be metadata: while a
page renders, islet.build.reads records every object it reads more of (a body, a summary, a reading time a
plugin set), and the cache entry keeps their digests (`_dependency_digest`); the page, or the call that
wrote it, is reused only while each still has its digest. Context entries a plugin adds are in the global
fingerprint. A value the key cannot describe exactly makes the page render normally.
"""
from __future__ import annotations

import hashlib
import inspect
import io
import json
import os
from pathlib import Path

from pelican import signals
from pelican.contents import Content
from pelican.paginator import Page, Paginator
from pelican.urlwrappers import URLWrapper
from pelican.writers import Writer

from . import incremental, reads
from .memo import file_identity, text_digest

FORMAT = "reads-1"           # bump when what a key or an entry holds changes: older entries are not used
# What Pelican itself puts in the context (derived from the content objects, which the digest covers); an entry
# a plugin adds is described into the global digest.
PELICAN_CONTEXT = frozenset({
    "articles", "authors", "categories", "dates", "draft_pages", "drafts", "generated_content", "hidden_articles",
    "hidden_pages", "localsiteurl", "pages", "period_archives", "related_posts", "static_content", "static_links",
    "staticfiles", "tags",
})
# Instance attributes a dependency's digest leaves out: the whole context and settings, what it has already, and
# what Pelican works out from the metadata, the settings and the source path (islet.build.reads.DERIVED: the
# global digest and the render key cover those, for every object).
_NOT_DESCRIBED = frozenset({"_context", "settings", "metadata", "_content", "translations", "_status"}) | reads.DERIVED


class Uncacheable(Exception):
    """A template variable the render key cannot describe exactly: render the page normally."""


def _content_digest(obj, memo: dict) -> str:
    """Everything of one content object a page showing it may print: body, metadata, URL."""
    found = memo.get(id(obj))
    if found is None:
        digest = hashlib.blake2b(digest_size=20)
        body = getattr(obj, "_content", "") or ""
        digest.update(text_digest(body) if isinstance(body, str) else repr(body).encode())
        for part in (str(getattr(obj, "source_path", "")), _metadata_of(obj, memo), _identity(obj, memo)):
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


def _metadata_of(obj, memo: dict) -> str:
    """An object's metadata, described once (the global digest and its content digest both need it)."""
    found = memo.get(("metadata", id(obj)))
    if found is None:
        found = memo[("metadata", id(obj))] = _describe(getattr(obj, "metadata", {}), memo, shown=False)
    return found


def _describe(value, memo: dict, shown: bool) -> str:
    """A stable text for a template variable. Content objects count fully where `shown`, else by identity
    (their metadata is in the global fingerprint)."""
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
        return _wrapper(value, memo)
    if isinstance(value, (list, tuple)):
        return _list_digest(value, memo, shown=False)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_describe(k, memo, False)}:{_describe(v, memo, False)}"
                              for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))) + "}"
    text = repr(value)
    if " at 0x" in text or text.startswith("<"):
        raise Uncacheable(type(value).__name__)
    return text


def _list_digest(objects, memo: dict, shown: bool) -> str:
    """A digest of a list of template values, content objects described as `_describe` does with `shown`. Pages
    and calls share their lists (a tag's 80 articles, every tag page's `all_articles`, the articles every page
    of the index paginates): each list is described once, and kept in the memo so that its id stays its own
    (the memo's "lists" is dropped while the generators may still change them)."""
    lists = memo.setdefault("lists", {})
    found = lists.get((shown, id(objects)))
    if found is None or found[0] is not objects or found[1] != len(objects):
        text = "[" + ",".join(_describe(v, memo, shown) for v in objects) + "]"
        found = lists[(shown, id(objects))] = (objects, len(objects),
                                               hashlib.blake2b(text.encode(), digest_size=20).hexdigest())
    return found[2]


# A tag's, category's or author's URL is formatted from these attributes (URLWrapper.as_dict) and the settings.
_WRAPPER_STATE = frozenset({"settings", "_name", "_slug", "_slug_from_name", "name", "slug"})


def _wrapper(value: URLWrapper, memo: dict) -> str:
    """A tag, category or author. Every article has objects of its own for its tags: those with the same
    attributes are described once (their URL is formatted from the attributes and the settings alone)."""
    state = vars(value)
    if not state.keys() <= _WRAPPER_STATE:           # a plugin's attribute: the URL format may use it
        return repr((type(value).__name__, value.name, value.slug, value.url))
    # (In the order the attributes were set: the same for objects made alike; another order is only a miss.)
    key = ("wrapper", type(value), id(state.get("settings")), *((k, v) for k, v in state.items() if k != "settings"))
    try:
        found = memo.get(key)
    except TypeError:                                # an attribute without a hash: described as it is
        return repr((type(value).__name__, value.name, value.slug, value.url))
    if found is None:
        found = memo[key] = repr((type(value).__name__, value.name, value.slug, value.url))
    return found


def _dependency_digest(obj, memo: dict) -> str:
    """All of an object a page may show beyond its metadata: its body (`_content_digest`) and every attribute
    a plugin set on it (a reading time, related articles). Uncacheable when one cannot be described."""
    found = memo.get(("dependency", id(obj)))
    if found is None:
        parts = [_content_digest(obj, memo)]
        metadata = obj.metadata
        for name, value in sorted(vars(obj).items()):
            if name not in _NOT_DESCRIBED and not reads.from_metadata(metadata, name, value):
                parts.append(f"{name}={_describe(value, memo, shown=False)}")
        found = memo[("dependency", id(obj))] = hashlib.blake2b("\0".join(parts).encode(), digest_size=20).hexdigest()
    return found


def _pack(dependencies: dict[str, str], text: str) -> bytes:
    """A render cache entry: the digests of the page's dependencies (by source path), then the page."""
    return json.dumps(dependencies, sort_keys=True).encode() + b"\n" + text.encode("utf-8")


def _unpack(entry: bytes) -> tuple[dict[str, str], str]:
    head, _, text = entry.partition(b"\n")
    return json.loads(head), text.decode("utf-8")


def _global_digest(context: dict, memo: dict) -> str:
    """Every article's and page's metadata and URL, and the static files: what any page may list. And every
    context entry a plugin added (in Pelican's own there is nothing else)."""
    digest = hashlib.blake2b(f"{FORMAT}\0{incremental.session.render_key}".encode(), digest_size=20)
    for name in ("articles", "drafts", "pages", "hidden_pages", "draft_pages"):
        for obj in context.get(name, []):
            digest.update(f"{name}\0{obj.source_path}\0{_identity(obj, memo)}\0".encode())
            digest.update(_metadata_of(obj, memo).encode() + b"\0")
    # Sorted: Pelican adds static files linked with {static} in set order, which varies between runs.
    for source, save_as in sorted((str(o.source_path), str(o.save_as)) for o in context.get("staticfiles", [])):
        digest.update(f"static\0{source}\0{save_as}\0".encode())
    for name in sorted(k for k in context if isinstance(k, str) and not k.isupper() and k not in PELICAN_CONTEXT):
        digest.update(f"context\0{name}\0{_describe(context[name], memo, shown=True)}\0".encode())
    return digest.hexdigest()


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
            dependencies, text = _unpack(cached)
            if writer.still(dependencies):
                session.counts["render_cached"] += 1
                writer.depends_on(dependencies)
                return text
        with reads.recording() as read:
            text = self.template.render(localcontext)
        session.counts["rendered"] += 1
        try:
            dependencies = writer.dependencies(read.values())
        except Uncacheable:                            # it read an object the cache cannot describe
            writer.call_renders = None
            return text
        writer.depends_on(dependencies)
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
        self.call_files: list[str] | None = None      # what the call being written opened, in order
        self.call_renders: list[str] | None = None    # and its pages' render keys
        self.call_texts: list | None = None            # and the render cache entries it made
        self.call_written: list | None = None          # and (path, text) of the pages it wrote
        self.call_dependencies: dict | None = None     # and what its pages read of other objects (islet.build.reads)
        self.by_source: dict | None = None             # source path -> content object, for dependencies
        self.made: set[str] = set()                   # folders known to exist in the output
        self.settled = False                          # True once Pelican's context no longer changes

    def digest_of(self, context: dict) -> str:
        if self.global_digest is None:
            self.global_digest, self.global_context = _global_digest(context, self.memo), context
        return self.global_digest

    def dependencies(self, objects) -> dict[str, str]:
        """{source path: digest} of the objects a page read beyond their metadata."""
        found = {}
        for obj in objects:
            if not getattr(obj, "source_path", None):
                raise Uncacheable("a content object without a source")
            found[str(obj.source_path)] = _dependency_digest(obj, self.memo)
        return found

    def still(self, dependencies: dict[str, str]) -> bool:
        """Whether every dependency of a cached page is still there with the digest it had."""
        if not dependencies:
            return True
        if self.by_source is None:
            self.by_source = _content_by_source(self.global_context or {})
        try:
            return all((obj := self.by_source.get(source)) is not None and _dependency_digest(obj, self.memo) == digest
                       for source, digest in dependencies.items())
        except Uncacheable:
            return False

    def depends_on(self, dependencies: dict[str, str]) -> None:
        if self.call_dependencies is not None:
            self.call_dependencies.update(dependencies)

    def write_file(self, name, template, context, *args, **kwargs):
        session = incremental.session
        if session is None or not name:
            return super().write_file(name, template, context, *args, **kwargs)
        if not self.settled:
            self.memo.pop("lists", None)      # while generators run, a list may still change
        key = self._call_key(name, template, context, args, kwargs)
        if key is not None and self._link_call(self.previous_calls.get(key)):
            session.calls[key] = self.previous_calls[key]
            return None
        self.call_files, self.call_renders, self.call_texts, self.call_written = [], [], [], []
        self.call_dependencies = {}
        try:
            return super().write_file(name, _CachedTemplate(template, self, context), context, *args, **kwargs)
        finally:
            files, renders, texts, written = self.call_files, self.call_renders, self.call_texts, self.call_written
            dependencies = self.call_dependencies
            self.call_files = self.call_renders = self.call_texts = self.call_written = self.call_dependencies = None
            skippable = key is not None and files and renders is not None
            # The page of a one-page call (an article) is not kept in the render cache when the call itself
            # will be remembered: its key then only changes when the page's does (a file less to create per
            # article). Unless a later stage rewrites the page: then the call is not remembered (commit).
            for page_key, page_dependencies, text in texts:
                if not (skippable and len(files) == 1) or session.rewritten_later(text):
                    session.packs["render"].put(page_key, _pack(page_dependencies, text))
            if skippable:
                self._record_call(key, files, renders, dependencies)
            incremental.learn_pages(written)

    # -- skipping a call whose inputs did not change ----------------------------------------------------
    # A call's pages are a function of the template, its arguments (the article, the tag and its articles
    # with their bodies…) and what the global digest covers, exactly as each page's render key is.

    def _call_key(self, name, template, context, args, kwargs) -> str | None:
        if signals.content_written.receivers or getattr(template, "name", None) is None:
            return None                       # a plugin wants to see every file written: write them all
        try:
            self.digest_of(context)
            if context is not self.global_context:
                return None                    # a context of its own: the global digest does not cover it
            call = _arguments(self, name, template, context, args, kwargs)
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
                digest.update(f"paginated {part}={_list_digest(value, self.memo, shown=True)}\0".encode())
            return digest.hexdigest()
        except (Uncacheable, TypeError):
            return None

    def _link_call(self, entry) -> bool:
        """Link the files `entry` (a call of the previous build) wrote from there; False, having linked
        nothing, when one of them is gone, was replaced since, or is written by this build already."""
        if not entry or len(entry) != 4 or not self.still(entry[3]):
            return False
        files, identities, renders, _ = entry
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

    def _record_call(self, key: str, files: list[str], renders: list[str], dependencies: dict) -> None:
        """Remember which files the call wrote, and which files they are (a later stage that rewrites a
        page replaces it with a new file, so `Session.commit` can tell those still the writer's own)."""
        if len(set(files)) < len(files) or os.devnull in files:
            return                           # Pelican's rules for writing a file twice were at work
        try:
            found = [[os.path.relpath(f, self.output_path) for f in files], [file_identity(f) for f in files], renders,
                     dependencies]
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
        if self.call_files is not None:                # a file written twice: the call is not recorded
            again = filename in self._written_files or filename in self._overridden_files
            self.call_files.append(os.devnull if again else filename)
        if filename in self._written_files or filename in self._overridden_files:
            return super()._open_w(filename, encoding, override)     # Pelican's rules for writing a file twice
        (self._overridden_files if override else self._written_files).add(filename)    # as Pelican's _open_w
        same = previous / os.path.relpath(filename, self.output_path) if previous is not None else None
        return _SameOrNew(filename, same, encoding, self.call_written)


_WRITE_FILE = inspect.signature(Writer.write_file)
_OPTIONAL = ("relative_urls", "paginated", "template_name", "override_output", "url")
_PLAIN_SIGNATURE = tuple(_WRITE_FILE.parameters) == ("self", "name", "template", "context", *_OPTIONAL, "kwargs")


def _arguments(writer, name, template, context, args: tuple, kwargs: dict) -> dict:
    """``inspect.signature(Writer.write_file).bind(...).arguments`` of a call, without inspect's machinery (a
    tenth of the time; there is a call per article). TypeError as bind raises it for a call it cannot bind."""
    if not _PLAIN_SIGNATURE:                     # another Pelican's write_file: inspect it
        return _WRITE_FILE.bind(writer, name, template, context, *args, **kwargs).arguments
    if len(args) > len(_OPTIONAL) or kwargs.keys() & {"self", "name", "template", "context", *_OPTIONAL[:len(args)]}:
        raise TypeError("write_file() got an argument twice, or too many")
    call = {"self": writer, "name": name, "template": template, "context": context, **dict(zip(_OPTIONAL, args))}
    extra = {}
    for key, value in kwargs.items():
        if key in _OPTIONAL:
            call[key] = value
        else:
            extra[key] = value
    if extra:
        call["kwargs"] = extra
    return call


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
