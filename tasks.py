"""Tasks for the islet demo site. Run them through ./dev (which sets everything up first):
``./dev build``, ``./dev serve``, ``./dev test`` … and ``./dev --list`` for all of them.
"""
from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

from invoke import Collection, Exit, task

ROOT = Path(__file__).resolve().parent
OUTPUT = "build"


def _build(settings: str, strict: bool | None, precompress: bool | None = None) -> None:
    """`python -m islet build` of this site, in a process of its own: a fork of the build server when one runs
    (the first build on a terminal starts one: islet.build.server), else a fresh one."""
    import subprocess

    command = [sys.executable, "-m", "islet", "build", "--root", str(ROOT), "--settings", settings,
               "--output", OUTPUT]
    code = subprocess.call(command + ["--strict"] * bool(strict) + ["--precompress"] * bool(precompress))
    if code:
        raise Exit(code=code)


@task(help={"production": "use publishconf.py (absolute URLs, strict)", "strict": "fail on broken links and warnings"})
def build(c, production=False, strict=False):
    """Build the site into build/ (atomically: a failed build leaves the old one)."""
    _build("publishconf.py" if production else "pelicanconf.py", True if strict else None)
    print("View it: ./dev serve, then open http://127.0.0.1:8000/ "
          "(build/index.html also opens directly, without widgets).")


@task
def clean(c):
    """Delete build/ and islet's caches."""
    for path in (ROOT / OUTPUT, ROOT / ".cache"):
        shutil.rmtree(path, ignore_errors=True)
    for stale in ROOT.glob(".build-*"):
        shutil.rmtree(stale, ignore_errors=True)


@task(pre=[clean], help={"production": "use publishconf.py", "strict": "fail on broken links and warnings"})
def rebuild(c, production=False, strict=False):
    """Clean, then build from scratch."""
    build(c, production=production, strict=strict)


@task(help={"host": "address to bind (default 127.0.0.1)", "port": "port (default 8000)"})
def serve(c, host="127.0.0.1", port=8000):
    """Serve build/ over HTTP on 127.0.0.1:8000 (build first if there is nothing to serve)."""
    from islet.build.swap import recover
    from islet.dev.serve import serve as serve_folder

    recover(ROOT, OUTPUT)            # a build killed mid-swap: its previous output back first
    if not (ROOT / OUTPUT / "index.html").is_file():
        build(c)
    serve_folder(ROOT / OUTPUT, host, int(port))


@task(help={"host": "address to bind (default 127.0.0.1)", "port": "port (default 8000)"})
def livereload(c, host="127.0.0.1", port=8000):
    """Serve build/, rebuild when content, data, theme or widgets change, and reload the browser."""
    from islet.dev.livereload import watch_and_serve

    watch_and_serve(ROOT, OUTPUT, host, int(port))


@task(help={"host": "address to bind (default 127.0.0.1)", "port": "port (default 8080)",
            "production": "build with publishconf.py instead of pelicanconf.py"})
def preview(c, host="127.0.0.1", port=8080, production=False):
    """Build, then serve build/ through nginx with a CDN's headers (cache policy, brotli/gzip, CSP) until Ctrl-C."""
    from islet.dev.preview import serve as serve_like_a_cdn
    from islet.errors import IsletError

    _build("publishconf.py" if production else "pelicanconf.py", None, precompress=True)
    try:
        serve_like_a_cdn(ROOT / OUTPUT, host, int(port))
    except IsletError as error:
        raise Exit(f"{error}", code=1)


@task(help={"runs": "Lighthouse runs per page; figures are medians (default 3)",
            "min_score": "lowest Lighthouse score allowed in each category (default 100)",
            "lcp_ms": "highest simulated LCP in ms (default 1200)", "tbt_ms": "highest total blocking time (default 0)",
            "cls": "highest layout shift (default 0)",
            "first_trip_kb": "an article's HTML + CSS, compressed, in KB (default 14)",
            "production": "build with publishconf.py instead of pelicanconf.py",
            "calibrate": "CPU slowdown calibrated to this machine's Lighthouse benchmark index, as Lighthouse's docs "
                         "advise (default); --no-calibrate: Lighthouse's default 4x"})
def audit(c, runs=3, min_score=100, lcp_ms=1200, tbt_ms=0, cls="0", first_trip_kb=14, production=False, calibrate=True):
    """Build, serve like a CDN and run Lighthouse (mobile) + axe on one page of each kind; fail over budget."""
    from islet.dev.audit import Budget, format_table
    from islet.dev.audit import audit as run_audit
    from islet.errors import IsletError

    _build("publishconf.py" if production else "pelicanconf.py", None, precompress=True)
    budget = Budget(int(min_score), float(lcp_ms), float(tbt_ms), float(cls), int(float(first_trip_kb) * 1024))
    try:
        report = run_audit(ROOT / OUTPUT, ROOT, budget, int(runs), calibrate)
    except IsletError as error:
        raise Exit(str(error), code=1) from None
    print(format_table(report.results + ([report.baseline] if report.baseline else [])))
    for note in report.notes:
        print(f"note: {note}")
    if report.failures:
        raise Exit("Over budget:\n  " + "\n  ".join(report.failures), code=1)
    print(f"Every audited page is within budget ({runs} runs each, medians).")


