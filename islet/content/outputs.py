"""Where each source is written: Pelican's content objects checked with islet.content.paths, once every
generator has read and before anything is written (islet.plugin.on_read).

`check` gathers what Pelican will write (articles, pages, drafts, static files: those it silently drops too)
and what the site writes of its own (`site_outputs`: the theme's pages, feeds, archives, islet's files), and
returns the problems: an output outside the output folder, a link out of the content folder, two writers of
one normalised path.
"""
from __future__ import annotations

import dataclasses
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from pelican.contents import Static

from islet.build.memo import fresh
from islet.errors import Problem, shown_path
from islet.settings import IsletSettings

from . import paths
from .front_matter import front_matter_line


@dataclass
class Written:
    problems: list[Problem]
    claims: dict[str, list] = field(default_factory=dict)     # normalised output path -> its paths.Output
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)   # page written -> (shown source, its path)


# Where Pelican's content objects live once every generator has read: the ones it will write.
_WRITTEN = ("articles", "translations", "hidden_articles", "hidden_translations", "drafts", "drafts_translations",
            "pages", "hidden_pages", "draft_pages", "draft_translations", "staticfiles")


def check(generators, config: IsletSettings, claims: dict, search: bool, memoised=fresh) -> Written:
    """Where the sources are written, from `claims` (save_as -> the content objects islet.plugin.on_content
    saw): the problems (outputs out of the output folder, links out of the content folder, two writers of
    one file), every output by normalised path, and the pages written from a source (drafts included).
    `search`: the site writes search.json. `memoised(name, function)` may remember across builds whether
    an HTML may hold a link out of the content folder (islet.build.incremental.memoised)."""
    may_leave = memoised("may_leave", paths.may_leave)
    content = shown_path(config.content, config.root)
    # What on_content saw (Pelican drops some of them: those are checked too) and what the generators keep.
    save_as = {id(item): path for path, items in claims.items() for item in items}
    objects = {id(item): item for items in claims.values() for item in items}
    written = set()
    for generator in generators:
        for name in _WRITTEN:
            for item in getattr(generator, name, ()):
                if item.source_path is not None:
                    objects.setdefault(id(item), item)
                    written.add(id(item))
    texts: dict[str, str] = {}

    def text(source: str) -> str:              # read only for a line number: most builds need none
        if source not in texts:
            try:
                texts[source] = Path(source).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                texts[source] = ""
        return texts[source]

    outputs, kept, problems, links, linked_out, sources, pages = [], [], [], [], [], {}, {}
    for item in sorted(objects.values(), key=lambda item: item.source_path):
        shown = _shown(item.source_path, config.root)
        if isinstance(item, Static):
            if paths.outside(item.get_relative_source_path()):
                linked_out.append(shown)         # a link brought it in: reported with the link
                continue
            # Not `item.save_as`: once that was looked at, an {attach} link no longer moves the file.
            output = paths.Output(item.get_url_setting("save_as"), shown)
        else:
            path = save_as.get(id(item))
            path = item.save_as if path is None else path
            key = paths.culprit(item.metadata, path) if paths.escape(path) else paths.writer_key(item.metadata)
            output, sources[shown] = paths.Output(path, shown, 0, key), (item.source_path, key)
            links += _link_problems(item, shown, content, text, may_leave)
            url = item.metadata.get("url")
            if isinstance(url, str) and (reason := paths.url_escape(url)):
                problems.append(Problem(shown, front_matter_line(text(item.source_path), "url"),
                                        f"URL {url!r} {reason}", paths.escape_fix("url")))
            if id(item) in written and path:          # drafts too: their problems name their source
                pages.setdefault(path, (shown, item.source_path))
        outputs.append(output)
        if id(item) in written and not paths.escape(output.path):
            kept.append(output)
    problems += links
    if not links:         # a static file from outside the content folder that no link asked for: STATIC_PATHS
        problems += [Problem(shown, 0, "is outside the content folder, yet Pelican was asked to copy it",
                             f"keep static files inside {content}/ and link them from there") for shown in linked_out]
    site = site_outputs(generators, config, search)
    problems += _long_taxonomy_names(generators, config.root, text)
    for problem in paths.escapes(outputs) + paths.long_names(outputs) + paths.duplicates(kept + site):
        source, key = sources.get(problem.path, ("", ""))     # the line only now: most builds have no problem
        problems.append(dataclasses.replace(problem, line=front_matter_line(text(source), key)) if key else problem)
    written = {}
    for output in kept + site:
        written.setdefault(paths.normalised(output.path), []).append(output)
    return Written(list(dict.fromkeys(problems)), written, pages)


