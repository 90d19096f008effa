"""{attach} links carried out once every source is read, before anything is written.

Pelican moves a file linked with ``{attach}`` beside the linking article when it first replaces that link, unless
its output location was asked for before: by an earlier ``{static}`` (or ``{filename}``) link to it, or by the
static generator, which copies the files after the articles are written (then it warns "cannot relocate …
because another link already referenced its location" and leaves it). It replaces the links of every
``Summary:`` first, before writing anything (``refresh_metadata_intersite_links``), then those of each body as
it writes the article or page. islet writes the pages last (islet.build.render), in forked processes, and takes
the unchanged ones from the previous build without replacing their links again: the static generator would ask
first, and every ``{attach}`` link in a body would fail. `attach_all` replaces the links' part in that in
advance, in Pelican's order: a ``{static}`` link asks for its file's location, an ``{attach}`` link moves its file.
"""
from __future__ import annotations

from .escaped_links import linked
from .summary_links import summary_as_written

# The lists of Pelican's article and page generators in the order it writes them (each has some of them)...
WRITING_ORDER = ("translations", "articles", "pages", "hidden_translations", "hidden_articles", "hidden_pages",
                 "drafts_translations", "drafts", "draft_translations", "draft_pages")
# ...and in the order it replaces the links of their summaries (generators.py: refresh_metadata_intersite_links).
SUMMARY_ORDER = {"articles": ("articles", "translations", "drafts", "drafts_translations", "hidden_articles",
                              "hidden_translations"),
                 "pages": ("pages", "hidden_pages", "hidden_translations", "draft_pages", "draft_translations")}


def attach_all(generators) -> None:
    """Move each file linked with {attach} beside the content object that links it, as Pelican's link replacer
    would, in its order. Nothing to do in a site without such a link: none where no content links a file at all
    (Pelican's static links, which hold every {attach} and {static} link, bodies' and summaries'), as in most."""
    if not any(getattr(generator, "context", {}).get("static_links") for generator in generators):
        return
    texts = [(content, text) for generator in generators for kind, names in SUMMARY_ORDER.items()
             if hasattr(generator, kind) for content in _listed(generator, names)
             if (text := summary_as_written(content)) is not None]
    texts += [(content, content._content) for generator in generators
              for content in _listed(generator, WRITING_ORDER)]
    if not any("attach" in text for _, text in texts):
        return
    for content, text in texts:
        for match in content._get_intrasite_link_regex().finditer(text):
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


def _listed(generator, names) -> list:
    """The content objects of the generator's lists `names`, in that order, each once."""
    seen, found = set(), []
    for name in names:
        for content in getattr(generator, name, None) or []:
            if id(content) not in seen and isinstance(getattr(content, "_content", None), str):
                seen.add(id(content))
                found.append(content)
    return found
