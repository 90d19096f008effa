"""The search index stage: text extraction, folding, docs from entries and from Pelican Article objects,
the files written (unchanged ones linked from the previous build), the report line, and the sizes a query
downloads from a thousand synthetic articles. The format itself: test_search_shards.py."""
from __future__ import annotations

import bisect
import gzip
import itertools
import json
import random
from datetime import datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings, strategies as st

from islet.errors import time_limit
from islet.output import search_index as si
from widgets import search

HOSTILE = "</script><img src=x onerror=alert(1)> \"quoted\" 'single' back\\slash"


def entry(title="A title", url="articles/a.html", date="2026-01-01", **more):
    return {"title": title, "url": url, "date": date, "category": "Notes", "tags": [], "summary": "", "body": "",
            **more}


# ---------------------------------------------------------------- text

@pytest.mark.parametrize("text, words", [
    ("Hello, World!", ["hello", "world"]),
    ("Don't panic \u2014 it\u2019s \u00c9t\u00e9", ["dont", "panic", "its", "ete"]),
    ("client-side search_index v2.0", ["client", "side", "search", "index", "v2", "0"]),
    ("Stra\u00dfe \u039f\u0394\u039f\u03a3 na\u00efve \ufb01le \uff21\uff22", ["stra\u00dfe", "\u03bf\u03b4\u03bf\u03c2", "naive", "file", "ab"]),
    ("emoji\U0001F600between \u00d7 times", ["emoji", "between", "times"]),
    ("   ", []),
    ("", []),
])
def test_tokenize_folds_case_and_accents_and_splits_on_punctuation(text, words):
    assert si.tokenize(text) == words
    assert search.tokenize(text) == words      # the widget's copy agrees (compiled: test_widget_search.py)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30) |
       st.text(alphabet="aZ09 'é\u2019\u0301\u00d7\u00f7\u2000\u2bff\u2c00\u303f\u3040\ufb01-.", max_size=20))
def test_tokenize_follows_the_word_rule_character_by_character(text):
    """Index and widget tokenize with regular expressions (speed, bytes); this is the rule they stand for."""
    words, word = [], ""
    for char in si.fold(text):
        if char in "'\u2019":
            continue
        if is_word_char(char):
            word += char
        elif word:
            words.append(word)
            word = ""
    words += [word] if word else []
    assert si.tokenize(text) == search.tokenize(text) == words


def is_word_char(char: str) -> bool:
    """For folded text: letters and digits of any script count; ASCII/Latin-1 punctuation, general punctuation
    and symbols (U+2000–U+2BFF), CJK punctuation and anything outside the BMP separate words."""
    code = ord(char)
    if code < 0xC0:
        return ("a" <= char <= "z") or ("0" <= char <= "9")
    return not (code in (0xD7, 0xF7) or 0x2000 <= code <= 0x2BFF or 0x3000 <= code <= 0x303F
                or 0xD800 <= code <= 0xDFFF or code > 0xFFFF)


def test_widget_and_index_share_the_word_rules():
    for code in list(range(0, 0x3100)) + [0xD7FF, 0xE000, 0xFE10, 0xFE6F, 0xFF00, 0xFF10, 0xFF1A, 0xFF21, 0xFFFF]:
        assert si.is_word_char(chr(code)) == is_word_char(chr(code)), hex(code)


