"""The search widget: its form and pure search functions under CPython, the same calls compiled by Transcrypt
and run in node (the output must be identical), and the whole thing in Chromium on the built demo site:
the form without JavaScript, lazy loading of the index, typing, keyboard, pointer, axe, 360 px."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import markdown
import pytest

from islet.dev.bench_search import answer
from islet.islands.testing import run_js_many
from islet.output import search_index as si
from support import browser
from support.site import ROOT, pelican_slug
from support.widget_harness import props_maker
from widgets import search

HOSTILE = "</script><img src=x onerror=alert(1)> & \"quoted\" 'single'"
PAGE = "articles/searching-a-static-site.html"

props = props_maker(search)

def demo_entries() -> list[dict]:
    """Entries from the demo articles' own Markdown (no Pelican run): a realistic index for the pure tests."""
    entries = []
    for path in sorted((ROOT / "content" / "articles").glob("*.md")):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        meta = {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in head.splitlines())}
        if meta.get("Status") == "draft":
            continue
        slug = meta.get("Slug") or pelican_slug(meta["Title"])       # (an author may leave Slug out, as Pelican allows)
        entries.append({"title": meta["Title"], "url": f"articles/{slug}.html", "date": meta["Date"][:10],
                        "day": meta["Date"][:10], "category": meta.get("Category", "misc"),
                        "tags": [t.strip() for t in meta.get("Tags", "").split(",") if t.strip()],
                        "summary": meta.get("Summary", ""), "body": si.plain_text(markdown.markdown(body))})
    return entries


INDEX = si.build_index(demo_entries()).files
# Ties and unicode: equal titles on different dates, accents in every field, hostile text.
EXTRA = si.build_index([
    {"title": "Caching twice", "url": "articles/old.html", "date": "2025-01-01", "category": "Notes",
     "tags": [], "summary": "Same words.", "body": "cache cache"},
    {"title": "Caching twice", "url": "articles/new.html", "date": "2026-01-01", "category": "Notes",
     "tags": [], "summary": "Same words.", "body": "cache cache"},
    {"title": "Caching twice", "url": "articles/also-new.html", "date": "2026-01-01", "category": "Notes",
     "tags": [], "summary": "Same words.", "body": "cache cache"},
    {"title": "Crème brûlée à Zürich", "url": "articles/creme.html", "date": "2024-05-05", "category": "Café",
     "tags": ["Ελληνικά", "naïve"], "summary": "Ünïcödé everywhere — “quoted”.", "body": "smörgåsbord Ωmega"},
    {"title": HOSTILE, "url": "articles/x.html?a=1&b=\"2\"", "date": "2023-03-03", "category": HOSTILE,
     "tags": [HOSTILE], "summary": HOSTILE, "body": HOSTILE},
]).files
QUERIES = ["", "   ", "—!?", "budget", "Budget", "BUDG", "islands", "static hosting", "the static", "static the",
           "cache", "caching", "caching twice", "creme", "Crème Brûlée", "zurich", "ελληνικα", "naive", "smorg",
           "cafe", "onerror", "script", "quoted", "zqxjv wvutk", "a", "python widgets", "transcrypt", "web"]


def found(files, query, limit=1000):
    """What the widget finds for `query` in the index `files`, with its own functions under CPython."""
    return answer(files, query, limit, ROOT)


def titles(files, query, limit=1000):
    return [fragment[0] for fragment in found(files, query, limit)["fragments"]]


def urls(files, query):
    return [fragment[1] for fragment in found(files, query)["fragments"]]


# ---------------------------------------------------------------- render under CPython

def test_render_is_a_search_form_that_works_without_javascript():
    out = search.render(props())
    assert out.startswith('<form class="search" id="search" role="search" action="archives.html" method="get">')
    assert '<label for="search-q">Search articles</label>' in out
    assert '<input type="search" id="search-q" name="q" autocomplete="off" spellcheck="false" ' \
           'aria-describedby="search-status">' in out
    assert '<button type="submit">Search</button>' in out
    assert '<p class="search-status" id="search-status" aria-live="polite" aria-atomic="true"></p>' in out
    assert '<ol class="search-results" id="search-results" hidden="" aria-label="Search results"></ol>' in out
    assert "style=" not in out


