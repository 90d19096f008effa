"""Pelican glue: connects islet's stages to Pelican's signals. No logic of its own.

A build is: initialized (settings, data, theme globals) → reading (our Markdown
reader checks and renders each source) → all_generators_finalized (duplicate
pages) → finalized (verify links, write sitemap/robots/favicon, hydrate widgets).
Problems go to the build driver's `Findings` (islet.build.driver), which it reads when
Pelican returns.

The one module that sees every wing: it may import all of them but islet.dev and islet.publish.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from markupsafe import Markup
from pelican import signals
from pelican.contents import Article, Page

from islet import settings as islet_settings
from islet.build import content_cache, incremental, members, reader_cache, render, render_cache
from islet.build.driver import Findings
from islet.build.forked import Forked
from islet.build.memo import PAGE_FACTS, settled_files
from islet.content import escaped_links, outputs, summary_links
from islet.content.attach import attach_all
from islet.content.data import load_data, template_finalize
from islet.content.embed import Islands
from islet.content.reader import IsletMarkdownReader, quicker_pelican
from islet.content.sandbox import ContentSandbox
from islet.errors import ContentError
from islet.islands import check, hydrate, scripts
from islet.islands.registry import Widget, discover
from islet.output import compress, csp, headers, images, search_index, sitemap, verify


class Reader(reader_cache.CachingReader, IsletMarkdownReader):
    """The Markdown reader Pelican uses: islet's (front matter check, Jinja body, widgets), cached."""


@dataclass
class Run:
    """What one build collected: its settings, what it found (the driver's Findings) and what later stages need."""
    settings: islet_settings.IsletSettings
    findings: Findings                                                 # problems, warnings, report
    claims: dict[str, list] = field(default_factory=dict)              # output path -> sources that write it
    pages: dict[str, verify.Source] = field(default_factory=dict)      # output path -> its source
    lastmod: dict[str, str] = field(default_factory=dict)
    widgets: dict[str, Widget] = field(default_factory=dict)          # the site's widgets (compiled only if used)
    css: str = ""                                                      # the theme CSS inlined in every page
    articles: list = field(default_factory=list)                       # published articles, for the search index
    generators: list = field(default_factory=list)                     # Pelican's, kept for islet.build.fast_render
    widget_check: Forked | None = None                                 # running beside the reading (finish_check)


current: Run | None = None


def register():
    signals.initialized.connect(on_initialized)
    signals.readers_init.connect(on_readers_init)
    signals.article_generator_init.connect(reader_cache.read_ready_first)
    signals.page_generator_init.connect(reader_cache.read_ready_first)
    signals.article_generator_init.connect(on_article_generator)
    signals.article_generator_finalized.connect(members.quick_membership)
    signals.page_generator_init.connect(on_page_generator)
    signals.content_object_init.connect(on_content)
    signals.all_generators_finalized.connect(on_read)
    signals.feed_generated.connect(on_feed)
    if on_feed not in render_cache.FEED_RECEIVERS:
        render_cache.FEED_RECEIVERS.append(on_feed)     # it changes a feed from the settings alone
    signals.finalized.connect(on_finalized)
    signals.get_writer.connect(on_get_writer)       # renders pages in parallel, only those whose inputs changed


def on_initialized(pelican) -> None:
    global current
    quicker_pelican()
    escaped_links.install()           # (after quicker_pelican: it wraps the get_static_links that installs)
    summary_links.install()
    members.quick_translations()
    members.quick_archives()
    config = islet_settings.read(pelican.settings)
    # The build driver's, or (under plain `pelican`) one of our own that nobody reads: Pelican's log has it all.
    findings = pelican.settings.get("ISLET_FINDINGS") or Findings()
    findings.strict = config.strict
    current = Run(config, findings)
    data = load_data(config.data_dir, config.root, limits=config.limits, content=config.content)
    current.widget_check = start_widget_check(config, pelican.settings.get("ISLET_INPUTS"),
                                              pelican.settings.get("ISLET_HEAD_START"))
    try:
        configure(pelican, config, data, discover(config.root))     # islet's built-in widgets too
    except BaseException:
        # Its error first: it says what is wrong with a widget that cannot be imported, and it started before.
        finish_check()
        raise
    if incremental.session is not None and current.widget_check is not None:     # a build that stops before on_read
        incremental.session.cleanups.append(current.widget_check.cancel)