class ParsedText(HTMLParser):
    """The reference for `plain_text`: what an HTML parser says is text, outside script/style/svg/template."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        self.skipping += tag in ("script", "style", "svg", "template")
        self.parts.append(" ")

    def handle_endtag(self, tag):
        self.skipping -= tag in ("script", "style", "svg", "template") and self.skipping > 0
        self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append("" if self.skipping else data)

    @classmethod
    def text(cls, html):
        parser = cls()
        parser.feed(html)
        parser.close()
        return " ".join("".join(parser.parts).split())


FRAGMENTS = st.sampled_from([
    "<p>", "</p>", "<em>", "</em>", '<a href="x.html" title="a > b">', "</a>", "<br>", "<h2 id='t'>", "</h2>",
    '<script type="application/json">{"a": "<b>"}</script>', "<svg><text>axis</text></svg>", "<style>p{}</style>",
    "<template><p>t</p></template>", "<!-- note -->", "&amp;", "&lt;script&gt;", "&eacute;", "&#8217;", " ",
    "word", "Caf\u00e9", "x < y", "\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=25))
def test_plain_text_agrees_with_an_html_parser_on_what_pelican_writes(parts):
    html = "".join(parts)
    assert si.plain_text(html) == ParsedText.text(html)


@pytest.mark.parametrize("hostile", ["<a" * 200_000, '<a title="' * 200_000, "<script>" * 200_000,
                                     "<!--" * 200_000, "<svg" + "x" * 500_000 + "</sv" * 50_000])
def test_plain_text_is_linear_on_hostile_html(hostile):
    """An untrusted article must not hang the build: an unclosed tag, quote, script or comment, repeated."""
    with time_limit(10):      # a hang or a blow-up fails the test (TimeLimitExceeded)
        assert len(si.plain_text(hostile)) <= len(hostile)


def test_plain_text_strips_markup_scripts_and_entities():
    html = ('<h2 id="x">Caf&eacute; &amp; <em>co</em></h2>\n<p>one<br>two</p>'
            '<script type="application/json">{"secret": 1}</script><svg><text>axis</text></svg>'
            '<style>p{}</style><pre><code>print(1)</code></pre>')
    assert si.plain_text(html) == "Caf\u00e9 & co one two print(1)"
    assert si.plain_text("") == ""


def test_docs_collapse_whitespace_and_weigh_title_labels_and_body():
    doc = si.make_doc(entry(title="  Static\n search ", tags=["static hosting"], summary="Short.",
                            body="Search the search index, twice: search. A b the"))
    assert (doc.title, doc.summary, doc.body) == ("Static search", "Short.", "Search the search index, twice: search. A b the")
    assert doc.terms == {"static": 3, "search": 4 * 3 + 2, "hosting": 1, "notes": 1, "short": 4, "index": 4,
                         "twice": 4}            # no stopwords, no one-letter words; level 3: said three times


def test_hostile_text_survives_as_data():
    index = si.build_index([entry(title=HOSTILE, tags=[HOSTILE], summary=HOSTILE + "\n\u2028line", body=HOSTILE)])
    fragment = json.loads(next(b for p, b in index.files.items() if p.startswith("search/f/")))
    assert fragment[0] == HOSTILE
    assert fragment[4] == HOSTILE + " line"       # whitespace (U+2028 too) collapsed, the text itself unchanged
    assert all(b"\n" not in body for body in index.files.values())


def test_entries_from_real_pelican_articles():
    from pelican.contents import Article, Category, Tag
    from pelican.settings import DEFAULT_CONFIG

    settings = {**DEFAULT_CONFIG, "ARTICLE_URL": "articles/{slug}.html", "ARTICLE_SAVE_AS": "articles/{slug}.html"}
    html = ('<p>Searching &amp; <a href="{filename}/other.md">linking</a> the caf&eacute;.</p>'
            '<div class="islet"><script type="application/json">{"x":1}</script><form>Search</form></div>')
    article = Article(html, metadata={
        "title": "Static &amp; searchable", "slug": "static", "date": datetime(2026, 3, 14, 9, 30),
        "category": Category("Architecture", settings), "tags": [Tag("static hosting", settings), Tag("search", settings)],
        "summary": "<p>Short <em>summary</em>.</p>"}, settings=settings)
    entries = si.entries_from_articles([article])
    assert entries == [{"title": "Static & searchable", "url": "articles/static.html", "date": "2026-03-14",
                        "day": "Sat 14 March 2026",
                        "category": "Architecture", "tags": ["static hosting", "search"], "summary": "Short summary .",
                        "body": "Searching & linking the caf\u00e9. Search"}]
    doc = si.make_doc(entries[0])
    assert doc.day == "Sat 14 March 2026" and doc.terms["cafe"] == 4 and doc.terms["static"] == 3


def pelican_articles(count: int, settings=None) -> list:
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    return [Article(f"<p>Body words here, article {n} of many.</p>",
                    metadata={"title": f"T{n}", "slug": f"t{n}", "date": datetime(2026, 1, 1 + n)},
                    settings={**DEFAULT_CONFIG}) for n in range(count)]


def test_write_index_writes_the_files_and_links_the_unchanged_ones(tmp_path):
    articles = pelican_articles(3)
    first = si.write_index(tmp_path / "one", articles)
    assert json.loads((tmp_path / "one" / "search.json").read_text())["docs"] == 3
    assert sorted(p.relative_to(tmp_path / "one").as_posix() for p in (tmp_path / "one").rglob("*.json")) == \
        sorted(first.index.files)
    assert first.linked == 0
    articles[1]._content = "<p>Other words entirely now.</p>"
    second = si.write_index(tmp_path / "two", articles, previous=tmp_path / "one")
    changed = set(second.index.files) - set(first.index.files)
    assert second.linked == len(second.index.files) - len(changed) - ("search.json" not in changed)
    assert {p.split("/")[1] for p in changed if p != "search.json"} >= {"f", "d", "t"}   # its fragment, table, shards
    for path in set(second.index.files) & set(first.index.files) - {"search.json"}:
        assert (tmp_path / "two" / path).stat().st_ino == (tmp_path / "one" / path).stat().st_ino
    line = si.size_line(second)
    assert line.startswith("Search index: 3 articles, ") and f"{second.linked:,} unchanged" in line


# ---------------------------------------------------------------- size

SYLLABLES = ("ka to ri men sa lo ver tion pro con de in ex ple ment al ic ing er ous ble ab ac ad an ar as at ba be "
             "bi bo ca ce ci co cu da di do du fa fe fi fo ga ge gi go ha he hi ho la le li lu ma me mi mo mu na ne "
             "ni no nu pa pe pi po pu ra re ro ru se si so su ta te ti tu va ve vi vo").split()


def synthetic_entries(count: int, seed: int = 1) -> list[dict]:
    """`count` articles of 500–1,500 words drawn from a 40,000-word Zipf vocabulary (stopwords first, then
    made-up words, which compress worse than English, so sizes measured on them are an upper bound);
    each article repeats fifteen topic words of its own, as real articles do."""
    rng = random.Random(seed)
    vocab = sorted(si.STOPWORDS)
    seen = set(vocab)
    while len(vocab) < 40000:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            vocab.append(word)
    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(vocab) + 1)))
    entries = []
    for number in range(count):
        topic = [vocab[rng.randrange(200, 8000)] for _ in range(15)]
        words = [rng.choice(topic) if rng.random() < 0.08 else vocab[bisect.bisect(weights, rng.random() * weights[-1])]
                 for _ in range(rng.randrange(500, 1500))]
        title = " ".join(topic[:rng.randrange(3, 8)]).capitalize()
        entries.append({"title": title, "url": f"articles/{'-'.join(title.lower().split())}-{number}.html",
                        "date": f"20{10 + number % 16:02d}-{1 + number % 12:02d}-{1 + number % 28:02d}",
                        "category": rng.choice(["Architecture", "Tooling", "Performance", "Python", "Notes"]),
                        "tags": sorted({rng.choice(topic) for _ in range(3)}), "summary": " ".join(words[:45]),
                        "body": " ".join(words)})
    return entries


def test_a_query_downloads_a_few_kilobytes_of_a_thousand_articles():
    """What the widget fetches for typical queries (islet.dev.bench_search.downloads, the widget's own functions
    under CPython), gzipped: the index's size hardly matters, only its shards' and the shown results'."""
    from islet.dev.bench_search import downloads

    index = si.build_index(synthetic_entries(1000))
    total = sum(len(gzip.compress(b, 6, mtime=0)) for b in index.files.values())
    common = max((t for d in [si.make_doc(e) for e in synthetic_entries(50)] for t in d.terms), key=len)
    for query in ("software", common, f"{common} software network", common[:3]):
        fetched = downloads(index.files, query, 8)
        gz = sum(len(gzip.compress(index.files[p], 6, mtime=0)) for p in fetched)
        print(f"\n{query!r}: {len(fetched)} files, {gz:,} B gzipped of {total:,} B")
        assert gz < 60_000 and gz < total / 10
