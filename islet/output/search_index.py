"""Search-index stage: every published article → the sharded index the search widget reads.

The format (a small manifest, ``search.json``; shards of terms, doc tables and one fragment per article, all
named by the hash of their bytes) is islet.output.search_shards'; this module turns Pelican's articles into its
docs and writes the files. The browser side is ``widgets/search.py``.

`fold` and `tokenize` are mirrored in widgets/search.py (which must compile to JavaScript, so it cannot import
this module); tests/output/test_search_index.py and tests/test_widget_search.py check that the two agree, in CPython
and in node. The stopwords travel in the manifest, so the widget's JavaScript does not carry them on every page.
"""
from __future__ import annotations

import gzip
import os
import re
import time
import unicodedata
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any, Iterable

from islet.build.memo import fresh

from . import search_shards

FILENAME = "search.json"     # the manifest; the rest is under search/

# Words too common to tell articles apart. Kept short: every query word must match somewhere, so a query word
# in this list (other than the last, which may still be the start of a longer word) is ignored by the widget,
# which reads the list from the index.
STOPWORDS = frozenset("""
a about after all also an and any are as at be because been before but by can could did do does doing done
each for from had has have having he her here hers him his how i if in into is it its just like me more most
my no nor not now of off on once only or other our ours out over own same she should so some such than that
the their theirs them then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours
""".split())

# The same patterns as widgets/search.py's (tests check both against `is_word_char`'s rule, in CPython and node).
_COMBINING = re.compile("[\u0300-\u036f]")
_WORD = re.compile("[a-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u1fff\u2c00-\u2fff\u3040-\ud7ff\ue000-\uffff]+")
_APOSTROPHE = re.compile("['\u2019]")     # removed before splitting: apostrophes join