def test_props_set_the_fallback_label_and_ids():
    out = search.render(props(fallback="../archives.html", label="Find a post", id="Site Search!"))
    assert 'id="site-search" role="search" action="../archives.html"' in out
    assert '<label for="site-search-q">Find a post</label>' in out
    assert 'id="site-search-results"' in out


def test_hostile_text_is_escaped_everywhere():
    out = search.render(props(label=HOSTILE, fallback=HOSTILE, id=HOSTILE))
    assert "<script" not in out and "<img" not in out and "</script>" not in out
    assert 'action="&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot; &#39;single&#39;"' in out


def test_the_widget_declares_its_props_for_the_build():
    assert search.PROPS["fallback"] == ["str", "archives.html"]
    assert search.PROPS["index"] == ["str", "search.json"]


# ---------------------------------------------------------------- searching under CPython

def test_results_rank_title_over_tags_over_body_then_how_often_the_body_says_it():
    files = si.build_index([
        {"title": "Nothing here", "url": "body.html", "date": "2026-03-01", "category": "Notes", "tags": [],
         "summary": "", "body": "zebras live here"},
        {"title": "Nothing there", "url": "often.html", "date": "2026-01-01", "category": "Notes", "tags": [],
         "summary": "", "body": "zebras zebras zebras everywhere"},
        {"title": "Zebras", "url": "title.html", "date": "2020-01-01", "category": "Notes", "tags": [],
         "summary": "", "body": ""},
        {"title": "Other", "url": "tag.html", "date": "2025-01-01", "category": "Notes", "tags": ["zebras"],
         "summary": "", "body": ""},
    ]).files
    assert urls(files, "zebras") == ["title.html", "tag.html", "often.html", "body.html"]
    assert urls(files, "zeb") == urls(files, "zebras")     # prefixes too


def test_ties_go_to_the_newer_article_then_by_url():
    assert urls(EXTRA, "caching") == ["articles/also-new.html", "articles/new.html", "articles/old.html"]


def test_snippets_show_the_words_found_in_their_place():
    words = " ".join(f"w{n}" for n in range(200))
    files = si.build_index([{"title": "Long", "url": "long.html", "date": "2026-01-01", "category": "", "tags": [],
                             "summary": "The summary.", "body": words.replace("w150", "Needle,")}]).files
    html = found(files, "needle")["html"]
    assert "\u2026 w142 w143" in html and "<mark>Needle,</mark> w151" in html and html.count("<mark>") == 1
    assert "<p>The summary.</p>" in found(files, "long")["html"]      # found in the title only: the summary
    assert "<mark>Needle,</mark>" in found(files, "nee")["html"]      # a prefix is marked too


def test_a_query_fetches_the_shards_of_its_words_and_the_shown_results_only():
    got = found(INDEX, "static hosting", 3)
    assert len(got["hits"]) > 3 and len(got["fragments"]) == 3
    manifest = json.loads(INDEX["search.json"])
    shards = [p for p in got["fetched"] if p.startswith("search/t/")]
    assert 1 <= len(shards) <= 2 + search.PREFIX_SHARDS < len(manifest["shards"])
    assert len([p for p in got["fetched"] if p.startswith("search/f/")]) == 3


def test_every_word_must_match_and_the_last_may_be_unfinished():
    assert titles(INDEX, "budget") == titles(INDEX, "BUDGET") == titles(INDEX, "  budget! ")
    assert len(titles(INDEX, "budget")) >= 2
    assert set(titles(INDEX, "static hosting")) <= set(titles(INDEX, "static"))
    assert set(titles(INDEX, "static hosting")) <= set(titles(INDEX, "static host"))   # host: hosting, hosts…
    assert titles(INDEX, "the static") == titles(INDEX, "static")     # a stopword before the last word is ignored
    assert titles(INDEX, "zqxjv wvutk") == []


def test_accents_and_case_are_folded_in_queries_and_index():
    assert titles(EXTRA, "creme brulee") == titles(EXTRA, "CRÈME Brûlée") == ["Crème brûlée à Zürich"]
    assert titles(EXTRA, "ελληνικα") == ["Crème brûlée à Zürich"]
    assert titles(EXTRA, "smorg") == ["Crème brûlée à Zürich"]


def test_an_empty_query_matches_nothing():
    for query in ["", "   ", "—!?"]:
        assert found(INDEX, query)["hits"] == []


