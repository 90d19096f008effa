"""Read stage: check each Markdown source before Pelican sees it, then render its body.

The front matter is checked first (islet.content.front_matter), so the author gets the exact line;
then the body goes through Jinja (with the read-only ``data`` mapping) before Markdown, so articles
can build tables and figures from ``content/data/``, and widget blocks become islands
(islet.content.embed).
"""
from __future__ import annotations

import os
import posixpath
import re
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Mapping

import jinja2
import jinja2.sandbox
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup, escape
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

from islet.errors import (
    ContentError,
    IsletError,
    LimitError,
    Problem,
    TimeLimitExceeded,
    shown_path,
)
from islet.islands.registry import traceback_line
from islet.settings import Limits

from . import blocks, highlight, inline, linear, sandbox
from .clock import PRIORITY as CLOCK
from .clock import Clock, slowest_part
from .formats import SURROGATE
from .front_matter import JINJA_ON, check_source, parse_date, read_front_matter
from .sandbox import ContentSandbox, OutputTooLarge, with_code, without_code


def _quoted_brace_or_bar(html: str) -> bool:
    """Whether a quote is followed by "{" or "|" somewhere in `html`. (Searching for one character runs at memory
    speed, and HTML has few of these two; a regular expression stops at every quote, a search for '"{' is ten
    times slower than one for "{".)"""
    for mark in "{|":
        at = html.find(mark, 1)
        while at != -1:
            if html[at - 1] in "\"'":
                return True
            at = html.find(mark, at + 1)
    return False


def quicker_pelican() -> None:
    """Shortcuts in Pelican's reading, with the same results (once per process; idempotent):

    * dates are parsed by `parse_date` (Pelican's readers call get_date for Date: and Modified:);
    * Pelican looks for intrasite links (``href="{filename}x.md"``, ``|static|``…) in every article's
      HTML, once when reading and again when writing, with an expression that backtracks through every
      tag. With the default INTRASITE_LINK_REGEX a link is a quote followed by "{" or "|": HTML with
      neither pair has none, and is returned as it is without the search. The static links found are
      remembered between builds (`IsletMarkdownReader.memoised`);
    * an object's path relative to the content folder is worked out once per path (Pelican does it again
      for each URL it formats, with four system calls);
    * a slug is worked out once per text and settings (`remembered_slugify`): every article has tag, category
      and author objects of its own, each of which makes its slug again;
    * summaries and the search for images without alt text take linear time (islet.content.linear).
    """
    from pelican.contents import Content
    from pelican.settings import DEFAULT_CONFIG

    from pelican import readers

    if getattr(Content, "islet_quicker", False):
        return
    readers.get_date = parse_date
    default = DEFAULT_CONFIG["INTRASITE_LINK_REGEX"]
    static_links, update_content = Content.get_static_links, Content._update_content

    def no_links(content: Content, html) -> bool:
        return (isinstance(html, str) and content.settings["INTRASITE_LINK_REGEX"] == default
                and not _quoted_brace_or_bar(html))

    def get_static_links(self) -> set[str]:
        if no_links(self, self._content):
            return set()
        # What Pelican finds depends on the HTML, the object's folder and the content folder (and on the working
        # folder, where one of those paths is relative) and the expression: remembered by those between builds.
        memo = IsletMarkdownReader.memoised("static_links", lambda *_: sorted(_static_links(self)))
        pattern = self._get_intrasite_link_regex().pattern
        content, source = self.settings["PATH"], self.source_path
        here = "" if os.path.isabs(content) and os.path.isabs(source or "") else os.getcwd()
        return set(memo(self._content, self.relative_dir, content, here, pattern))

    def _static_links(self) -> set[str]:
        try:
            return static_links(self)
        except ValueError:      # a link that is no URL ({filename}//[x): Pelican would stop; the link check names it
            return set()

    def _update_content(self, content: str, siteurl: str) -> str:
        if no_links(self, content):
            return content
        try:
            return update_content(self, content, siteurl)
        except ValueError:
            return content

    relative_paths: dict[tuple, str | None] = {}
    relative_source_path, relative_dir = Content.get_relative_source_path, Content.relative_dir.fget

    def get_relative_source_path(self, source_path: str | None = None) -> str | None:
        # A function of the path, the content folder and (when that is relative) the working folder.
        path = source_path or self.source_path
        if not isinstance(path, str):
            return relative_source_path(self, source_path)
        content = self.settings["PATH"]
        key = (path, content, _working_folder(content))
        found = relative_paths.get(key, relative_paths)
        if found is relative_paths:
            found = relative_paths[key] = below(path, key[1], key[2])
            if found is None:
                found = relative_paths[key] = relative_source_path(self, source_path)
        return found

    def get_relative_dir(self) -> str:
        # Pelican's: the folder of the source (made absolute from the working folder, unlike the above).
        path, content = self.source_path, self.settings["PATH"]
        found = below(path, content, _working_folder(content)) if isinstance(path, str) else None
        return relative_dir(self) if found is None else posixpath.dirname(found)

    get_static_links.pelicans, _update_content.pelicans = static_links, update_content    # for the tests
    get_relative_source_path.pelicans, get_relative_dir.pelicans = relative_source_path, relative_dir
    Content.get_static_links, Content._update_content = get_static_links, _update_content
    Content.get_relative_source_path = get_relative_source_path
    Content.relative_dir = property(get_relative_dir)
    Content.islet_quicker = True
    from pelican import contents, urlwrappers

    contents.slugify = urlwrappers.slugify = remembered_slugify(contents.slugify)
    linear.install()


