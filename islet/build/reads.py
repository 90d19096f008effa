"""Reads: which content objects a page's template reads beyond their metadata, recorded while it renders.

The render cache keys a page on its template, the objects it is given (bodies included) and every object's
metadata and URL. A theme may show more of other objects: a sidebar with the summaries of the newest articles,
reading times a plugin computed from each body, related articles with excerpts. So while a page renders, each
attribute a template (or a filter, a global, a plugin's function it calls) reads of an article or page is
looked at: one that is the object's metadata or is worked out from metadata and settings alone (`DERIVED`) is
covered by the key; any other (``content``, ``summary``, ``get_content()``, ``_content``, ``readtime``…) makes
the object a dependency of the page. islet.build.render_cache stores each dependency's digest with the page and
reuses the page only while every dependency still has it.

Only while a page renders does Content answer attribute reads through `_recording_getattribute` (installed on
the class for that time), so the rest of a build pays nothing.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from pelican.contents import Content

# Instance attributes Pelican works out from the metadata, the settings and the source path only.
# (Attributes set from the metadata, such as title, tags or category, are covered while they are the very
# value the metadata holds: a plugin that replaces one makes it a dependency.)
DERIVED = frozenset({
    "metadata", "settings", "template", "translations", "author", "authors", "lang", "in_default_lang", "slug",
    "source_path", "relative_source_path", "date_format", "timezone", "date", "modified", "locale_date",
    "locale_modified", "status",
})
# Class attributes (methods, properties) that read the body; every other class attribute is derived too.
BODY = frozenset({"content", "summary", "get_content", "get_summary", "_get_summary", "_update_content",
                  "get_static_links", "_link_replacer"})
_MISSING = object()
_reading: dict[int, Content] | None = None     # id -> object read beyond its metadata, while a page renders
_depth = 0
_class_names: dict[type, frozenset] = {}


def _recording_getattribute(self, name: str):
    value = object.__getattribute__(self, name)
    reading = _reading
    if reading is not None and not name.startswith("__") and id(self) not in reading and not _covered(self, name, value):
        reading[id(self)] = self
    return value


def _covered(obj, name: str, value) -> bool:
    if name in DERIVED:
        return True
    kind = type(obj)
    names = _class_names.get(kind)
    if names is None:
        names = _class_names[kind] = frozenset(n for n in dir(kind) if n not in BODY)
    if name in names:
        return True
    return from_metadata(object.__getattribute__(obj, "__dict__").get("metadata", {}), name, value)


def from_metadata(metadata: dict, name: str, value) -> bool:
    """Whether attribute `name` holds the very value the metadata gave it (and no plugin replaced it since)."""
    return metadata.get(name, _MISSING) is value


@contextmanager
def recording() -> Iterator[dict[int, Content]]:
    """While the block runs, the objects whose body (or anything not derived from metadata) is read."""
    global _reading, _depth
    outer, _reading = _reading, {}
    found = _reading
    if _depth == 0:
        Content.__getattribute__ = _recording_getattribute
    _depth += 1
    try:
        yield found
    finally:
        _depth -= 1
        if _depth == 0:
            del Content.__getattribute__
        _reading = outer
        if outer is not None:
            outer.update(found)           # a page rendered inside another's render: the outer read it too
