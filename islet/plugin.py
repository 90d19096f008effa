"""Pelican glue: connects islet's stages to Pelican's signals. No logic of its own.

A build is: initialized (settings, data, theme globals) → reading (our Markdown
reader checks and renders each source) → all_generators_finalized (duplicate
pages) → finalized (verify links, write sitemap/robots/favicon). Problems go to
the current `Run`, which the build driver (islet.build) reads when Pelican returns.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import jinja2
from markupsafe import Markup
from pelican import signals
from pelican.contents import Article, Page

from . import settings as islet_settings
from . import sitemap, verify
from .content import IsletMarkdownReader, front_matter_line
from .data import load_data
from .errors import ContentError, Problem, shown_path

MARKDOWN_EXTENSIONS = ("md", "markdown", "mkd", "mdown")


@dataclass
class Run:
    """What one build collected: its settings and every problem found so far."""
    settings: islet_settings.IsletSettings
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    claims: dict[str, list] = field(default_factory=dict)              # output path -> sources that write it
    pages: dict[str, verify.Source] = field(default_factory=dict)      # output path -> its source
    lastmod: dict[str, str] = field(default_factory=dict)

    def strict_problems(self, problems: list[Problem]) -> None:
        (self.errors if self.settings.strict else self.warnings).extend(problems)


current: Run | None = None


def register():
    signals.initialized.connect(on_initialized)
    signals.readers_init.connect(on_readers_init)
    signals.content_object_init.connect(on_content)
    signals.all_generators_finalized.connect(on_read)
    signals.feed_generated.connect(on_feed)
    signals.finalized.connect(on_finalized)


def on_initialized(pelican) -> None:
    global current
    config = islet_settings.read(pelican.settings)
    current = Run(config)
    data = load_data(config.data_dir, config.root)
    pelican.settings.setdefault("JINJA_GLOBALS", {})
    pelican.settings["JINJA_GLOBALS"].update(data=data, islet_css=Markup(theme_css(config.css_dir)))
    pelican.settings["SITE_ORIGIN"] = config.origin
    IsletMarkdownReader.env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                                 keep_trailing_newline=True)
    IsletMarkdownReader.context = {"data": data}
    IsletMarkdownReader.templates = config.templates
    IsletMarkdownReader.root = config.root
    IsletMarkdownReader.problems = current.errors


def on_readers_init(readers) -> None:
    for extension in MARKDOWN_EXTENSIONS:
        readers.reader_classes[extension] = IsletMarkdownReader


def on_content(content) -> None:
    """Remember where each output page comes from (for messages, duplicates and the sitemap)."""
    if current is None or not isinstance(content, (Article, Page)) or content.status == "draft":
        return
    source = Path(content.source_path)
    shown = shown_path(source, current.settings.root)
    current.claims.setdefault(content.save_as, []).append(
        (shown, verify.Source(shown, source.read_text(encoding="utf-8-sig")), "slug" in content.metadata))
    date = getattr(content, "modified", None) or getattr(content, "date", None)
    if date is not None:
        current.lastmod[content.save_as] = date.date().isoformat()


def on_read(generators) -> None:
    """Every source has been read: stop before Pelican writes anything if one was wrong."""
    for page, claims in sorted(current.claims.items()):
        first, *others = sorted(claims)
        current.pages[page] = first[1]
        for shown, source, has_slug in others:
            current.errors.append(Problem(
                shown, front_matter_line(source.text, "slug" if has_slug else "title"),
                f"writes {page}, which {first[0]} writes too (duplicate slug)",
                "give one of them a different 'Slug:' (or title)"))
    if current.errors:
        raise ContentError(current.errors)


def on_feed(context, feed) -> None:
    """Feed entries need absolute links even in development builds, where SITEURL is relative."""
    from feedgenerator import get_tag_uri

    base = current.settings.origin + "/"
    feed.feed["link"] = urljoin(base, feed.feed["link"].lstrip("/"))
    for item in feed.items:
        item["link"] = urljoin(base, item["link"].lstrip("/"))
        item["unique_id"] = get_tag_uri(item["link"], item["pubdate"])


def on_finalized(pelican) -> None:
    output = Path(pelican.output_path)
    config = current.settings
    favicon = config.theme / "static" / "favicon.ico"
    if favicon.is_file():
        shutil.copyfile(favicon, output / "favicon.ico")
    sitemap.write(output, config.origin, current.lastmod)
    current.strict_problems(verify.check_output(output, current.pages))


def theme_css(directory: Path) -> str:
    """Every ``*.css`` in the theme, in name order, with comments and extra whitespace removed."""
    css = "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.css")))
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"\s+", " ", css)
    css = re.sub(r"\s*([{};,>])\s*", r"\1", css)
    return css.replace(";}", "}").strip()