def remembered_slugify(slugify, limit: int = 100_000):
    """Pelican's ``slugify``, a function of its arguments alone, remembered by them (a bounded number of them)."""
    known: dict = {}

    def remembered(value, regex_subs=(), preserve_case=False, use_unicode=False):
        regex_subs = list(regex_subs)                               # (any iterable of pairs: read once)
        try:
            key = (type(value), value, tuple(map(tuple, regex_subs)), preserve_case, use_unicode)
            found = known.get(key)
        except TypeError:                                           # something unhashable: not remembered
            return slugify(value, regex_subs, preserve_case, use_unicode)
        if found is None:
            if len(known) >= limit:
                known.clear()
            found = known[key] = slugify(value, regex_subs, preserve_case, use_unicode)
        return found

    remembered.pelicans = slugify                                   # (for the tests)
    return remembered


def _working_folder(content: str) -> str:
    """The working folder when the content folder is relative, else "". Pelican makes a source path absolute by
    joining it to the content folder: an absolute one leaves nothing to the working folder. (Asked of the system
    by every object for each URL it formats, the working folder took a tenth of a one-edit build.)"""
    return "" if os.path.isabs(content) else os.getcwd()


def below(path: str, content: str, cwd: str) -> str | None:
    """Pelican's relative source path (``relpath(abspath(join(content, path)), abspath(content))``) of an
    absolute, normalised `path` inside the content folder, as a slice of it without system calls; else None
    (Pelican's own way then). `cwd`: the working folder, which a relative content folder is in."""
    root = os.path.normpath(os.path.join(cwd, content))
    prefix = root if root.endswith("/") else root + "/"
    if os.sep != "/" or len(path) <= len(prefix) or not path.startswith(prefix) or os.path.normpath(path) != path:
        return None
    rest = path[len(prefix):]
    return None if rest.startswith("/") else rest          # ("//x" is normalised: POSIX keeps two leading slashes)


