"""Hostile sources, each built alone: nothing untrusted may hang the build or end it with a traceback.

    python -m islet.dev.hostile [--only NAME ...] [--seconds 120]

Each case is one article (or its front matter) of the kind that stalled Python-Markdown or Pelican for minutes,
or crashed a build, before islet bounded it (docs/security.md, "Nothing hangs"). Each is built in a site of its
own (the repository's settings, theme and widgets; ``markdown_seconds`` at 2 s, so a stall costs seconds) with the
real CLI, in a fresh process. A case passes when the build exits 0, or 1 with its problem on one line that names
the file, within `--seconds` and without a traceback. The table gives each case's exit code, seconds and first
line; the command exits 1 when a case fails.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .bench import islet_site

LIMITS = '\nISLET_LIMITS = {"markdown_seconds": 2}\n'
HEAD = "Title: A\nDate: 2026-01-01\n\n"

# name -> the whole source (what it did before islet bounded it, measured on this machine, 2026-12-08)
CASES = {
    "brackets": HEAD + "[" * 50_000 + "\n",                               # Python-Markdown: over 120 s
    "images": HEAD + "![" * 20_000 + "\n",                                 # 84 s
    "links": HEAD + "[a](" * 20_000 + "\n",                                # 70 s
    "autolinks": HEAD + "<http://a" * 20_000 + "\n",                       # 40 s
    "summary": "Title: A\nDate: 2026-01-01\nSummary: " + "[" * 50_000 + "\n\nx\n",   # the same, in the front matter
    "fences": HEAD + "```\n" * 10_000,                                     # Pelican's summary: 25 s
    "anchors": HEAD + "<div>\n" + "<a " * 20_000 + "toc-backref\n</div>\n",   # Pelican's summary: 12 s
    "empty alt": HEAD + "<div>\n" + "<img src=" * 30_000 + 'alt=""\n</div>\n',  # Pelican's find_empty_alt: 14 s
    "authors": "Title: A\nDate: 2026-01-01\nAuthors: " + ", ".join(f"a{i}" for i in range(3_000)) + "\n\nx\n",  # 35 s
    "long title": "Title: " + "A long title " * 25 + "\nDate: 2026-01-01\n\nx\n",   # a traceback (name too long)
    "long tag": "Title: A\nDate: 2026-01-01\nTags: " + "tag " * 80 + "\n\nx\n",      # a traceback
    "zone": "Title: A\nDate: 2026-01-01T10:00:00+25:00\n\nx\n",            # a traceback (in the feed)
    "entities": HEAD + "&amp;" * 80_000 + "\n",                            # Python-Markdown: over 10 s
    "nested lists": HEAD + "".join("    " * i + "- a\n" for i in range(1_200)),   # Python-Markdown: over 10 s
    "no URL": HEAD + "[s]({static}//[x)\n",                                # a traceback (urlsplit's ValueError)
    "escaped name": HEAD + '<a href="{static}../images/it&quot;s.png">x</a>\n',   # an unlocated warning
}


@dataclass
class Outcome:
    name: str
    code: int | None          # None: still running after the bound
    seconds: float
    first: str                # the first line of its report
    traceback: bool

    @property
    def passed(self) -> bool:
        return self.code == 0 or (self.code == 1 and not self.traceback and self.first.startswith("content/"))


def make_site(folder: Path, source: str) -> Path:
    """The bench's site (islet.dev.bench.islet_site: the repository's settings, theme and widgets) with `source`
    as its one article, and `LIMITS`."""
    corpus = folder.with_name(f"{folder.name}-content")
    (corpus / "articles").mkdir(parents=True)
    (corpus / "articles" / "a.md").write_text(source, encoding="utf-8")
    islet_site(folder, corpus)
    with open(folder / "pelicanconf.py", "a", encoding="utf-8") as settings:
        settings.write(LIMITS)
    return folder


def build(name: str, source: str, workdir: Path, seconds: float) -> Outcome:
    site = make_site(workdir / name.replace(" ", "-"), source)
    env = {**os.environ, "ISLET_CACHE_DIR": str(site / ".cache"), "ISLET_SERVER": "off"}
    started = time.monotonic()
    try:
        run = subprocess.run([sys.executable, "-m", "islet", "build", "--root", str(site)], capture_output=True,
                             text=True, timeout=seconds, env=env, cwd=site)
    except subprocess.TimeoutExpired:
        return Outcome(name, None, time.monotonic() - started, f"still running after {seconds:g} s", False)
    said = run.stderr.strip().splitlines() or run.stdout.strip().splitlines() or [""]
    return Outcome(name, run.returncode, time.monotonic() - started, said[0], "Traceback" in run.stderr)


def run(names: list[str] | None = None, seconds: float = 120, workdir: Path | None = None) -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="islet-hostile-") as temporary:
        return [build(name, CASES[name], workdir or Path(temporary), seconds) for name in names or CASES]


def table(outcomes: list[Outcome]) -> str:
    rows = [f"{'case':14} {'exit':>4} {'seconds':>8}  first line"]
    for o in outcomes:
        mark = "" if o.passed else "  << FAILS"
        rows.append(f"{o.name:14} {'-' if o.code is None else o.code:>4} {o.seconds:8.1f}  {o.first[:90]}{mark}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m islet.dev.hostile", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="these cases only")
    parser.add_argument("--seconds", type=float, default=120, help="a build still running then has hung")
    args = parser.parse_args(argv)
    outcomes = run(args.only, args.seconds)
    print(table(outcomes))
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
