"""What mypy infers: the type of every expression of every widget module, for the rules whose answer
depends on a value's type (`if xs:`, `a + b`, `str(x)`, `for k in d` …) and not on how it is spelt.

`infer(texts)` runs mypy once over all modules (``{shown path: source}``), each as Transcrypt sees it
(`typing_view`), and returns a `Types` per module: every expression's `Kind`, looked up by the span of
the CPython `ast` node the rules hold. mypy's own complaints are not reported: a widget need not
type-check, an expression mypy cannot type is simply `any`, and the rules ask for an annotation where
that matters.

Props are typed from ``PROPS``: a parameter annotated ``"Props"`` (a string, so CPython never evaluates
it and Transcrypt ignores it) gets a TypedDict with one key per prop ("str" → str, "list" → list…).
mypy's cache of the standard library lives under the user's cache directory: a warm check of
a few widgets takes a tenth of a second.
"""
from __future__ import annotations

import ast
import gc
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .source import executable_view, skip_ranges

CONTAINERS = frozenset({"list", "tuple", "dict", "set"})
# PROP_TYPES (islet.islands.registry) as Python annotations, for the Props TypedDict.
PROP_ANNOTATIONS = {"str": "str", "int": "int", "float": "float", "bool": "bool", "list": "list[Any]",
                    "dict": "dict[str, Any]", "data": "Any", "any": "Any"}
BUILTIN_KINDS = {"builtins.list": "list", "builtins.tuple": "tuple", "builtins.dict": "dict",
                 "collections.OrderedDict": "dict", "collections.defaultdict": "dict", "builtins.set": "set",
                 "builtins.frozenset": "set", "builtins.str": "str", "builtins.int": "int", "builtins.float": "float",
                 "builtins.bool": "bool", "builtins.range": "range", "builtins.zip": "iterator",
                 "builtins.map": "iterator", "builtins.filter": "iterator", "builtins.enumerate": "iterator",
                 "builtins.reversed": "iterator", "typing.Generator": "iterator", "typing.Iterator": "iterator",
                 "builtins.function": "callable"}


@dataclass(frozen=True)
class Kind:
    """What an expression can be: `kinds` ('list', 'str', 'float', 'none', 'sized' for an object of a class
    with __len__ or __bool__, 'object', 'any' …) and, for something iterable, what its items can be."""
    kinds: frozenset[str]
    items: frozenset[str] = frozenset()

    @property
    def unknown(self) -> bool:
        return "any" in self.kinds


class Types:
    """The kinds of one module's expressions, by the span of their CPython ast node, and mypy's reports of
    values used in ways CPython refuses (`errors`: line, column, message)."""

    def __init__(self, spans: dict[tuple[int, int, int, int], Kind], errors: tuple = ()):
        self.spans = spans
        self.errors = errors

    def of(self, node: ast.AST) -> Kind | None:
        """The node's kind, or None when mypy did not type it (skipped code, a statement, a syntax error)."""
        key = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0),
               getattr(node, "end_lineno", 0), getattr(node, "end_col_offset", 0))
        return self.spans.get(key)


NO_TYPES = Types({})


def module_name(shown: str) -> str:
    return shown.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def typing_view(text: str) -> str:
    """The module as Transcrypt compiles it (browser-only ``#?`` lines in, CPython-only skip blocks out,
    same line numbers), plus a ``Props`` TypedDict from its PROPS at the end."""
    lines = executable_view(text).split("\n")
    for start, end in skip_ranges(lines):
        for index in range(start, min(end - 1, len(lines))):
            lines[index] = ""
    view = "\n".join(lines)
    try:
        ast.parse(view)
    except SyntaxError:   # a skip block inside an indented block: keep it rather than break the module
        view = executable_view(text)
    props = _props(executable_view(text))   # (PROPS may sit in a skip block: it is read at build time only)
    tail = "\n\nfrom typing import Any, Callable, TypedDict as _islet_TypedDict\n"   # for "Any" in annotations
    fields = "".join(f"    {name}: {PROP_ANNOTATIONS[kind]}\n" for name, kind in props.items())
    return view + tail + "\n\nclass Props(_islet_TypedDict):\n" + (fields or "    pass\n")