def test_status_text():
    assert search.status_text(3, 3, "x") == "3 results for \u201cx\u201d"
    assert search.status_text(1, 1, " two  words ") == "1 result for \u201ctwo words\u201d"
    assert search.status_text(12, 8, "a") == "12 results for \u201ca\u201d, showing the first 8"
    assert search.status_text(0, 0, "zz") == "No results for \u201czz\u201d"


def test_results_html_links_relative_to_the_site_and_escapes():
    fragment = found(EXTRA, "onerror")["fragments"][0]
    out = search.result_html(fragment, ["onerror"], True, "https://example.org/blog/")
    assert out.startswith('<li><a href="https://example.org/blog/articles/x.html?a=1&amp;b=&quot;2&quot;">')
    assert "<img" not in out and "<script" not in out
    assert '<time datetime="2023-03-03">2023-03-03</time>' in out
    assert "<mark>onerror=alert(1)&gt;</mark>" in out


# ---------------------------------------------------------------- CPython vs compiled JavaScript

def in_js(compiled, calls):
    """Results of [function, args] calls on widgets.search, run by node on the compiled module (`compiled`:
    conftest.py), in order. Arguments travel as JSON, so dicts arrive as plain objects, as props and the
    fetched index do."""
    return run_js_many(compiled, [("search", name, args) for name, args in calls])


def test_compiled_module_exports_mount_and_leaves_build_time_code_out(compiled):
    source = (compiled / "widgets.search.js").read_text()
    assert "export var mount = function (root, props, site)" in source
    assert "unicodedata" not in source and "PROPS" not in source
    assert "__kwargtrans__ (" not in source


RENDER_CASES = {
    "defaults": props(),
    "article": props(fallback="../archives.html"),
    "hostile": props(label=HOSTILE, fallback=HOSTILE, id=HOSTILE, index=HOSTILE),
    "unicode": props(label="Zoeken in artikelen — ü", id="ü ß 1"),
    "empty id": props(id="!!!"),
}


@pytest.mark.parametrize("case", RENDER_CASES)
def test_render_is_identical_in_javascript(compiled, case):
    given = RENDER_CASES[case]
    assert in_js(compiled, [["render", [given]]]) == [search.render(given)]


TEXTS = ["Hello, World!", "Don't panic \u2014 it\u2019s \u00c9t\u00e9", "client-side search_index v2.0",
         "Stra\u00dfe \u039f\u0394\u039f\u03a3 na\u00efve \ufb01le \uff21\uff22\uff01", "emoji\U0001F600between \u00d7 times",
         "İstanbul ǅemal ﬀ ½ ⅷ", "日本語のテキスト、句読点。", "", "   ", HOSTILE,
         "".join(chr(c) for c in range(0x20, 0x250))]


def test_text_folding_matches_the_index_builder_in_javascript(compiled):
    calls = [["fold", [text]] for text in TEXTS] + [["tokenize", [text]] for text in TEXTS]
    expected = [si.fold(text) for text in TEXTS] + [si.tokenize(text) for text in TEXTS]
    assert [search.fold(t) for t in TEXTS] + [search.tokenize(t) for t in TEXTS] == expected
    assert in_js(compiled, calls) == expected


def test_search_is_identical_in_javascript(compiled):
    """Every step of a query (words, plan, decoding, ranking, results HTML) for real and hostile indexes."""
    calls, expected = [], []

    def call(name, *args):
        calls.append([name, list(args)])
        expected.append(getattr(search, name)(*args))
        return expected[-1]

    for files in (INDEX, EXTRA):
        manifest = json.loads(files["search.json"])
        firsts = [shard[0] for shard in manifest["shards"]]
        for query in QUERIES:
            words = call("query_words", query, " " + manifest["stopwords"] + " ")
            if not words:
                continue
            wanted, prefixed = call("plan", firsts, words)
            shards = [json.loads(files[f"search/t/{manifest['shards'][n][1]}.json"]) for n in wanted]
            for shard in shards[:1]:
                for postings in list(shard.values())[:5]:
                    call("decode", postings)
            hits = call("rank", shards, words, prefixed, manifest["docs"])
            for fragment in found(files, query, 3)["fragments"]:
                call("result_html", fragment, words, prefixed, "../")
            call("status_text", len(hits), min(8, len(hits)), query)
    assert any(isinstance(hits, list) and len(hits) > 3 and isinstance(hits[0], int) for hits in expected)
    assert in_js(compiled, calls) == expected


