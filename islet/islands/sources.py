"""Where widget modules come from: the site's own ``widgets/`` first, then islet's built-in widgets.

A site uses a built-in widget by name (a ```` ```widget table ```` block) without copying anything; its own
``widgets/x.py`` replaces islet's ``x``. Replacing a shared helper (``widgets/html.py``) replaces it for the
built-in widgets too, as Python's own package path would: override helpers with care.

Everything that reads widget sources goes through here, so CPython (build-time render), the check and
Transcrypt (the browser's JavaScript) always see the same modules.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

# The built-in widgets ship inside the package (islet/widgets). In a checkout that folder is a link to the
# repository's widgets/: the demo site's widgets are islet's built-in ones.
BUILTIN = Path(__file__).resolve().parents[1] / "widgets"
PACKAGE = "widgets"


def folders(site_root: Path) -> list[Path]:
    """The folders widget modules are looked up in, the site's first (once when they are the same folder)."""
    found = [p for p in (Path(site_root) / "widgets", BUILTIN) if p.is_dir()]
    return found[:1] if len(found) == 2 and found[0].resolve() == found[1].resolve() else found


def widget_files(site_root: Path) -> dict[str, Path]:
    """Every widget module, by its name inside the package (``table.py``, ``charts/axis.py``): islet's, then
    the site's over them. Sorted by name."""
    files: dict[str, Path] = {}
    for folder in reversed(folders(site_root)):
        for path in folder.rglob("*.py"):
            if "__pycache__" not in path.parts:
                files[path.relative_to(folder).as_posix()] = path
    return dict(sorted(files.items()))


def own(site_root: Path, path: Path) -> bool:
    """Whether `path` is one of the site's own widget files (not a built-in one)."""
    return Path(path).is_relative_to(Path(site_root) / "widgets")


def install_package(site_root: Path) -> None:
    """Make ``import widgets.x`` find the site's widgets, then islet's, afresh (a rebuild and each test must
    see edited modules, another site's package must not linger)."""
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    places = folders(site_root)
    paths = [str(p) for p in places]
    init = next((p / "__init__.py" for p in places if (p / "__init__.py").is_file()), None)
    if init is not None:
        spec = importlib.util.spec_from_file_location(PACKAGE, init, submodule_search_locations=paths)
    else:                       # a namespace-like package: only the search path
        spec = importlib.util.spec_from_loader(PACKAGE, None, is_package=True)
        spec.submodule_search_locations = paths
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    if spec.loader is not None:
        spec.loader.exec_module(package)