@task(help={"name": "the widget's module name: lowercase letters, digits and _ (e.g. vote_counter)"})
def new_widget(c, name):
    """Create widgets/NAME.py and tests/test_widget_NAME.py: a working widget to edit, and its tests."""
    from islet.dev.scaffold import new_widget as scaffold
    from islet.errors import IsletError

    try:
        written = scaffold(ROOT, name)
    except IsletError as error:
        raise Exit(str(error), code=1) from None
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")
    print(f"Use it in an article with a ```widget {name} block; run ./dev test -k {name} to test it.")


@task(help={"articles": "synthetic articles to generate (default 1000; the issue also asks for 5000)",
            "json": "where to write the results (default .cache/bench-N.json)",
            "repeat": "build each phase this many times; the table shows the median (default 1)"})
def bench(c, articles=1000, json="", repeat=1):
    """Time plain Pelican and islet side by side on a synthetic corpus: cold, no-op and one-edit builds, memory."""
    from islet.dev.bench import run_and_report
    from islet.errors import IsletError

    try:
        run_and_report(int(articles), int(repeat), Path(json) if json else None)
    except IsletError as error:
        raise Exit(f"{error}", code=1)


@task(help={"articles": "articles in the bench's synthetic site", "runs": "one-edit builds (the median is shown)"})
def profile_edit(c, articles=1000, runs=3):
    """Where a one-edit build spends its time: each stage's CPU and wall seconds, on the bench's site."""
    from islet.dev.profile_edit import main

    main(["--articles", str(articles), "--runs", str(runs)])


@task(help={"only": "comma-separated case names (default: all)", "seconds": "a build still running then has hung"})
def hostile(c, only="", seconds=120):
    """Build each hostile source of islet.dev.hostile alone: every one must fail clearly or build, in seconds."""
    from islet.dev.hostile import main

    code = main((["--only", *only.split(",")] if only else []) + ["--seconds", str(seconds)])
    if code:
        raise Exit("a hostile source hung the build or ended it with a traceback (the table above)", code=code)


@task(help={"articles": "articles in the corpus", "photos": "photos among them (1600×1067 JPEG)"})
def bench_images(c, articles=200, photos=40):
    """What ISLET_IMAGES adds to a cold build and to the output, against plain Pelican."""
    from islet.dev.bench_images import run, table

    print(table(run(int(articles), int(photos))))


@task(help={"articles": "comma-separated site sizes (default 1000,10000)",
            "json": "also write the figures to this file"})
def bench_search(c, articles="1000,10000", json=""):
    """Search at scale in Chromium (CPU 4x slower): bytes and time per query, and the index's share of a cold build."""
    from islet.dev.bench_search import main

    main(["--articles", str(articles)] + (["--json", json] if json else []))


@task(help={"target": "s3://bucket/prefix, ssh://user@host:port/path, user@host:/path or git:/repo#branch "
                      "(default: ISLET_PUBLISH_TARGET in publishconf.py)",
            "endpoint_url": "S3 endpoint for non-AWS stores: SeaweedFS, R2, MinIO… (default: ISLET_PUBLISH_ENDPOINT)",
            "dry_run": "print the plan, change nothing",
            "max_deletes": "delete at most this many files (default 256; --max-deletes=-1: no limit)",
            "max_delete_share": "refuse to delete more than this share of the live files or pages (default 0.25)",
            "claim_target": "S3: publish even where the target holds another site or objects of unknown origin",
            "no_build": "publish build/ as it is (refused if stale or not a production build)",
            "invalidate": "require a CloudFront invalidation (done anyway when a distribution is configured)"})
def publish(c, target="", endpoint_url="", dry_run=False, max_deletes=None, no_build=False, invalidate=False,
            max_delete_share=None, claim_target=False):
    """Build with publishconf.py and publish: S3-compatible storage, rsync over SSH, or a git branch."""
    from islet.publish.command import PublishError, PublishRequest, run

    try:
        limit = None if max_deletes is None else int(max_deletes)
        share = None if max_delete_share is None else float(max_delete_share)
    except ValueError:
        raise Exit(f"--max-deletes {max_deletes!r} or --max-delete-share {max_delete_share!r} is not a number: "
                   "give a whole number, a share such as 0.5, or -1 for no limit", code=1)
    request = PublishRequest(ROOT, target, endpoint_url, dry_run, limit, not no_build, True if invalidate else None,
                             "publishconf.py", OUTPUT, share, claim_target)
    try:
        run(request)
    except PublishError as error:
        raise Exit(str(error), code=1)


@task(help={"k": "only tests matching this expression (pytest -k)", "browser": "include browser tests (default yes)"})
def test(c, k="", browser=True):
    """Run the whole test suite (unit, end-to-end builds and real-Chromium browser tests)."""
    args = [sys.executable, "-m", "pytest", "-q"]
    if k:
        args += ["-k", k]
    if not browser:
        args += ["-m", "not browser"]
    c.run(shlex.join(args), pty=False, echo=True)       # quoted: `-k "a and b"` stays one argument


namespace = Collection(build, rebuild, clean, serve, livereload, preview, audit, test, new_widget, bench,
                       bench_images, bench_search, profile_edit, hostile, publish)
