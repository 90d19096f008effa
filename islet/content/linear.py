"""Pelican's quadratic spots, in linear time: no article's HTML can stall the build where Pelican looks at it.

Three of Pelican's functions take quadratic time (or worse) on HTML that an article's author controls, and
are run on every article Pelican reads or summarises (plain Pelican stalls on them the same way):

* ``find_empty_alt`` warns of each ``<img>`` with an empty ``alt``, with an expression that tries to match at
  every ``<img`` and scans on from there (30,000 ``<img src=`` in a ``<div>`` took 12 s, and twice as many
  four times as long);
* the summary of an article without a ``Summary:`` is made by ``truncate_html_words``, whose parser finds
  where each piece of text starts by counting lines from the top, again for each piece (10,000 lines of
  ``` took 25 s);
* then ``strip_toc_elements_from_html`` removes what would be broken links there, with two expressions
  that try to match at every ``<a`` or ``<div class="contents`` (20,000 ``<a `` took 12 s).

`install` puts in their place versions with the same results in linear time (times a logarithm): the line
starts are found once per document (`getoffset`); each expression's matches are found from sorted lists of
where its literal parts are (`strip_toc`, `empty_alt_sources`), as its backtracking would pick them. Only over
the functions they were written for (Pelican 4.x's, recognised by the names and constants their code uses);
another Pelican keeps its own. tests/content/test_linear.py compares them with Pelican's on generated HTML.
"""
from __future__ import annotations

import re
from bisect import bisect_left

_NEWLINE = re.compile("\n")
_FLAGS = re.DOTALL | re.IGNORECASE
_CONTENTS_DIV = r'<div\s+class="contents[^"]*"[^>]*>.*?</div>'
_BACKREF_LINK = r'<a[^>]*class="[^"]*toc-backref[^"]*"[^>]*>(.*?)</a>'


def install() -> None:
    """Replace Pelican's three functions (once per process; idempotent)."""
    from pelican import contents, readers, utils

    code = getattr(readers.find_empty_alt, "__code__", None)
    if code is not None and code.co_names == _FIND_EMPTY_ALT_NAMES and _IMAGES in code.co_consts:
        find_empty_alt.pelicans = readers.find_empty_alt
        readers.find_empty_alt = find_empty_alt

    truncator = utils._HTMLWordTruncator
    if truncator.getoffset.__code__.co_names == ("getpos", "range", "rawdata", "index"):
        getoffset.pelicans = truncator.getoffset             # for the tests
        truncator.getoffset = getoffset
    pelicans = contents.strip_toc_elements_from_html
    code = getattr(pelicans, "__code__", None)
    if code is not None and code.co_names == ("re", "sub", "DOTALL", "IGNORECASE") \
            and {_CONTENTS_DIV, _BACKREF_LINK, "", "\\1"} <= set(code.co_consts):
        strip_toc.pelicans = pelicans
        contents.strip_toc_elements_from_html = strip_toc


def getoffset(self) -> int:
    """_HTMLWordTruncator.getoffset: where in the HTML the parser is (its line and column as an offset)."""
    lineno, column = self.getpos()
    text, known = self.rawdata, self.__dict__.get("_islet_line_starts")
    if known is None or known[0] is not text:      # (the text a parser holds changes only between feeds)
        known = self._islet_line_starts = (text, [0, *(m.end() for m in _NEWLINE.finditer(text))])
    if lineno > len(known[1]):
        raise ValueError("substring not found")      # as Pelican's str.index would
    return known[1][lineno - 1] + column


def strip_toc(html: str) -> str:
    """strip_toc_elements_from_html: the table of contents' <div class="contents…">…</div> removed, then each
    <a class="…toc-backref…">text</a> replaced by its text."""
    return _unlink_backrefs(_drop_contents(html))


def _positions(pattern: str, text: str) -> list[int]:
    return [m.start() for m in re.finditer(pattern, text, _FLAGS)]


def _after(positions: list[int], start: int) -> int | None:
    """The first of `positions` (sorted) at or after `start`."""
    index = bisect_left(positions, start)
    return positions[index] if index < len(positions) else None


def _drop_contents(html: str) -> str:
    # A match is forced once it starts: `[^"]*"` ends at the next quote, `[^>]*>` at the next ">", `.*?</div>`
    # at the next "</div>". The starts (`<div\s+class="contents`) cannot overlap one another.
    if not re.search(r'class="contents', html, _FLAGS):     # (not str.lower: re's case folding is wider)
        return html
    quotes, ends, closes = _positions('"', html), _positions(">", html), _positions("</div>", html)
    out, done = [], 0
    for start in re.finditer(r'<div\s+class="contents', html, _FLAGS):
        if start.start() < done:
            continue
        quote = _after(quotes, start.end())
        end = _after(ends, quote + 1) if quote is not None else None
        close = _after(closes, end + 1) if end is not None else None
        if close is not None:
            out.append(html[done:start.start()])
            done = close + len("</div>")
    return "".join(out) + html[done:] if out else html


