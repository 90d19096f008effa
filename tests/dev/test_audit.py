"""The audit: page choice, Lighthouse report parsing, medians and budgets; one real Lighthouse + axe run."""
from __future__ import annotations

import pytest

from islet.dev.audit import (
    CHROMIUM_FLAGS,
    AuditError,
    Budget,
    LighthouseRun,
    PageResult,
    Target,
    add_run,
    calibrated_slowdown,
    check,
    choose_pages,
    chrome_flags,
    format_table,
    lost_points,
    median_metrics,
    metrics,
)
from islet.output import headers
from support.browser import CHROMIUM_ARGS, ROOT
from support.site import write_files

ARTICLE_HEAD = '<meta property="og:type" content="article">'
WEBSITE_HEAD = '<meta property="og:type" content="website">'


def test_choose_pages_one_of_each_kind(tmp_path):
    build = write_files(tmp_path / "build", {
        "index.html": WEBSITE_HEAD,
        "articles/a-chart-and-table.html": ARTICLE_HEAD + '<div class="islet islet-chart" data-islet="chart"></div><div class="islet islet-table" data-islet="table">',
        "articles/b-plain.html": ARTICLE_HEAD,
        "articles/c-table.html": ARTICLE_HEAD + '<div class="islet islet-table" data-islet="table">',
        "articles/d-tabs.html": ARTICLE_HEAD + '<div class="islet islet-tabs" data-islet="tabs">',
        "about.html": WEBSITE_HEAD + '<div class="islet islet-search" data-islet="search">',         # not an article
        "tag/zebra.html": WEBSITE_HEAD, "tag/alpha.html": WEBSITE_HEAD,
        "widgets/chart-ABCDEFGH.js": "", "widgets/table-ABCDEFGH.js": "", "widgets/tabs-ABCDEFGH.js": "",
        "widgets/search-ABCDEFGH.js": "", "widgets/loader-ABCDEFGH.js": "", "widgets/chunks/chunk-ABCDEFGH.js": "",
    })
    targets, notes = choose_pages(build)
    assert targets == [Target("index", ""), Target("article", "articles/b-plain.html"),
                       Target("article + chart, table", "articles/a-chart-and-table.html"),
                       Target("article + tabs", "articles/d-tabs.html"), Target("tag", "tag/alpha.html")]
    assert notes == ["no article uses the widget(s) search: not audited"]


def test_choose_pages_when_every_article_has_a_widget(tmp_path):
    build = write_files(tmp_path / "build", {
        "index.html": "",
        "articles/a.html": ARTICLE_HEAD + '<div class="islet islet-toggle" data-islet="toggle"></div><div class="islet islet-chart" data-islet="chart"></div>',
        "articles/b.html": ARTICLE_HEAD + '<div class="islet islet-toggle" data-islet="toggle"></div>',
    })
    targets, notes = choose_pages(build)
    assert targets == [Target("index", ""), Target("article", "articles/b.html"),
                       Target("article + chart", "articles/a.html")]
    assert notes == ["no tag page (tag/*.html) to audit"]


def test_choose_pages_needs_a_build(tmp_path):
    with pytest.raises(AuditError, match="build the site first"):
        choose_pages(tmp_path)


def report(url="http://127.0.0.1:1/a.html", perf=1.0, lcp=900.0, tbt=0.0, cls=0.0, doc=5000, css=0):
    """The parts of a Lighthouse 12 JSON report that `metrics` reads, shaped as Lighthouse writes them."""
    items = [{"url": url, "resourceType": "Document", "transferSize": doc},
             {"url": "http://127.0.0.1:1/widgets/x.js", "resourceType": "Script", "transferSize": 900}]
    if css:
        items.append({"url": "http://127.0.0.1:1/site.css", "resourceType": "Stylesheet", "transferSize": css})
    return {"requestedUrl": url, "finalDisplayedUrl": url,
            "categories": {"performance": {"score": perf}, "accessibility": {"score": 1},
                           "best-practices": {"score": 0.96}, "seo": {"score": None}},
            "audits": {"largest-contentful-paint": {"numericValue": lcp}, "first-contentful-paint": {"numericValue": 700},
                       "total-blocking-time": {"numericValue": tbt}, "cumulative-layout-shift": {"numericValue": cls},
                       "network-requests": {"details": {"items": items}}},
            "environment": {"benchmarkIndex": 1200.5}}


def blocking(tbt=0.0, *tasks):
    """The JSON blocking.mjs prints, with `tasks` as (real ms, [what it did])."""
    return {"tbt_ms": tbt, "lighthouse_tbt_ms": 0, "first_paint_ms": 900, "lighthouse_fcp_ms": 800,
            "blocking": [{"start_ms": 1000, "simulated_ms": 3 * ms, "real_ms": ms, "does": does, "urls": []}
                         for ms, does in tasks]}


def page(kind, path, *runs):
    """A PageResult from (Lighthouse report, blocking.mjs output) pairs, as the audit adds each run."""
    result = PageResult(Target(kind, path), [])
    for lighthouse, blocked in runs:
        add_run(result, LighthouseRun(lighthouse, lighthouse, blocked))
    return result


