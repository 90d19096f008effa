"""bench-search on a small site: the real build, Chromium typing into the widget, Pagefind alongside. What the
browser fetched must include every file the CPython model of the widget says the query needs (and nothing
outside the index); the table shows every figure. No timing assertions: the figures belong to the task."""
from __future__ import annotations

import pytest

from islet.dev import bench_search

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def rows(tmp_path_factory, chromium):
    chromium.stop()         # the bench starts Playwright itself: as conftest's own_playwright, for a whole module
    return bench_search.run([40], tmp_path_factory.mktemp("bench-search"), progress=lambda *a, **k: None)


def test_the_browser_fetches_what_the_query_needs(rows):
    (row,) = rows
    assert row["articles"] == 40 and 0 < row["index_seconds"] < row["build_seconds"]
    assert "Search index: 40 articles" in row["report"]
    for name, query in row["queries"].items():
        assert query["files"] > 1, name                                # shards, and results to show
        assert set(query["paths"]) <= set(query["fetched"]), name
        assert all(path.startswith("search/") for path in query["fetched"])
        assert query["gzip_bytes"] > 0 and query["ms"] > 0


def test_pagefind_runs_on_the_same_articles(rows):
    pagefind = rows[0]["pagefind"]
    assert pagefind is not None, "node_modules/.bin/pagefind is missing: npm ci"
    for name, query in pagefind["queries"].items():
        assert query["results"] > 0 and query["gzip_bytes"] > 0, name


def test_the_table_reports_every_query(rows):
    text = bench_search.table(rows)
    assert "40 articles: cold build" in text and "Pagefind 1.6" in text
    for query in rows[0]["queries"].values():
        assert repr(query["query"]) in text