def fold(text: str) -> str:
    """Lower case without accents: 'Été' → 'ete'. Only combining marks U+0300–U+036F are dropped, which
    is exactly what the widget's JavaScript does with String.prototype.normalize."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower()))


def is_word_char(char: str) -> bool:
    """For folded text: letters and digits of any script count; ASCII/Latin-1 punctuation, general punctuation
    and symbols (U+2000–U+2BFF), CJK punctuation and anything outside the BMP separate words. (Fullwidth and
    small-form punctuation need no rule: NFKD in `fold` has turned them into ASCII.)"""
    return _WORD.fullmatch(char) is not None


def tokenize(text: str) -> list[str]:
    """Folded words in order, duplicates kept: "Don't panic — it's Été!" → ['dont', 'panic', 'its', 'ete']."""
    return _WORD.findall(_APOSTROPHE.sub("", fold(text)))


# What a reader does not search: a widget's JSON props, a chart's drawing, styles, comments. Then any tag (a "<"
# followed by a letter, "/", "!" or "?", as HTML has it), its quoted attribute values included (a ">" may be in one).
# Every pattern stops at the next "<", and hidden parts are skipped with str.find: linear in the HTML, whatever
# an untrusted article holds (an unclosed "<script" or quote costs one scan, not one per occurrence).
_HIDDEN = re.compile(r"<(script|style|svg|template)\b|<!--", re.I)
_TAG = re.compile(r"""</?[A-Za-z!?](?:[^<>"']|"[^"<]*"|'[^'<]*')*>""")


def _visible(html: str) -> str:
    """`html` without its hidden parts (each replaced by a space; a comment by nothing, as a parser has it)."""
    lower, parts, at = html.lower(), [], 0
    while (found := _HIDDEN.search(html, at)) is not None:
        parts.append(html[at:found.start()])
        if found[1] is None:                                   # a comment
            end = lower.find("-->", found.end())
            at = len(html) if end < 0 else end + 3
            continue
        parts.append(" ")
        end = lower.find("</" + found[1].lower(), found.end())
        close = -1 if end < 0 else lower.find(">", end)
        at = len(html) if close < 0 else close + 1
    parts.append(html[at:])
    return "".join(parts)


def plain_text(html: str) -> str:
    """HTML → text with whitespace collapsed: '<p>A&amp;B</p>\\n<p>c</p>' → 'A&B c'. Tags separate words.
    (Regular expressions rather than an HTML parser: this runs on every article, and a parser took most of
    the index's build time; tests check both agree on the HTML Pelican writes.)"""
    return " ".join(unescape(_TAG.sub(" ", _visible(html or ""))).split())


def analyse(title: str, labels: str, text: str) -> dict[str, int]:
    """A doc's terms and their weights (search_shards.weights) from its title, its category and tags, and its
    summary and body: the costly part of the index, remembered per article across builds."""
    return search_shards.weights(tokenize(title), tokenize(labels), tokenize(text), STOPWORDS)


def make_doc(entry: dict[str, Any], terms=analyse) -> search_shards.Doc:
    """An entry (title, url, date as ISO, category, tags, summary and body as plain text; optionally day, the
    date as the site shows it) → the index's doc. `terms` is `analyse`, or a memo of it."""
    title = " ".join(str(entry["title"]).split())
    labels = [str(entry.get("category") or "")] + [" ".join(str(t).split()) for t in entry.get("tags") or []]
    summary, body = " ".join(str(entry.get("summary") or "").split()), " ".join(str(entry.get("body") or "").split())
    date = str(entry.get("date") or "")
    return search_shards.Doc(title, str(entry["url"]), date, str(entry.get("day") or date), summary, body,
                             terms(title, " ".join(labels), summary + " " + body))


def entries_from_articles(articles: Iterable[Any], plain_text=plain_text) -> list[dict[str, Any]]:
    """Pelican Article objects → entries. Reads the HTML before Pelican rewrites its links (``_content``),
    so building the index logs nothing and depends on no page's relative URLs."""
    entries = []
    for article in articles:
        html = getattr(article, "_content", None)
        if html is None:
            html = article.content
        summary = article.metadata.get("summary") if hasattr(article, "metadata") else None
        category = getattr(article, "category", None)
        date = getattr(article, "date", None)
        entries.append({
            "title": plain_text(str(article.title)),
            "url": article.url,
            "date": date.date().isoformat() if date else "",
            "day": str(getattr(article, "locale_date", "") or ""),   # as the theme prints it (DEFAULT_DATE_FORMAT)
            "category": category.name if category is not None else "",
            "tags": [tag.name for tag in getattr(article, "tags", None) or []],
            "summary": plain_text(summary) if summary else "",
            "body": plain_text(html),
        })
    return entries


def build_index(entries: Iterable[dict[str, Any]], terms=analyse) -> search_shards.Index:
    """Entries → the index's files (islet.output.search_shards). Same entries, same bytes."""
    return search_shards.build([make_doc(e, terms) for e in entries], STOPWORDS)


@dataclass
class Written:
    index: search_shards.Index
    linked: int          # files the previous build had under the same name: linked, not written
    seconds: float


def write_index(output_dir: Path, articles: Iterable[Any], memoised=fresh, previous: Path | None = None) -> Written:
    """Write the index of the published `articles` into `output_dir`. A file the `previous` build's output
    has (same name, so same bytes) is hard-linked from there: an edit writes only the files it changed.
    `memoised(name, function)` may remember each article's text and terms across builds
    (islet.build.incremental.memoised)."""
    started = time.perf_counter()
    entries = entries_from_articles(articles, memoised("search-text", plain_text))
    index = build_index(entries, memoised("search-terms", analyse))
    output_dir, linked = Path(output_dir), 0
    for folder in {str(Path(path).parent) for path in index.files}:
        (output_dir / folder).mkdir(parents=True, exist_ok=True)
    for path, body in index.files.items():
        target = output_dir / path
        if previous is not None and path != FILENAME:
            try:
                os.link(previous / path, target)
                linked += 1
                continue
            except OSError:
                pass
        target.write_bytes(body)
    return Written(index, linked, time.perf_counter() - started)


def gzipped(body: bytes) -> int:
    """The bytes a file takes on the wire with gzip (level 6, a CDN's usual)."""
    return len(gzip.compress(body, 6, mtime=0))


def size_line(written: Written) -> str:
    """For the build report: 'Search index: 15 articles, 4 shards (largest 1,210 B gzipped), …'."""
    index = written.index
    shards = sorted(gzipped(b) for p, b in index.files.items() if p.startswith("search/t/"))
    fragments = sorted(len(b) for p, b in index.files.items() if p.startswith("search/f/"))
    count = index.docs
    return (f"Search index: {count:,} article{'s' if count != 1 else ''}, {len(shards):,} shard"
            f"{'s' if len(shards) != 1 else ''} (largest {max(shards, default=0):,} B gzipped), manifest "
            f"{gzipped(index.files[FILENAME]):,} B gzipped, fragments of {fragments[len(fragments) // 2] if fragments else 0:,} B "
            f"(median); {len(index.files) - written.linked:,} files written, {written.linked:,} unchanged; "
            f"{written.seconds:.2f} s.")
