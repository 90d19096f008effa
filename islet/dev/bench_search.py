"""Search at scale: what a query costs a reader, measured in Chromium on synthetic sites (``./dev bench-search``).

For each size, the bench corpus (islet.dev.bench) gets a search page; islet builds it (cold, timed, with the
build's own line on the index), then Chromium opens that page under Lighthouse's mobile CPU throttling (4x)
and types each query. For each query it reports the index files fetched (gzipped bytes, as a CDN sends them:
the files' gzip -6 sizes) and the time from the last keystroke to the results on screen.

`downloads` answers the same question without a browser, with the widget's own functions under CPython:
the tests use it, and the table shows it next to what Chromium fetched.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

from islet.errors import IsletError, Problem
from islet.output.search_index import gzipped

CPU_SLOWDOWN = 4          # Lighthouse's mobile default
TYPING_MS = 120           # between keystrokes: a quick typist on a phone
SEARCH_PAGE = "Title: Search\nSlug: search\n\n```widget search\nfallback: archives.html\n```\n"
PAGE_URL = "search.html"


class BenchSearchError(IsletError):
    """The site could not be built or measured."""


def answer(files: dict[str, bytes], query: str, limit: int = 8, site: Path | None = None) -> dict:
    """What the search widget does for `query` once it has the manifest, with its own functions under CPython
    (`site`'s widgets/search.py, else islet's): {"hits": every matching doc, best first, "fetched": the index
    files it downloads (the shards of its words, then the doc tables and fragments of the first `limit`
    results), "fragments": those results' fragments, "html": the results list}."""
    from islet.islands.testing import import_widget

    search = import_widget(site or Path.cwd(), "search")
    manifest = json.loads(files["search.json"])
    words = search.query_words(query, " " + manifest["stopwords"] + " ")
    if not words:
        return {"hits": [], "fetched": [], "fragments": [], "html": ""}
    wanted, prefixed = search.plan([s[0] for s in manifest["shards"]], words)
    shards = [f"search/t/{manifest['shards'][n][1]}.json" for n in wanted]
    hits = search.rank([json.loads(files[p]) for p in shards], words, prefixed, manifest["docs"])
    size = manifest["table"]
    tables = [f"search/d/{manifest['tables'][doc // size]}.json" for doc in hits[:limit]]
    names = [f"search/f/{json.loads(files[table])[doc % size]}.json" for doc, table in zip(hits, tables)]
    fragments = [json.loads(files[name]) for name in names]
    return {"hits": hits, "fetched": shards + list(dict.fromkeys(tables)) + names, "fragments": fragments,
            "html": "".join(search.result_html(f, words, prefixed, "") for f in fragments)}


def downloads(files: dict[str, bytes], query: str, limit: int = 8, site: Path | None = None) -> list[str]:
    """The index files a query fetches once the widget has the manifest (`answer`)."""
    return answer(files, query, limit, site)["fetched"]


def queries(words: list[str]) -> dict[str, str]:
    """One-word, three-word and prefix queries from the corpus' vocabulary."""
    return {"one word": words[0], "three words": " ".join(words[:3]), "prefix": words[3][:3]}


# --- in Chromium ---------------------------------------------------------------------------------------

# Wrapped in an object: evaluate_handle would otherwise wait for the promise, before anything is typed.
MEASURE = """
([query]) => ({done: new Promise(resolve => {
  const box = document.getElementById("search-q"), status = document.getElementById("search-status");
  const seen = new MutationObserver(() => {
    if (status.textContent.includes("\\u201c" + query + "\\u201d")) {
      seen.disconnect();
      resolve(performance.now() - window.__lastKey);
    }
  });
  seen.observe(status, {childList: true, characterData: true, subtree: true});
})})
"""


@dataclass
class QueryResult:
    query: str
    files: list[str]        # what Chromium fetched while the query was typed (earlier keystrokes search too)
    gzip_bytes: int
    ms: float               # from the last keystroke to the results on screen


def _serve(folder: Path, policy: bool = True):
    """Serve `folder` on loopback, with the site's headers (its CSP) unless `policy` is False."""
    from http.server import SimpleHTTPRequestHandler

    from islet.dev.serve import SiteHandler

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = SiteHandler if policy else Quiet
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def measure_in_chromium(output: Path, asked: dict[str, str]) -> tuple[int, dict[str, QueryResult]]:
    """Manifest gzip bytes, and for each query (typed on a fresh page whose widget has its manifest) what
    Chromium fetched and how long the results took."""
    from playwright.sync_api import sync_playwright

    from islet.dev.audit import CHROMIUM_FLAGS, find_tools

    tools = find_tools(Path.cwd())
    server = _serve(output)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    results = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=tools.chromium, args=CHROMIUM_FLAGS)
            for name, query in asked.items():
                results[name] = _one_query(browser, base, output, query)
            browser.close()
    finally:
        server.shutdown()
    return gzipped((output / "search.json").read_bytes()), results


