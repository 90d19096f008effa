"""Fidelity: a widget's render() gives the same HTML in the browser as at build time, on props nobody wrote.

Property-based differential testing for widget tests (Hypothesis, a test dependency):

    from islet.islands.fidelity import compare, props_batches
    @given(props_batches(widgets.table.PROPS))
    def test_render_is_the_same_in_javascript(batch):
        assert compare(ROOT, compiled, "table", "render", [[props] for props in batch]).mismatches == []

`props_strategy(PROPS)` draws the props a page could hand a widget, from the declaration alone: the values
real content has (names of the data's columns, numbers from CSV cells, non-ASCII text) and those that break
naive code (empty lists and strings, 0, -1, 3.0 — which JSON turns into 3 —, 2**53 + 1, -0.0, emoji, keys
such as ``constructor``, ``__proto__``, ``length``). Props travel to node as JSON, as they reach ``mount``.

`helper_strategies(site_root, module)` does the same for every pure helper of a module (a function that is not
render or mount, touches no browser global, and is annotated): a strategy of argument lists per function, drawn
from its annotations (``str``, ``int``, ``float``, ``bool``, ``list[…]``, ``dict[str, …]``, ``… | None``,
``"Any"`` and ``"Props"``).

`compare` runs every call under CPython (importing the module once) and in ONE node process, and keeps
the calls where CPython returned and the compiled code returned something else or raised. A call that raises
under CPython, or whose arguments the build refuses as props (registry.browser_problem), is not a mismatch:
at build time that is an error with the widget's file and line, never a page that misbehaves.
"""
from __future__ import annotations

import ast
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from islet.errors import TimeLimitExceeded, ToolMissingError, time_limit

from .registry import browser_problem
from .testing import import_widget, run_js_outcomes

# Column and key names: the ordinary, and the names of JavaScript object properties that shadow or break a
# plain object used as a dict (Transcrypt's dicts are plain objects).
KEYS = ["name", "year", "stars", "label", "text", "code", "constructor", "__proto__", "length", "toString",
        "valueOf", "hasOwnProperty", "prototype", "2024", "10", "a b", "é", "日本"]
TEXTS = ["", " ", "a", "Ä", "ß", "İ", "😀", "a😀b", "<b>&amp;</b>", "'\"", "x\u2028y", "NaN", "-0", "1e21", "3.0",
         "None", "true", "  padded  ", "tab\there", "line\nbreak"]
INTS = [0, 1, -1, 7, 10, 100, 1000, 12345, -250, 2**31, 2**53, 2**53 + 1, 10**21, -(2**63)]
FLOATS = [0.0, -0.0, 0.5, 3.0, 2.5, 0.1, 1.005, 123.456, 1e16, 1e21, 1e-7, -3.75]
ITEM_KEYS = ["label", "text", "code", "name", "value", "title", "url", "constructor", "length"]   # of list items


def _hypothesis():
    try:
        from hypothesis import strategies
    except ImportError:
        raise ToolMissingError("hypothesis is not installed: pip install hypothesis (the widget property tests "
                               "use it; ./dev test installs it)") from None
    return strategies


def props_strategy(props_spec: dict[str, list], overrides: dict[str, Any] | None = None):
    """A Hypothesis strategy of props for a widget declaring `props_spec` (its PROPS): every required prop,
    optional ones sometimes, defaults for the rest. `overrides` maps a prop to a strategy of its own, or to a
    function of the draw's columns (names, then {name: "text", "int", "float" or "number"}) giving one: for
    props whose valid values depend on the data, e.g. ``lambda columns, kinds: st.sampled_from(columns)``."""
    st = _hypothesis()
    overrides = overrides or {}
    common = {"text": texts(), "ints": numbers("int"), "floats": numbers()}     # made once, drawn from each time

    @st.composite
    def props(draw):
        # One table of columns per draw: text and list props often name its columns, as real uses do.
        # Like most tables: a column of names, then mostly numbers.
        columns = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True))
        kinds = {column: "text" if index == 0 else draw(st.sampled_from(["int", "float", "number", "number", "text"]))
                 for index, column in enumerate(columns)}
        drawn = {}
        for name, (kind, default) in props_spec.items():
            strategy = overrides[name] if name in overrides else _value(st, common, kind, default, columns, kinds)
            if callable(strategy) and not hasattr(strategy, "example"):
                strategy = strategy(columns, kinds)
            drawn[name] = draw(strategy) if default is None or draw(st.booleans()) else default
        return drawn

    return props()


