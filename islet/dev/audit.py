"""Audit: Lighthouse (mobile) and axe-core on one page of each kind, served like a CDN, against budgets.

    pages  = choose_pages(build)                 # index, a plain article, an article per widget, a tag page
    report = audit(build, budget, runs=3)        # Lighthouse runs + axe per page, through islet.dev.preview
    print(format_table(report.results)); report.failures → what is over budget

Lighthouse uses its default mobile configuration (simulated slow 4G, simulated CPU slowdown); each
page is run `runs` times and every figure is the median of its runs, since scores vary between runs
on a busy machine. The CPU slowdown is calibrated to the machine, as Lighthouse's own documentation
advises (docs/throttling.md, "Calibrating the CPU slowdown"): its default 4x turns a high-end desktop
(benchmark index ~1,500-2,000) into a mid-tier phone, and on a slower host it simulates a slower
phone than intended. Each run is audited twice from the same page load: with the slowdown
Lighthouse's calculator gives for that run's benchmark index (the budget's figures) and with the
default 4x (shown beside them). `calibrate=False` holds the budget to the 4x figures instead.
Total blocking time is blocking.mjs's: Lighthouse's own simulation of the same load, with the first
paint taken from that simulation rather than from another one (lighthouse#11677; see that file).
Lighthouse's own figure is shown beside it.
axe-core runs once per page (it is deterministic). "First round trip" is the bytes the browser
receives for the HTML document and any stylesheet, headers included (as Lighthouse measured them,
compressed): an article must fit in the first TCP round trip, about 14 KB.
The pure parts (page choice, report parsing, medians, budget check, table) are separate from the
parts that run Chromium, so they are tested without it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from islet.errors import IsletError, Problem, ToolMissingError
from islet.islands.hydrate import ISLAND

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
BUSY_BENCHMARK = 1000   # below this benchmark index Lighthouse itself warns that the host is underpowered
DEFAULT_SLOWDOWN = 4.0  # Lighthouse's mobile CPU slowdown, right for a host of benchmark index ~1,533
# Quiet and offline, as the browser tests run it (tests/support/browser.py CHROMIUM_ARGS; a test keeps them equal).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
BUNDLE = re.compile(r"([A-Za-z0-9_]+)-[A-Z0-9]{8}\.js$")
ARTICLE = re.compile(r'<meta property="og:type" content="article"')


class AuditError(IsletError):
    """Lighthouse or axe could not audit a page."""


@dataclass(frozen=True)
class Budget:
    """The audit's thresholds. Defaults are the project's targets for readers on slow phones."""
    min_score: int = 100                 # each Lighthouse category, 0–100
    lcp_ms: float = 1200                 # simulated Largest Contentful Paint
    tbt_ms: float = 0                    # Total Blocking Time
    cls: float = 0                       # Cumulative Layout Shift
    first_trip_bytes: int = 14 * 1024    # an article's HTML + critical CSS, compressed, headers included


@dataclass(frozen=True)
class Target:
    kind: str      # "index", "article", "article + chart", "tag"
    path: str      # relative URL path in the build, e.g. "articles/x.html" ("" for the index)


@dataclass(frozen=True)
class LighthouseRun:
    """One page load, audited with the budget's CPU slowdown and with Lighthouse's default 4x."""
    report: dict          # the figures the budget checks
    default: dict         # the same load at 4x (the same report when the slowdown is not calibrated)
    blocking: dict        # blocking.mjs on the same load, at the budget's slowdown: one-timeline TBT and its tasks


@dataclass
class PageResult:
    target: Target
    runs: list[dict[str, float]]                       # one metrics() per Lighthouse run
    axe: list[str] = field(default_factory=list)       # one line per violation and node
    lost: dict[str, set[str]] = field(default_factory=dict)   # category -> audits that cost points in some run
    blockers: dict[str, float] = field(default_factory=dict)   # task that blocked after the first paint -> real ms

    @property
    def median(self) -> dict[str, float]:
        return median_metrics(self.runs)


@dataclass
class AuditReport:
    results: list[PageResult]
    notes: list[str]
    failures: list[str]
    baseline: PageResult | None = None     # the same runs on a blank page: what this machine costs any page


# The machine's floor: a page with nothing to parse, style or run. Whatever it scores (blocking time
# above 0 on a slow or busy machine) is Chromium's own work under the 4x slowdown, not the site's.
BLANK = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
         '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Blank</title>'
         '<link rel="icon" href="data:,">'
         '<meta name="description" content="A blank page: the machine\'s baseline for the audit."></head>'
         '<body><main><h1>Blank</h1><p>One paragraph.</p></main></body></html>')


def choose_pages(output: Path) -> tuple[list[Target], list[str]]:
    """One page of each kind from a built site, and notes on what could not be covered.

    Articles are the pages Pelican marks ``og:type article``; the plain article is the one with the
    fewest widgets; a widget's article is the first (by name) whose HTML holds an island of it. A
    page chosen for several widgets is audited once.
    """
    output = Path(output)
    pages = sorted(p for p in output.rglob("*.html") if p.is_file())
    articles = [(p, p.read_text(encoding="utf-8", errors="replace")) for p in pages]
    articles = [(p, text) for p, text in articles if ARTICLE.search(text)]
    if not (output / "index.html").is_file():
        raise AuditError(Problem(str(output), 0, "no index.html to audit", "build the site first (./dev build)"))
    targets, notes, plain = [Target("index", "")], [], None
    if articles:
        # The plain article has the fewest widgets (none, unless the theme puts one on every page).
        plain = min(articles, key=lambda item: len(set(ISLAND.findall(item[1]))))[0]
        targets.append(Target("article", _url(plain, output)))
    widgets = sorted({name for _, text in articles for name in ISLAND.findall(text)})
    chosen: dict[Path, list[str]] = {}       # page -> the widgets it is audited for
    for name in widgets:
        if any(name in ISLAND.findall(text) for page, text in articles if page == plain):
            continue                          # already covered by the plain article
        page = next(p for p, text in articles if name in ISLAND.findall(text))
        chosen.setdefault(page, []).append(name)
    for page, names in chosen.items():
        targets.append(Target("article + " + ", ".join(names), _url(page, output)))
    # Every compiled widget has a bundle widgets/NAME-HASH.js; one that no article uses cannot be audited.
    bundles = {m.group(1) for p in (output / "widgets").glob("*.js") if (m := BUNDLE.match(p.name))}
    unused = sorted(bundles - set(widgets) - {"loader"})
    if unused:
        notes.append(f"no article uses the widget(s) {', '.join(unused)}: not audited")
    tags = sorted((output / "tag").glob("*.html"))
    if tags:
        targets.append(Target("tag", _url(tags[0], output)))
    else:
        notes.append("no tag page (tag/*.html) to audit")
    return targets, notes


def _url(page: Path, output: Path) -> str:
    return page.relative_to(output).as_posix()


def metrics(report: dict) -> dict[str, float]:
    """One Lighthouse JSON report → the figures the budget checks (scores 0–100, times in ms, bytes)."""
    if report.get("runtimeError"):
        error = report["runtimeError"]
        raise AuditError(Problem(report.get("requestedUrl", "?"), 0, f"Lighthouse could not load the page: "
                                 f"{error.get('code')}: {error.get('message')}", "open the URL in a browser"))
    figures = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    audits = report["audits"]
    figures["lcp_ms"] = audits["largest-contentful-paint"]["numericValue"]
    figures["fcp_ms"] = audits["first-contentful-paint"]["numericValue"]
    figures["lighthouse_tbt_ms"] = audits["total-blocking-time"]["numericValue"]
    figures["cls"] = audits["cumulative-layout-shift"]["numericValue"]
    requests = audits["network-requests"]["details"]["items"]
    document = report.get("finalDisplayedUrl") or report.get("finalUrl")
    figures["first_trip_bytes"] = sum(item.get("transferSize", 0) for item in requests
                                      if item["url"] == document or item.get("resourceType") == "Stylesheet")
    # Lighthouse's own CPU benchmark of this machine: low values mean a busy machine and pessimistic timings.
    figures["benchmark"] = report.get("environment", {}).get("benchmarkIndex", 0)
    figures["slowdown"] = report.get("configSettings", {}).get("throttling", {}).get("cpuSlowdownMultiplier",
                                                                                     DEFAULT_SLOWDOWN)
    return figures


def calibrated_slowdown(benchmark_index: float) -> float:
    """The CPU slowdown that makes a host of this benchmark index simulate the phone Lighthouse's 4x
    simulates on its reference hosts: the formula of Lighthouse's CPU slowdown calculator
    (lighthouse-cpu-throttling-calculator.vercel.app, linked from Lighthouse's docs/throttling.md):
    2,000 → 6x, 1,533 → 4x, 1,300 → 3x, 800 → 2x, 150 → 1x, linear in between, never below 1x."""
    if benchmark_index >= 1300:
        slowdown = 3 + (benchmark_index - 1300) / 233
    elif benchmark_index >= 800:
        slowdown = 2 + (benchmark_index - 800) / 500
    else:
        slowdown = 1 + (benchmark_index - 150) / 650
    return round(max(slowdown, 1.0), 2)


def lost_points(report: dict) -> dict[str, set[str]]:
    """Category → the weighted audits that scored below 1 in this report (why a score is under 100)."""
    lost: dict[str, set[str]] = {}
    for name in CATEGORIES:
        for ref in report["categories"][name].get("auditRefs", []):
            result = report["audits"].get(ref["id"], {})
            if ref.get("weight") and result.get("score") is not None and result["score"] < 1:
                lost.setdefault(name, set()).add(ref["id"])
    return lost


def median_metrics(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]} if runs else {}


def check(result: PageResult, budget: Budget) -> list[str]:
    """What is over budget on one page, one line each (empty: within budget)."""
    m, where, failures = result.median, result.target.path or "index.html", []
    for name in CATEGORIES:
        if m[name] < budget.min_score:
            why = ", ".join(sorted(result.lost.get(name, ())))
            failures.append(f"{where}: {name} {m[name]:.0f} < {budget.min_score}" + (f" (lost on: {why})" if why else ""))
    if m["lcp_ms"] > budget.lcp_ms:
        failures.append(f"{where}: LCP {m['lcp_ms']:.0f} ms > {budget.lcp_ms:.0f} ms")
    if m["tbt_ms"] > budget.tbt_ms:
        blockers = "; ".join(sorted(result.blockers, key=result.blockers.get, reverse=True)[:4])   # longest first
        failures.append(f"{where}: total blocking time {m['tbt_ms']:.0f} ms > {budget.tbt_ms:.0f} ms"
                        + (f" (blocking after the first paint: {blockers})" if blockers else ""))
    if m["cls"] > budget.cls:
        failures.append(f"{where}: CLS {m['cls']:.3f} > {budget.cls}")
    if result.target.kind.startswith("article") and m["first_trip_bytes"] > budget.first_trip_bytes:
        failures.append(f"{where}: HTML + CSS {m['first_trip_bytes']:,.0f} B compressed > "
                        f"{budget.first_trip_bytes:,} B (the first round trip)")
    failures += [f"{where}: axe: {line}" for line in result.axe]
    return failures


def format_table(results: list[PageResult]) -> str:
    head = ("page", "kind", "perf", "a11y", "bp", "seo", "FCP ms", "LCP ms", "TBT ms", "CLS", "1st trip B", "axe",
            "bench", "CPU x", "LH TBT", "LH 4x")
    rows = [head]
    for result in results:
        m = result.median
        rows.append((result.target.path or "index.html", result.target.kind,
                     *(f"{m[name]:.0f}" for name in CATEGORIES), f"{m['fcp_ms']:.0f}", f"{m['lcp_ms']:.0f}",
                     f"{m['tbt_ms']:.0f}", f"{m['cls']:.3f}", f"{m['first_trip_bytes']:,.0f}", str(len(result.axe)),
                     f"{m['benchmark']:.0f}", f"{m['slowdown']:.2f}", f"{m['lighthouse_tbt_ms']:.0f}",
                     f"{m.get('tbt_default_ms', m['lighthouse_tbt_ms']):.0f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in
                               enumerate(zip(row, widths))) for row in rows)


# ---- the parts that run Chromium -------------------------------------------------------------

@dataclass(frozen=True)
class Tools:
    lighthouse: Path
    chromium: str
    axe: Path

    @property
    def lighthouse_package(self) -> Path:
        """node_modules/lighthouse, whose own modules blocking.mjs imports (`lighthouse` is node_modules/.bin/…)."""
        return self.lighthouse.parent.parent / "lighthouse"


def find_tools(root: Path) -> Tools:
    lighthouse = Path(root) / "node_modules" / ".bin" / "lighthouse"
    axe = Path(root) / "node_modules" / "axe-core" / "axe.min.js"
    for path, package in ((lighthouse, "lighthouse"), (axe, "axe-core")):
        if not path.exists():
            raise ToolMissingError(Problem(str(path), 0, f"{package} is not installed",
                                           "run `npm ci` in the site root (package.json pins it); ./dev audit does this"))
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        raise ToolMissingError(Problem("chromium", 0, "Chromium is not installed",
                                       "apt-get install chromium (./dev audit installs it)"))
    if shutil.which("node") is None:
        raise ToolMissingError(Problem("node", 0, "Node.js is not installed", "install Node.js 20"))
    return Tools(lighthouse, chromium, axe)


def chrome_flags() -> str:
    """--chrome-flags for Lighthouse: values with spaces quoted (Lighthouse parses the string like a shell)."""
    def quoted(flag: str) -> str:
        name, _, value = flag.partition("=")
        return f'{name}="{value}"' if " " in value else flag
    return " ".join(["--headless=new", *(quoted(flag) for flag in CHROMIUM_FLAGS)])


def run_lighthouse(url: str, tools: Tools, workdir: Path, calibrate: bool = True, attempts: int = 3) -> LighthouseRun:
    """One Lighthouse run (mobile defaults) → its JSON reports, calibrated and at 4x.

    On a busy machine Lighthouse sometimes loses its trace (NO_NAVSTART, "Please run Lighthouse
    again"): such a run is repeated, up to `attempts` times in all.
    """
    for attempt in range(1, attempts + 1):
        artifacts = Path(tempfile.mkdtemp(prefix="artifacts-", dir=workdir))
        try:
            default = _lighthouse(url, tools, workdir, [f"--gather-mode={artifacts}", f"--audit-mode={artifacts}"])
            report = _recalibrated(url, artifacts, default, tools, workdir) if calibrate else default
            return LighthouseRun(report, default, _blocking(url, artifacts, metrics(report)["slowdown"], tools))
        except AuditError as error:
            if attempt == attempts or "run Lighthouse again" not in str(error):
                raise
        finally:
            shutil.rmtree(artifacts, ignore_errors=True)     # a page load's trace is tens of megabytes


def _recalibrated(url: str, artifacts: Path, default: dict, tools: Tools, workdir: Path) -> dict:
    """The page load saved in `artifacts`, audited again with the slowdown calibrated to its benchmark index.

    Lighthouse refuses to audit artifacts under other settings than they were gathered with, so the
    saved settings are brought in line first. That changes no measurement: with simulated throttling
    the page loads at full speed while gathering, and the slowdown only scales the trace's CPU tasks
    when the audit simulates the load.
    """
    slowdown = calibrated_slowdown(default.get("environment", {}).get("benchmarkIndex", 0))
    saved = artifacts / "artifacts.json"
    data = json.loads(saved.read_text(encoding="utf-8"))
    if data["settings"].get("throttlingMethod") != "simulate":
        raise AuditError(Problem(url, 0, f"Lighthouse throttled by {data['settings'].get('throttlingMethod')!r}, "
                                 "not 'simulate': the CPU slowdown cannot be calibrated afterwards",
                                 "run the audit with calibrate=False (./dev audit --no-calibrate)"))
    data["settings"]["throttling"]["cpuSlowdownMultiplier"] = slowdown
    saved.write_text(json.dumps(data), encoding="utf-8")
    return _lighthouse(url, tools, workdir, [f"--audit-mode={artifacts}",
                                             f"--throttling.cpuSlowdownMultiplier={slowdown}"])


def _blocking(url: str, artifacts: Path, slowdown: float, tools: Tools) -> dict:
    """blocking.mjs on a saved page load: total blocking time in one simulated timeline (see that file)."""
    command = ["node", str(Path(__file__).with_name("blocking.mjs")), str(tools.lighthouse_package), str(artifacts),
               str(slowdown)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        raise AuditError(Problem(url, 0, f"blocking.mjs failed (exit {run.returncode}): "
                                 f"{run.stderr.strip()[-800:] or 'no message'}",
                                 "check that node_modules/lighthouse is the version package-lock.json pins (npm ci)"))
    return json.loads(run.stdout)


def _lighthouse(url: str, tools: Tools, workdir: Path, mode: list[str]) -> dict:
    output = Path(tempfile.mkstemp(suffix=".json", dir=workdir)[1])
    command = [str(tools.lighthouse), url, "--output=json", f"--output-path={output}", "--quiet",
               f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={chrome_flags()}", *mode]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "CHROME_PATH": tools.chromium})
    if run.returncode != 0 or not output.stat().st_size:
        raise AuditError(Problem(url, 0, f"Lighthouse failed (exit {run.returncode}): "
                                 f"{run.stderr.strip()[-800:] or 'no message'}",
                                 f"run it by hand to see more: {' '.join(command[:2])}"))
    return json.loads(output.read_text(encoding="utf-8"))


def run_axe(urls: list[str], tools: Tools) -> dict[str, list[str]]:
    """axe-core on each URL in one Chromium (JavaScript on, 360 px wide) → violations per URL."""
    from playwright.sync_api import sync_playwright

    script = tools.axe.read_text(encoding="utf-8") + ";0"
    found: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=tools.chromium, args=CHROMIUM_FLAGS)
        try:
            # bypass_csp only lets the test inject axe; the page itself runs as served.
            context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
            for url in urls:
                page = context.new_page()
                page.goto(url, wait_until="load")
                page.evaluate(script)
                found[url] = page.evaluate("""async () => {
                    const result = await axe.run(document, {resultTypes: ['violations']});
                    return result.violations.flatMap(v => v.nodes.map(n => `${v.id}: ${n.target.join(' ')}`));
                }""")
                page.close()
        finally:
            browser.close()
    return found


def audit(output: Path, root: Path, budget: Budget = Budget(), runs: int = 3, calibrate: bool = True,
          progress=print) -> AuditReport:
    """Serve `output` through islet.dev.preview and audit one page of each kind against `budget`."""
    from .preview import Preview

    tools = find_tools(root)
    targets, notes = choose_pages(output)
    results = []
    with Preview(output) as server, tempfile.TemporaryDirectory(prefix="islet-audit-") as workdir:
        axe = run_axe([server.url + t.path for t in targets], tools)
        for target in targets:
            url = server.url + target.path
            result = PageResult(target, [], axe[url])
            for number in range(1, runs + 1):
                progress(f"Lighthouse {number}/{runs}: {target.path or 'index.html'} ({target.kind})")
                add_run(result, run_lighthouse(url, tools, Path(workdir), calibrate))
            results.append(result)
        baseline = audit_blank_page(tools, runs, Path(workdir), calibrate, progress)
    failures = [line for result in results for line in check(result, budget)]
    floor = baseline.median
    notes.append(f"a blank page on this machine (same runs): performance {floor['performance']:.0f}, "
                 f"LCP {floor['lcp_ms']:.0f} ms, total blocking time {floor['tbt_ms']:.0f} ms "
                 f"(Lighthouse's own figure {floor['lighthouse_tbt_ms']:.0f} ms); "
                 "up to that much of each page's figure is the machine's, not the site's")
    notes.append("TBT: Lighthouse's simulation on one timeline (islet/dev/blocking.mjs, lighthouse#11677); "
                 "LH TBT: Lighthouse's own figure, whose first paint comes from another simulation (not budgeted)")
    slowdowns = [run["slowdown"] for result in results for run in result.runs]
    if calibrate and slowdowns:
        notes.append(f"CPU slowdown calibrated to each run's benchmark index: {min(slowdowns):.2f}x to "
                     f"{max(slowdowns):.2f}x (Lighthouse's default is {DEFAULT_SLOWDOWN:.0f}x, for a host of index ~1,533; "
                     "column LH 4x); --no-calibrate holds the budget to the 4x figures")
    slowest = min((result.median["benchmark"] for result in results), default=BUSY_BENCHMARK)
    if slowest < BUSY_BENCHMARK:
        notes.append(f"Lighthouse's CPU benchmark was as low as {slowest:.0f} (under {BUSY_BENCHMARK}: a busy machine), "
                     "so timings and performance scores are pessimistic; run again when the machine is idle")
    return AuditReport(results, notes, failures, baseline)


def audit_blank_page(tools: Tools, runs: int, workdir: Path, calibrate: bool = True, progress=print) -> PageResult:
    """Lighthouse `runs` times on BLANK, served by its own preview with the site's kind of headers."""
    from islet.output.headers import content_security_policy, headers_file

    from .preview import Preview

    folder = workdir / "blank"
    folder.mkdir(exist_ok=True)
    (folder / "index.html").write_text(BLANK, encoding="utf-8")
    (folder / "_headers").write_text(headers_file(content_security_policy([], [])), encoding="utf-8")
    result = PageResult(Target("machine baseline", "(blank page)"), [])
    with Preview(folder) as server:
        for number in range(1, runs + 1):
            progress(f"Lighthouse {number}/{runs}: a blank page (the machine's baseline)")
            add_run(result, run_lighthouse(server.url, tools, workdir, calibrate))
    return result


def describe_task(task: dict) -> str:
    """One blocking task from blocking.mjs, for a person: how long, what it did, which script."""
    what = ", ".join(task["does"]) or "no known work"
    script = f", {task['urls'][0].rsplit('/', 1)[-1]}" if task["urls"] else ""
    return f"a {task['real_ms']:.0f} ms task ({what}{script})"


def add_run(result: PageResult, run: LighthouseRun) -> None:
    """One Lighthouse run's figures, and the audits that cost points, into a page's result."""
    figures = metrics(run.report)
    figures["tbt_ms"] = run.blocking["tbt_ms"]
    figures["tbt_default_ms"] = run.default["audits"]["total-blocking-time"]["numericValue"]
    result.runs.append(figures)
    result.blockers.update((describe_task(task), task["real_ms"]) for task in run.blocking["blocking"])
    for category, audits in lost_points(run.report).items():
        result.lost.setdefault(category, set()).update(audits)