def _one_query(browser, base: str, output: Path, query: str) -> QueryResult:
    # The site's CSP (sent by the server) forbids the page scripts the measurement adds: bypassed here only.
    context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda r: r.url.startswith(base + "search/") and fetched.append(r.url[len(base):]))
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.goto(base + PAGE_URL)
    page.evaluate("document.addEventListener('keydown', () => { window.__lastKey = performance.now(); }, true)")
    box = page.locator("#search-q")
    box.click()                                   # mounts the widget, which fetches the manifest
    page.wait_for_selector(".search-ready")
    page.wait_for_load_state("networkidle")
    waiting = page.evaluate_handle(MEASURE, [query])
    box.press_sequentially(query, delay=TYPING_MS)
    ms = page.evaluate("waiting => waiting.done", waiting)
    page.wait_for_load_state("networkidle")
    context.close()
    files = sorted(set(fetched))
    return QueryResult(query, files, sum(gzipped((output / f).read_bytes()) for f in files), ms)


# --- Pagefind on the same site, for comparison --------------------------------------------------------

PAGEFIND_QUERY = """
async ([query]) => {
  const started = performance.now();
  const found = await window.__pagefind.search(query);
  const shown = await Promise.all(found.results.slice(0, 8).map(result => result.data()));
  return [performance.now() - started, found.results.length, shown.length];
}
"""


def sent_size(body: bytes) -> int:
    """Bytes on the wire with gzip: Pagefind's index files are compressed already (then gzip only adds)."""
    return min(len(body), gzipped(body))


def measure_pagefind(output: Path, asked: dict[str, str], node_modules: Path) -> dict | None:
    """Pagefind (npm) indexes the same articles; its JavaScript API runs each query in Chromium as above: the
    bytes its files take on the wire and the time to the data of the first 8 results. None without Pagefind."""
    from playwright.sync_api import sync_playwright

    from islet.dev.audit import CHROMIUM_FLAGS, find_tools

    binary = node_modules / ".bin" / "pagefind"
    if not binary.exists():
        return None
    started = time.perf_counter()
    subprocess.run([str(binary), "--site", str(output), "--glob", "articles/*.html", "--output-subdir", "pagefind"],
                   check=True, capture_output=True)
    seconds = time.perf_counter() - started
    server = _serve(output, policy=False)      # Pagefind's WebAssembly needs 'wasm-unsafe-eval' in the CSP
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    rows = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=find_tools(Path.cwd()).chromium, args=CHROMIUM_FLAGS)
            for name, query in asked.items():
                context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
                page = context.new_page()
                fetched: list[str] = []
                page.on("request", lambda r, fetched=fetched: r.url.startswith(base + "pagefind/")
                        and fetched.append(r.url[len(base):].split("?")[0]))
                page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
                page.goto(base + "index.html")
                page.evaluate("async () => { window.__pagefind = await import('/pagefind/pagefind.js');"
                              " await window.__pagefind.init(); }")
                page.wait_for_load_state("networkidle")
                first = len(fetched)
                ms, count, _ = page.evaluate(PAGEFIND_QUERY, [query])
                query_files = sorted(set(fetched[first:]))
                rows[name] = {"query": query, "files": len(query_files), "results": count, "ms": round(ms, 1),
                              "gzip_bytes": sum(sent_size((output / f).read_bytes()) for f in query_files),
                              "start_bytes": sum(sent_size((output / f).read_bytes()) for f in set(fetched[:first]))}
                context.close()
            browser.close()
    finally:
        server.shutdown()
    files = [p for p in (output / "pagefind").rglob("*") if p.is_file()]
    return {"index_seconds": round(seconds, 2), "files": len(files), "queries": rows}


# --- the whole bench -----------------------------------------------------------------------------------

_REPORT = re.compile(r"Search index: .*")
_BUILT = re.compile(r"Built \d+ pages into .* in ([\d.]+) s")


