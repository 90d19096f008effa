"""Verify stage: every internal link and image in the generated HTML must resolve.

Runs over the finished output folder (before it replaces ``build/``), so it sees
exactly what readers would get: links written by authors in Markdown and links
written by templates alike. A problem points at the Markdown line when the page
came from a source file, else at the generated page.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import re
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from islet.build.memo import PAGE_FACTS, fresh
from islet.errors import Problem
from islet.settings import processes

# (tag, attribute) pairs that point at something the site must contain.
_REFERENCES = {("a", "href"): "link", ("link", "href"): "link", ("img", "src"): "image",
               ("script", "src"): "script", ("source", "src"): "image", ("video", "src"): "video",
               ("audio", "src"): "audio", ("video", "poster"): "image"}


@dataclass(frozen=True)
class Source:
    """Where a generated page came from, to point problems at the author's file. Its text is read
    from `path` only when a problem needs a line number (most builds have none)."""
    shown: str
    given: str | None = field(default=None, repr=False)
    path: str | None = field(default=None, compare=False, repr=False)

    @property
    def text(self) -> str:
        if self.given is not None:
            return self.given
        try:
            return Path(self.path).read_text(encoding="utf-8-sig") if self.path else ""
        except (OSError, UnicodeDecodeError):
            return ""


# One pass over the page: comments and raw-text elements (their content is not markup) are matched
# whole so nothing inside them counts; of the rest only the tags that can refer to a file are read.
# A regular expression, not html.parser: the page is our own serialised HTML, and this is 6x faster,
# which matters on a site of thousands of pages (tests compare it with html.parser on real pages).
# Written for Python's engine: every token starts with "<", which it then finds with a fast scan, and a
# comment or raw text is skipped a run of characters at a time (not one character per step, as .*? does:
# the inline CSS of every page made that most of the time spent here). The lookahead turns away at once
# the "<" of every other tag (a highlighted code block is hundreds of <span>s).
#
# A page holds an untrusted article's raw HTML, and a theme may print a summary cut inside a quoted value, so
# the scan must stay linear on any text, and read broken markup as a browser does (the HTML standard's tokenizer):
# - a tag's attributes are names, each maybe with "=" and a value; a quote starts a value only right after "="
#   (`_ATTRIBUTES`), so `content="<img src="x" alt="…"` is one <meta> tag, as browsers read it;
# - a comment, a raw-text element or a quoted value that never closes runs to the end of the page: a tag left
#   open there is dropped (`closed` or `opened` is then empty), and nothing after it is a tag; "<!", "<?" and
#   "</" before a non-letter start a comment that ends at the next ">";
# - not modelled: "<!--" inside a <script> (the standard's "double escaped" states), where the scan may end the
#   script earlier than a browser;
# - every loop is possessive (*+, ++): a run of text splits into tokens in one way only, so nothing is lost, and
#   a token that fails fails at once. Backtracking, `<a href=x bbb… "` took twice as long per character.
_ATTRIBUTES = r"""(?:[^\s/>][^\s/>=]*+(?:\s*+=\s*+(?:"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\s>]*+))?|[\s/]++)*+"""
_READ = (r"!--(?:>|->|(?:[^-]++|-(?!-!?>))*+(?:--!?>|\Z))"      # a comment (<!--> and <!---> are empty ones)
         r"|[!?][^>]*+(?:>|\Z)|/(?![a-zA-Z>])[^>]*+(?:>|\Z)"          # <!DOCTYPE>, <?xml?>, <!x>, </ x>: to the next >
         rf"|(?P<raw>script|style|textarea|title)(?=[\s/>])(?P<raw_attributes>{_ATTRIBUTES})"
         rf"(?:(?P<opened>>)[^<]*+(?:<(?!/(?P=raw)[\s/>])[^<]*+)*+(?:</(?P=raw){_ATTRIBUTES}(?:>|\Z)|\Z)|\Z)"
         rf"|(?P<tag>a|link|img|source|video|audio)(?=[\s/>])(?P<attributes>{_ATTRIBUTES})(?P<closed>>|\Z)")
_TOKENS = re.compile(rf"<(?=[!?sStTaAlLiIvV]|/[^a-zA-Z>])(?:{_READ})", re.I)
# A theme may print text unescaped into an attribute (notmyidea's <meta content="…"> holds the summary): a "<"
# inside a quoted value is no tag, and a ">" there does not end the tag. Pages with either are read with every tag
# matched whole (3x slower). The one difference from a browser left: a "<" in a name or an unquoted value of a tag
# the scan does not read (`<p <a href=x>`) is taken for a tag's start; that is raw HTML a browser shows no link for.
_EVERY_TAG = re.compile(rf"<(?:{_READ}|/?[a-zA-Z][^\s/>]*+{_ATTRIBUTES}(?:>|\Z))", re.I)
_MARKUP_IN_VALUE = re.compile(r"""=\s*+(?:"[^"<>]*+[<>]|'[^'<>]*+[<>])""")
# One attribute of those `_ATTRIBUTES` matched, as the tokenizer reads it: (name, "=" when it has a value, the
# value in double quotes, in single quotes, unquoted). A quote left open ran to the end of the page (see above).
_ATTRIBUTE = re.compile(r"""([^\s/>][^\s/>=]*+)(?:\s*+(=)\s*+(?:"([^"]*+)"?|'([^']*+)'?|([^\s>]*+)))?""")


_SHARED: dict[tuple[str, str], tuple[str, str]] = {}


def references(html: str) -> list[tuple[str, str]]:
    """Every (kind, url) the page refers to, in document order. The same pair is the same object on every
    page (`_shared`): most are the theme's menus, and the memo of every page's pairs, kept between builds,
    is then a fifth of its size at 5,000 articles, and read five times faster."""
    found = []
    tokens = _EVERY_TAG if _MARKUP_IN_VALUE.search(html) else _TOKENS
    for token in tokens.finditer(html):
        tag = token.group("tag")
        if tag is None:                        # a comment, an element of raw text (<script src>…), another tag
            if token.group("opened"):
                found += _tag_references(token.group("raw"), token.group("raw_attributes"))
            continue
        if not token.group("closed"):          # cut off by the end of the page: no tag, for a browser either
            continue
        # A tag that may refer to a file: most are the theme's (menus, feeds, icons), the same on every page.
        text = token.group(0)
        of_tag = _BY_TAG.get(text)
        if of_tag is None:
            if len(_BY_TAG) > 50_000:          # (a long-running process, livereload, sees every tag ever written)
                _BY_TAG.clear()
            of_tag = _BY_TAG[text] = _tag_references(tag, token.group("attributes"))
        found += of_tag
    return found


_BY_TAG: dict[str, list[tuple[str, str]]] = {}
_SRCSET = ("img", "source")          # the tags a browser takes a srcset of (an image candidate list)


def _tag_references(tag: str | None, attributes: str | None) -> list[tuple[str, str]]:
    """The (kind, url) pairs of one tag, from its name and the text of its attributes."""
    found, tag, seen = [], (tag or "").lower(), set()
    for name, equals, double, single, bare in _ATTRIBUTE.findall(attributes or ""):
        name, value = name.lower(), double or single or bare
        if name in seen:                 # a browser keeps an attribute's first value
            continue
        seen.add(name)
        kind = _REFERENCES.get((tag, name))
        if kind and equals:
            found.append(_shared((kind, unescape(value))))
        elif name == "srcset" and value and tag in _SRCSET:
            found.extend(_shared(("image", c.split()[0])) for c in unescape(value).split(",") if c.strip())
    return found


def _shared(pair: tuple[str, str]) -> tuple[str, str]:
    if len(_SHARED) > 200_000:           # a long-running process (livereload) sees every URL ever written
        _SHARED.clear()
    return _SHARED.setdefault(pair, pair)


PAGE_FACTS["verify"] = references


def is_internal(url: str) -> bool:
    """True for a URL of this site: no scheme, no host, not only a fragment. A URL that cannot be parsed
    is not (`unparsable` says why)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return not (parts.scheme or parts.netloc or url.startswith("#") or not url.strip())


def unparsable(page: str, url: str) -> str | None:
    """Why `url`, found in the page at output-relative path `page`, cannot be parsed, or None when it can.

    urlsplit and urljoin raise ValueError for a host with a lone or misplaced bracket (``http://[``,
    ``[x](http://* [y](…))``), one that is not an address between brackets, or one whose characters change
    under NFKC normalisation; a path such as ``/.//[x`` may become such a host once joined."""
    try:
        urlsplit(url)
        urlsplit(urljoin("/" + page, url))
    except ValueError as error:
        return str(error) or type(error).__name__
    return None


def resolve(page: str, url: str, output: Path) -> bool:
    """True when `url`, found in the page at output-relative path `page`, names an existing file.
    False for a URL that cannot be parsed, or names no possible file (a name too long)."""
    try:
        path = unquote(urlsplit(urljoin("/" + page, url)).path).lstrip("/")
        target = output / path
        if path == "" or path.endswith("/"):
            target = target / "index.html"
        return target.is_file() or (target / "index.html").is_file()
    except (ValueError, OSError):
        return False


def check_output(output: Path, sources: dict[str, Source], memoised=fresh) -> list[Problem]:
    """Problems for every internal reference that does not resolve inside `output`.

    `sources` maps output-relative page paths (``articles/x.html``) to the file it came from.
    A broken URL written by the theme shows up on many pages; it is reported once.
    `memoised(name, function)` may remember results across builds (islet.build.incremental.memoised): a
    page's references by its file (the render stage works them out as it writes pages: PAGE_FACTS),
    and its broken ones by its path, file and the list of files.
    """
    files = _files(output)
    listing = hashlib.blake2b("\0".join(sorted(files)).encode(), digest_size=20).hexdigest()
    refs, resolved, checked = memoised("verify", references), {}, {}

    def broken_on(path: Path, listing: str, relative: str) -> list[tuple[str, str]]:
        folder, broken, seen = relative.rpartition("/")[0], [], set()
        for kind, url in refs.of_file(path):
            inside = checked.get(url)           # the same few URLs on every page (menus, tags)
            if inside is None:                  # a URL that cannot be parsed is reported, internal or not
                inside = checked[url] = is_internal(url) or unparsable("", url) is not None
            if not inside or url in seen:
                continue
            # Pages of one folder share most links (menus, tags): look each (folder, url) up once.
            key = (relative if url.startswith("?") else folder, url)
            if key not in resolved:
                resolved[key] = _listed(relative, url, files) or resolve(relative, url, output)
            if not resolved[key]:
                broken.append((kind, url))
                seen.add(url)
        return broken

    broken_links = memoised("verify-pages", broken_on)
    problems, from_theme, authored, authored_targets = [], {}, set(), set()
    # The walk above, not another; in the order of sorted Paths (by folder and name), as before.
    pages = sorted((name for name in files if name.endswith(".html")), key=lambda name: name.split("/"))
    where = {relative: os.path.join(output, relative) for relative in pages}     # (strings: 8,000 Paths cost)
    refs.fill_files([(where[relative],) for relative in pages], processes())
    for relative in pages:
        for kind, url in broken_links.of_path(where[relative], listing, relative):
            source, why = sources.get(relative), unparsable(relative, url)
            literal = _named_literally(relative, url, files) if source else None
            needle = url.rsplit("/", 1)[-1] if literal else url      # (its whole name: "a#b.png", not "a")
            line = _line_of(needle, source, whole=why is not None or literal is not None) if source else 0
            target = url if why else urljoin("/" + relative, url).split("#")[0]
            if line or (source and why):
                problems.append(_problem(kind, url, source, line, why, literal))
                authored.add((kind, url))
                authored_targets.add(target)
            else:  # not in the author's file, so the theme wrote it
                from_theme.setdefault(target, []).append((relative, kind, url, why))
    # A URL an author's source holds is reported there only: a list page showing that article's summary holds it
    # too (a relative one resolves to another file from each folder; one Pelican rewrote, such as {static}, is
    # another URL to the same file), and the theme did not write it. So is one in a source's front matter (a
    # Summary: only list pages may show).
    fronts = None
    for target, pages in from_theme.items():
        if target in authored_targets:
            continue
        pages = [found for found in pages if (found[1], found[2]) not in authored]
        if not pages:
            continue
        page, kind, url, why = pages[0]
        fronts = _front_matters(sources.values()) if fronts is None else fronts
        owner = next(((source, line) for source, lines in fronts for line, text in lines if url in text), None)
        if owner is not None:
            problems.append(_problem(kind, url, owner[0], owner[1], why))
            authored.add((kind, url))
            continue
        more = f" and {len(pages) - 1} more" if len(pages) > 1 else ""
        what = f"malformed {kind} {url!r} ({why})" if why else f"broken {kind} {url!r}"
        problems.append(Problem(page, 0, f"{what} in a page generated by the theme{more}",
                                "fix the template that writes this URL"))
    return problems


def _files(output: Path) -> set[str]:
    """Every file of `output`, output-relative: one directory walk instead of a stat per link."""
    found = set()
    for base, _, names in os.walk(output):
        folder = Path(base).relative_to(output).as_posix()
        found.update(name if folder == "." else f"{folder}/{name}" for name in names)
    return found


def _listed(page: str, url: str, files: set[str]) -> bool:
    """The common case of `resolve`, answered from the file list (False only means: ask `resolve`)."""
    try:
        path = _target(page, url)
    except ValueError:          # cannot be parsed: `resolve` says False
        return False
    if path == "" or path.endswith("/"):
        path += "index.html"
    return path in files or f"{path}/index.html" in files


_NOT_PLAIN = re.compile(r"[?#%:;\\]")      # a URL with any of these goes through urljoin and unquote


def _target(page: str, url: str) -> str:
    """The output-relative path `url` names from `page` (what urljoin + unquote give, faster for the
    plain relative URLs that make up most links)."""
    if url.startswith("/") or _NOT_PLAIN.search(url):
        return unquote(urlsplit(urljoin("/" + page, url)).path).lstrip("/")
    joined = posixpath.normpath(posixpath.join("/" + page.rpartition("/")[0], url)).lstrip("/")
    return joined + "/" if joined and (url.endswith(("/", "/.", "/..")) or url in (".", "..")) else joined


def _front_matters(sources) -> list[tuple[Source, list[tuple[int, str]]]]:
    """Each source (by its shown path) with the numbered lines of its front matter (up to the first blank line)."""
    found = []
    for source in sorted(set(sources), key=lambda source: source.shown):
        lines = []
        for number, text in enumerate(source.text.splitlines(), 1):
            if not text.strip():
                break
            lines.append((number, text))
        found.append((source, lines))
    return found


def _line_of(url: str, source: Source, whole: bool = False) -> int:
    """The source line that mentions the URL's file name (the `whole` URL: for one that cannot be parsed, whose
    last part may be anything, e.g. "["), or 0 when the author did not write it."""
    needle = url if whole else url.rsplit("/", 1)[-1].split("#")[0] or url
    lines = source.text.splitlines()
    # As written, else as HTML reads it: `it&quot;s.png` in an attribute is the URL `it"s.png`.
    return (next((n for n, text in enumerate(lines, 1) if needle in text), 0)
            or next((n for n, text in enumerate(lines, 1) if "&" in text and needle in unescape(text)), 0))


def _named_literally(page: str, url: str, files: set[str]) -> str | None:
    """The character of `url` that a URL reads otherwise (#: a fragment, ?: a query, %: an escape) when, read
    literally, it names a file of the output (Pelican writes a file name as it is), else None."""
    special = next((c for c in "#?%" if c in url), None)
    if special is None or "://" in url:
        return None
    literal = posixpath.normpath(posixpath.join("/" + page.rpartition("/")[0], url)).lstrip("/")
    return special if literal in files else None


def _problem(kind: str, url: str, source: Source, line: int, why: str | None = None,
             literal: str | None = None) -> Problem:
    if literal:
        meaning = {"#": "starts a fragment", "?": "starts a query", "%": "starts an escape"}[literal]
        return Problem(source.shown, line,
                       f"broken {kind} {url!r}: the file exists, but in a URL {literal!r} {meaning}",
                       "rename the file without '#', '?' or '%' (and the link with it)")
    if why:
        return Problem(source.shown, line, f"malformed {kind} {url!r} ({why})",
                       "correct the URL: a host between [ ] must be an IP address; elsewhere write [ and ] as %5B and %5D")
    fix = ("point it at an existing file; for another article write [text]({filename}/articles/other.md)"
           if kind == "link" else f"add the {kind} under content/ or correct its path, e.g. {{static}}/images/x.svg")
    return Problem(source.shown, line, f"broken {kind} {url!r}", fix)
