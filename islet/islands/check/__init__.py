"""Check stage: every widget module is read by CPython's parser and checked for the constructs
Transcrypt 3.9.5 compiles wrongly, before Transcrypt runs.

Transcrypt accepts much of Python and then, for some constructs, writes JavaScript that gives
different results, throws at run time, or does not load, usually without any error message
(measured: /work/shared/transcrypt.md and the snippets in tests/islands/test_check.py). The author hears
about them here instead, as ``widgets/x.py:LINE:COL: what is wrong — what to write instead``.

Contract:
  - `check_widgets(widgets_dir, site_root)` checks every ``*.py`` under widgets/ (used or not, skipping
    __pycache__) and returns all findings of all files, sorted. `check_or_raise` raises `CheckError`.
    `check_site(site_root)` raises it for the site's modules together with islet's built-in ones.
  - `check_source(text, shown)` checks one module's text; pure, for tests and editors.
  - Code between ``# __pragma__('skip')`` and ``# __pragma__('noskip')`` runs only under CPython and is
    not checked. Executable comments (``#?code`` between ``ecom`` / ``noecom``) run only in the browser
    and are checked.
  - A line ending with the comment ``# islet: allow`` is exempt: the author verified that construct
    (for example ``.name`` on a Python object of their own, which Transcrypt renames consistently).
  - The pragmas that make a construct work are honoured where Transcrypt honours them, in source
    order: ``kwargs`` (on the def), ``opov`` (operators and negative indices), ``noalias``.

The checks are heuristics over one module's syntax tree: they flag what is *detectably* wrong
(a name bound only to list literals in its scope is a list) and stay quiet when unsure.
Each rule is one entry of RULES (rules.py): the node kinds it looks at, a test, the message, the fix.
The tests live by family (syntax, calls, values) and ask `Module` (module.py) what they need to know.
"""
from __future__ import annotations

import ast
from pathlib import Path

from islet.build.forked import Forked
from islet.errors import IsletError, Problem, shown_path

from ..sources import widget_files
from .module import Module
from .source import executable_view
from .registry import Registry
from .rules import RULES_BY_KIND
from .types import NO_TYPES, Types, infer


class CheckError(IsletError):
    """A widget module uses a construct that Transcrypt would compile wrongly (or not at all)."""


def widget_sources(widgets_dir: Path) -> list[Path]:
    return sorted(p for p in Path(widgets_dir).rglob("*.py") if "__pycache__" not in p.parts)


def check_widgets(widgets_dir: Path, site_root: Path) -> list[Problem]:
    """All findings for every module in `widgets_dir`, sorted by path, line and column."""
    return check_files(widget_sources(widgets_dir), site_root)


def check_or_raise(widgets_dir: Path, site_root: Path) -> None:
    problems = check_widgets(widgets_dir, site_root)
    if problems:
        raise CheckError(problems)


def check_site(site_root: Path) -> None:
    """Raise CheckError for the widget modules a site can use: its own and islet's built-in ones, which its own
    may import or replace."""
    problems = site_problems(site_root)
    if problems:
        raise CheckError(problems)


def site_problems(site_root: Path) -> list[Problem]:
    """What `check_site` raises, as a list (which a forked process can send back: islet.plugin)."""
    return source_problems(widget_files(site_root))


# The build's input parts (islet.build.fingerprint) the check's findings depend on.
CHECKED_PARTS = frozenset({"widgets", "islet"})


def start_site_check(site_root: Path, changed: frozenset[str] | None) -> Forked | None:
    """`site_problems` worked out in a forked process while the build goes on (`.result()` waits for it). None
    when the site has no widgets/ folder (islet's own widgets pass the check: tests/islands), or when
    `changed`, the input parts that differ from those of the build that wrote the current output, names
    neither the widgets nor islet (None: not known, as for a first build).
    Forked: the type checker (mypy) takes some 50 MB, which the build's process would keep to its end."""
    if not (site_root / "widgets").is_dir() or (changed is not None and not changed & CHECKED_PARTS):
        return None
    return Forked(site_problems, site_root)


def check_sources(sources: dict[str, Path]) -> None:
    """Raise CheckError for `source_problems`."""
    problems = source_problems(sources)
    if problems:
        raise CheckError(problems)


def source_problems(sources: dict[str, Path]) -> list[Problem]:
    """Findings for modules given as {name inside the package (``table.py``): file}, as islet.islands.sources
    lists them. (A built-in module is named ``widgets/x.py`` too: the check names modules so.)"""
    return check_named({f"widgets/{name}": path for name, path in sources.items()})


def check_files(paths: list[Path], site_root: Path) -> list[Problem]:
    """Like check_widgets for an explicit list of files (keyword-argument marks are looked up across them)."""
    return check_named({shown_path(path, site_root): path for path in paths})


def check_named(files: dict[str, Path]) -> list[Problem]:
    """Findings for modules given as {how messages name it (``widgets/x.py``): file}."""
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for shown, path in files.items():
        data = Path(path).read_bytes()
        try:
            texts[shown] = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            problems.append(Problem(shown, line, f"not valid UTF-8 (byte 0x{data[error.start]:02x})",
                                    "save the file as UTF-8", column))
    registry = Registry.build(texts)
    types = infer(texts)
    for shown, text in texts.items():
        problems.extend(check_source(text, shown, registry, types.get(shown, NO_TYPES)))
    return _sorted(problems)


def check_source(text: str, shown: str, registry: Registry | None = None, types: Types | None = None) -> list[Problem]:
    """Findings for one module's source text; `shown` is how messages name it (``widgets/x.py``).

    `registry` knows which functions in the other widget modules accept keyword arguments, `types`
    what mypy inferred with the other modules in view; without them only this module is looked at.
    """
    browser_lines = executable_view(text) != text
    try:
        if browser_lines:
            ast.parse(text, filename=shown)   # the module must also run under CPython, as written
        module = Module.read(text, shown)
    except SyntaxError as error:
        return [_syntax_problem(shown, error, " in a browser-only #? line" if browser_lines else "")]
    registry = registry or Registry.build({shown: text})
    if types is None:
        types = infer({shown: text}).get(shown, NO_TYPES)
    module = module.with_types(types)
    found = set()
    for node in module.nodes():
        for rule in RULES_BY_KIND.get(type(node), ()):
            for hit in rule.hits(node, module, registry):
                if not module.allowed(hit.line):
                    found.add(Problem(shown, hit.line, hit.what, hit.fix, hit.column))
    return _sorted(found)


def _sorted(problems) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.path, p.line, p.column, p.what))


def _syntax_problem(shown: str, error: SyntaxError, where: str) -> Problem:
    return Problem(shown, error.lineno or 0, f"syntax error{where}: {error.msg}",
                   "correct the code at this point (CPython's own parser rejects it)", error.offset or 0)