def _unlink_backrefs(html: str) -> str:
    # From an "<a" at `start`, `[^>]*` may reach any `class="` before the next ">" (`tag_end`); the expression
    # backtracks from the last of them, and takes the first for which the rest matches. The rest is forced by
    # where `class="` is: the value runs to the next quote and must hold "toc-backref", then come the next ">"
    # and the next "</a>". Whether it matches does not depend on `start`, so when no `class="` serves one
    # "<a", none serves a later "<a" before the same ">": the search goes on after that ">".
    if not re.search("toc-backref", html, _FLAGS):
        return html
    opens, classes = _positions("<a", html), _positions('class="', html)
    quotes, ends, closes = _positions('"', html), _positions(">", html), _positions("</a>", html)
    backrefs = _positions("toc-backref", html)

    def rest(at: int) -> tuple[int, int] | None:
        """(the ">" ending the tag, the "</a>") when the value of the `class="` at `at` serves, else None."""
        value = at + len('class="')
        quote = _after(quotes, value)
        backref = _after(backrefs, value)
        if quote is None or backref is None or backref + len("toc-backref") > quote:
            return None
        end = _after(ends, quote + 1)
        close = _after(closes, end + 1) if end is not None else None
        return (end, close) if close is not None else None

    out, done, index = [], 0, 0
    while index < len(opens):
        start = opens[index]
        if start < done:
            index += 1
            continue
        tag_end = _after(ends, start + 2)
        first, last = bisect_left(classes, start + 2), bisect_left(classes, len(html) if tag_end is None else tag_end)
        found = next((r for r in map(rest, reversed(classes[first:last])) if r is not None), None)
        if found is None:
            if tag_end is None:
                break
            index = bisect_left(opens, tag_end)
            continue
        end, close = found
        out.append(html[done:start] + html[end + 1:close])
        done = close + len("</a>")
        index = bisect_left(opens, done)
    return "".join(out) + html[done:] if out else html


# Pelican's find_empty_alt: the expression (re.X) and the names its code uses.
_IMAGES = """
        (?:
            # src before alt
            <img
            [^\\>]*
            src=(['"])(.*?)\\1
            [^\\>]*
            alt=(['"])\\3
        )|(?:
            # alt before src
            <img
            [^\\>]*
            alt=(['"])\\4
            [^\\>]*
            src=(['"])(.*?)\\5
        )
        """
_FIND_EMPTY_ALT_NAMES = ('re', 'compile', 'X', 'findall', 'logger', 'warning', 'os', 'path', 'basename')


def find_empty_alt(content: str, path: str) -> None:
    """Pelican's warning for each image with an empty alt attribute, by its file name."""
    import os

    from pelican.readers import logger

    for source in empty_alt_sources(content):
        logger.warning("Empty alt attribute for image %s in %s", os.path.basename(source), path,
                       extra={"limit_msg": "Other images have empty alt attributes"})


def empty_alt_sources(html: str) -> list[str]:
    """The src of each match of `_IMAGES` in `html`, as ``re.findall`` finds them (``m[1] + m[5]``).

    A match starts at "<img"; `[^>]*` reaches any `src=`/`alt=` before the next ">" (`tag_end`), the last first.
    "src before alt": from a src= (quote Q), the value ends at the first Q on its line after which an alt=""
    (or alt='') comes before the next ">" (the last such alt= ends the match). "alt before src": an alt=""
    then a src= whose value ends at the first Q on its line (the match ends there). Whether a src= serves
    does not depend on where the match starts: the answer for each is worked out once."""
    if not re.search("alt=(?:\"\"|'')", html):        # no match can exist (the common case)
        return []

    def at(pattern: str) -> list[int]:         # (case matters here: Pelican's expression has no IGNORECASE)
        return [m.start() for m in re.finditer(pattern, html)]

    starts, ends, lines, alts, srcs = at("<img"), at(">"), at("\n"), at("alt=(?:\"\"|'')"), at("src=['\"]")
    size = len(html)

    def before_next_end(start: int) -> int:
        end = _after(ends, start)
        return size if end is None else end

    def last_alt(low: int, high: int) -> int | None:
        """The last alt="" starting in [low, high)."""
        index = bisect_left(alts, high) - 1
        return alts[index] if index >= 0 and alts[index] >= low else None

    # A quote Q closes a src value in "src before alt" when an alt="" follows it before the next ">".
    quotes = {quote: at(quote) for quote in "\"'"}
    closing = {quote: [v for v in quotes[quote] if last_alt(v + 1, before_next_end(v + 1)) is not None]
               for quote in quotes}
    first_src, second_src = [], []       # src= that serve "src before alt" (with the match's end) / "alt before src"
    for src in srcs:
        quote, value = html[src + 4], src + 5
        line_end = _after(lines, value)
        line_end = size if line_end is None else line_end
        close = _after(closing[quote], value)
        if close is not None and close < line_end:
            alt = last_alt(close + 1, before_next_end(close + 1))
            first_src.append((src, html[value:close], alt + 6))
        close = _after(quotes[quote], value)
        if close is not None and close < line_end:
            second_src.append((src, html[value:close], close + 1))

    def last_serving(serving: list, low: int, high: int):
        index = bisect_left(serving, (high,)) - 1
        return serving[index] if index >= 0 and serving[index][0] >= low else None

    found, index = [], 0
    while index < len(starts):
        start = starts[index]
        tag_end = before_next_end(start + 4)
        match = last_serving(first_src, start + 4, tag_end)
        if match is None:
            second = last_serving(second_src, start + 4, tag_end)
            if second is not None and last_alt(start + 4, second[0] - 5) is not None:
                match = second
        if match is None:
            index = bisect_left(starts, tag_end)          # no "<img" before that ">" can match either
            continue
        found.append(match[1])
        index = bisect_left(starts, match[2])
    return found
