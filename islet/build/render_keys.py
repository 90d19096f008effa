"""Render keys: the stable text and digests islet.build.render_cache keys pages and write_file calls on.

A template variable is described by `describe` (content objects by their full text where a page shows them,
else by identity); `global_digest_of` covers what any page may list (every article's and page's metadata and URL,
the static files, the context entries plugins add); `dependency_digest` is what a page read of another object
beyond its metadata (islet.build.reads); `paginated_digest` is what a page of a list shows of its objects' bodies
(a page whose digest and reads are unchanged is linked from the previous build: CachingWriter.link_page), and
`arguments` a write_file call's arguments as Pelican binds them. A value without a stable text raises
`Uncacheable`: the page is then rendered as Pelican would.
"""
from __future__ import annotations

import hashlib
import inspect

from pelican.contents import Content
from pelican.paginator import Page, Paginator
from pelican.urlwrappers import URLWrapper
from pelican.writers import Writer

from . import incremental, reads
from .memo import text_digest

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


def content_digest(obj, memo: dict) -> str:
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
        found = memo[("metadata", id(obj))] = describe(getattr(obj, "metadata", {}), memo, shown=False)
    return found


def describe(value, memo: dict, shown: bool) -> str:
    """A stable text for a template variable. Content objects count fully where `shown`, else by identity
    (their metadata is in the global fingerprint)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return repr(value)
    if isinstance(value, Content):
        return content_digest(value, memo) if shown else _identity(value, memo)
    if isinstance(value, Page):
        return repr(("Page", value.number, value.paginator.num_pages, value.url, value.save_as,
                     [content_digest(o, memo) for o in value.object_list]))
    if isinstance(value, Paginator):
        return repr(("Paginator", value.name, value.count, value.per_page, value.num_pages))
    if isinstance(value, URLWrapper):
        return _wrapper(value, memo)
    if isinstance(value, (list, tuple)):
        return list_digest(value, memo, shown=False)
    if isinstance(value, dict):
        return "{" + ",".join(f"{describe(k, memo, False)}:{describe(v, memo, False)}"
                              for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))) + "}"
    text = repr(value)
    if " at 0x" in text or text.startswith("<"):
        raise Uncacheable(type(value).__name__)
    return text


def list_digest(objects, memo: dict, shown: bool) -> str:
    """A digest of a list of template values, content objects described as `describe` does with `shown`. Pages
    and calls share their lists (a tag's 80 articles, every tag page's `all_articles`, the articles every page
    of the index paginates): each list is described once, and kept in the memo so that its id stays its own
    (the memo's "lists" is dropped while the generators may still change them)."""
    lists = memo.setdefault("lists", {})
    found = lists.get((shown, id(objects)))
    if found is None or found[0] is not objects or found[1] != len(objects):
        text = "[" + ",".join(describe(v, memo, shown) for v in objects) + "]"
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


def dependency_digest(obj, memo: dict) -> str:
    """All of an object a page may show beyond its metadata: its body (`content_digest`) and every attribute
    a plugin set on it (a reading time, related articles). Uncacheable when one cannot be described."""
    found = memo.get(("dependency", id(obj)))
    if found is None:
        parts = [content_digest(obj, memo)]
        metadata = obj.metadata
        for name, value in sorted(vars(obj).items()):
            if name not in _NOT_DESCRIBED and not reads.from_metadata(metadata, name, value):
                parts.append(f"{name}={describe(value, memo, shown=False)}")
        found = memo[("dependency", id(obj))] = hashlib.blake2b("\0".join(parts).encode(), digest_size=20).hexdigest()
    return found


def global_digest_of(context: dict, memo: dict) -> str:
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
        digest.update(f"context\0{name}\0{describe(context[name], memo, shown=True)}\0".encode())
    return digest.hexdigest()


_WRITE_FILE = inspect.signature(Writer.write_file)
_OPTIONAL = ("relative_urls", "paginated", "template_name", "override_output", "url")
_PLAIN_SIGNATURE = tuple(_WRITE_FILE.parameters) == ("self", "name", "template", "context", *_OPTIONAL, "kwargs")


def arguments(writer, name, template, context, args: tuple, kwargs: dict) -> dict:
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


def paginated_digest(own: dict, memo: dict) -> str | None:
    """The bodies of the objects a paginated page shows (its Page values: this, the previous and the next page of
    each list), or None for a page without."""
    pages = sorted((name, value) for name, value in own.items() if isinstance(value, Page))
    if not pages:
        return None
    digest = hashlib.blake2b(digest_size=20)
    for name, page in pages:
        digest.update(f"{name}\0{','.join(content_digest(o, memo) for o in page.object_list)}\0".encode())
    return digest.hexdigest()
