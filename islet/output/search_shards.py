"""The sharded search index: entries → files, so that a query downloads only what it needs.

Pure: `build(entries)` returns an `Index` (file path → bytes); islet.output.search_index writes it. The widget
(widgets/search.py) reads it. Format version 2, every path relative to the site root:

    search.json            the manifest, the only file with a fixed name (fetched when the box is first used):
                           {"version": 2, "docs": N, "stopwords": "a about …", "table": 64,
                            "shards": [[separator, hash], …],      sorted (below)
                            "tables": [hash, …]}
    search/t/<hash>.json   a shard: {term: postings, …} for the terms from its separator to the next shard's
    search/d/<hash>.json   a doc table: the fragment hashes of docs table·k … table·k + table − 1
    search/f/<hash>.json   a fragment: one doc as shown in the results, ["title", "url", "date", "day as the
                           site shows it", "summary", "body text"] (the body for the snippet around the words)

* Docs are numbered oldest first (ties: url, last first), so that a new article takes the next number and an
  edit renumbers nothing; the widget breaks ties newest first, then by url.
* Terms are the folded words (`search_index.tokenize`) of the title, category, tags, summary and body, without
  stopwords or one-letter words.
* Postings are one string per term: for each doc holding it, in doc order, the gap from the previous doc (the
  first from -1) then its weight, each a number in base 32 written with the characters chr(48 + digit), every
  digit but the last plus 32. Weight = level · 4 + 2 if in the title + 1 if in the category or tags, where the
  level (0–7) grows with how often the body says it (`LEVELS`).
* A shard ends after a term whose hash is 0 modulo a power of two chosen from the index's size, and around a
  term whose postings are large on their own: where shards end depends on the terms alone, never on what
  came before, so an edit changes the shards whose ranges hold the terms it adds, changes or removes (and the
  next one, where such a term ends a shard) and no others. A shard's separator is the shortest start of its
  first term that sorts after the previous shard's last term ("" for the first shard), so the manifest stays small. Every name is the hash of the file's bytes
  (8 hex digits): a file never changes under its name.
"""
from __future__ import annotations

import bisect
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

VERSION = 2
TABLE = 64                       # docs per doc table
SHARD_BYTES = 12000              # what a shard of small terms aims at (raw bytes of terms and postings); postings
                                 # over a quarter of it get a shard of their own
MAX_TEXT = 4000                  # body characters kept in a fragment: the snippet of a word found later is the summary
LEVELS = (0, 1, 2, 3, 4, 4, 5, 5, 5, 6, 6, 6, 6, 6)     # body occurrences → level; 14 and more: 7


def level(count: int) -> int:
    return LEVELS[count] if count < len(LEVELS) else 7


def number(value: int) -> str:
    """`value` ≥ 0 in the postings' base 32: 5 → '5', 40 → 'Q8' (1·32 + 8: '0' + 32 + 1, then '0' + 8)."""
    digits = [value & 31]
    value >>= 5
    while value:
        digits.append(32 + (value & 31))
        value >>= 5
    return "".join(chr(48 + d) for d in reversed(digits))


def decode(postings: str) -> list[tuple[int, int]]:
    """The inverse of the encoding: [(doc, weight), …] (the widget has its own copy, tested against this)."""
    found, values, value = [], [], 0
    for char in postings:
        digit = ord(char) - 48
        value = value * 32 + (digit & 31)
        if digit < 32:
            values.append(value)
            value = 0
    doc = -1
    for gap, weight in zip(values[::2], values[1::2]):
        doc += gap
        found.append((doc, weight))
    return found


def weights(title: list[str], labels: list[str], body: list[str], stop: frozenset) -> dict[str, int]:
    """One doc's terms → weight, from the folded words of its title, category and tags (`labels`) and body."""
    counts = Counter(body)
    titled, labelled = set(title), set(labels)
    found = {}
    for word in titled.union(labelled, counts):
        if len(word) > 1 and word not in stop:
            found[word] = level(counts[word]) * 4 + (2 if word in titled else 0) + (1 if word in labelled else 0)
    return found


