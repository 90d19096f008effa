"""Build driver: run Pelican into a fresh folder and swap it into place only on success.

    plan  = BuildPlan(root, settings file, output folder, strict)
    build(plan) → BuildResult, or raises BuildFailed with every problem found

The previous output is never touched by a failing build: Pelican writes into a
temporary sibling folder (same file system, so the final swap is two renames).
A build holds the site folder's lock (`site_lock`): a second build in the same
folder waits for the first (saying so once), at most `LOCK_WAIT` seconds. Under
the lock, a build first finishes what a killed one left (`recover`): a swap cut
between its two renames is undone, every other ``.build-*`` folder is deleted.
Pelican's own warnings are captured and turned into problems; in strict mode any
warning fails the build. The plugin (islet.plugin) files what it finds into the `Findings`
the driver hands it through Pelican's settings (``ISLET_FINDINGS``), as it hands it the
build's inputs (``ISLET_INPUTS``): the driver knows nothing of the plugin.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from islet.errors import IsletError, Problem, shown_path

from .swap import carry_over, recover_locked, site_lock, swap


class BuildFailed(IsletError):
    """The build found problems; the previous output folder was left as it was."""


@dataclass(frozen=True)
class BuildPlan:
    root: Path                       # site root: pelicanconf.py, content/, theme/
    settings_file: str = "pelicanconf.py"
    output: str = "build"
    strict: bool | None = None       # None: as ISLET_STRICT in the settings file says
    precompress: bool | None = None  # None: as ISLET_PRECOMPRESS in the settings file says
    # Work the plugin would start once Pelican runs, started before Pelican is even imported: a fresh process
    # spends a few tenths of a second on that, on one core. head_start(root, changed), with `changed` the input
    # parts (fingerprint.Inputs) that differ from the build that wrote the output (None: not known). What it
    # returns reaches the plugin as the setting ISLET_HEAD_START; the build cancels it (`.cancel()`) as it ends.
    head_start: Callable[[Path, frozenset[str] | None], Any] | None = field(default=None, compare=False)


@dataclass
class Findings:
    """What one build found and has to say: filled in by the plugin while Pelican runs, read by the driver."""
    strict: bool | None = None       # as the plugin read it from the settings; None: not read (yet)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    report: list[str] = field(default_factory=list)      # printed after a successful build
    until: float | None = None       # the output is right only until then (POSIX time): see `expires`

    def expires(self, moment: float) -> None:
        """An article is a draft only until `moment` (dated ahead, WITH_FUTURE_DATES = False): a build after
        then must not be skipped for want of a changed file."""
        self.until = moment if self.until is None else min(self.until, moment)

    def strict_problems(self, problems: list[Problem]) -> None:
        """Problems that fail the build only in strict mode (broken links, missing images)."""
        (self.errors if self.strict else self.warnings).extend(problems)


@dataclass
class BuildResult:
    output: Path
    pages: int
    seconds: float
    warnings: list[Problem] = field(default_factory=list)
    report: list[str] = field(default_factory=list)   # e.g. the per-page JavaScript table
    skipped: bool = False                             # nothing changed since the last build: nothing was done


# Pelican messages that islet reports better itself (with a file and line), so they are dropped.
_COVERED = ("Could not process", "Unable to find", "Other resources were not found", "There are ")
# Pelican's "Skipping X: file … would be written outside output path" (islet.content.outputs says where it
# comes from); its other "Skipping" (an article without a date) stays: the page would silently be missing.
_OUTSIDE = "would be written outside output path"
# Pelican's "Cannot get modification stamp for X", X no file: a {static} link to no file, which Pelican lists among
# the files to copy; the link check reports the broken link at its line.
_STAMP = "Cannot get modification stamp for "


def _covered(record: logging.LogRecord) -> bool:
    """Whether islet reports what this record of Pelican's says itself, better."""
    message = record.getMessage()
    if message.startswith(_COVERED) or _OUTSIDE in message:
        return True
    return (str(record.msg).startswith(_STAMP) and isinstance(record.args, tuple) and len(record.args) > 0
            and not os.path.lexists(str(record.args[0])))


class _Capture(logging.Handler):
    """Collects Pelican's warnings and errors instead of printing them."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def build(plan: BuildPlan) -> BuildResult:
    """Build `plan` under the site folder's lock, once what a killed build left is put right (`recover`)."""
    root = plan.root.resolve()
    settings_path = root / plan.settings_file
    if not settings_path.is_file():
        raise BuildFailed(Problem(plan.settings_file, 0, "settings file not found",
                                  "run this from the site folder, or pass --settings path/to/pelicanconf.py"))
    output = root / plan.output
    if output.resolve() in (root, *root.parents):     # the swap would replace the site folder itself
        raise BuildFailed(Problem(plan.settings_file, 0, f"the output folder {plan.output!r} holds the site folder",
                                  'the build replaces its output folder as a whole: set OUTPUT_PATH = "output" '
                                  "in the settings file, or pass --output DIR"))
    with site_lock(root), fewer_collections():
        recover_locked(root, output)
        return _build(plan, root, settings_path, output)


