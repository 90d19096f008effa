"""The engine's layout: islet/ in wings by stage, imports running one way, no cycles, files of one sitting.

A wing is a folder of islet/ (build, content, islands, output, publish, dev); each module at the top
(plugin, settings, errors, __main__) counts as a wing of its own. RANKS orders them: a wing imports
only wings of a lower rank, never one above it or beside it. Imports inside functions count as much as
those at the top: a lazy import is a dependency all the same, and the cycles this test was written
against (plugin ↔ incremental ↔ render ↔ render_cache, publish ↔ s3) were lazy ones.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from support.site import ROOT

ISLET = ROOT / "islet"

# Higher ranks import lower ones. To add a wing, give it a rank here and say so in its __init__.py.
RANKS = {
    "errors": 0,
    "settings": 1,
    "build": 2,                      # machinery: the driver, caches, parallel render
    "islands": 3,                    # widgets: registry, check, compile, bundle, hydrate
    "content": 4, "output": 4,       # reading sources; post-processing the output
    "plugin": 5, "publish": 5,       # the Pelican glue; sending a build away
    "dev": 6,                        # the developer's tools
    "__main__": 7, "__init__": 7,    # the entry points
}
MOST_LINES = 500                     # what one sitting reads
# islet/widgets holds the built-in widgets: site code the package ships (islet.islands.sources), not a stage.
WINGS = sorted(p.name for p in ISLET.iterdir() if (p / "__init__.py").is_file() and p.name != "widgets")


def modules(package: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of `package` (a folder with __init__.py)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = [package.name, *path.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def wing(name: str) -> str:
    """`pkg.build.render` → build; a module at the top is a wing of its own (`pkg.plugin` → plugin)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, module) for every import of a module of the package in `path`, wherever it is in the file."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from x import y` imports the module x.y when there is one, else a name of x
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known and "." in target:
                target = target.rsplit(".", 1)[0]         # `import islet.build.memo` → the module itself
            if target in known and target != name:
                found.append((node.lineno, target))
    return found


def graph(package: Path) -> tuple[dict[str, Path], dict[str, list[tuple[int, str]]]]:
    known = modules(package)
    return known, {name: imports(name, path, known) for name, path in known.items()}


def upward_imports(package: Path, ranks: dict[str, int]) -> list[str]:
    """One line per import of a wing that is not below the importing one."""
    known, edges = graph(package)
    bad = []
    for name, targets in edges.items():
        here = wing(name)
        for line, target in targets:
            there = wing(target)
            if here != there and ranks[there] >= ranks[here]:
                below = sorted(w for w, r in ranks.items() if r < ranks[here]) or ["nothing of the package"]
                bad.append(f"{known[name].relative_to(package.parent)}:{line} imports {target}: "
                           f"{here} may import only {', '.join(below)}")
    return bad


def cycles(package: Path) -> list[list[str]]:
    """The import cycles between modules (each as the path that closes it)."""
    _, edges = graph(package)
    found, state, stack = [], {}, []

    def visit(name: str) -> None:
        state[name] = "open"
        stack.append(name)
        for _, target in edges[name]:
            if state.get(target) == "open":
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[name] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name)
    return found


def allowed_line(docstring: str) -> str | None:
    """The paragraph of a docstring that starts with `May import:`, on one line."""
    for paragraph in docstring.split("\n\n"):
        lines = paragraph.strip().splitlines()
        for index, line in enumerate(lines):
            if line.startswith("May import:"):
                return " ".join(lines[index:])
    return None


# --- the engine ----------------------------------------------------------------------------------------

def test_every_module_is_in_a_ranked_wing():
    known = modules(ISLET)
    assert sorted({wing(n) for n in known} - set(RANKS)) == []


def test_imports_run_one_way():
    assert upward_imports(ISLET, RANKS) == []


def test_no_import_cycles():
    assert cycles(ISLET) == []


@pytest.mark.parametrize("folder", WINGS)
def test_each_wing_says_what_it_does_and_what_it_may_import(folder):
    """The first line of its docstring says what it does; a line `May import: …` names the wings below it."""
    doc = ast.get_docstring(ast.parse((ISLET / folder / "__init__.py").read_text(encoding="utf-8"))) or ""
    below = sorted(w for w, r in RANKS.items() if r < RANKS[folder])
    assert doc.splitlines() and len(doc.splitlines()[0]) > 20, f"islet/{folder}/__init__.py: say what the wing does"
    assert allowed_line(doc) == f"May import: {', '.join(f'islet.{w}' for w in below)}."


def test_the_tests_mirror_the_wings_and_pytest_collects_them(pytestconfig):
    """tests/<wing>/ for each wing, and none of them in a folder pytest skips (its default skips build/)."""
    from fnmatch import fnmatch

    wings = WINGS
    assert [w for w in wings if not list((ROOT / "tests" / w).glob("test_*.py"))] == []
    skipped = pytestconfig.getini("norecursedirs")
    assert [w for w in wings if any(fnmatch(w, pattern) for pattern in skipped)] == []


def test_no_module_needs_more_than_one_sitting():
    long = {str(p.relative_to(ROOT)): n for p in ISLET.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MOST_LINES}
    assert long == {}, f"split these by concept (at most {MOST_LINES} lines each)"


# --- the checks themselves, on a package made for them ---------------------------------------------------

def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_an_upward_import_is_found_even_inside_a_function(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "", "errors.py": "",
        "low/__init__.py": "", "low/a.py": "def f():\n    from pkg.high import b\n",
        "high/__init__.py": "", "high/b.py": "from ..low import a\nfrom pkg import errors\n",
    })
    assert upward_imports(package, {"errors": 0, "low": 1, "high": 2, "__init__": 3}) == [
        "pkg/low/a.py:2 imports pkg.high.b: low may import only errors"]


def test_wings_of_one_rank_do_not_import_each_other(tmp_path):
    package = _package(tmp_path, {"__init__.py": "", "left/__init__.py": "", "right/__init__.py": "",
                                  "left/x.py": "import pkg.right.y\n", "right/y.py": ""})
    assert upward_imports(package, {"left": 1, "right": 1, "__init__": 2}) == [
        "pkg/left/x.py:1 imports pkg.right.y: left may import only nothing of the package"]


def test_a_cycle_through_a_lazy_import_is_found(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "", "w/__init__.py": "",
        "w/a.py": "from . import b\n", "w/b.py": "from .c import thing\n",
        "w/c.py": "def later():\n    from pkg.w import a\n",
    })
    assert cycles(package) == [["pkg.w.a", "pkg.w.b", "pkg.w.c", "pkg.w.a"]]