def _props(view: str) -> dict[str, str]:
    """PROPS as {name: prop type}, when it is a literal dict of [type, default] pairs with valid names."""
    try:
        tree = ast.parse(view)
    except SyntaxError:
        return {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PROPS" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return {}
            return {name: spec[0] for name, spec in value.items() if isinstance(name, str) and name.isidentifier()
                    and isinstance(spec, (list, tuple)) and spec and spec[0] in PROP_ANNOTATIONS}
    return {}


def infer(texts: dict[str, str]) -> dict[str, Types]:
    """{shown: Types} for every module, from one mypy run over all of them (imports between them resolve)."""
    from mypy import build
    from mypy.modulefinder import BuildSource
    from mypy.server.subexpr import get_subexpressions

    names = {shown: module_name(shown) for shown in texts}
    packages = {".".join(name.split(".")[:i]) for name in names.values() for i in range(1, name.count(".") + 1)}
    sources = [BuildSource(shown, names[shown], typing_view(text)) for shown, text in texts.items()]
    sources += [BuildSource(package.replace(".", "/") + "/__init__.py", package, "")
                for package in sorted(packages - set(names.values()))]
    with tempfile.TemporaryDirectory(prefix="islet-mypy-") as empty:   # so nothing outside `texts` is found
        try:
            result = build.build(sources, _options(), alt_lib_path=empty)
        except build.CompileError:
            return {}
    out = {}
    for shown, name in names.items():
        state = result.graph.get(name)
        if state is None or state.tree is None:
            continue
        spans = {}
        for expr in get_subexpressions(state.tree):
            found = result.types.get(expr)
            if found is not None and expr.end_line is not None:
                spans[(expr.line, expr.column, expr.end_line, expr.end_column)] = kind_of(found)
        out[shown] = Types(spans, tuple(_errors(result.errors, shown)))
    del result
    if gc.isenabled():    # (not in a forked process that ends with the check: islet.build.forked)
        gc.collect()      # mypy's trees are cycles the collector rarely reaches on its own: 5 MB more per check without this
    return out


# mypy's reports that mean "CPython raises TypeError here" (JavaScript would go on with a wrong value), or
# that the annotations the other rules trust are wrong.
ERROR = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): error: (?P<message>.*?)  \[(?P<code>[\w-]+)\]$")
REPORTED = {"operator", "arg-type", "call-arg", "index", "return-value"}


def _errors(lines: list[str], shown: str):
    for line in lines:
        found = ERROR.match(line)
        if found and found["path"] == shown and (found["code"] in REPORTED or found["message"].endswith("not callable")):
            yield int(found["line"]), int(found["column"]), found["message"]


def _options():
    from mypy.options import Options
    from mypy.version import __version__

    options = Options()
    options.export_types = True
    options.preserve_asts = True
    options.check_untyped_defs = True       # infer inside functions without annotations too
    options.incremental = True
    options.cache_dir = str(_cache_root() / f"mypy-{__version__}")
    options.follow_imports = "silent"
    options.ignore_missing_imports = True
    options.no_site_packages = True
    options.python_executable = None
    options.allow_redefinition = True
    options.show_column_numbers = True
    options.hide_error_codes = False
    return options


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "islet"


def kind_of(found) -> Kind:
    """A mypy type as a Kind."""
    from mypy.types import get_proper_type

    kinds, items = _kinds(get_proper_type(found), 0)
    return Kind(frozenset(kinds), frozenset(items))


def _kinds(t, depth: int) -> tuple[set[str], set[str]]:
    from mypy.types import (AnyType, CallableType, Instance, LiteralType, NoneType, Overloaded, TupleType,
                            TypedDictType, TypeType, TypeVarType, UninhabitedType, UnionType, get_proper_type)

    if depth > 4:
        return {"any"}, {"any"}
    if isinstance(t, AnyType):
        return {"any"}, {"any"}
    if isinstance(t, NoneType):
        return {"none"}, set()
    if isinstance(t, UninhabitedType):
        return set(), set()
    if isinstance(t, LiteralType):
        return _kinds(t.fallback, depth + 1)
    if isinstance(t, TupleType):
        items = set()
        for item in t.items:
            items |= _kinds(get_proper_type(item), depth + 1)[0]
        return {"tuple"}, items
    if isinstance(t, TypedDictType):
        return {"dict"}, {"str"}
    if isinstance(t, UnionType):
        kinds, items = set(), set()
        for item in t.items:
            k, i = _kinds(get_proper_type(item), depth + 1)
            kinds |= k
            items |= i
        return kinds, items
    if isinstance(t, TypeVarType):
        return _kinds(get_proper_type(t.upper_bound), depth + 1)
    if isinstance(t, CallableType):   # items: what it returns (for sort keys)
        return {"callable"}, _kinds(get_proper_type(t.ret_type), depth + 1)[0]
    if isinstance(t, Overloaded):
        returns: set[str] = set()
        for item in t.items:
            returns |= _kinds(get_proper_type(item.ret_type), depth + 1)[0]
        return {"callable"}, returns
    if isinstance(t, TypeType):
        return {"callable"}, set()
    if isinstance(t, Instance):
        name = t.type.fullname
        kind = BUILTIN_KINDS.get(name)
        if kind is None and any(base.fullname in BUILTIN_KINDS for base in t.type.mro[1:-1]):
            kind = next(BUILTIN_KINDS[base.fullname] for base in t.type.mro[1:-1] if base.fullname in BUILTIN_KINDS)
        if kind is None:
            if name == "builtins.object":
                return {"any"}, {"any"}
            own = [info for info in t.type.mro if not info.fullname.startswith(("builtins.", "typing."))]
            sized = any(n in info.names for info in own for n in ("__bool__", "__len__"))
            return {"sized" if sized else "object"}, set()
        items: set[str] = set()
        if kind == "str":
            items = {"str"}
        elif kind == "range":
            items = {"int"}
        elif t.args and kind != "callable":
            items = _kinds(get_proper_type(t.args[0]), depth + 1)[0]
        return {kind}, items
    return {"any"}, {"any"}