@contextmanager
def fewer_collections():
    """Python's cycle collector run less often while a build lasts. A build keeps hundreds of thousands of
    objects alive (every article, its HTML, the caches' indexes) and makes millions of short-lived ones: with
    the default thresholds, the collections that look at all of them again and again took a fifth of a one-edit
    build of 5,000 articles, and with (50,000, 20, 100) still a seventh. Almost all of a build's garbage is freed
    at once anyway (reference counts): with the collector off, the peak memory of the bench's builds was the same.
    It still runs, after every half a million objects made, for a plugin that makes cycles."""
    import gc

    before = gc.get_threshold()
    gc.set_threshold(500_000, 100, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _build(plan: BuildPlan, root: Path, settings_path: Path, output: Path) -> BuildResult:
    from .fingerprint import Inputs, State, paths_of

    started = time.perf_counter()
    # Every input hashed (before Pelican is even imported): when nothing changed since the last
    # build of this output, stop here. The settings file is an input, so its folders are the last ones.
    options = {"strict": plan.strict, "settings": plan.settings_file, "precompress": plan.precompress}
    state = State.load(root, output)
    scanned = Inputs.scan(root, settings_path, output, options, state.paths) if state is not None else None
    if scanned is not None and state.unchanged(scanned.total, output):
        return BuildResult(output, state.pages, time.perf_counter() - started,
                           sorted(Problem(**w) for w in state.warnings), [], skipped=True)

    head = plan.head_start(root, _changed(state, scanned, output)) if plan.head_start is not None else None

    from pelican import Pelican
    from pelican.log import LimitFilter, console
    from pelican.settings import read_settings

    from . import incremental

    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".build-{output.name}.new-", dir=output.parent))
    override = {"OUTPUT_PATH": str(staging), "ISLET_ROOT": str(root), "ISLET_CONFIG_FILE": plan.settings_file}
    if plan.strict is not None:
        override["ISLET_STRICT"] = plan.strict
    if plan.precompress is not None:
        override["ISLET_PRECOMPRESS"] = plan.precompress
    capture = _Capture()
    pelican_logger = logging.getLogger("pelican")
    saved = pelican_logger.handlers[:], pelican_logger.propagate, pelican_logger.level
    pelican_logger.handlers, pelican_logger.propagate = [capture], False
    pelican_logger.setLevel(logging.WARNING)
    console.quiet = True
    findings = Findings()
    incremental.session = None
    # Pelican drops a warning it has given once in this process: in a long-running one (livereload), a
    # second build would neither show nor (in strict mode) fail on a problem the first one reported.
    LimitFilter._raised_messages.clear()
    LimitFilter._group_count.clear()
    try:
        try:
            settings = read_settings(str(settings_path), override=override)
            paths = paths_of(settings)
            if scanned is None or paths != state.paths:       # else these folders were hashed above already
                scanned = Inputs.scan(root, settings_path, output, options, paths)
            # The output folder is still the one the last build wrote: its results may be reused.
            inputs = Inputs(scanned.parts, scanned.output, state.parts if state and state.wrote(output) else {},
                            scanned.sources)
            settings["ISLET_INPUTS"] = inputs        # islet.build.incremental keys its caches on its parts
            settings["ISLET_FINDINGS"] = findings    # where the plugin files its problems and report
            settings["ISLET_HEAD_START"] = head
            Pelican(settings).run()
            problems = []
        except IsletError as error:
            problems = list(error.problems)
        except Exception as error:  # a template mistake, or a bug in islet or Pelican
            problems = [_describe(error, root)]
        problems += [p for p in findings.errors if p not in problems]
        warnings = list(findings.warnings)
        logged = [_logged(record, root) for record in capture.records if not _covered(record)]
        if findings.strict is False:
            warnings += logged
        else:                       # strict, or the settings were never read: a failure anyway
            problems += logged
        if problems:
            raise BuildFailed(problems)
        # An input saved while Pelican ran (livereload builds as you type) may show in the output though the scan
        # before did not see it: then the state names no input, and the next build runs even if the edit is undone.
        fingerprint = inputs.total if _scan_again(scanned, root, settings_path, output, options, paths) else ""
        pages = sum(name.endswith(".html") for _, _, names in os.walk(staging) for name in names)
        carry_over(output, staging, settings.get("DELETE_OUTPUT_DIRECTORY"), settings.get("OUTPUT_RETENTION"))
        State.forget(root, output)                    # while build/ is being replaced, it matches no state
        swap(staging, output)
        report = findings.report
        if incremental.session is not None:
            report.append(incremental.session.summary())
            incremental.session.commit()
        State(fingerprint, State.identify(output), paths, pages, [w.__dict__ for w in warnings], report,
              inputs.parts, findings.until).save(root, output)
        return BuildResult(output, pages, time.perf_counter() - started, sorted(warnings), report)
    finally:
        from . import render

        render.unsettle_urls()             # (when Pelican stopped before islet's last stage: see plugin.on_get_writer)
        if head is not None:
            head.cancel()                  # (nothing left to stop once the plugin had its result)
        if incremental.session is not None:
            incremental.session.close()
        pelican_logger.handlers, pelican_logger.propagate, _ = saved
        pelican_logger.setLevel(saved[2])
        console.quiet = False
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _changed(state, scanned, output: Path) -> frozenset[str] | None:
    """The input parts that differ from those of the build that wrote `output`; None when not known."""
    from .fingerprint import changed_parts

    if state is None or scanned is None or not state.wrote(output):
        return None
    return changed_parts(state.parts, scanned.parts)


