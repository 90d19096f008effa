"""Bench: plain Pelican and islet, side by side, on the same synthetic corpus.

    python -m islet.dev.bench [--articles 1000] [--repeat 1] [--json .cache/bench-1000.json]

1. `generate_corpus` writes N Markdown articles (front matter, headings, paragraphs, lists,
   Python and JavaScript code blocks, 1–4 tags, one of ten categories, dates, valid links to
   earlier articles) from a seeded RNG: the same N and seed give the same bytes.
2. Two sites are set up in a temporary folder: plain Pelican with its default settings and
   theme and no plugins, and islet with a copy of this project's pelicanconf.py, theme and widgets.
3. For each repeat and each tool, three builds run in a fresh process each, so their peak
   memory is their own: cold (no output, no caches), again with nothing changed, and again
   after one article was edited (the edit is checked to be in the output). The tools take turns
   phase by phase (Pelican's cold build, islet's, Pelican's no-op build…; the other tool first in
   the next repeat), so that the builds compared run close together in time.
4. Meanwhile islet's build server runs (``python -m islet server start``, islet.build.server; after one
   untimed build, the server has learnt what a build imports). After the three phases, islet's cold and
   one-edit builds are timed again through it: the command and the build are the same, only the imports
   are done already. Only their wall time means something (the build runs in the server's process tree).
5. Then islet's dev server (``./dev livereload``) runs on its site, and one more edit is timed
   until the open article is told to reload (and shows it), and until build/ has it
   (islet.dev.bench_livereload).

Times are wall-clock seconds of the whole command (start-up included) and its CPU seconds
(user + system, whole process tree; steadier than wall time on a shared machine), each the
median over the repeats; a ratio is the median of the repeats' ratios (islet's build over
Pelican's of the same phase and repeat). The load average at each start is recorded too. Before a cold build,
the output and caches of the last one are moved aside, and deleted only once every build was timed: on a file
system that avoids reusing the inodes of files deleted in the last minutes (ext4 without a journal, as here),
each file a build creates after such a deletion first skips every inode it freed. That cost 0.3–0.6 s of a
cold build of 1,000 articles here, the more the more files the last build wrote, a cost of the bench's own
deleting and not of either tool's build. Peak memory is
``ru_maxrss`` of the build: the largest single process in its tree. Both tools run with Python's
compiled-module cache on (``PYTHONDONTWRITEBYTECODE`` is dropped), as after a ``pip install``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from islet.errors import IsletError, Problem, print_problems

from . import bench_livereload

ROOT = Path(__file__).resolve().parents[2]     # the repository: the demo site the corpus is made from
PHASES = {"cold": "cold full build", "noop": "rebuild, nothing changed", "edit": "rebuild, one article edited"}
TOOLS = ("pelican", "islet")

CATEGORIES = ["Architecture", "Performance", "Python", "Tooling", "Testing", "Accessibility", "Hosting",
              "Data", "Design", "Operations"]
TAGS = ["caching", "static hosting", "benchmarks", "python", "javascript", "accessibility", "islands", "css",
        "markdown", "testing", "ci", "http", "compression", "images", "fonts", "data files", "search",
        "security", "deploys", "monitoring", "widgets", "transcrypt", "pelican", "jinja", "performance budget",
        "mobile", "latency", "html", "svg", "feeds"]
WORDS = ("build page reader phone network cache header request response server browser widget island script "
         "style layout render parse compile bundle publish deploy content article author file folder index "
         "table chart list image font budget latency byte kilobyte second frame paint input focus keyboard "
         "screen contrast colour theme template block value key token link anchor route origin policy hash "
         "name version change test suite check error message line column source output slug tag category "
         "date feed sitemap search query result filter sort column row cell data record field type default "
         "setting option flag command task step stage plan queue worker process thread memory disk").split()
VERBS = ("keeps makes sends reads writes checks caches loads parses renders moves splits joins measures "
         "reduces trims hashes names serves blocks delays starts").split()

# Pelican with its defaults: only what it needs to run without warnings that change its behaviour.
PELICAN_CONF = '''AUTHOR = "Bench"
SITENAME = "bench"
SITEURL = ""
PATH = "content"
TIMEZONE = "Europe/Amsterdam"
DEFAULT_LANG = "en"
PLUGINS = []        # plain Pelican: not even islet, which Pelican would find installed as pelican.plugins.islet
'''
# Run a command in a fresh process and report its wall time and the peak RSS of its tree's largest process.
LAUNCHER = r'''
import json, resource, subprocess, sys, time
log, command = sys.argv[1], sys.argv[2:]
with open(log, "wb") as out:
    start = time.perf_counter()
    code = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "maxrss_kb": usage.ru_maxrss}))
'''


class BenchError(IsletError):
    """A build under measurement failed, or the bench was asked something impossible."""


# --- the corpus ---------------------------------------------------------------------------------------

def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    words.insert(rng.randint(1, len(words) - 1), rng.choice(VERBS))
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "?", "!"])


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _code(rng: random.Random) -> str:
    name, other, n = rng.choice(WORDS), rng.choice(WORDS), rng.randint(2, 64)
    if rng.random() < 0.5:
        return (f"```python\ndef {name}_{other}(items: list[str], limit: int = {n}) -> dict[str, int]:\n"
                f'    """Count each {name} up to {n} times."""\n'
                f"    counts: dict[str, int] = {{}}\n    for item in items[:limit]:\n"
                f"        counts[item] = counts.get(item, 0) + 1\n    return counts\n```")
    return (f"```js\nexport function {name}{other.capitalize()}(items, limit = {n}) {{\n"
            f"  const counts = new Map();\n  for (const item of items.slice(0, limit)) {{\n"
            f"    counts.set(item, (counts.get(item) ?? 0) + 1);\n  }}\n  return counts;\n}}\n```")


def article(number: int, rng: random.Random) -> str:
    """One synthetic article: front matter, then Markdown (no Jinja syntax, so both tools read it alike)."""
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))).capitalize()
    date = datetime(2020, 1, 1, 9, 0) + timedelta(days=number, minutes=rng.randint(0, 600))
    tags = rng.sample(TAGS, rng.randint(1, 4))
    lines = [f"Title: {title} {number}", f"Date: {date:%Y-%m-%d %H:%M}", f"Category: {rng.choice(CATEGORIES)}",
             f"Tags: {', '.join(tags)}", f"Slug: bench-{number:05d}", f"Summary: {_sentence(rng)}", ""]
    for section in range(rng.randint(3, 6)):
        lines += [f"## {_sentence(rng).rstrip('.?!')}", ""]
        for _ in range(rng.randint(2, 4)):
            lines += [_paragraph(rng), ""]
        if rng.random() < 0.4:
            lines += [f"- {_sentence(rng)}" for _ in range(rng.randint(2, 5))] + [""]
        if rng.random() < 0.5:
            lines += [_code(rng), ""]
        if number > 1 and rng.random() < 0.3:
            target = rng.randint(1, number - 1)
            lines += [f"See also [article {target}]({{filename}}/articles/bench-{target:05d}.md).", ""]
    return "\n".join(lines)


def generate_corpus(content: Path, articles: int, seed: int = 2026) -> list[Path]:
    """Write `articles` Markdown files into content/articles/; same arguments, same bytes."""
    if articles < 1:
        raise BenchError(Problem("bench", 0, f"--articles {articles} is too small", "use 1 or more, e.g. 1000"))
    rng = random.Random(seed)
    folder = Path(content) / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, articles + 1):
        path = folder / f"bench-{number:05d}.md"
        path.write_text(article(number, rng) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# --- the two sites ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tool:
    name: str
    site: Path
    command: tuple[str, ...]
    output: Path
    caches: tuple[Path, ...]             # deleted before a cold build
    env: dict = field(default_factory=dict, hash=False, compare=False)

    def page_for(self, slug: str) -> Path:
        return self.output / (f"{slug}.html" if self.name == "pelican" else f"articles/{slug}.html")


def pelican_site(folder: Path, corpus: Path) -> Tool:
    folder.mkdir(parents=True)
    shutil.copytree(corpus, folder / "content")
    (folder / "conf.py").write_text(PELICAN_CONF, encoding="utf-8")
    script = Path(sys.executable).with_name("pelican")
    command = (str(script),) if script.is_file() else (sys.executable, "-m", "pelican")
    return Tool("pelican", folder, (*command, "content", "-s", "conf.py", "-o", "out"), folder / "out", ())


def islet_site(folder: Path, corpus: Path) -> Tool:
    folder.mkdir(parents=True)
    shutil.copytree(corpus, folder / "content")
    for name in ("theme", "widgets"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pelicanconf.py", folder / "pelicanconf.py")
    if (ROOT / "node_modules").is_dir():
        (folder / "node_modules").symlink_to(ROOT / "node_modules")      # esbuild, without another npm ci
    cache = folder / ".cache"
    # (ISLET_SERVER_DIR: a folder without a server, so that a build server a developer runs is not used)
    return Tool("islet", folder, (sys.executable, "-m", "islet", "build", "--root", str(folder), "--strict"),
                folder / "build", (cache,), {"ISLET_CACHE_DIR": str(cache), "ISLET_SERVER_DIR": str(folder / "none")})


# --- measuring ----------------------------------------------------------------------------------------

@dataclass
class Sample:
    seconds: float          # wall clock: what a writer waits
    cpu_seconds: float      # user + system CPU of the whole process tree: steadier on a busy machine
    peak_rss_mb: float
    load: float             # the machine's 1-minute load average when the build started


def environment(tool: Tool) -> dict:
    """What a measured command runs with. As installed, Python keeps the modules it compiled (a shell may
    turn that off; pip byte-compiles the packages it installs, so that would only slow down an editable
    islet, compiled again on every run)."""
    env = {**os.environ, **tool.env}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("ISLET_SERVER", None)      # (off in the tests and CI: the bench's servers are its own, in folders of its own)
    return env


def measure(tool: Tool, phase: str, log: Path) -> Sample:
    """Run the tool's build once in a fresh process; a failed build stops the bench with its output."""
    env = environment(tool)
    load = os.getloadavg()[0]
    run = subprocess.run([sys.executable, "-c", LAUNCHER, str(log), *tool.command], cwd=tool.site, env=env,
                         capture_output=True, text=True, check=True)
    report = json.loads(run.stdout)
    if report["code"] != 0:
        print("\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]), file=sys.stderr)
        raise BenchError(Problem("bench", 0, f"{tool.name} failed its {PHASES[phase]} (exit {report['code']})",
                                 "its last lines are above: fix the corpus generator or the build"))
    return Sample(report["seconds"], report["cpu_seconds"], report["maxrss_kb"] / 1024, load)


def edit(tool: Tool, number: int, marker: str) -> str:
    """Append a paragraph with `marker` to one article; returns its slug."""
    path = tool.site / "content" / "articles" / f"bench-{number:05d}.md"
    with path.open("a", encoding="utf-8") as out:
        out.write(f"\nEdited paragraph {marker} for the rebuild measurement.\n")
    return f"bench-{number:05d}"


def run_phase(tool: Tool, phase: str, repeat_index: int | str, articles: int, logs: Path) -> Sample:
    """One measured build of `tool`: from nothing ("cold"), again ("noop"), after an edit ("edit"). The output
    and caches a cold build must not find are moved into `set_aside(logs)`, deleted after the bench (see the
    module's docstring)."""
    if phase == "cold":
        aside = set_aside(logs)
        for stale in (tool.output, *tool.caches):
            if stale.exists():
                stale.rename(aside / f"{tool.name}-{repeat_index}-{stale.name}")
    marker = f"bench-edit-{repeat_index}"
    if phase == "edit":
        slug = edit(tool, max(1, articles // 2), marker)
    sample = measure(tool, phase, logs / f"{tool.name}-{repeat_index}-{phase}.log")
    if phase == "edit":
        page = tool.page_for(slug)
        if not page.is_file() or marker not in page.read_text(encoding="utf-8"):
            raise BenchError(Problem("bench", 0, f"{tool.name}: the edit to {slug} is not in {page}",
                                     "the rebuild did not pick up the change; the timing would be meaningless"))
    return sample


def new_workdir(folder: Path) -> Path:
    """`folder`, checked to be new (or empty): the bench makes its sites there, and would not mix in another run's."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BenchError(Problem(str(folder), 0, "the work folder holds a previous run (or is a file)",
                                 "delete it, or name a new folder with --workdir"))
    return folder


def set_aside(logs: Path) -> Path:
    """The folder beside `logs` where cold builds' stale output and caches wait until the bench ends."""
    folder = logs.parent / "set-aside"
    folder.mkdir(exist_ok=True)
    return folder


def bench(articles: int = 1000, repeat: int = 1, seed: int = 2026, workdir: Path | None = None,
          progress=print) -> dict:
    """Run the whole comparison and return the results as a JSON-ready dict."""
    if repeat < 1:
        raise BenchError(Problem("bench", 0, f"--repeat {repeat} is too small", "use 1 or more"))
    started = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory(prefix="islet-bench-") as temporary:
        base = new_workdir(Path(workdir)) if workdir else Path(temporary)
        corpus = base / "corpus"
        paths = generate_corpus(corpus, articles, seed)
        logs = base / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        tools = [pelican_site(base / "pelican", corpus), islet_site(base / "islet", corpus)]
        samples: dict[str, dict[str, list[Sample]]] = {t.name: {p: [] for p in PHASES} for t in tools}
        pages, live = {}, []
        warm: dict[str, list[Sample]] = {"cold": [], "edit": []}
        with build_server(tools[1], logs) as served:
            progress("islet: the build server starts, and learns what a build imports (one build, not timed)…")
            run_phase(served, "edit", "warm-0", articles, logs)
            for index in range(repeat):
                # Each phase of one tool right after the same phase of the other (in turns: Pelican first, then
                # islet first), so that the two builds compared ran in the same moment of a machine whose speed
                # drifts (Pelican's own times for the same build vary by a third here).
                order = tools if index % 2 == 0 else tools[::-1]
                for phase in PHASES:
                    progress(f"[{index + 1}/{repeat}] {PHASES[phase]} of {articles} articles: "
                             f"{' then '.join(t.name for t in order)}…")
                    for tool in order:
                        samples[tool.name][phase].append(run_phase(tool, phase, index, articles, logs))
                for tool in tools:
                    pages[tool.name] = sum(1 for _ in tool.output.rglob("*.html"))
                progress(f"[{index + 1}/{repeat}] islet: cold and one-edit builds through the build server…")
                for phase in warm:
                    warm[phase].append(run_phase(served, phase, f"warm-{index + 1}", articles, logs))
                progress(f"[{index + 1}/{repeat}] islet: an edit while ./dev livereload shows the article…")
                live.append(livereload_edit(tools[1], max(1, articles // 2), f"bench-live-{index}", logs))
        shutil.rmtree(set_aside(logs))
        corpus_bytes = sum(p.stat().st_size for p in paths)
        commands = {t.name: " ".join(t.command).replace(str(base), "<tmp>") for t in tools}
    return results(articles, repeat, seed, started, corpus_bytes, samples, pages, commands, live, warm)


@contextmanager
def build_server(tool: Tool, logs: Path):
    """`tool` with a build server of its own running (islet.build.server); checks that every build it was given
    (each has its log in `logs`: ``islet-warm-….log``) went through the server, and stops it."""
    place = Path(tempfile.mkdtemp(prefix="islet-server-"))       # short: a socket's path has a length limit
    served = replace(tool, env={**tool.env, "ISLET_SERVER_DIR": str(place)})
    command = [sys.executable, "-m", "islet", "server"]
    started = subprocess.run([*command, "start"], cwd=tool.site, env=environment(served), check=True,
                             capture_output=True, text=True).stdout
    pid = int(re.search(r"\(pid (\d+)\)", started)[1])
    try:
        yield served
        said = subprocess.run([*command, "status"], cwd=tool.site, env=environment(served), capture_output=True,
                              text=True).stdout
    finally:
        subprocess.run([*command, "stop"], cwd=tool.site, env=environment(served), capture_output=True)
        _kill_if_left(pid)
        shutil.rmtree(place, ignore_errors=True)
    given = sum(1 for _ in logs.glob(f"{tool.name}-warm-*.log"))
    if f": {given} builds" not in said:
        raise BenchError(Problem("bench", 0, f"the builds did not all go through the build server ({said.strip()})",
                                 "see islet.build.server: a client of another Python builds by itself"))


def _kill_if_left(pid: int) -> None:
    """Stop a build server that did not stop when asked, by its process id (if that is still the server)."""
    try:
        if b"server" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)
    except (OSError, ProcessLookupError):
        pass


def livereload_edit(tool: Tool, number: int, marker: str, logs: Path) -> bench_livereload.LiveSample:
    env = environment(tool)
    article = tool.site / "content" / "articles" / f"bench-{number:05d}.md"
    return bench_livereload.measure(tool.site, article, f"articles/bench-{number:05d}.html", marker, env,
                                    logs / f"livereload-{marker}.log")


def results(articles, repeat, seed, started, corpus_bytes, samples, pages, commands, live=(), warm=None) -> dict:
    tools = {}
    for name, phases in samples.items():
        tools[name] = {
            "command": commands[name],
            "html_pages": pages[name],
            "phases": {phase: {"seconds": [round(s.seconds, 3) for s in runs],
                               "median_seconds": round(statistics.median(s.seconds for s in runs), 3),
                               "cpu_seconds": [round(s.cpu_seconds, 3) for s in runs],
                               "median_cpu_seconds": round(statistics.median(s.cpu_seconds for s in runs), 3),
                               "peak_rss_mb": [round(s.peak_rss_mb, 1) for s in runs],
                               "load_average": [round(s.load, 2) for s in runs]}
                       for phase, runs in phases.items()},
            "peak_rss_mb": round(max(s.peak_rss_mb for runs in phases.values() for s in runs), 1),
        }
    if live:
        tools["islet"]["livereload"] = {
            "shown_seconds": [round(s.shown_seconds, 3) for s in live],
            "median_shown_seconds": round(statistics.median(s.shown_seconds for s in live), 3),
            "built_seconds": [round(s.built_seconds, 3) for s in live],
            "median_built_seconds": round(statistics.median(s.built_seconds for s in live), 3)}
    ratio = lambda a, b: round(a / b, 3) if b else None   # noqa: E731
    if warm:                      # ratios to Pelican's build of the same phase and repeat
        tools["islet"]["with_server"] = {phase: {
            "seconds": [round(s.seconds, 3) for s in runs],
            "median_seconds": round(statistics.median(s.seconds for s in runs), 3),
            "ratio": round(statistics.median(ratio(s.seconds, p) or 0 for s, p in
                                             zip(runs, tools["pelican"]["phases"][phase]["seconds"])), 3)}
            for phase, runs in warm.items()}
    ratios = {}
    for phase in PHASES:          # the median of the paired runs' ratios (each pair ran back to back)
        for key, suffix in (("seconds", ""), ("cpu_seconds", "_cpu")):
            pairs = zip(tools["islet"]["phases"][phase][key], tools["pelican"]["phases"][phase][key])
            ratios[phase + suffix] = round(statistics.median(ratio(a, b) or 0 for a, b in pairs), 3)
    ratios["peak_rss"] = ratio(tools["islet"]["peak_rss_mb"], tools["pelican"]["peak_rss_mb"])
    from pelican import __version__ as pelican_version

    return {
        "articles": articles, "repeat": repeat, "seed": seed, "corpus_bytes": corpus_bytes,
        "started": started.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "pelican": pelican_version,
                    "platform": platform.platform()},
        "tools": tools, "ratios": ratios,
    }


def table(result: dict) -> str:
    """The side-by-side table printed after a run."""
    pel, isl = result["tools"]["pelican"], result["tools"]["islet"]
    rows = []
    for p, label in PHASES.items():
        rows.append((label + " (wall)", f"{pel['phases'][p]['median_seconds']:.2f} s",
                     f"{isl['phases'][p]['median_seconds']:.2f} s", _times(result["ratios"][p])))
        rows.append(("  CPU time", f"{pel['phases'][p]['median_cpu_seconds']:.2f} s",
                     f"{isl['phases'][p]['median_cpu_seconds']:.2f} s", _times(result["ratios"][f"{p}_cpu"])))
        if p in isl.get("with_server", {}):
            served = isl["with_server"][p]
            rows.append(("  with islet's build server running (wall)", "", f"{served['median_seconds']:.2f} s",
                         _times(served["ratio"])))
    rows.append(("peak memory (RSS)", f"{pel['peak_rss_mb']:.0f} MB", f"{isl['peak_rss_mb']:.0f} MB",
                 _times(result["ratios"]["peak_rss"])))
    if "livereload" in isl:
        rows.append(("livereload: edit shown on the open page", "", f"{isl['livereload']['median_shown_seconds']:.2f} s", ""))
        rows.append(("livereload: edit built into build/", "", f"{isl['livereload']['median_built_seconds']:.2f} s", ""))
    rows.append(("HTML pages written", f"{pel['html_pages']:,}", f"{isl['html_pages']:,}", ""))
    loads = [x for t in (pel, isl) for ph in t["phases"].values() for x in ph["load_average"]]
    rows.append(("load average at start", f"{min(loads):.1f}–{max(loads):.1f}", "", ""))
    header = ("", "Pelican", "islet", "islet/Pelican")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = lambda r: "  ".join([r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:]))])  # noqa
    title = (f"{result['articles']:,} synthetic articles ({result['corpus_bytes'] / 1e6:.1f} MB, seed "
             f"{result['seed']}), {result['machine']['cpus']} CPUs, median of {result['repeat']} run(s); "
             f"ratios: median of the runs' ratios")
    return "\n".join([title, line(header), *map(line, rows)])


def _times(value) -> str:
    return f"{value:.2f}×" if value is not None else "n/a"


def run_and_report(articles: int = 1000, repeat: int = 1, json_path: Path | None = None,
                   workdir: Path | None = None) -> Path:
    """Bench, print the table, write the JSON (default .cache/bench-N.json); returns the JSON path."""
    result = bench(articles, repeat, workdir=workdir, progress=lambda line: print(line, flush=True))
    path = Path(json_path) if json_path else ROOT / ".cache" / f"bench-{articles}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    print(f"Results written to {path}.")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m islet.dev.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000, help="synthetic articles (default 1000; try 5000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per phase; the table shows the median")
    parser.add_argument("--json", type=Path, default=None, help="results file (default .cache/bench-N.json)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the corpus, both sites and the build logs in this (new) folder")
    args = parser.parse_args(argv)
    try:
        run_and_report(args.articles, args.repeat, args.json, args.workdir)
    except IsletError as error:
        return print_problems(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
