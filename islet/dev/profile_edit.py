"""Where a one-edit build spends its time, stage by stage.

    python -m islet.dev.profile_edit [--articles 1000] [--workdir DIR] [--runs 3]

Makes the bench's synthetic site (islet.dev.bench: the same corpus, settings and theme), builds it once
from nothing, then edits one article and builds again `--runs` times in this process, with a clock around
each of Pelican's and islet's stages (`STAGES`). No profiler: the times are what the stages take, without
one's overhead. Prints, per stage, the CPU and wall seconds of the median run, and the imports a build
in a fresh process makes (measured before anything is imported). Stages nest: a row's time includes the
rows below it that run inside it (the render flush within the finalized signal, for one).
"""
from __future__ import annotations

import argparse
import functools
import importlib
import sys
import tempfile
import time
from pathlib import Path

from islet.errors import IsletError, print_problems

# (module, attribute path, label): the stages, outermost first. A name a version of Pelican lacks is skipped.
STAGES = [
    ("pelican", "Pelican.run", "Pelican run"),
    ("pelican", "Pelican.__init__", "  Pelican start (plugins, islet's settings, data, widgets)"),
    ("islet.build.reader_cache", "preparse", "    reader keys of every source, parse workers"),
    ("pelican.generators", "ArticlesGenerator.generate_context", "  articles read (objects from the caches)"),
    ("pelican.readers", "Readers.read_file", "    sources parsed"),
    ("pelican.generators", "ArticlesGenerator.add_static_links", "    static links"),
    ("islet.plugin", "on_read", "  where each source is written (islet.content.outputs)"),
    ("pelican.generators", "ArticlesGenerator.generate_output", "  article, tag, category pages recorded"),
    ("islet.plugin", "on_finalized", "  finalized: render and islet's output stages"),
    ("islet.build.render", "flush", "    pages rendered or reused"),
    ("islet.build.render_cache", "CachingWriter.digest_of", "      global digest"),
    ("islet.build.render_cache", "CachingWriter._call_keys", "      write_file call keys"),
    ("islet.output.sitemap", "write", "    sitemap"),
    ("islet.output.verify", "check_output", "    link check"),
    ("islet.output.images", "optimize", "    images"),
    ("islet.plugin", "hydrate_pages", "    widgets"),
    ("islet.output.csp", "site_needs", "    content security policy"),
    ("islet.build.incremental", "Session.commit", "  caches committed"),
]


def _clocked(totals: dict[str, list[float]], label: str, function):
    @functools.wraps(function)
    def clocked(*args, **kwargs):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent = totals.setdefault(label, [0.0, 0.0])
            spent[0] += time.process_time() - cpu
            spent[1] += time.perf_counter() - wall
    return clocked


def install(totals: dict[str, list[float]]) -> None:
    """Put a clock around every stage of `STAGES`, for the rest of this process (run it in one of its own, as
    the command does: Pelican connects the clocked signal handlers, beside any it connected before)."""
    for module_name, path, label in STAGES:
        owner = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent, None)
        if owner is not None and callable(getattr(owner, name, None)):
            setattr(owner, name, _clocked(totals, label, getattr(owner, name)))


def import_seconds() -> float:
    """What importing a build's modules takes in a fresh Python (a build in its own process pays it)."""
    import subprocess

    code = ("import time; t = time.perf_counter(); import pelican, pelican.generators, islet.plugin; "
            "print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def profile(articles: int, workdir: Path, runs: int = 3) -> tuple[list[tuple[str, float, float]], float, float]:
    """Rows (label, CPU s, wall s) of the median run (by wall time), its total wall seconds, and the imports."""
    import os

    from islet.build.driver import BuildPlan, build
    from islet.dev import bench

    corpus = bench.new_workdir(workdir) / "corpus"
    bench.generate_corpus(corpus, articles)
    site = bench.islet_site(workdir / "islet", corpus)
    # Clocks first: Pelican connects islet's signal handlers as it starts, the cold build's included.
    install(totals := {})
    saved = {name: os.environ.get(name) for name in site.env}
    os.environ.update(site.env)
    try:
        build(BuildPlan(site.site, strict=True))        # from nothing: fills the caches
        measured = []
        for run in range(runs):
            totals.clear()
            bench.edit(site, max(1, articles // 2), f"profile-edit-{run}")
            started = time.perf_counter()
            build(BuildPlan(site.site, strict=True))
            measured.append((time.perf_counter() - started, dict(totals)))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    seconds, spent = sorted(measured, key=lambda m: m[0])[len(measured) // 2]
    rows = [(label, *spent[label]) for _, _, label in STAGES if label in spent]
    return rows, seconds, import_seconds()


def table(rows, seconds: float, imports: float, articles: int) -> str:
    lines = [f"One-edit build of {articles:,} articles, in this process: {seconds:.2f} s "
             f"(a build in its own process also imports for {imports:.2f} s)",
             f"{'stage':<62} {'CPU s':>7} {'wall s':>7}"]
    lines += [f"{label:<62} {cpu:7.3f} {wall:7.3f}" for label, cpu, wall in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m islet.dev.profile_edit", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000, help="synthetic articles (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="one-edit builds; the table shows the median")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the site in this (new) folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="islet-profile-") as temporary:
        workdir = args.workdir or Path(temporary)
        try:
            rows, seconds, imports = profile(args.articles, workdir, args.runs)
        except IsletError as error:
            return print_problems(error)
        print(table(rows, seconds, imports, args.articles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
