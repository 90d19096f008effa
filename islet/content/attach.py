"""{attach} links carried out once every source is read, before anything is written.

Pelican moves a file linked with ``{attach}`` beside the linking article when it first replaces that link, as the
article is written, unless its output location was asked for before: by an earlier ``{static}`` (or
``{filename}``) link to it, or by the static generator, which copies the files after the articles are written
(then it warns "cannot relocate … because another link already referenced its location" and leaves it). islet
writes the pages last (islet.build.render), in forked processes, and takes the unchanged ones from the previous
build without replacing their links again: the static generator would ask first, and every ``{attach}`` link
would fail. `attach_all` replaces the links' part in that in advance: in the order Pelican writes the articles and
pages, a ``{static}`` link asks for its file's location, an ``{attach}`` link moves its file.
"""
from __future__ import annotations

from .escaped_links import linked

# The lists of Pelican's article and page generators, in the order it writes them (each has some of them).
WRITING_ORDER = ("translations", "articles", "pages", "hidden_translations", "hidden_articles", "hidden_pages",
                 "drafts_translations", "drafts", "draft_translations", "draft_pages")


def attach_all(generators) -> None:
    """Move each file linked with {attach} beside the content object that links it, as Pelican's link replacer
    would, in its order. Nothing to do, and nothing read, in a site without such a link."""
    contents = list(_in_writing_order(generators))
    if not any("attach" in content._content for content in contents):
        return
    for content in contents:
        for match in content._get_intrasite_link_regex().finditer(content._content):
            what, value = match.group("what"), match.group("value")
            if what == "filename" and linked(content, "generated_content", value) is not None:
                continue
            found = linked(content, "static_content", value) if what in ("static", "attach", "filename") else None
            if found is None or not hasattr(found, "attach_to"):
                continue
            if what == "attach":
                found.attach_to(content)
            else:
                found.url            # (asked, as the replacer asks: its location is final from here on)


def _in_writing_order(generators):
    seen = set()
    for generator in generators:
        for name in WRITING_ORDER:
            for content in getattr(generator, name, None) or []:
                if id(content) not in seen and isinstance(getattr(content, "_content", None), str):
                    seen.add(id(content))
                    yield content
