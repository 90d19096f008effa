"""The search index: text extraction, folding, the word lists, the JSON format (deterministic, escaped),
Pelican Article objects in, and its size for a thousand synthetic articles."""
from __future__ import annotations

import bisect
import gzip
import itertools
import json
import random
from datetime import datetime

import pytest

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


def test_widget_and_index_share_the_word_rules():
    assert search.APOSTROPHES == si.APOSTROPHES
    for code in list(range(0, 0x3100)) + [0xD7FF, 0xE000, 0xFE10, 0xFE6F, 0xFF00, 0xFF10, 0xFF1A, 0xFF21, 0xFFFF]:
        assert search.is_word_char(chr(code)) == si.is_word_char(chr(code)), hex(code)


def test_plain_text_strips_markup_scripts_and_entities():
    html = ('<h2 id="x">Caf&eacute; &amp; <em>co</em></h2>\n<p>one<br>two</p>'
            '<script type="application/json">{"secret": 1}</script><svg><text>axis</text></svg>'
            '<style>p{}</style><pre><code>print(1)</code></pre>')
    assert si.plain_text(html) == "Caf\u00e9 & co one two print(1)"
    assert si.plain_text("") == ""


def test_snippet_keeps_the_first_words_and_marks_a_cut():
    assert si.snippet("one two three", 3) == "one two three"
    assert si.snippet("one two three four", 3) == "one two three\u2026"
    assert si.snippet("  spaced\n\nout  ", 5) == "spaced out"


def test_body_terms_are_unique_sorted_without_stopwords_known_words_or_covered_prefixes():
    body = "The widgets and the widget: Keyboard keys, key. Zebra zebra a b static Static STATIC caf\u00e9"
    assert si.body_terms(body, ["zebra"]) == "cafe keyboard keys static widgets"
    assert si.body_terms(body, [], 2) == "static zebra"      # the most frequent two, then sorted


# ---------------------------------------------------------------- the index

def test_index_is_compact_versioned_json_with_documented_rows():
    text = si.build_index([entry(title="Static search", tags=["search", "static hosting"],
                                 summary="Search in the browser.", body="Search in the browser. Index built once.")])
    data = json.loads(text)
    assert text == json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert data["version"] == si.FORMAT_VERSION == search.FORMAT_VERSION
    assert data["fields"] == ["title", "url", "date", "day", "category", "tags", "snippet", "terms"]
    assert data["docs"] == [["Static search", "articles/a.html", "2026-01-01", "2026-01-01", "Notes",
                             ["search", "static hosting"], "Search in the browser.", "built index"]]
    assert data["stopwords"].split(" ") == sorted(si.STOPWORDS)


def test_index_is_deterministic_newest_first_then_by_url():
    entries = [entry(url=f"articles/{name}.html", date=date, body=f"body {name}")
               for name, date in [("b", "2026-01-02"), ("a", "2026-01-02"), ("c", "2025-12-31"), ("d", "2026-03-01")]]
    first = si.build_index(entries)
    for seed in range(5):
        shuffled = entries[:]
        random.Random(seed).shuffle(shuffled)
        assert si.build_index(shuffled) == first
    assert [d[1] for d in json.loads(first)["docs"]] == \
        ["articles/d.html", "articles/a.html", "articles/b.html", "articles/c.html"]


def test_hostile_text_survives_as_data():
    text = si.build_index([entry(title=HOSTILE, tags=[HOSTILE], summary=HOSTILE + "\n\u2028line", body=HOSTILE)])
    doc = json.loads(text)["docs"][0]
    assert doc[0] == HOSTILE and doc[5] == [HOSTILE]
    assert doc[6] == HOSTILE + " line"       # whitespace (U+2028 too) collapsed, the text itself unchanged
    assert "\n" not in text


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
    row = json.loads(si.build_index(entries))["docs"][0]
    assert row[3] == "Sat 14 March 2026"
    assert row[6] == "Short summary ." and row[7] == "cafe linking searching"


def test_write_index_writes_search_json(tmp_path):
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    article = Article("<p>Body words here.</p>", metadata={"title": "T", "slug": "t", "date": datetime(2026, 1, 1)},
                      settings={**DEFAULT_CONFIG})
    path = si.write_index(tmp_path, [article])
    assert path == tmp_path / "search.json"
    assert json.loads(path.read_text(encoding="utf-8"))["docs"][0][:3] == ["T", "t.html", "2026-01-01"]
    assert si.size_line(path).startswith("Search index: search.json, 1 article, ")


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


def sizes(text: str) -> tuple[int, int]:
    body = text.encode()
    return len(body), len(gzip.compress(body, 9, mtime=0))


def test_a_thousand_articles_stay_under_half_a_kilobyte_each_gzipped():
    raw, gz = sizes(si.build_index(synthetic_entries(1000)))
    print(f"\n1000 synthetic articles: search.json {raw:,} B raw, {gz:,} B gzipped")
    assert gz < 1000 * 450
    docs = json.loads(si.build_index(synthetic_entries(3)))["docs"]
    assert all(len(d[7].split()) <= si.MAX_TERMS for d in docs)