def props_batches(props_spec: dict[str, list], overrides: dict[str, Any] | None = None, size: int = 25):
    """Lists of `size` // 2 to `size` props: one node process checks a whole batch."""
    st = _hypothesis()
    return st.lists(props_strategy(props_spec, overrides), min_size=size // 2, max_size=size)


def texts():
    """Text as pages give it and as breaks naive code (the strategy other hints can build on)."""
    st = _hypothesis()
    return st.sampled_from(TEXTS) | st.text(max_size=12) | st.sampled_from(KEYS)


def numbers(kind: str = "float"):
    """Integers (kind "int"), or integers and floats, ordinary and awkward."""
    st = _hypothesis()
    ints = st.sampled_from(INTS) | st.integers(-10**6, 10**6)
    return ints if kind == "int" else ints | st.sampled_from(FLOATS) | st.floats(allow_nan=False, allow_infinity=False)


def _value(st, common: dict, kind: str, default: Any, columns: list[str], kinds: dict[str, str]):
    """Values of one prop: hostile ones, and (as often) ones like those real pages give, near its default."""
    text, ints, floats = common["text"], common["ints"], common["floats"]
    cell = {"text": text, "int": ints, "float": floats, "number": floats}
    column = st.sampled_from(columns)
    numeric = [name for name in columns if kinds[name] != "text"] or columns
    if kind == "str":
        return _weighted(st, (2, column), (2, text), *([(1, st.just(default))] if default else []))
    if kind in ("int", "float"):
        usual = st.integers(default // 2, default * 2) if isinstance(default, int) and default > 0 else ints
        return _weighted(st, (2, usual), (1, ints if kind == "int" else floats))
    if kind == "bool":
        return st.booleans()
    if kind == "list":
        items = st.fixed_dictionaries({}, optional={key: text for key in ITEM_KEYS})
        return _weighted(st, (3, st.lists(st.sampled_from(numeric), min_size=1, max_size=len(numeric), unique=True)),
                         (1, st.lists(column, max_size=len(columns), unique=True)),
                         (1, st.lists(text | ints, max_size=4)), (2, st.lists(items, max_size=3)))
    if kind == "dict":
        return st.dictionaries(column | text, text, max_size=3)
    if kind == "data":
        rows = st.lists(st.fixed_dictionaries({name: cell[kinds[name]] for name in columns}), min_size=1, max_size=6)
        return _weighted(st, (4, rows), (1, st.just([])))
    return st.recursive(st.none() | st.booleans() | ints | floats | text,
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                        max_leaves=6)


def _weighted(st, *choices):
    """One of the strategies, each as often as its weight says."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(lambda s: s)


@dataclass
class Comparison:
    compared: int = 0                                       # calls that CPython answered, run in node too
    mismatches: list[str] = field(default_factory=list)     # one line per call answered differently


def compare(site_root: Path, compiled_dir: Path, module: str, func: str, arg_lists: list[list],
            seconds: float = 2.0) -> Comparison:
    """Each call under CPython and compiled in node; the lines of those that CPython answers and the compiled
    module answers differently (or raises). A call CPython does not answer within `seconds` (a helper's loop
    on arguments outside what it is meant for) is not compared either."""
    function = getattr(import_widget(site_root, module), func)
    python = []
    for args in arg_lists:
        try:
            refused = browser_problem(args)
            if refused is not None:
                raise ValueError(refused)                  # resolve_props refuses such a prop
            with time_limit(seconds):
                python.append((True, function(*copy.deepcopy(args))))   # (a helper may change its arguments)
        except (Exception, TimeLimitExceeded):   # a build error, with the widget's file and line: not silent
            python.append((False, None))
    wanted = [index for index, (ok, _) in enumerate(python) if ok]
    js = run_js_outcomes(compiled_dir, module, [(func, arg_lists[index]) for index in wanted])
    found = Comparison(len(wanted))
    for index, (ok, value) in zip(wanted, js):
        expected, call = python[index][1], f"{module}.{func}{_shown(arg_lists[index])}"
        if not ok:
            found.mismatches.append(f"{call}: CPython gives {expected!r}, JavaScript raises {value}")
        elif _exact_numbers(value) != json.loads(json.dumps(expected)):
            found.mismatches.append(f"{call}: CPython gives {expected!r}, JavaScript {value!r}")
    return found


def _exact_numbers(value: Any) -> Any:
    """A JavaScript result as Python reads it: JSON.stringify writes a large double without its exponent
    (63267239132235850), which json reads as an int that is not that double; it is the float again here."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 53:
        return float(value)
    if isinstance(value, list):
        return [_exact_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: _exact_numbers(item) for key, item in value.items()}
    return value


def _shown(args: list) -> str:
    text = json.dumps(args, ensure_ascii=False)
    return "(" + (text[1:-1] if len(text) < 400 else text[1:397] + "…") + ")"


NOT_HELPERS = {"render", "mount", "check_props"}


def helper_strategies(site_root: Path, module: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """{function: strategy of argument lists} for the module's pure helpers whose annotations say what to draw;
    `overrides` as for props_strategy, for the props of helpers that take them."""
    from .check.module import BROWSER_OBJECTS, Module

    shown = f"widgets/{module.replace('.', '/')}.py"
    text = (Path(site_root) / shown).read_text(encoding="utf-8")
    parsed = Module.read(text, shown)
    imported = import_widget(site_root, module)
    props = getattr(imported, "PROPS", None)
    # Props the widget's check_props refuses become None, which no helper takes: CPython raises, so such a call
    # is not compared (filtering them out instead would starve Hypothesis for widgets with strict props).
    valid = _valid_props(getattr(imported, "check_props", None))
    drawn = props_strategy(props, overrides).map(lambda p: p if valid(p) else None) if props else None
    found = {}
    for node in parsed.tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name in NOT_HELPERS or parsed.in_skip(node.lineno):
            continue
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        args = node.args
        if names & (BROWSER_OBJECTS | {"__new__"}) or args.vararg or args.kwarg or args.kwonlyargs or args.defaults:
            continue
        strategies = [_annotated(a.annotation, drawn) for a in args.posonlyargs + args.args]
        if strategies and all(s is not None for s in strategies):
            found[node.name] = _hypothesis().tuples(*strategies).map(list)
    return found


def _valid_props(check_props):
    """Props the widget's own check_props accepts (the build refuses the others, with the page and the prop)."""
    def valid(props: dict) -> bool:
        try:
            check_props(props)
        except Exception:
            return False
        return True
    return valid if check_props is not None else (lambda props: True)


def _annotated(annotation: ast.AST | None, props):
    """A strategy of values of the annotated type; None when it cannot be drawn (a callable, a class …).
    `props` is the strategy for ``"Props"`` (None: the module has no PROPS)."""
    st = _hypothesis()
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return st.none()
    if isinstance(annotation, ast.Name):
        simple = {"str": texts(), "int": numbers("int"), "float": numbers(), "bool": st.booleans(),
                  "object": _value(st, {"text": texts(), "ints": numbers("int"), "floats": numbers()}, "any", None, [], {}),
                  "Props": props}
        simple["Any"] = simple["object"]
        return simple.get(annotation.id)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        left, right = _annotated(annotation.left, props), _annotated(annotation.right, props)
        return None if left is None or right is None else left | right
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
        inner = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        parts = [_annotated(part, props) for part in inner]
        if any(part is None for part in parts):
            return None
        if annotation.value.id == "list" and len(parts) == 1:
            return st.lists(parts[0], max_size=5)
        if annotation.value.id == "dict" and len(parts) == 2 and ast.unparse(inner[0]) == "str":
            return st.dictionaries(st.sampled_from(KEYS) | texts(), parts[1], max_size=4)
    return None