@dataclass(frozen=True)
class Doc:
    """One article as the index sees it: its text already folded into `terms` (term → weight)."""
    title: str
    url: str
    date: str          # ISO, YYYY-MM-DD
    day: str           # as the site shows it
    summary: str
    body: str
    terms: dict[str, int]


@dataclass
class Index:
    files: dict[str, bytes] = field(default_factory=dict)    # path → bytes, the manifest included
    docs: int = 0


def _hash(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=4).hexdigest()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def ordered(docs: Iterable[Doc]) -> list[Doc]:
    """Oldest first; on one date, the url last in order first (so that newest first is then by url)."""
    return sorted(sorted(docs, key=lambda d: d.url, reverse=True), key=lambda d: d.date)


def postings(docs: list[Doc]) -> dict[str, str]:
    """term → its postings string, for `docs` in index order."""
    lists: dict[str, list[str]] = {}
    last: dict[str, int] = {}
    small = [number(n) for n in range(1024)]         # most gaps, every weight: looked up, not computed
    for position, doc in enumerate(docs):
        for term, weight in doc.terms.items():
            gap = position - last.get(term, -1)
            found = lists.get(term)
            if found is None:
                found = lists[term] = []
            found.append((small[gap] if gap < 1024 else number(gap)) + small[weight])
            last[term] = position
    return {term: "".join(parts) for term, parts in lists.items()}


def _boundary_every(sizes: list[int], target: int) -> int:
    """The power of two K such that ending a shard after terms hashing to 0 mod K gives shards of about
    `target` bytes: from the small terms' count and bytes, so an edit rarely changes it."""
    small = [s for s in sizes if s <= target // 4]
    if not small:
        return 1
    every = max(1, round(target * len(small) / max(1, sum(small))))
    return 1 << (every.bit_length() - 1)


def _size(term: str, postings: str) -> int:
    return len(term) + len(postings) + 6       # as in the shard's JSON: "term":"postings",


def _ends_shard(term: str, every: int) -> bool:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "big") % every == 0


def shards(terms: dict[str, str], target: int = SHARD_BYTES) -> list[dict[str, str]]:
    """The terms, sorted, cut into shards of about `target` bytes (module docstring)."""
    names = sorted(terms)
    every = _boundary_every([_size(t, terms[t]) for t in names], target)
    found: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for term in names:
        big = len(terms[term]) > target // 4
        if current and big:
            found.append(current)
            current = {}
        current[term] = terms[term]
        if big or _ends_shard(term, every):
            found.append(current)
            current = {}
    if current:
        found.append(current)
    return found


def separator(last: str, first: str) -> str:
    """The shortest start of `first` that sorts after `last` (`last` < `first`)."""
    for length in range(1, len(first) + 1):
        if first[:length] > last:
            return first[:length]
    return first


def fragment(doc: Doc) -> bytes:
    return _json([doc.title, doc.url, doc.date, doc.day, doc.summary, doc.body[:MAX_TEXT]])


def build(docs: Iterable[Doc], stopwords: Iterable[str], shard_bytes: int = SHARD_BYTES) -> Index:
    """The whole index for `docs` (module docstring). Same docs, same bytes."""
    docs = ordered(docs)
    index = Index(docs=len(docs))
    files = index.files

    def add(folder: str, body: bytes) -> str:
        name = _hash(body)
        files[f"search/{folder}/{name}.json"] = body
        return name

    fragments = [add("f", fragment(doc)) for doc in docs]
    tables = [add("d", _json(fragments[start:start + TABLE])) for start in range(0, len(fragments), TABLE)]
    cut = shards(postings(docs), shard_bytes)
    firsts = [[separator(max(before), min(shard)) if before else "", add("t", _json(shard))]
              for before, shard in zip([{}] + cut, cut)]
    files["search.json"] = _json({"version": VERSION, "docs": len(docs), "stopwords": " ".join(sorted(stopwords)),
                                  "table": TABLE, "shards": firsts, "tables": tables})
    return index


def shard_of(firsts: list[str], term: str) -> int:
    """Which shard holds `term` (if any does): the last whose first term is not after it (-1: none)."""
    return bisect.bisect_right(firsts, term) - 1
