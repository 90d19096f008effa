"""Fast render: the pages of edited Markdown sources in a fraction of a second, for livereload.

A full incremental build of a large site takes seconds, most of them spent on what did not change
(Pelican reads every source and plans every page). While ``./dev livereload`` runs, the last
successful build's Pelican generators stay in memory: their context, readers and templates. When
the only changes are edits to sources that build published, `render` reads just those sources
again and renders just their own pages, exactly as the build's writer does, into memory. The dev
server shows them at once, then the full build runs as always and its output replaces them (it
also updates the index, tag and feed pages, checks links, hydrates widgets).

Anything a page of its own cannot show correctly is left to the full build: a new, deleted or
renamed source, changed front matter (titles and dates appear on other pages), a source with a
problem, or a build that failed.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pelican.contents import Article


@dataclass
class Published:
    """One published source of the last build, and what writes its page."""
    generator: object        # Pelican's ArticlesGenerator or PagesGenerator
    content: object          # its Article or Page


def published(generators) -> dict[str, Published]:
    """Source path -> how it was published, for the articles and pages of a finished build."""
    found = {}
    for generator in generators:
        for name in ("articles", "hidden_articles", "pages", "hidden_pages"):
            for content in getattr(generator, name, []):
                found[os.path.abspath(content.source_path)] = Published(generator, content)
    return found


def render(sources: dict[str, Published], changed: list[Path]) -> dict[str, bytes] | None:
    """Output path -> bytes of the page of each changed source; None when one of them needs the full build."""
    pages = {}
    with tempfile.TemporaryDirectory(prefix="islet-fast-") as folder:
        for path in changed:
            known = sources.get(os.path.abspath(path))
            if known is None:
                return None
            new = _read(known)
            if new is None or not _same_front_matter(known.content, new):
                return None
            _become(known.content, new)
            _write(known.generator, known.content, folder)
            pages[new.save_as] = (Path(folder) / new.save_as).read_bytes()
    return pages


def _read(known: Published):
    generator, old = known.generator, known.content
    try:
        return generator.readers.read_file(base_path=generator.path,
                                           path=os.path.relpath(old.source_path, generator.path),
                                           content_class=type(old), context=generator.context)
    except Exception:             # a problem in the source: the full build reports it
        return None


def _same_front_matter(old, new) -> bool:
    return (old.metadata == new.metadata and old.save_as == new.save_as and old.url == new.url
            and getattr(old, "status", None) == getattr(new, "status", None))


def _become(old, new) -> None:
    """Give `old`, the object every list of the last build holds, the state of `new`: templates compare
    content objects by identity (the menu marks the page it is on), and later fast renders see the edit."""
    forget_rendered([old])
    vars(old).clear()
    vars(old).update(vars(new))


def forget_rendered(objects=None) -> None:
    """Drop what Pelican remembers of rendered content objects (its @memoized content and summary are
    kept per object, process-wide): all of it, or that of `objects`. A long-running process that builds
    again and again (livereload) would otherwise keep every build's articles alive."""
    from pelican.contents import Content

    for method in (Content.get_content, Content.get_summary):
        if objects is None:
            method.cache.clear()
        else:
            for key in [k for k in method.cache if any(k[0] is o for o in objects)]:
                del method.cache[key]


def _write(generator, content, folder: str) -> None:
    """The page, written as Pelican's generators write it (generate_articles, PagesGenerator.generate_output)."""
    from pelican.writers import Writer

    writer = Writer(folder, settings=generator.settings)
    kind = {"article": content, "category": getattr(content, "category", None), "blog": True} \
        if isinstance(content, Article) else {"page": content}
    writer.write_file(content.save_as, generator.get_template(content.template), generator.context,
                      relative_urls=generator.settings["RELATIVE_URLS"],
                      override_output=hasattr(content, "override_save_as"), url=content.url, **kind)