def build_site(folder: Path, articles: int) -> tuple[float, float, str]:
    """A bench site of `articles` with a search page, built cold: (build seconds, index seconds, report line)."""
    from islet.dev.bench import generate_corpus, islet_site

    corpus = folder / "corpus"
    generate_corpus(corpus, articles)
    (corpus / "pages").mkdir()
    (corpus / "pages" / "search.md").write_text(SEARCH_PAGE, encoding="utf-8")
    tool = islet_site(folder / "islet", corpus)
    run = subprocess.run(tool.command, cwd=tool.site, env={**os.environ, **tool.env},
                         capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise BenchSearchError(Problem("bench-search", 0, f"the build of {articles} articles failed:\n{run.stdout[-2000:]}"
                                       f"{run.stderr[-2000:]}", "fix the build first (./dev build)"))
    line = _REPORT.search(run.stdout)
    built = _BUILT.search(run.stdout)
    if line is None or built is None:
        raise BenchSearchError(Problem("bench-search", 0, "the build wrote no search index",
                                       "the search page must use the search widget"))
    index_seconds = float(re.search(r"([\d.]+) s\.$", line[0])[1])
    return float(built[1]), index_seconds, line[0]


def run(sizes: list[int], workdir: Path | None = None, progress=print) -> list[dict]:
    from islet.dev.bench import WORDS

    rows = []
    with tempfile.TemporaryDirectory(prefix="islet-bench-search-") as temporary:
        base = Path(workdir) if workdir else Path(temporary)
        for articles in sizes:
            folder = base / f"n{articles}"
            shutil.rmtree(folder, ignore_errors=True)
            progress(f"{articles:,} articles: generating and building…", flush=True)
            seconds, index_seconds, line = build_site(folder, articles)
            output = folder / "islet" / "build"
            asked = queries(WORDS[7:])
            progress(f"{articles:,} articles: searching in Chromium (CPU {CPU_SLOWDOWN}x slower)…", flush=True)
            manifest, results = measure_in_chromium(output, asked)
            files = {p.relative_to(output).as_posix(): p.read_bytes()
                     for p in [output / "search.json", *(output / "search").rglob("*.json")]}
            site = folder / "islet"
            own = {name: downloads(files, r.query, 8, site) for name, r in results.items()}
            progress(f"{articles:,} articles: Pagefind on the same articles…", flush=True)
            pagefind = measure_pagefind(output, asked, site / "node_modules")
            rows.append({"articles": articles, "build_seconds": seconds, "index_seconds": index_seconds,
                         "report": line, "manifest_gzip": manifest,
                         "queries": {name: {"query": r.query, "fetched_files": len(r.files),
                                            "fetched_gzip_bytes": r.gzip_bytes, "ms": round(r.ms, 1),
                                            "files": len(own[name]), "paths": own[name], "fetched": r.files,
                                            "gzip_bytes": sum(gzipped(files[f]) for f in own[name])}
                                     for name, r in results.items()},
                         "pagefind": pagefind})
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"Search in Chromium at 360 px, CPU {CPU_SLOWDOWN}x slower (Lighthouse mobile), typed at one key per "
             f"{TYPING_MS} ms. 'query': the gzipped index files the query itself needs; 'while typing': what Chromium "
             "fetched as each keystroke searched; 'results': last keystroke to results on screen."]
    for row in rows:
        share = row["index_seconds"] / row["build_seconds"] if row["build_seconds"] else 0
        lines.append(f"\n{row['articles']:,} articles: cold build {row['build_seconds']:.1f} s, of which the index "
                     f"{row['index_seconds']:.2f} s ({share:.0%}); manifest {row['manifest_gzip']:,} B gzipped "
                     "(once, when the box is first used)")
        lines.append(f"  {row['report']}")
        lines.append(f"  {'':<12} {'typed':<26} {'query':>18} {'while typing':>20} {'results':>9}")
        for name, q in row["queries"].items():
            lines.append(f"  {name:<12} {q['query']!r:<26} {q['files']:>3} files {q['gzip_bytes']:>6,} B "
                         f"{q['fetched_files']:>3} files {q['fetched_gzip_bytes']:>6,} B {q['ms']:>6.0f} ms")
        pagefind = row.get("pagefind")
        if pagefind:
            start = max(q["start_bytes"] for q in pagefind["queries"].values())
            lines.append(f"  Pagefind 1.6 on the same articles: index {pagefind['index_seconds']:.1f} s, "
                         f"{pagefind['files']:,} files; {start:,} B before the first query (script, WebAssembly, "
                         "metadata); then, search and the data of 8 results:")
            for name, q in pagefind["queries"].items():
                lines.append(f"  {name:<12} {q['query']!r:<26} {q['files']:>3} files {q['gzip_bytes']:>6,} B "
                             f"{'':>20} {q['ms']:>6.0f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m islet.dev.bench_search", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="1000,10000", help="comma-separated sizes (default 1000,10000)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--workdir", help="keep the sites in this folder")
    args = parser.parse_args(argv)
    rows = run([int(n) for n in args.articles.split(",")], Path(args.workdir) if args.workdir else None)
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
