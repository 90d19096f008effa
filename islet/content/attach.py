"""{attach} links carried out once every source is read, before anything is written.

Pelican moves a file linked with ``{attach}`` beside the linking article when it first replaces that link, as the
article is written, unless something asked for the file's output location before (then it warns "cannot relocate
… because another link already referenced its location"). It copies static files after writing the articles.
islet writes the pages last (islet.build.render), in forked processes, and takes the unchanged ones from the
previous build without replacing their links again: the static files would be copied first, where they were,
and every ``{attach}`` link would fail. `attach_all` makes the moves first, in the order Pelican writes the
articles and pages; the links are then replaced as before.
"""
from __future__ import annotations

from .escaped_links import linked

# The lists of Pelican's article and page generators, in the order it writes them (each has some of them).
WRITING_ORDER = ("translations", "articles", "pages", "hidden_translations", "hidden_articles", "hidden_pages",
                 "drafts_translations", "drafts", "draft_translations", "draft_pages")


def attach_all(generators) -> None:
    """Move each file a content object links with {attach} beside it, as Pelican's link replacer would."""
    seen = set()
    for generator in generators:
        for name in WRITING_ORDER:
            for content in getattr(generator, name, None) or []:
                if id(content) in seen:
                    continue
                seen.add(id(content))
                html = getattr(content, "_content", None)
                if not isinstance(html, str) or "attach" not in html:
                    continue
                for match in content._get_intrasite_link_regex().finditer(html):
                    if match.group("what") == "attach":
                        found = linked(content, "static_content", match.group("value"))
                        if found is not None and hasattr(found, "attach_to"):
                            found.attach_to(content)
