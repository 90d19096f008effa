"""Search at scale: what a query costs a reader, measured in Chromium on synthetic sites (``./dev bench-search``).

For each size, the bench corpus (islet.dev.bench) gets a search page; islet builds it (cold, timed, with the
build's own line on the index), then Chromium opens that page under Lighthouse's mobile CPU throttling (4x)
and types each query. For each query it reports the index files fetched (gzipped bytes, as a CDN sends them:
the files' gzip -6 sizes) and the time from the last keystroke to the results on screen.

`downloads` answers the same question without a browser, with the widget's own functions under CPython:
the tests use it, and the table shows it next to what Chromium fetched.
"""
from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

from islet.errors import IsletError, Problem

CPU_SLOWDOWN = 4          # Lighthouse's mobile default
SEARCH_PAGE = "Title: Search\nSlug: search\n\n```widget search\nfallback: archives.html\n```\n"
PAGE_URL = "pages/search.html"


class BenchSearchError(IsletError):
    """The site could not be built or measured."""


def downloads(files: dict[str, bytes], query: str, limit: int = 8, site: Path | None = None) -> list[str]:
    """The index files (paths) the search widget fetches for `query` once it has the manifest: the shards of
    its words, then the doc tables and fragments of the first `limit` results (`site`'s widgets/search.py,
    else islet's)."""
    from islet.islands.testing import import_widget

    search = import_widget(site or Path.cwd(), "search")

    manifest = json.loads(files["search.json"])
    words = search.query_words(query, " " + manifest["stopwords"] + " ")
    if not words:
        return []
    wanted, prefixed = search.plan([s[0] for s in manifest["shards"]], words)
    shards = [f"search/t/{manifest['shards'][n][1]}.json" for n in wanted]
    hits = search.rank([json.loads(files[p]) for p in shards], words, prefixed, manifest["docs"])[:limit]
    size = manifest["table"]
    tables = [f"search/d/{manifest['tables'][doc // size]}.json" for doc in hits]
    fragments = [f"search/f/{json.loads(files[table])[doc % size]}.json" for doc, table in zip(hits, tables)]
    tables = list(dict.fromkeys(tables))
    return shards + tables + fragments


def gzipped(body: bytes) -> int:
    return len(gzip.compress(body, 6, mtime=0))


def queries(words: list[str]) -> dict[str, str]:
    """One-word, three-word and prefix queries from the corpus' vocabulary."""
    return {"one word": words[0], "three words": " ".join(words[:3]), "prefix": words[3][:3]}


# --- in Chromium ---------------------------------------------------------------------------------------

MEASURE = """
([query]) => new Promise(resolve => {
  const box = document.getElementById("search-q"), status = document.getElementById("search-status");
  const seen = new MutationObserver(() => {
    if (status.textContent.includes("\\u201c" + query + "\\u201d")) {
      seen.disconnect();
      resolve(performance.now() - window.__lastKey);
    }
  });
  seen.observe(status, {childList: true, characterData: true, subtree: true});
})
"""


@dataclass
class QueryResult:
    query: str
    files: list[str]
    gzip_bytes: int
    ms: float


def _serve(folder: Path):
    from islet.dev.serve import SiteHandler

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SiteHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def measure_in_chromium(output: Path, asked: dict[str, str]) -> tuple[int, dict[str, QueryResult]]:
    """Manifest gzip bytes, and for each query what Chromium fetched and how long the results took."""
    from playwright.sync_api import sync_playwright

    from islet.dev.audit import CHROMIUM_FLAGS, find_tools

    tools = find_tools(Path.cwd())
    server = _serve(output)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    fetched: list[str] = []
    results = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=tools.chromium, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.on("request", lambda r: r.url.startswith(base) and fetched.append(r.url[len(base):]))
            cdp = page.context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
            page.goto(base + PAGE_URL)
            page.evaluate("document.addEventListener('keydown', () => { window.__lastKey = performance.now(); }, true)")
            box = page.locator("#search-q")
            box.click()
            page.wait_for_function("document.querySelector('.search-ready') !== null")
            page.wait_for_timeout(500)
            manifest = gzipped((output / "search.json").read_bytes())
            for name, query in asked.items():
                box.fill("")
                page.wait_for_timeout(200)
                fetched.clear()
                waiting = page.evaluate_handle(MEASURE, [query])
                box.press_sequentially(query, delay=60)
                ms = page.evaluate("p => p", waiting)
                page.wait_for_timeout(300)
                files = sorted({f for f in fetched if f.startswith("search/")})
                results[name] = QueryResult(query, files, sum(gzipped((output / f).read_bytes()) for f in files), ms)
            browser.close()
    finally:
        server.shutdown()
    return manifest, results


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
    run = subprocess.run(tool.command, cwd=tool.site, env={**__import__("os").environ, **tool.env},
                         capture_output=True, text=True)
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
            progress(f"{articles:,} articles: generating and building…")
            seconds, index_seconds, line = build_site(folder, articles)
            output = folder / "islet" / "build"
            asked = queries(WORDS[7:])
            progress(f"{articles:,} articles: searching in Chromium (CPU {CPU_SLOWDOWN}x slower)…")
            manifest, results = measure_in_chromium(output, asked)
            files = {p.relative_to(output).as_posix(): p.read_bytes()
                     for p in [output / "search.json", *(output / "search").rglob("*.json")]}
            rows.append({"articles": articles, "build_seconds": seconds, "index_seconds": index_seconds,
                         "report": line, "manifest_gzip": manifest,
                         "queries": {name: {"query": r.query, "files": len(r.files), "gzip_bytes": r.gzip_bytes,
                                            "ms": round(r.ms, 1),
                                            "expected_files": len(downloads(files, r.query))}
                                     for name, r in results.items()}})
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"Search, measured in Chromium at 360 px with the CPU {CPU_SLOWDOWN}x slower (Lighthouse mobile); "
             "bytes are the gzipped sizes of the index files a query fetched."]
    for row in rows:
        share = row["index_seconds"] / row["build_seconds"] if row["build_seconds"] else 0
        lines.append(f"\n{row['articles']:,} articles: cold build {row['build_seconds']:.1f} s, of which the index "
                     f"{row['index_seconds']:.2f} s ({share:.0%}); manifest {row['manifest_gzip']:,} B gzipped "
                     "(once, when the box is first used)")
        lines.append(f"  {row['report']}")
        lines.append(f"  {'query':<12} {'typed':<28} {'files':>5} {'gzip':>10} {'results after':>14}")
        for name, q in row["queries"].items():
            lines.append(f"  {name:<12} {q['query']!r:<28} {q['files']:>5} {q['gzip_bytes']:>8,} B "
                         f"{q['ms']:>11.0f} ms")
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