def test_metrics_from_a_report():
    m = metrics(report(perf=0.97, css=2000, tbt=30))
    assert m == {"performance": 97, "accessibility": 100, "best-practices": 96, "seo": 0, "lcp_ms": 900.0,
                 "fcp_ms": 700, "lighthouse_tbt_ms": 30, "cls": 0.0, "first_trip_bytes": 7000, "benchmark": 1200.5,
                 "slowdown": 4.0}
    calibrated = report()
    calibrated["configSettings"] = {"throttling": {"cpuSlowdownMultiplier": 2.8}}
    assert metrics(calibrated)["slowdown"] == 2.8


@pytest.mark.parametrize("index, slowdown", [(2000, 6.0), (1766, 5.0), (1533, 4.0), (1300, 3.0), (1050, 2.5),
                                             (800, 2.0), (475, 1.5), (150, 1.0), (40, 1.0)])
def test_calibrated_slowdown_follows_lighthouses_calculator(index, slowdown):
    assert calibrated_slowdown(index) == pytest.approx(slowdown, abs=0.01)


def test_metrics_runtime_error_is_an_audit_error():
    broken = {"requestedUrl": "http://x/", "runtimeError": {"code": "NO_FCP", "message": "no paint"}}
    with pytest.raises(AuditError, match="NO_FCP"):
        metrics(broken)


def test_medians_per_figure():
    runs = [metrics(report(perf=p, lcp=l)) for p, l in [(1.0, 1500), (0.9, 800), (0.95, 1000)]]
    m = median_metrics(runs)
    assert (m["performance"], m["lcp_ms"]) == (95, 1000)


@pytest.mark.parametrize("kind, figures, expected", [
    ("article", {}, []),
    ("article", {"perf": 0.99}, ["performance 99 < 100"]),
    ("article", {"lcp": 1201}, ["LCP 1201 ms > 1200 ms"]),
    ("article", {"tbt": 90}, []),              # Lighthouse's own figure is shown, not budgeted (see blocking.mjs)
    ("article", {"cls": 0.01}, ["CLS 0.010 > 0"]),
    ("article", {"doc": 14 * 1024 + 1}, ["HTML + CSS 14,337 B compressed > 14,336 B (the first round trip)"]),
    ("article + chart", {"doc": 10000, "css": 5000}, ["HTML + CSS 15,000 B compressed > 14,336 B (the first round trip)"]),
    ("index", {"doc": 20000}, []),            # the first-trip budget is for articles
])
def test_budget_check(kind, figures, expected):
    result = page(kind, "a.html", (report(**figures), blocking()))
    result.runs[0]["best-practices"] = result.runs[0]["seo"] = 100
    assert check(result, Budget()) == [f"a.html: {line}" for line in expected]


def test_blocking_time_is_budgeted_on_one_timeline_and_names_the_tasks():
    quiet, busy = blocking(0), blocking(25, (21.4, ["script 20 ms"]), (60, ["style and layout 51 ms", "paint 6 ms"]))
    result = page("article", "a.html", (report(tbt=150), busy), (report(tbt=140), busy), (report(tbt=90), quiet))
    for run in result.runs:
        run["best-practices"] = run["seo"] = 100
    assert result.median["tbt_ms"] == 25 and result.median["lighthouse_tbt_ms"] == 140
    assert check(result, Budget()) == [
        "a.html: total blocking time 25 ms > 0 ms (blocking after the first paint: a 60 ms task (style and layout "
        "51 ms, paint 6 ms); a 21 ms task (script 20 ms))"]
    assert check(result, Budget(tbt_ms=25)) == []
    # Four tasks at most, the longest ones (not the first four by name: "a 100 ms" sorts before "a 21 ms").
    many = blocking(90, *((ms, ["script 1 ms"]) for ms in (10, 21, 32, 51, 100)))
    [line] = check(page("article", "a.html", (report(), many)), Budget(min_score=0))
    assert line.endswith("(blocking after the first paint: a 100 ms task (script 1 ms); a 51 ms task (script 1 ms); "
                         "a 32 ms task (script 1 ms); a 21 ms task (script 1 ms))")


def test_lost_points_name_the_audits_behind_a_score():
    lighthouse = report(perf=0.9)
    lighthouse["categories"]["performance"]["auditRefs"] = [
        {"id": "total-blocking-time", "weight": 30}, {"id": "largest-contentful-paint", "weight": 25},
        {"id": "diagnostics", "weight": 0}]
    lighthouse["audits"]["total-blocking-time"]["score"] = 0.8
    lighthouse["audits"]["largest-contentful-paint"]["score"] = 1
    lighthouse["audits"]["diagnostics"] = {"score": 0}
    assert lost_points(lighthouse) == {"performance": {"total-blocking-time"}}
    result = page("index", "", (lighthouse, blocking()))
    result.runs[0]["best-practices"] = result.runs[0]["seo"] = 100
    assert check(result, Budget(tbt_ms=1000)) == ["index.html: performance 90 < 100 (lost on: total-blocking-time)"]


