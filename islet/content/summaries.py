"""Pelican's summaries in linear time: an article's HTML cannot stall the build where its summary is made.

Pelican makes the summary of an article without a ``Summary:`` when a template or feed first asks for it:
``truncate_html_words`` keeps the first words, then ``strip_toc_elements_from_html`` removes what would be
broken links there. Both take quadratic time on HTML without words (every piece of it is kept):

* the truncating parser finds where each piece of text starts by counting lines from the top, again for
  each piece (10,000 lines of ``` took 25 s);
* the two expressions of the stripping try to match at every ``<a`` (or ``<div class="contents``), each
  time scanning to the next ``>``, quote or closing tag, however far that is (20,000 ``<a `` in a
  ``<div>`` took 12 s, twice as many four times as long).

`install` puts in their place versions with the same results in linear time: the line starts are found
once per document (`getoffset`), and `strip_toc` finds each expression's matches from sorted lists of
where its literal parts are. Only over the functions they were written for (Pelican 4.x's, recognised by
the names and constants their code uses); another Pelican keeps its own.
tests/content/test_summaries.py compares them with Pelican's on generated HTML.
"""
from __future__ import annotations

import re
from bisect import bisect_left

_NEWLINE = re.compile("\n")
_FLAGS = re.DOTALL | re.IGNORECASE
_CONTENTS_DIV = r'<div\s+class="contents[^"]*"[^>]*>.*?</div>'
_BACKREF_LINK = r'<a[^>]*class="[^"]*toc-backref[^"]*"[^>]*>(.*?)</a>'


def install() -> None:
    """Replace Pelican's two functions (once per process; idempotent)."""
    from pelican import contents, utils

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