class JinjaBody(Preprocessor):
    """Render the Markdown body (front matter already removed) as a Jinja template, in the content sandbox.

    The value of every ``{{ }}`` is escaped and put in Markdown's stash of raw HTML: Markdown sees a
    placeholder, never the value, so text from a data file cannot become a link, an attribute list or a
    widget block. The placeholders' texts go to `sandbox.VALUES` for code blocks and widget props."""

    def __init__(self, md, env: ContentSandbox, context: Mapping[str, Any], shown: str, offset: int,
                 enabled: bool = True):
        # `offset` is the line of the blank line ending the front matter: body line 1 is offset + 1.
        # `enabled`: ISLET_CONTENT_JINJA; a source's own `Jinja: yes|no` decides for it.
        super().__init__(md)
        self.env, self.context, self.shown, self.offset, self.enabled = env, context, shown, offset, enabled

    def run(self, lines: list[str]) -> list[str]:
        sandbox.VALUES.clear()
        own = (getattr(self.md, "Meta", None) or {}).get("jinja")     # (the meta preprocessor ran before)
        if not (own[0].strip().lower() in JINJA_ON if own else self.enabled):
            return lines
        source = "\n".join(lines)
        if "{{" not in source and "{%" not in source and "{#" not in source:
            return lines
        offset = self.offset
        source, code = without_code(source)           # code shows {{ }} as written
        try:
            return with_code(self.env.render_body(source, self.context, self.placeholder), code).split("\n")
        except jinja2.TemplateSyntaxError as error:
            raise ContentError(Problem(self.shown, offset + (error.lineno or 1), f"template syntax: {error.message}",
                                       "fix the {{ }} / {% %} expression, or wrap literal braces in {% raw %}…{% endraw %}")) from None
        except jinja2.UndefinedError as error:
            raise ContentError(Problem(self.shown, offset + _template_line(), f"{error.message}",
                                       "check the name against the files in content/data/ (data.<file name>.<key>)")) from None
        except jinja2.sandbox.SecurityError as error:
            raise ContentError(Problem(self.shown, offset + _template_line(), f"not allowed in content: {error}",
                                       "content templates may read data and loop over it; build anything else "
                                       "in a widget or the theme")) from None
        except (TimeLimitExceeded, MemoryError, OutputTooLarge) as error:
            what = {MemoryError: "the template needs too much memory"}.get(type(error), str(error))
            line = getattr(error, "template_line", None) or _template_line()
            raise LimitError(Problem(self.shown, offset + line, f"{what}",
                                     "make the loops on this page smaller, or raise ISLET_LIMITS['template_seconds'] / "
                                     "['template_bytes'] in pelicanconf.py")) from None
        except Exception as error:  # an expression failed, e.g. a filter on the wrong type
            raise ContentError(Problem(self.shown, offset + _template_line(), f"{type(error).__name__}: {error}",
                                       "fix the {{ }} expression on this line")) from None

    def placeholder(self, value: Any) -> Markup:
        # escape() leaves Markup (from |markdown or |safe) as it is; STX/ETX dropped: no value poses as a placeholder
        text = str(value)
        if SURROGATE.search(text):             # ("\ud800" in a Jinja string): no page can hold it (not UTF-8)
            raise ValueError("the value holds half of a surrogate pair (an escape such as \\ud800), not a character")
        key = self.md.htmlStash.store(str(escape(value)).translate(_PLACEHOLDER_MARKS))
        sandbox.VALUES[key] = text.translate(_PLACEHOLDER_MARKS)
        return Markup(key)


_PLACEHOLDER_MARKS = str.maketrans("", "", "\x02\x03")    # what Markdown's placeholders start and end with


class AlignClasses(Treeprocessor):
    """Table column alignment as classes (``align-right``), not ``style`` attributes (ISLET_ALIGN_CLASSES).

    A strict Content-Security-Policy (``style-src`` without 'unsafe-inline') ignores
    style attributes, which would silently drop the alignment. Only for a theme that styles
    ``align-left``/``align-right``/``align-center``: on another, the alignment would be lost instead.
    """

    def run(self, root):
        for cell in root.iter():
            style = cell.get("style", "")
            match = re.fullmatch(r"text-align:\s*(left|right|center);?", style.strip())
            if match:
                del cell.attrib["style"]
                cell.set("class", (cell.get("class", "") + " align-" + match[1]).strip())


