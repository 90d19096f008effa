"""Differential testing: call a compiled widget function in node and compare with CPython.

A widget's ``render`` runs under CPython at build time and as compiled JavaScript in the
browser; Python-only semantics (float str, kwargs, format specs…) make the two differ
silently. Widget tests call the same function with the same arguments both ways:

    from islet.islands.testing import run_js_render, run_py_render
    js = run_js_render(compiled_dir, "counter", "render", [3])        # JSON text from node
    assert json.loads(js) == run_py_render(site_root, "counter", "render", [3])

Many calls at once, across modules, decoded, in order:

    run_js_many(compiled_dir, [("table", "render", [props]), ("html", "label", ["x_y"])])

Arguments travel as JSON, and their objects become Python dicts (the runtime's ``__pyjson__``) —
exactly what ``mount`` gets from the page's JSON props. Call positionally: keyword arguments are one of the
constructs Transcrypt gets wrong.
"""
from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from islet.errors import IsletError, ToolMissingError

from .sources import install_package


class JsCallError(IsletError):
    """The compiled function raised, or node could not load the module."""


# Reads [[module file URL, func, args], …] as JSON from stdin, calls module[func](...args) for each, prints a
# JSON list of outcomes. Transcrypt exceptions are not JS Errors (String(e) even throws), hence describe().
SCRIPT = """
import * as runtime from %(runtime)s;
const describe = (e) => e && e.__class__ ? e.__class__.__name__ + ': ' + runtime.str (e) : (e && e.stack) || String (e);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = [];
const modules = {};
for (const [url, func, args] of JSON.parse (input)) {
    try {
        modules[url] = modules[url] || await import (url);
        out.push ({ok: modules[url][func] (...runtime.__pyjson__ (args))});   // as the loader passes props
    }
    catch (e) { out.push ({error: describe (e)}); }
}
process.stdout.write ('\\n@@islet-result@@' + JSON.stringify (out));
"""


def run_js_calls(compiled_dir: Path, module: str, calls: list[tuple[str, list]]) -> list[str]:
    """Call ``module.func(*args)`` for each (func, args) in ONE node process; JSON text of each result.

    `module` is a widget module name (``"counter"``) or dotted (``"widgets.counter"``).
    Raises JsCallError naming the call when the JS code throws.
    """
    out = []
    for (func, args), (ok, value) in zip(calls, run_js_outcomes(compiled_dir, module, calls)):
        if not ok:
            raise JsCallError(f"{_dotted(module)}.{func}{tuple(args)!r} raised in JavaScript: {value}")
        out.append(json.dumps(value, sort_keys=True))
    return out


def run_js_outcomes(compiled_dir: Path, module: str, calls: list[tuple[str, list]]) -> list[tuple[bool, Any]]:
    """Like run_js_calls, but a call that throws is an outcome too: (True, result) or (False, error text)."""
    return run_js_batch(compiled_dir, [(module, func, args) for func, args in calls])


def run_js_batch(compiled_dir: Path, calls: list[tuple[str, str, list]]) -> list[tuple[bool, Any]]:
    """The outcome of each ``(module, func, args)`` call, across any number of modules, in ONE node process:
    (True, result decoded from JSON) or (False, error text). A module that does not load fails its calls."""
    node = shutil.which("node")
    if node is None:
        raise ToolMissingError("node is not installed: install Node.js 20 (the differential tests run widgets in it)")
    compiled_dir = Path(compiled_dir).resolve()
    targets = {module: compiled_dir / f"{_dotted(module)}.js" for module, _, _ in calls}
    for target in targets.values():
        if not target.is_file():
            raise JsCallError(f"no compiled module {target}")
    script = SCRIPT % {"runtime": json.dumps((compiled_dir / "org.transcrypt.__runtime__.js").as_uri())}
    with tempfile.TemporaryDirectory(prefix="islet-node-") as temp:
        path = Path(temp) / "call.mjs"
        path.write_text(script, encoding="utf-8")
        run = subprocess.run([node, str(path)], capture_output=True, text=True, timeout=300,
                             input=json.dumps([[targets[m].as_uri(), f, list(a)] for m, f, a in calls]))
    if run.returncode != 0 or "@@islet-result@@" not in run.stdout:
        raise JsCallError(f"node could not run {', '.join(sorted(t.name for t in targets.values()))}:\n"
                          f"{run.stderr.strip()[-2000:]}")
    results = json.loads(run.stdout.rsplit("@@islet-result@@", 1)[1])
    return [(False, result["error"]) if "error" in result else (True, result.get("ok")) for result in results]


def _dotted(module: str) -> str:
    return module if module.startswith("widgets.") else f"widgets.{module}"


def run_js_many(compiled_dir: Path, calls: list[tuple[str, str, list]]) -> list[Any]:
    """Results of ``(module, func, args)`` calls across several modules, decoded from JSON, in call order,
    from one node process. Raises JsCallError naming the first call that throws."""
    out = []
    for (module, func, args), (ok, value) in zip(calls, run_js_batch(compiled_dir, calls)):
        if not ok:
            raise JsCallError(f"{_dotted(module)}.{func}{tuple(args)!r} raised in JavaScript: {value}")
        out.append(value)
    return out


def run_js_render(compiled_dir: Path, module: str, func: str, args: list) -> str:
    """``module.func(*args)`` run by node on the compiled ES module; the result as JSON text."""
    return run_js_calls(compiled_dir, module, [(func, args)])[0]


def run_py_render(site_root: Path, module: str, func: str, args: list) -> Any:
    """The same call under CPython, importing ``widgets.<module>`` from `site_root` (fresh each time)."""
    return getattr(import_widget(site_root, module), func)(*args)


def import_widget(site_root: Path, module: str):
    """``widgets.<module>`` of the site at `site_root` (its own, else islet's built-in one), imported afresh
    (tests write different widgets under the same names)."""
    install_package(Path(site_root).resolve())
    return importlib.import_module(_dotted(module))