def _taxonomies(generators):
    """(front matter key, kind, wrapper, its articles) for every tag, category and author of the articles."""
    from pelican.generators import ArticlesGenerator

    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            for key, kind, wrappers in (("tags", "tag", generator.tags.items()),
                                        ("category", "category", generator.categories),
                                        ("author", "author", generator.authors)):
                for wrapper, articles in wrappers:
                    yield key, kind, wrapper, articles


def _long_taxonomy_names(generators, root: Path, text) -> list[Problem]:
    """A problem at the line of each tag, category or author (of the articles holding it) whose page's path has a
    name no file system can hold."""
    problems = []
    for key, kind, wrapper, articles in _taxonomies(generators):
        save_as = wrapper.save_as
        long = paths.too_long(save_as) if isinstance(save_as, str) else None
        for article in articles if long else ():
            field = "authors" if kind == "author" and "authors" in article.metadata else key
            problems.append(Problem(
                _shown(article.source_path, root), front_matter_line(text(article.source_path), field),
                f"the {kind} {paths.abridged(wrapper.name)} makes a file name of {long[1]:,} bytes, more "
                f"than the {paths.NAME_MAX} a file system allows", f"give it a shorter {kind}"))
    return problems


def _shown(source: str, root: Path) -> str:
    """shown_path, without a system call for the usual absolute, normalised source path below the site."""
    prefix = f"{root}/"
    return source[len(prefix):] if source.startswith(prefix) else shown_path(Path(source), root)


def _link_problems(item, shown: str, content: str, text, may_leave=paths.may_leave) -> list[Problem]:
    """The {static}, {attach} and {filename} links of one article or page that leave the content folder."""
    problems, source, prefix = [], item.source_path, item.settings["PATH"].rstrip("/") + "/"
    for markup in (item._content, item.metadata.get("summary")):
        if isinstance(markup, str) and may_leave(markup):
            folder = posixpath.dirname(source[len(prefix):]) if source.startswith(prefix) else item.relative_dir
            for what, link in paths.links_outside(markup, item._get_intrasite_link_regex(), folder):
                problems.append(paths.link_problem(shown, text(source), what, link, content))
    return problems


def site_outputs(generators, config: IsletSettings, search: bool) -> list:
    """What the theme, the settings and islet write (`paths.Output`s of the site): the direct templates'
    pages (first page of each), feeds, tag, category, author and period archive pages, TEMPLATE_PAGES, the
    theme's static files and the files islet always writes. A source writing one of these is a duplicate."""
    from pelican.generators import ArticlesGenerator

    settings = generators[0].settings if generators else {}
    found = []

    def add(path, what):
        if isinstance(path, str) and path:
            found.append(paths.Output(path, what, site=True))

    for name in settings.get("DIRECT_TEMPLATES", ()):
        add(settings.get(f"{name.upper()}_SAVE_AS", f"{name}.html"), f"the theme's {name} page")
    for key in ("FEED_ATOM", "FEED_RSS", "FEED_ALL_ATOM", "FEED_ALL_RSS"):
        add(settings.get(key), f"the feed {key}")
    for source, target in (settings.get("TEMPLATE_PAGES") or {}).items():
        add(target, f"the template page {source}")
    for _, kind, wrapper, _ in _taxonomies(generators):
        add(wrapper.save_as, f"the {kind} page of {wrapper.name!r}")
        for feed in (f"{kind.upper()}_FEED_ATOM", f"{kind.upper()}_FEED_RSS"):
            if settings.get(feed):
                add(str(settings[feed]).format(slug=wrapper.slug), f"the feed of {kind} {wrapper.name!r}")
    for generator in generators:
        if not isinstance(generator, ArticlesGenerator):
            continue
        for periods in getattr(generator, "period_archives", {}).values():
            for period in periods:
                add(period.get("save_as"), "a period archive page")
    static_dir = settings.get("THEME_STATIC_DIR", "theme")
    for name in settings.get("THEME_STATIC_PATHS", ()):
        folder = config.theme / name
        if folder.is_file():
            add(f"{static_dir}/{folder.name}", f"the theme's {name}")
        for base, _, files in os.walk(folder):
            for file in files:
                relative = Path(base, file).relative_to(folder).as_posix()
                add(f"{static_dir}/{relative}", f"the theme's {name}/{relative}")
    # Not sitemap.xml, robots.txt or favicon.ico: islet writes those only where the site has none of its own
    # (islet.output.sitemap), so a source may write them.
    for name in (("_headers",) if config.headers else ()) + (("search.json",) if search else ()):
        add(name, f"islet's {name}")
    return found