class SafeAttributes(Treeprocessor):
    """No ``on…`` handler and no ``javascript:`` / ``vbscript:`` / ``data:`` URL on an element Markdown made
    (links, images, attribute lists ``{: … }``): a Markdown source is not trusted. Raw HTML is not in this
    tree (Markdown stashes it) and passes through as in Pelican."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "cite", "background", "xlink:href"}

    def run(self, root):
        for element in root.iter():
            for name in [n for n in element.attrib if n.lower().startswith("on")]:
                del element.attrib[name]
            for name in [n for n in element.attrib if n.lower() in self.URL_ATTRIBUTES]:
                if _UNSAFE_URL.match(element.attrib[name]):
                    del element.attrib[name]


# A scheme that runs script or smuggles a document; browsers skip control characters and spaces in a scheme.
_UNSAFE_URL = re.compile(r"[\x00-\x20]*(?:j[\t\n\r]*a[\t\n\r]*v[\t\n\r]*a[\t\n\r]*s[\t\n\r]*c[\t\n\r]*r[\t\n\r]*i"
                         r"[\t\n\r]*p[\t\n\r]*t|vbscript|data)[\t\n\r]*:", re.IGNORECASE)


def _template_line() -> int:
    """The template line being rendered when the current exception was raised (Jinja keeps it in the traceback)."""
    return traceback_line(sys.exc_info()[1], sandbox.TEMPLATE)


_MARKDOWN: dict[str, Any] = {}       # settings -> (Markdown instance, its "meta" preprocessor and priority)


def markdown_for(settings: Mapping[str, Any]):
    """A Markdown instance for these settings, ready for a new document.

    Setting one up (every extension registers its processors) costs about as much as converting a
    short article, and Python-Markdown supports converting many documents with one instance, reset
    in between. Pelican's reader removes the "meta" preprocessor before it converts Markdown in the
    front matter (Summary…): it is put back here."""
    from markdown import Markdown

    key = repr(sorted(settings.items()))
    if key not in _MARKDOWN:
        highlight.install()
        inline.install()
        md = Markdown(**settings)
        blocks.install(md)
        meta = next(((md.preprocessors["meta"], item.priority) for item in md.preprocessors._priority
                     if item.name == "meta"), None)
        _MARKDOWN[key] = md, meta
        return md
    md, meta = _MARKDOWN[key]
    md.reset()
    if meta is not None and "meta" not in md.preprocessors:
        md.preprocessors.register(meta[0], "meta", meta[1])
    return md


class IsletMarkdownReader(MarkdownReader):
    """Pelican's Markdown reader plus our front-matter check and the Jinja body stage."""

    # Set by the plugin once per build: the Jinja environment, its context and the theme's templates.
    env: ContentSandbox | None = None
    context: Mapping[str, Any] = {}
    jinja: bool = True              # ISLET_CONTENT_JINJA: bodies go through Jinja
    align_classes: bool = False     # ISLET_ALIGN_CLASSES: table alignment as classes, not style attributes
    templates: set[str] = set()
    root: Path = Path(".")
    problems: list[Problem] = []
    islands = None  # islet.content.embed.Islands, when the site has widgets
    memoised = staticmethod(lambda name, function: function)   # islet.build.incremental.memoised in a build

    def read(self, source_path):
        shown = shown_path(Path(source_path), self.root)
        limits = self.env.limits if self.env is not None else Limits()
        text, problems = check_source(Path(source_path).read_bytes(), shown, self.templates, limits.names)
        if problems:
            self.problems.extend(problems)
            raise ContentError(problems)
        body_starts = read_front_matter(text).end      # (`---` front matter included, as Markdown's meta reads it)
        self._source_path = source_path
        self._md = markdown_for(self.settings["MARKDOWN"])
        self._md.preprocessors.register(
            JinjaBody(self._md, self.env, self.context, shown, body_starts, self.jinja), "islet-jinja", 26)
        if self.align_classes:
            self._md.treeprocessors.register(AlignClasses(self._md), "islet-align", 0)
        elif "islet-align" in self._md.treeprocessors:        # (the instance is shared: markdown_for)
            self._md.treeprocessors.deregister("islet-align")
        self._md.treeprocessors.register(SafeAttributes(self._md), "islet-safe-attributes", 0.5)
        if self.islands is not None:
            from .embed import WidgetFences

            # After Jinja (so props may use data expressions), before fenced code blocks (priority 25).
            self._md.preprocessors.register(
                WidgetFences(self._md, self.islands, shown, text.splitlines()), "islet-widgets", 25.5)
        elif "islet-widgets" in self._md.preprocessors:
            self._md.preprocessors.deregister("islet-widgets")
        seconds = limits.markdown_seconds
        clock = ExitStack()
        self._md.preprocessors.register(Clock(self._md, clock, seconds), "islet-clock", CLOCK)
        try:
            with clock:
                with pelican_open(source_path) as raw:
                    content = self._md.convert(raw)
                metadata = self._parse_metadata(self._md.Meta) if hasattr(self._md, "Meta") else {}
        except TimeLimitExceeded:              # Markdown's own (Jinja's and widgets' are LimitErrors by now)
            error = LimitError(self._too_slow(shown, text, body_starts, seconds))
            self.problems.extend(error.problems)
            raise error from None
        except IsletError as error:
            self.problems.extend(error.problems)
            raise
        finally:
            self._md.preprocessors.deregister("islet-clock")     # (the instance is shared: markdown_for)
        return content, metadata

    def _too_slow(self, shown: str, text: str, body_starts: int, seconds: float) -> Problem:
        # (A parse worker's problems are not reported: the build's process reads the source again, and says where.)
        worker = getattr(self, "caching_only", False)
        line = 0 if worker else slowest_part(text.splitlines(), body_starts, self.settings["MARKDOWN"], seconds)
        return Problem(shown, line, f"Markdown needs more than {seconds:g} s for this source; the slowest part "
                                    f"starts on this line",
                       "Python-Markdown slows down on some text, such as thousands of unclosed '[', '![' or '<' on "
                       "one line: break that part up or remove it, or raise ISLET_LIMITS['markdown_seconds'] in "
                       "pelicanconf.py")