def test_axe_violations_fail_the_budget():
    result = page("tag", "tag/x.html", (report(), blocking()))
    result.axe = ["image-alt: img"]
    result.runs[0]["best-practices"] = result.runs[0]["seo"] = 100
    assert check(result, Budget()) == ["tag/x.html: axe: image-alt: img"]


def test_table_has_a_row_per_page():
    results = [page("index", "", (report(), blocking())),
               page("article + tabs", "articles/t.html", (report(doc=6853, tbt=137), blocking(12)))]
    lines = format_table(results).splitlines()
    assert len(lines) == 3 and lines[0].split()[:3] == ["page", "kind", "perf"]
    assert lines[0].rstrip().endswith("LH TBT  LH 4x")
    assert lines[1].startswith("index.html") and "articles/t.html" in lines[2] and "6,853" in lines[2]
    assert lines[2].split()[-2:] == ["137", "137"] and " 12 " in lines[2]


def test_chromium_flags_match_the_browser_tests():
    assert CHROMIUM_FLAGS == CHROMIUM_ARGS
    assert '--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"' in chrome_flags()


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Audit test page</title><meta name="description" content="A page for testing the audit.">
<link rel="icon" href="data:,"></head><body><main><h1>Audit</h1><p>{}</p>{}</main></body></html>"""


@pytest.mark.browser
def test_real_lighthouse_and_axe_run(tmp_path, own_playwright):
    """One real Lighthouse run and one real axe run through the nginx preview: the reports parse."""
    from islet.dev.audit import find_tools, run_axe, run_lighthouse
    from islet.dev.preview import Preview
    from islet.output.compress import compress_output

    build = write_files(tmp_path / "build", {
        "index.html": PAGE.format("Readers are on slow phones. " * 40, ""),
        "bad.html": PAGE.format("An image without a text alternative.", '<img src="data:," width="10" height="10">'),
        # 250 ms of script a moment after the page is up: blocking time no simulation can place before the paint.
        "busy.html": PAGE.format("A page that blocks.", '<script src="busy.js" defer></script>'),
        "busy.js": "setTimeout(() => { const end = performance.now() + 250; while (performance.now() < end); }, 200);\n",
        "robots.txt": "User-agent: *\nAllow: /\n",
        "_headers": headers.headers_file(headers.content_security_policy([], [])),
    })
    compress_output(build)
    tools = find_tools(ROOT)
    with Preview(build) as server:
        run = run_lighthouse(server.url, tools, tmp_path)
        busy = run_lighthouse(server.url + "busy.html", tools, tmp_path)
        m = metrics(run.report)
        found = run_axe([server.url, server.url + "bad.html"], tools)
    assert all(0 <= m[name] <= 100 for name in ("performance", "accessibility", "best-practices", "seo"))
    assert m["accessibility"] == 100 and m["lcp_ms"] > 0 and m["fcp_ms"] > 0 and m["cls"] >= 0
    # The document arrived brotli-compressed: more than its .br body (headers count), far less than the page.
    br, raw = (build / "index.html.br").stat().st_size, (build / "index.html").stat().st_size
    assert br < m["first_trip_bytes"] < min(br + 2000, raw)
    # Both reports come from the one page load; only the simulated CPU slowdown differs.
    index = run.default["environment"]["benchmarkIndex"]
    assert run.report["environment"]["benchmarkIndex"] == index and run.report["fetchTime"] == run.default["fetchTime"]
    assert metrics(run.default)["slowdown"] == 4 and m["slowdown"] == calibrated_slowdown(index)
    assert list(tmp_path.glob("artifacts-*")) == []        # the saved page load is deleted after use
    # Blocking time on one timeline: none on a page with nothing to run; the busy script's task named.
    assert run.blocking["tbt_ms"] == 0 and run.blocking["blocking"] == []
    assert run.blocking["first_paint_ms"] >= run.blocking["lighthouse_fcp_ms"] > 0
    assert busy.blocking["tbt_ms"] > 300
    task = max(busy.blocking["blocking"], key=lambda task: task["real_ms"])
    assert task["real_ms"] >= 250 and task["does"][0].startswith("script ")
    assert found[server.url] == []
    assert any(line.startswith("image-alt") for line in found[server.url + "bad.html"])


def test_the_blank_baseline_page_is_itself_clean(tmp_path, own_playwright):
    """The machine's baseline must lose no points of its own: only timing can keep it under 100."""
    from islet.dev.audit import audit_blank_page, find_tools

    baseline = audit_blank_page(find_tools(ROOT), 1, tmp_path, progress=lambda line: None)
    m = baseline.median
    assert (m["accessibility"], m["best-practices"], m["seo"]) == (100, 100, 100), baseline.lost
    assert m["lcp_ms"] > 0 and m["cls"] == 0
    assert "(blank page)" in format_table([baseline])