# ---------------------------------------------------------------- the built demo site in Chromium

# Builds a copy of the demo site with the real build (islet.build.driver, strict), and writes search.json from the
# articles Pelican read, unless the build already wrote it (then it must be the same bytes).
# (The main guard matters: the build's image stage starts worker processes, which import __main__ again.)
BUILD_WITH_INDEX = """
import json, sys
from pathlib import Path
from pelican import signals
from islet.build.driver import BuildPlan, build
from islet.output.search_index import build_index, entries_from_articles, write_index
articles = []
def grab(generator):
    articles.extend(generator.articles)
if __name__ == "__main__":
    root = Path(sys.argv[1])
    signals.article_generator_finalized.connect(grab)
    build(BuildPlan(root, strict=True))
    path = root / "build" / "search.json"
    written = path.exists()
    same = written and path.read_bytes() == build_index(entries_from_articles(articles)).files["search.json"]
    if not written:
        write_index(root / "build", articles)
    print(json.dumps({"written_by_build": written, "same": same, "articles": len(articles)}))
"""


@pytest.fixture(scope="module")
def searchable(tmp_path_factory):
    from support.site import copy_site

    site = copy_site(tmp_path_factory.mktemp("search-demo"))
    run = subprocess.run([sys.executable, "-c", BUILD_WITH_INDEX, str(site.root)], capture_output=True, text=True,
                         timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    site.report = json.loads(run.stdout.strip().splitlines()[-1])
    return site


def test_the_build_index_covers_every_article(searchable):
    if searchable.report["written_by_build"]:
        assert searchable.report["same"]          # islet/plugin.py writes exactly what write_index writes
    files = built_index(searchable)
    manifest = json.loads(files["search.json"])
    assert manifest["docs"] == searchable.report["articles"] == len(list(searchable.path("build/articles").glob("*.html")))
    fragments = [json.loads(body) for path, body in files.items() if path.startswith("search/f/")]
    assert len(fragments) == manifest["docs"]
    for fragment in fragments:
        assert searchable.path("build/" + fragment[1]).is_file()
    html = searchable.path("build/" + PAGE).read_text(encoding="utf-8")
    assert 'data-islet="search"' in html and 'action="../archives.html"' in html


@pytest.fixture(scope="module")
def served(searchable):
    from support.browser import LocalServer

    with LocalServer(searchable.path("build")) as running:
        yield running


def open_page(chromium, served, **options):
    """browser.open_page on the search article; also returns the list of index requests it makes (search.json,
    then files under search/)."""
    fetched = []

    def record_fetches(page):
        page.on("request", lambda r: re.search(r"/search(\.json|/)", r.url) and fetched.append(r.url))

    context, page, watch = browser.open_page(chromium, served, PAGE, record_fetches, **options)
    return context, page, watch, fetched


def built_index(searchable) -> dict[str, bytes]:
    build = searchable.path("build")
    return {p.relative_to(build).as_posix(): p.read_bytes() for p in [build / "search.json", *build.glob("search/*/*.json")]}


def expected_titles(searchable, query, limit=8):
    return titles(built_index(searchable), query, limit)


def shown_titles(page):
    return page.eval_on_selector_all("#search-results:not([hidden]) li > a", "links => links.map(a => a.textContent)")


@pytest.mark.browser
def test_without_javascript_the_form_opens_the_archives(chromium, served):
    context, page, watch, fetched = open_page(chromium, served, java_script_enabled=False)
    assert page.get_attribute("form.search", "role") == "search"
    assert page.locator("label[for=search-q]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("#search-q", "budget")
    page.press("#search-q", "Enter")
    page.wait_for_url(re.compile(r"/archives\.html\?q=budget$"))
    assert page.text_content("h1") == "Archives"
    assert fetched == [] and watch.problems == []
    context.close()


@pytest.mark.browser
def test_the_index_is_fetched_on_first_use_then_typing_shows_results(chromium, served, searchable):
    context, page, watch, fetched = open_page(chromium, served)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    assert fetched == []                                   # not on page load
    page.click("#search-q")                                 # pointer: mounts the island, which loads the index
    page.keyboard.type("budget")
    page.wait_for_selector("#search-status:has-text('\u201cbudget\u201d')")   # results for the whole word, not "budg"
    want = expected_titles(searchable, "budget")
    assert len(want) >= 2 and shown_titles(page) == want
    count = len(expected_titles(searchable, "budget", 1000))
    assert page.text_content("#search-status") == search.status_text(count, len(want), "budget")
    assert page.text_content("#search-status").startswith(f"{count} results for \u201cbudget\u201d")
    page.fill("#search-q", "islands")
    page.wait_for_selector("#search-status:has-text('islands')")   # (no wait_for_function: the CSP forbids eval)
    assert shown_titles(page) == expected_titles(searchable, "islands")
    manifests = [url for url in fetched if url.endswith("/search.json")]
    assert len(manifests) == 1                             # once, however much is typed
    files = built_index(searchable)
    allowed = {path for typed in ("budget", "islands") for end in range(1, len(typed) + 1)
               for path in answer(files, typed[:end], 8, ROOT)["fetched"]}
    asked = {url[url.index("search/"):] for url in fetched if "/search/" in url}
    assert asked and asked <= allowed                      # only the shards and results of what was typed
    assert page.locator("#search-results mark").count() >= 1
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_keyboard_moves_through_results_escape_clears_enter_opens_the_first(chromium, served, searchable):
    context, page, watch, fetched = open_page(chromium, served)
    page.focus("#search-q")                                 # keyboard focus mounts the island too
    page.keyboard.type("static")
    page.wait_for_selector("#search-status:has-text('\u201cstatic\u201d')")
    links = page.locator("#search-results a")
    assert links.count() >= 2
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == links.nth(0).text_content()
    page.wait_for_timeout(search.DEBOUNCE_MS + 100)     # a late timer of the typing must not draw the results again
    assert page.evaluate("document.activeElement.textContent") == links.nth(0).text_content()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == links.nth(1).text_content()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "search-q"
    page.keyboard.press("Escape")
    assert page.input_value("#search-q") == ""
    assert page.is_hidden("#search-results") and page.text_content("#search-status") == ""
    page.keyboard.type("cache")
    page.wait_for_selector("#search-status:has-text('\u201ccache\u201d')")
    first = expected_titles(searchable, "cache")[0]
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/articles/[^/?]+\.html$"))
    assert page.text_content("h1") == first
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_enter_before_the_results_arrive_opens_the_first_once_they_do(chromium, served, searchable):
    first = found(built_index(searchable), "static", 1)["fragments"][0]
    context, page, watch, fetched = open_page(chromium, served)
    page.click("#search-q")
    page.wait_for_selector(".search-ready")
    page.wait_for_load_state("networkidle")                 # the manifest is here; no shard or fragment yet
    page.fill("#search-q", "static")
    with page.expect_navigation(url=re.compile(re.escape(first[1]) + "$")):
        page.press("#search-q", "Enter")                    # at once: nothing is drawn yet
    assert page.text_content("h1") == first[0]
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_pointer_click_opens_a_result(chromium, served, searchable):
    context, page, watch, fetched = open_page(chromium, served)
    page.click("#search-q")
    page.keyboard.type("fonts")
    page.wait_for_selector("#search-status:has-text('\u201cfonts\u201d')")
    target = expected_titles(searchable, "fonts")[0]
    page.click(f"#search-results a >> text={target}")
    page.wait_for_url(re.compile(r"/articles/[^/?]+\.html$"))
    assert page.text_content("h1") == target
    assert watch.problems == []
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_results_pass_axe_fit_360px_and_shift_nothing(chromium, served, scheme):
    from support.browser import axe_violations

    context, page, watch, fetched = open_page(chromium, served, color_scheme=scheme)
    below = "document.querySelector('.islet-search').nextElementSibling.getBoundingClientRect().top + scrollY"
    before = page.evaluate(below)
    page.click("#search-q")
    page.keyboard.type("python")
    page.wait_for_selector("#search-status:has-text('\u201cpython\u201d')")
    assert page.evaluate(below) == before                  # results float over the text: no layout shift
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(page) == []
    assert watch.problems == []
    context.close()