def configure(pelican, config: islet_settings.IsletSettings, data: dict, widgets: dict[str, Widget]) -> None:
    """The reader, Jinja and the caches set up for this build; sources not cached yet start being parsed."""
    current.widgets = widgets
    islands = Islands(widgets, data, limits=config.limits)
    current.css = theme_css(config.css_dir)
    jinja = pelican.settings.get("JINJA_ENVIRONMENT") or {}
    pelican.settings["JINJA_ENVIRONMENT"] = {**jinja, "finalize": template_finalize(jinja.get("finalize"))}
    pelican.settings.setdefault("JINJA_GLOBALS", {})
    pelican.settings["JINJA_GLOBALS"].update(data=data, islet_css=Markup(current.css),
                                             widget=islands.template_global())
    IsletMarkdownReader.islands = islands if widgets else None
    pelican.settings["SITE_ORIGIN"] = config.origin
    IsletMarkdownReader.env = ContentSandbox(config.limits)
    IsletMarkdownReader.context = {"data": data}
    IsletMarkdownReader.jinja = config.content_jinja
    IsletMarkdownReader.align_classes = config.align_classes
    IsletMarkdownReader.templates = config.templates
    IsletMarkdownReader.root = config.root
    IsletMarkdownReader.problems = current.findings.errors
    IsletMarkdownReader.memoised = staticmethod(incremental.memoised)
    # Last: the reader is configured, so worker processes can parse uncached sources ahead of Pelican.
    incremental.start(pelican.settings, config.cache_dir, config.templates, Reader, rewritten_later)
    reader_cache.preparse(pelican.settings, Reader)


def rewritten_later(html: str) -> bool:
    """Whether the images or hydrate stage rewrites this page (see on_finalized)."""
    return "<img" in html or hydrate.ISLAND.search(html) is not None


def start_widget_check(config: islet_settings.IsletSettings, inputs=None,
                       started: Forked | None = None) -> Forked | None:
    """Start checking every widget module of the site (used or not), in a process of its own while the build goes
    on; `finish_check` waits for it. The widgets are compiled later, and only when a page uses one
    (hydrate_pages). None when the build that wrote the current output checked the very same widgets with the
    very same islet (`inputs`: islet.build.fingerprint.Inputs), or there are none. `started`: the check the
    build driver started already, before Pelican was imported (islet.__main__ asks it to)."""
    if started is not None:
        return started
    return check.start_site_check(config.root, None if inputs is None else inputs.changed())


def finish_check() -> None:
    """Wait for the widget check `start_widget_check` started (from on_read: it ran while the sources were read);
    raise what it found (check.CheckError, which the build reports with the sources' problems)."""
    pending, current.widget_check = current.widget_check, None
    if pending is not None and (problems := pending.result()):
        raise check.CheckError(problems)


def on_article_generator(generator) -> None:
    content_cache.attach(generator, "article", Reader.file_extensions, own=(on_content,))


def on_page_generator(generator) -> None:
    content_cache.attach(generator, "page", Reader.file_extensions, own=(on_content,))


def on_readers_init(readers) -> None:
    for extension in Reader.file_extensions:
        readers.reader_classes[extension] = Reader


def on_content(content) -> None:
    """Remember every article and page Pelican makes (on_read checks where each is written, even those
    Pelican then drops: static files it never drops), when each published page changed (for the sitemap),
    and when an article held back for its date is due."""
    if current is None or not isinstance(content, (Article, Page)) or content.source_path is None:
        return
    save_as = content.save_as                 # as when read: on_read works it out again, as Pelican will write it
    current.claims.setdefault(save_as, []).append(content)
    date = getattr(content, "modified", None) or getattr(content, "date", None)
    if date is not None and content.status != "draft":
        current.lastmod[save_as] = date.date().isoformat()
    due = content_cache.dated_ahead(content)
    if due is not None:
        current.findings.expires(due)


def on_read(generators) -> None:
    """Every source has been read: stop before Pelican writes anything if one was wrong, or would be
    written outside the output folder or over another output (islet.content.paths)."""
    if incremental.session is not None:
        incremental.session.finish_reading()
    finish_check()
    attach_all(generators)          # before anything asks where a static file goes (outputs.check, the writers)
    current.articles = [a for g in generators for a in getattr(g, "articles", [])]
    current.generators = list(generators)
    written = outputs.check(generators, current.settings, current.claims, "search" in current.widgets,
                            incremental.memoised)
    current.findings.errors += written.problems
    current.claims = written.claims
    current.pages = {page: verify.Source(shown, path=path) for page, (shown, path) in written.pages.items()}
    if current.findings.errors:
        raise ContentError(current.findings.errors)


# Signals Pelican sends from the moment it asks for a writer to the end of the build: a receiver of one could
# still change an article or a tag, and its URL with it.
WHILE_WRITING = ("article_generator_write_article", "article_writer_finalized", "page_generator_write_page",
                 "page_writer_finalized", "feed_generated", "feed_written", "finalized")


def on_get_writer(pelican):
    """islet's writer (islet.build.render: pages rendered in parallel, only those whose inputs changed). When
    islet's receivers are the only ones of `WHILE_WRITING`, URLs are worked out once each from here to the end
    of on_finalized (render.settle_urls), not only while the pages are written."""
    if all(content_cache.only(getattr(signals, name), (on_feed, on_finalized)) for name in WHILE_WRITING):
        render.settle_urls()
    return render.get_writer(pelican)