def settings_output(root: Path, settings_file: str) -> str:
    """The output folder the settings file names: its OUTPUT_PATH (relative to the file's folder, as Pelican's
    read_settings takes it), else Pelican's default "output"; relative to `root` when it is inside it.

    The file runs as read_settings runs it (pelican.settings.load_source), without importing Pelican, so
    that a build with nothing to do stays quick. A file that cannot be read or run names no folder: Pelican's
    default then, and the build reports the file's error as it reads the settings."""
    root = root.resolve()
    path = root / settings_file
    value = "output"
    if path.is_file():
        try:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[path.stem] = module
            spec.loader.exec_module(module)
            value = getattr(module, "OUTPUT_PATH", value)
        except Exception:       # reported by the build, with Pelican's message
            pass
    if not isinstance(value, (str, os.PathLike)):
        value = "output"
    folder = Path(os.path.normpath(path.parent / value))
    return folder.relative_to(root).as_posix() if folder.is_relative_to(root) else str(folder)


def build_and_report(plan: BuildPlan) -> bool:
    """Build, print one line per problem or warning and a summary; True on success."""
    try:
        result = build(plan)
    except IsletError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        count = len(error.problems)
        print(f"Build failed: {count} problem{'s' * (count != 1)}. {plan.output}/ was left as it was.",
              file=sys.stderr)
        return False
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for section in result.report:
        print(section)
    if result.skipped:
        print(f"Nothing changed since the last build: {plan.output}/ is up to date "
              f"({result.pages} pages, checked in {result.seconds:.2f} s).")
        return True
    print(f"Built {result.pages} pages into {plan.output}/ in {result.seconds:.1f} s.")
    return True


def _logged(record: logging.LogRecord, root: Path) -> Problem:
    message = record.getMessage().strip().replace(str(root) + os.sep, "")
    return Problem("pelican", 0, message.splitlines()[0] if message else record.levelname)


def _scan_again(scanned, root: Path, settings_path: Path, output: Path, options: dict, paths: dict) -> bool:
    """Whether the inputs are still those `scanned` found (with the digests kept, 0.04 s at 5,000 articles)."""
    from .fingerprint import Inputs

    try:
        return Inputs.scan(root, settings_path, output, options, paths).total == scanned.total
    except IsletError:             # something the scan refuses appeared meanwhile: the next build says so
        return False


def _describe(error: Exception, root: Path) -> Problem:
    """Turn an exception from inside Pelican into a problem pointing at the template line if possible."""
    import jinja2          # here, not at the top: a build with nothing to do imports neither Jinja nor Pelican

    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return Problem(shown_path(Path(error.filename), root), error.lineno or 0,
                       f"template syntax error: {error.message}", "fix the Jinja syntax on this line")
    if isinstance(error, jinja2.TemplateNotFound):
        return Problem("theme/templates", 0, f"template {error.name!r} not found",
                       f"add theme/templates/{error.name} or correct the name that refers to it")
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith((".html", ".xml"))]
    if frames:
        frame = frames[-1]
        return Problem(shown_path(Path(frame.filename), root), frame.lineno or 0,
                       f"{type(error).__name__}: {error}", "fix the template expression on this line")
    detail = "".join(traceback.format_exception(error)).rstrip()
    print(detail, file=sys.stderr)
    return Problem("islet", 0, f"internal error: {type(error).__name__}: {error}",
                   "this is a bug in islet or Pelican; please report it with the traceback above")
