"""Search-index stage: every published article → ``search.json``, the only file site search downloads.

The browser side is ``widgets/search.py``; this module and that widget agree on one format:

    {"version": 1,
     "fields": ["title", "url", "date", "day", "category", "tags", "snippet", "terms"],
     "docs": [["Title", "articles/x.html", "2026-06-30", "30 June 2026", "Category", ["tag", …], "First 40 words…",
               "term term …"], …],
     "stopwords": "a about after …"}

  - `url` is relative to the site root; `date` is ISO (YYYY-MM-DD), `day` the date as the site shows it.
  - docs are newest first, then by url: the widget breaks ties between equal scores by this order.
  - `snippet` is the summary (or the start of the body) as plain text, at most SNIPPET_WORDS words.
  - `terms` holds the body's other words, for matching only: folded (lower case, accents removed, see `fold`),
    deduplicated, sorted, without stopwords, one-letter words or any word the title, tags, category or snippet
    already contain (the widget tokenizes those itself), and at most MAX_TERMS of them (the most frequent).
  - Arrays rather than objects, one string of terms rather than a list: the key names and quotes would
    otherwise be a third of the file. The result is compact JSON, the same bytes for the same articles.

`fold` and `tokenize` are mirrored in widgets/search.py (which must compile to JavaScript, so it cannot import
this module); tests/output/test_search_index.py and tests/test_widget_search.py check that the two agree, in CPython
and in node. The stopwords travel in the index, so the widget's JavaScript does not carry them on every page.
"""
from __future__ import annotations

import gzip
import json
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable

from islet.build.memo import fresh

FORMAT_VERSION = 1
FIELDS = ["title", "url", "date", "day", "category", "tags", "snippet", "terms"]
SNIPPET_WORDS = 40
MAX_TERMS = 100
FILENAME = "search.json"

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

# Apostrophes join ("reader's" → "readers"); every other character is a letter/digit or a separator.
APOSTROPHES = "'\u2019"


def fold(text: str) -> str:
    """Lower case without accents: 'Été' → 'ete'. Only combining marks U+0300–U+036F are dropped, which
    is exactly what the widget's JavaScript does with String.prototype.normalize."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not "\u0300" <= char <= "\u036f")


def is_word_char(char: str) -> bool:
    """For folded text: letters and digits of any script count; ASCII/Latin-1 punctuation, general punctuation
    and symbols (U+2000–U+2BFF), CJK punctuation and anything outside the BMP separate words. (Fullwidth and
    small-form punctuation need no rule: NFKD in `fold` has turned them into ASCII.)"""
    code = ord(char)
    if code < 0xC0:
        return ("a" <= char <= "z") or ("0" <= char <= "9")
    if code == 0xD7 or code == 0xF7:
        return False
    if 0x2000 <= code <= 0x2BFF or 0x3000 <= code <= 0x303F or 0xD800 <= code <= 0xDFFF or code > 0xFFFF:
        return False
    return True


def tokenize(text: str) -> list[str]:
    """Folded words in order, duplicates kept: "Don't panic — it's Été!" → ['dont', 'panic', 'its', 'ete']."""
    words, word = [], ""
    for char in fold(text):
        if char in APOSTROPHES:
            continue
        if is_word_char(char):
            word += char
        elif word:
            words.append(word)
            word = ""
    if word:
        words.append(word)
    return words


class _Text(HTMLParser):
    """Collects the text of an HTML fragment. Tags separate words; script/style/svg/template contents
    (a widget's JSON props, a chart's drawing) are not text a reader searches for."""

    SKIP = {"script", "style", "svg", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """HTML → text with whitespace collapsed: '<p>A&amp;B</p>\\n<p>c</p>' → 'A&B c'."""
    parser = _Text()
    parser.feed(html or "")
    parser.close()
    return " ".join("".join(parser.parts).split())


def snippet(text: str, words: int = SNIPPET_WORDS) -> str:
    """The first `words` words of plain text, with '…' when something was cut."""
    parts = text.split()
    return " ".join(parts[:words]) + ("\u2026" if len(parts) > words else "")


def body_terms(body: str, known: Iterable[str], limit: int | None = None) -> str:
    """The body's searchable words not already in `known`: the `limit` most frequent (ties: alphabetical),
    then sorted, space-separated. Frequency decides only which words are kept when there are too many."""
    seen = set(known)
    counts = Counter(w for w in tokenize(body) if len(w) > 1 and w not in STOPWORDS and w not in seen)
    kept = sorted(counts, key=lambda w: (-counts[w], w))[:MAX_TERMS if limit is None else limit]
    kept.sort()
    # A word that starts another kept word adds nothing to prefix matching ("key" is found through
    # "keyboard"); dropping it only turns an exact match into a prefix match, one point less.
    return " ".join(w for w, after in zip(kept, kept[1:] + [""]) if not after.startswith(w))


def make_doc(entry: dict[str, Any], terms=body_terms) -> list:
    """One entry → one doc row. Entries have title, url, date (ISO), category, tags, summary and body (plain
    text); optionally day, the date as the site shows it (default: the ISO date)."""
    title = " ".join(str(entry["title"]).split())
    tags = [" ".join(str(t).split()) for t in entry.get("tags") or []]
    category = str(entry.get("category") or "")
    body = entry.get("body") or ""
    short = snippet(entry.get("summary") or body)
    known = tokenize(" ".join([title, category, short] + tags))
    date = str(entry.get("date") or "")
    return [title, str(entry["url"]), date, str(entry.get("day") or date), category, tags, short,
            terms(body, known)]


def build_index(entries: Iterable[dict[str, Any]], terms=body_terms) -> str:
    """Entries → the index as compact JSON text (module docstring). Deterministic: newest first, then by url."""
    docs = [make_doc(e, terms) for e in entries]
    docs.sort(key=lambda d: d[1])
    docs.sort(key=lambda d: d[2], reverse=True)   # stable: equal dates keep url order
    return json.dumps({"version": FORMAT_VERSION, "fields": FIELDS, "docs": docs, "stopwords": " ".join(sorted(STOPWORDS))},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True)


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


def write_index(output_dir: Path, articles: Iterable[Any], memoised=fresh) -> Path:
    """Write ``output_dir/search.json`` for the published `articles`; returns its path. `memoised(name,
    function)` may remember the costly parts, text and terms of each article, across builds
    (islet.build.incremental.memoised)."""
    text = memoised("search-text", plain_text)
    terms = memoised("search-terms", lambda body, known: body_terms(body, known.split()))
    path = Path(output_dir) / FILENAME
    index = build_index(entries_from_articles(articles, text), lambda body, known: terms(body, " ".join(known)))
    path.write_text(index, encoding="utf-8")
    return path


def size_line(path: Path) -> str:
    """For the build report: 'Search index: search.json, 15 articles, 14,012 B (5,790 B gzipped).'"""
    body = Path(path).read_bytes()
    count = len(json.loads(body)["docs"])
    return (f"Search index: {Path(path).name}, {count} article{'s' if count != 1 else ''}, {len(body):,} B "
            f"({len(gzip.compress(body, 9, mtime=0)):,} B gzipped).")