def on_feed(context, feed) -> None:
    """Feed entries need absolute links even in development builds, where SITEURL is relative (when the site
    names its origin: SITE_ORIGIN)."""
    from feedgenerator import get_tag_uri

    if not current.settings.origin:
        return
    base = current.settings.origin + "/"
    feed.feed["link"] = urljoin(base, feed.feed["link"].lstrip("/"))
    for item in feed.items:
        item["link"] = urljoin(base, item["link"].lstrip("/"))
        item["unique_id"] = get_tag_uri(item["link"], item["pubdate"])


def on_finalized(pelican) -> None:
    """Pelican's last signal: write the pages, then islet's output stages (`write_and_check`)."""
    try:
        write_and_check(pelican)
    finally:
        render.unsettle_urls()           # (settled by on_get_writer)


def write_and_check(pelican) -> None:
    """The recorded pages written, then the sitemap, the link check, images, widgets, CSP and compression."""
    config = current.settings
    # What each page needs of the policy, worked out as it is rendered (on every core), when there is one.
    if config.headers:
        PAGE_FACTS[csp.MEMO] = csp.page_needs
    else:
        PAGE_FACTS.pop(csp.MEMO, None)
    render.flush()                  # FIRST: Pelican's page writes were only recorded until now
    output = Path(pelican.output_path)
    with settled_files():           # (each page's identity asked once: a page rewritten is by memo.rewrite)
        _output_stages(pelican, output, config)
    # Keep LAST, after every stage that writes output: the .br/.gz variants must match each file's final bytes.
    # Only when asked (publishconf.py, preview, audit): while writing, the browser compresses nothing it opens
    # from ./dev serve, and brotli over every page is the largest part of a cold build.
    if config.precompress:
        current.findings.report.append(str(compress.compress_output(output, cache=config.cache_dir / "compress",
                                                           previous=incremental.previous_output())))


def _output_stages(pelican, output: Path, config) -> None:
    """The sitemap, the link check, images, widgets and CSP, over the pages the render stage wrote."""
    # Only the files the site does not provide itself (its sources, settings, theme or plugins): islet.output.sitemap.
    final = incremental.session.output if incremental.session is not None else output
    html = hydrate.html_pages(output)      # listed once: the later stages write no page (some rewrite one)
    sitemap.write(output, config.origin or None, current.lastmod, generators=current.generators, claimed=current.claims,
                  plugins=pelican.settings.get("PLUGINS") or (), favicon=config.theme / "static" / "favicon.ico",
                  record=sitemap.record_path(config.cache_dir, final), memoised=incremental.memoised, html=html)
    current.findings.strict_problems(verify.check_output(output, current.pages, incremental.memoised))
    # Images and _headers only when the site asks: both break a theme that does not expect them.
    if config.images:
        pictures = images.optimize(output, config.cache_dir / "images", current.pages,
                                   pelican.settings.get("SITEURL", ""), memoised=incremental.memoised,
                                   sizes=config.image_sizes, formats=config.image_formats, html=html)
        current.findings.errors += pictures.problems
        current.findings.report.append(images.summary(pictures.stats))
    hydrate_pages(output, html)
    if config.headers:          # after every stage that writes a script, a style or a URL into a page
        own = (pelican.settings.get("SITEURL", ""), config.origin)
        # What the pages load, inline scripts and styles (islet's own among them) by hash: islet.output.csp.
        policy = headers.content_security_policy(needs=csp.site_needs(output, own, incremental.memoised, html))
        (output / "_headers").write_text(headers.headers_file(policy), encoding="utf-8")


def hydrate_pages(output: Path, html: list[Path] | None = None) -> None:
    """Give each page with widgets its scripts (and what some widgets need). `html`: every page, if listed."""
    pages = hydrate.pages_with_islands(output, incremental.memoised, html)
    if not pages:
        current.findings.report.append(f"Widgets: no page uses one of the {len(current.widgets)}; nothing compiled.")
        current.findings.report.append(hydrate.format_table([]))
        return
    config = current.settings
    compiled = scripts.build_scripts(config.root, sorted(current.widgets), config.cache_dir, config.node_modules)
    how = "unchanged, taken from the cache" if compiled.cached else "compiled and bundled"
    current.findings.report.append(f"Widgets: {len(current.widgets)} {how} ({compiled.seconds:.2f} s).")
    manifest, base = compiled.manifest, urlsplit(config.origin).path.rstrip("/") + "/"
    scripts.copy_into(compiled, output)
    table, over_budget = hydrate.hydrate(output, pages, manifest, config.js_budget, base)
    current.findings.errors += over_budget           # budgets are enforced in every mode, not only strict
    current.findings.report.append(hydrate.format_table(table))
    used = {name for row in table for name in row.widgets}
    if "search" in used:
        written = search_index.write_index(output, current.articles, incremental.memoised, incremental.previous_output())
        current.findings.report.append(search_index.size_line(written))


def theme_css(directory: Path) -> str:
    """Every ``*.css`` in the theme, in name order, with comments and extra whitespace removed."""
    css = "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.css")))
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"\s+", " ", css)
    css = re.sub(r"\s*([{};,>])\s*", r"\1", css)
    return css.replace(";}", "}").strip()
