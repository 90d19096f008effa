"""The sharded index format: numbers and postings round-trip, docs keep their numbers across edits, shards
are found by the widget's bisection, and an edit changes only the shards of the terms it touches."""
from __future__ import annotations

import json
import random

from hypothesis import given, settings, strategies as st

from islet.output import search_index as si
from islet.output import search_shards as ss
from widgets import search

WORDS = [f"{a}{b}" for a in ("ka", "to", "ri", "men", "sa", "lo", "ver", "pro") for b in ("", "x", "ing", "al", "ve")]


def doc(number: int, words: list[str], date: str = "2026-01-01", title: str = "") -> ss.Doc:
    text = " ".join(words)
    return si.make_doc({"title": title or f"Doc {number}", "url": f"articles/d{number}.html", "date": date,
                        "category": "", "tags": [], "summary": "", "body": text})


def corpus(seed: int, count: int) -> list[ss.Doc]:
    rng = random.Random(seed)
    return [doc(n, [rng.choice(WORDS) for _ in range(rng.randrange(1, 40))], f"2026-01-{1 + n % 28:02d}")
            for n in range(count)]


@given(st.lists(st.tuples(st.integers(1, 100_000), st.integers(0, 31)), max_size=50))
def test_postings_round_trip_in_cpython_and_in_the_widget(pairs):
    docs, position = [], -1
    for gap, weight in pairs:
        position += gap
        docs.append((position, weight))
    text = "".join(ss.number(gap) + ss.number(weight) for gap, weight in pairs)
    assert ss.decode(text) == docs
    assert search.decode(text) == [value for pair in docs for value in pair]
    assert '"' not in text and all(48 <= ord(c) < 112 for c in text)


def test_levels_grow_with_how_often_the_body_says_a_word():
    assert [ss.level(n) for n in (0, 1, 2, 3, 4, 5, 6, 9, 13, 14, 500)] == [0, 1, 2, 3, 4, 4, 5, 6, 6, 7, 7]


def test_docs_are_numbered_oldest_first_so_a_new_article_renumbers_nothing():
    docs = [doc(1, ["alpha"], "2026-01-02"), doc(2, ["alpha"], "2026-01-01"), doc(3, ["alpha"], "2026-01-02")]
    assert [d.url for d in ss.ordered(docs)] == ["articles/d2.html", "articles/d3.html", "articles/d1.html"]
    before = ss.build(docs, si.STOPWORDS).files
    after = ss.build(docs + [doc(4, ["beta"], "2026-02-01")], si.STOPWORDS).files
    assert {p for p in before if p.startswith("search/f/")} <= set(after)    # every fragment kept its name


def test_the_manifest_names_every_file_and_nothing_else_is_written():
    index = ss.build(corpus(1, 150), si.STOPWORDS)
    manifest = json.loads(index.files["search.json"])
    assert manifest["version"] == ss.VERSION == search.FORMAT_VERSION and manifest["docs"] == 150
    named = {f"search/t/{h}.json" for _, h in manifest["shards"]} | {f"search/d/{h}.json" for h in manifest["tables"]}
    for table in manifest["tables"]:
        named |= {f"search/f/{h}.json" for h in json.loads(index.files[f"search/d/{table}.json"])}
    assert named | {"search.json"} == set(index.files)
    for path, body in index.files.items():
        if path != "search.json":
            assert path.split("/")[2] == ss._hash(body) + ".json"      # named by its bytes


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(20, 200))
def test_every_term_is_found_in_the_shard_the_widget_bisects_to(seed, count):
    index = ss.build(corpus(seed, count), si.STOPWORDS, 300)
    manifest = json.loads(index.files["search.json"])
    separators = [s for s, _ in manifest["shards"]]
    assert separators[0] == "" and separators == sorted(separators)
    for number, (_, name) in enumerate(manifest["shards"]):
        for term in json.loads(index.files[f"search/t/{name}.json"]):
            assert ss.shard_of(separators, term) == search.shard_of(separators, term) == number


def shards_holding(index, terms) -> set[str]:
    """The shards of `index` whose ranges hold `terms` (as the widget bisects to them), and the shard after each:
    a term that ends a shard (`_ends_shard`) splits its range in two when added, and joins two when removed."""
    shards = json.loads(index.files["search.json"])["shards"]
    separators = [s for s, _ in shards]
    numbers = {ss.shard_of(separators, term) for term in terms}
    return {f"search/t/{shards[n][1]}.json" for number in numbers for n in (number, number + 1) if n < len(shards)}


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_an_edit_changes_only_the_shards_of_the_terms_it_touches(seed):
    rng = random.Random(seed)
    vocabulary = [f"w{n:04d}" for n in range(3000)]
    docs = [doc(n, rng.sample(vocabulary, 60), f"2026-01-{1 + n % 28:02d}") for n in range(300)]
    before = ss.build(docs, si.STOPWORDS, 2000)
    edited = rng.randrange(len(docs))
    old, new = docs[edited], doc(edited, rng.sample(vocabulary, 60), docs[edited].date)
    docs[edited] = new
    after = ss.build(docs, si.STOPWORDS, 2000)
    touched = set(old.terms) | set(new.terms)
    changed = {p for p in after.files if p.startswith("search/t/")} - set(before.files)
    gone = {p for p in before.files if p.startswith("search/t/")} - set(after.files)
    manifest = json.loads(after.files["search.json"])
    assert len(manifest["shards"]) > 20
    # A shard holds the terms from its separator to the next one's: the terms an edit adds, changes or removes fall
    # in the ranges of some shards, and only those (and where a shard ends, the next) may change. (A range may gain
    # a new term or lose its only one: seeds 451 and 494.)
    assert changed <= shards_holding(after, touched), "a shard changed without a term of the edit"
    assert gone <= shards_holding(before, touched), "a shard was replaced without a term of the edit"
    assert len(changed) <= len(touched)
    assert len({p for p in after.files if p.startswith("search/f/")} - set(before.files)) == 1
    assert len({p for p in after.files if p.startswith("search/d/")} - set(before.files)) == 1


def test_separators_are_the_shortest_start_after_the_previous_shard():
    assert ss.separator("alnema", "alpha") == "alp"
    assert ss.separator("b", "ba") == "ba"
    assert ss.separator("abc", "b") == "b"
