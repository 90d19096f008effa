"""One widget module as Transcrypt sees it: its tree, pragmas, scopes, and what an expression is.

`Module.read(text, shown)` parses the source as Transcrypt reads it (`executable_view`: browser-only
``#?`` lines become code) and keeps what the rules ask about: which pragmas are in force at a line,
which lines are skipped or allowed, which scope binds a name, and the `kind` of an expression
('list', 'dict', 'str' …) when it detectably is one. It changes nothing and knows no rule.
"""
from __future__ import annotations

import ast
import builtins
import copy
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from .source import pragma_args, executable_view, skip_ranges

if TYPE_CHECKING:
    from .types import Kind, Types

ALLOW = re.compile(r"#\s*islet:\s*allow\s*$")

# What a rule's test yields: (the node to point at, the details its message is formatted with).
Found = Iterator[tuple[ast.AST, dict]]


PARAM = object()   # binding by a function parameter, for-loop target… : value unknown


@dataclass(frozen=True)
class IterOf:
    """Binding by a for loop: an item of `iterable` (value unknown, but from where)."""
    iterable: ast.expr


class Module:
    """A parsed widget module with what the rules need to know about it."""

    def __init__(self, text: str, shown: str, tree: ast.Module):
        self.shown = shown
        self.lines = text.split("\n")
        self.tree = tree
        self.pragmas = [(number, args) for number, line in enumerate(self.lines, 1)
                        if (args := pragma_args(line)) is not None]
        self.skipped = skip_ranges(self.lines)
        self.types: Types | None = None   # what mypy infers; `with_types` gives a copy that knows
        self.scope_of: dict[ast.AST, ast.AST] = {}
        self.parent: dict[ast.AST, ast.AST] = {}
        self.bindings: dict[ast.AST, dict[str, list]] = {}
        self.globals: dict[ast.AST, set[str]] = {}
        self.js_params: set[tuple[ast.AST, str]] = set()
        self._kinds: dict[tuple[ast.AST, ast.AST], str | None] = {}
        self._walk(tree, tree)
        self._find_js_params()

    @classmethod
    def read(cls, text: str, shown: str) -> Module:
        return _read(text, shown)

    def with_types(self, types: Types) -> Module:
        """This module, with the types mypy inferred for it (a shallow copy: the parse is shared)."""
        typed = copy.copy(self)
        typed.types = types
        typed._kinds = {}
        return typed

    # -- pragmas ----------------------------------------------------------------------------
    def in_skip(self, line: int) -> bool:
        return any(a < line < b for a, b in self.skipped)

    def pragma_on(self, name: str, line: int) -> bool:
        """Whether ``# __pragma__(name)`` is in force at `line` (the last of name / no<name> before it wins)."""
        state = False
        for number, args in self.pragmas:
            if number >= line:
                break
            if args[0] in (name, "no" + name):
                state = args[0] == name
        return state

    def alias_off(self, attr: str, line: int) -> bool:
        """True when ``# __pragma__('noalias', attr)`` (or a bare 'noalias') comes before `line`."""
        off = False
        for number, args in self.pragmas:
            if number >= line:
                break
            if args[0] == "noalias" and (len(args) == 1 or attr in args[1:]):
                off = True
            elif args[0] == "alias" and len(args) > 1 and args[1] == attr:
                off = False
        return off

    def allowed(self, line: int) -> bool:
        return 0 < line <= len(self.lines) and bool(ALLOW.search(self.lines[line - 1]))

    # -- scopes -----------------------------------------------------------------------------
    def nodes(self) -> Iterator[ast.AST]:
        """Every node outside skip blocks, in source order."""
        return iter(self.scope_of)

    def _walk(self, node: ast.AST, scope: ast.AST) -> None:
        self.scope_of[node] = scope
        if type(node) in BINDERS:
            self._bind(node, scope)
        inner = node if isinstance(node, SCOPES) else scope
        for child in _children(node):
            if self.skipped and isinstance(child, ast.stmt) and self.in_skip(child.lineno):
                continue   # CPython-only code: Transcrypt never sees it
            self.parent[child] = node
            self._walk(child, inner)

    def _bind(self, node: ast.AST, scope: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._record(scope, node.name, node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                if arg is not None:
                    self._record(node, arg.arg, PARAM)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind_target(target, node.value, scope)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._bind_target(node.target, node.value, scope)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._bind_target(node.target, IterOf(node.iter), scope)
        elif isinstance(node, ast.comprehension):
            self._bind_target(node.target, PARAM, scope)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._bind_target(node.optional_vars, PARAM, scope)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self._record(scope, node.name, PARAM)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                self._record(scope, (alias.asname or alias.name).split(".")[0], PARAM)
        elif isinstance(node, ast.NamedExpr):
            self._bind_target(node.target, PARAM, scope)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            self.globals.setdefault(scope, set()).update(node.names)

    def _bind_target(self, target: ast.AST, value, scope: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self._record(scope, target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):   # unpacking: the items' values are unknown
            for element in target.elts:
                self._bind_target(element, PARAM, scope)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, PARAM, scope)

    def _record(self, scope: ast.AST, name: str, value) -> None:
        self.bindings.setdefault(scope, {}).setdefault(name, []).append(value)

    def lookup(self, name: str, scope: ast.AST) -> ast.AST | None:
        """The scope that binds `name` as seen from `scope` (Python's rules, roughly); None: a global of the browser."""
        current, first = scope, True
        while current is not None:
            if name in self.globals.get(current, ()):
                current = self.tree
            skip_class = isinstance(current, ast.ClassDef) and not first
            if not skip_class and name in self.bindings.get(current, {}):
                return current
            if current is self.tree:
                return None
            current, first = self.scope_of.get(current), False
        return None

    def values_of(self, name: str, scope: ast.AST) -> list | None:
        found = self.lookup(name, scope)
        return None if found is None else self.bindings[found][name]

    def _find_js_params(self) -> None:
        """Parameters that hold browser objects: all of mount()'s (the root element and the JSON props)
        and the first one of every event handler (named event/evt, or passed to addEventListener)."""
        handlers = set()
        for node in self.scope_of:
            callback = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                (node.func.attr in ("addEventListener", "removeEventListener") and len(node.args) > 1)
                or (node.func.attr in ("then", "catch", "finally") and len(node.args) > 0))
            if callback:   # an event handler, or what a promise gives its callback
                handler = node.args[1] if node.func.attr.endswith("EventListener") else node.args[0]
                if isinstance(handler, ast.Name):
                    handlers.add(handler.id)
                elif isinstance(handler, ast.Lambda):
                    handlers.add(handler)
        for node in self.scope_of:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            params = [a.arg for a in node.args.args]
            if isinstance(node, ast.FunctionDef) and node.name == "mount" and self.scope_of[node] is self.tree:
                self.js_params.update((node, p) for p in params)
            if params and (node in handlers or getattr(node, "name", None) in handlers):
                self.js_params.add((node, params[0]))
            self.js_params.update((node, p) for p in params if p in ("event", "evt"))

    # -- what an expression is ----------------------------------------------------------------
    def kind(self, expr: ast.AST, scope: ast.AST, seen: frozenset = frozenset()) -> str | None:
        """'list', 'tuple', 'dict', 'set' or 'str' when `expr` detectably is one (by its spelling, else by
        the type mypy inferred); None when unsure."""
        if seen:
            return self._kind(expr, scope, seen)
        key = (expr, scope)
        if key not in self._kinds:
            found = self._kind(expr, scope, seen)
            if found is None:
                typed = self.type_of(expr)
                if typed is not None and len(typed.kinds) == 1 and next(iter(typed.kinds)) in SHAPES:
                    found = next(iter(typed.kinds))
            self._kinds[key] = found
        return self._kinds[key]

    def builtin_call(self, node: ast.AST, *names: str) -> bool:
        """`node` calls one of Python's builtins `names` (not a function of the module's own by that name)."""
        return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names \
            and self.lookup(node.func.id, self.scope_of[node]) is None

    def type_of(self, expr: ast.AST) -> Kind | None:
        """What mypy inferred for `expr`, or None when it is not known (no types, or an untyped node)."""
        return None if self.types is None else self.types.of(expr)

    def kinds(self, expr: ast.AST, scope: ast.AST) -> frozenset[str]:
        """Every kind `expr` can have: its spelling's when that is detectable, else mypy's; {'any'} if unknown."""
        spelt = self.kind(expr, scope)
        if spelt is not None:
            return frozenset({spelt})
        typed = self.type_of(expr)
        return typed.kinds if typed is not None else frozenset()

    def unknown(self, expr: ast.AST, scope: ast.AST) -> bool:
        """mypy could not tell what `expr` is (unannotated, or from JSON), and it is not a browser object."""
        typed = self.type_of(expr)
        return typed is not None and typed.unknown and self.kind(expr, scope) is None \
            and not typed.kinds & {"list", "tuple", "dict", "set", "sized"} and not self.browser_value(expr, scope)

    def browser_value(self, expr: ast.AST, scope: ast.AST, seen: frozenset = frozenset()) -> bool:
        """`expr` is reached from a browser global, the root element or an event (not from the props, which
        hold JSON lists and dicts), or is a name bound only to such values (a loop over querySelectorAll…):
        its Python type does not matter, JavaScript's own meaning applies."""
        root = expr
        while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
            root = root.func if isinstance(root, ast.Call) else root.value
        if not isinstance(root, ast.Name) or root.id == "props" or root.id in seen:
            return False
        found = self.lookup(root.id, scope)
        if found is None:   # a global of the browser (document, __new__ …), unless it is a Python builtin
            return not hasattr(builtins, root.id)
        if (found, root.id) in self.js_params:
            return True
        values, inner = self.bindings[found][root.id], seen | {root.id}
        return all((isinstance(v, ast.expr) and self.browser_value(_copied(v), found, inner))
                   or (isinstance(v, IterOf) and self.browser_value(_copied(v.iterable), found, inner))
                   for v in values)

    def _kind(self, expr: ast.AST, scope: ast.AST, seen: frozenset) -> str | None:
        if isinstance(expr, (ast.List, ast.ListComp)):
            return "list"
        if isinstance(expr, ast.Tuple):
            return "tuple"
        if isinstance(expr, (ast.Dict, ast.DictComp)):
            return "dict"
        if isinstance(expr, (ast.Set, ast.SetComp)):
            return "set"
        if isinstance(expr, ast.JoinedStr) or (isinstance(expr, ast.Constant) and isinstance(expr.value, str)):
            return "str"
        if isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Name) and self.lookup(expr.func.id, scope) is None:
                return BUILTIN_KINDS.get(expr.func.id)
            if isinstance(expr.func, ast.Attribute):
                if expr.func.attr in ("join", "format", "lower", "upper", "capitalize"):
                    return "str"
                if expr.func.attr in ("strip", "lstrip", "rstrip", "replace") \
                        and self.kind(expr.func.value, scope, seen) == "str":
                    return "str"
            return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mult)):
            kinds = {self.kind(expr.left, scope, seen), self.kind(expr.right, scope, seen)}
            for k in ("str", "list", "tuple"):
                if k in kinds:
                    return k
            return None
        if isinstance(expr, ast.IfExp):
            body = self.kind(expr.body, scope, seen)
            return body if body == self.kind(expr.orelse, scope, seen) else None
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
            inner = self.kind(expr.value, scope, seen)
            return inner if inner in ("list", "tuple", "str") else None
        if isinstance(expr, ast.Name) and expr.id not in seen:
            found = self.lookup(expr.id, scope)
            if found is None:
                return None
            kinds = {None if v is PARAM or not isinstance(v, ast.expr) else self.kind(v, found, seen | {expr.id})
                     for v in self.bindings[found][expr.id]}
            return kinds.pop() if len(kinds) == 1 else None
        return None

    def is_container(self, expr: ast.AST, scope: ast.AST) -> bool:
        """A list, tuple, dict or set (possibly: `list[str] | None` counts), or an object with __len__ / __bool__."""
        return bool(self.kinds(expr, scope) & {"list", "tuple", "dict", "set", "sized"})

    def js_object_name(self, name: str, scope: ast.AST) -> bool:
        """`name` holds a browser object (not a string or array): a browser global, a parameter of
        mount() or of an event handler, or a name bound only to an element lookup (querySelector…)."""
        found = self.lookup(name, scope)
        if found is None:
            return name in BROWSER_OBJECTS
        if (found, name) in self.js_params:
            return True
        values = self.bindings[found][name]
        return all(isinstance(v, ast.expr) and self._makes_js_object(v, found) for v in values)

    def _makes_js_object(self, expr: ast.expr, scope: ast.AST) -> bool:
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "__new__":
            return True
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            return expr.func.attr in DOM_OBJECT_METHODS and self.js_chain(expr.func.value, scope)
        if isinstance(expr, ast.Attribute):
            return expr.attr in DOM_OBJECT_PROPERTIES and self.js_chain(expr.value, scope)
        return False

    def js_chain(self, expr: ast.AST, scope: ast.AST) -> bool:
        """`expr` is reached from a browser object by attributes, calls and subscripts
        (``props["labels"]``, ``event.target.dataset``): a plain JS value, never a Python dict."""
        while isinstance(expr, (ast.Attribute, ast.Call, ast.Subscript)):
            expr = expr.func if isinstance(expr, ast.Call) else expr.value
        return isinstance(expr, ast.Name) and self.js_object_name(expr.id, scope)


def _copied(iterable: ast.expr) -> ast.expr:
    """X in ``list(X)``, ``tuple(X)``, ``reversed(X)``, ``sorted(X)``: the items are X's items."""
    while isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and len(iterable.args) == 1 \
            and iterable.func.id in ("list", "tuple", "reversed", "sorted"):
        iterable = iterable.args[0]
    return iterable


def _children(node: ast.AST) -> Iterator[ast.AST]:
    """ast.iter_child_nodes without the Load/Store markers (a quarter of all nodes, never interesting)."""
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield item
        elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
            yield value


BINDERS = {ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Assign, ast.AnnAssign, ast.For,
           ast.AsyncFor, ast.comprehension, ast.withitem, ast.ExceptHandler, ast.Import, ast.ImportFrom,
           ast.NamedExpr, ast.Global, ast.Nonlocal}
SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
          ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
SHAPES = {"list", "tuple", "dict", "set", "str"}
BUILTIN_KINDS = {"list": "list", "sorted": "list", "dict": "dict", "set": "set", "tuple": "tuple",
                 "str": "str", "repr": "str", "chr": "str"}
BROWSER_OBJECTS = {"document", "window", "location", "history", "navigator", "localStorage", "sessionStorage",
                   "console", "performance", "screen", "Object", "JSON", "Math", "Array", "Number", "Promise",
                   "Reflect", "Intl", "Date", "fetch"}
DOM_OBJECT_METHODS = {"querySelector", "getElementById", "createElement", "createElementNS", "createTextNode",
                      "createDocumentFragment", "closest", "getBoundingClientRect", "cloneNode", "getContext",
                      "attachShadow", "item", "namedItem", "insertRow", "insertCell"}
DOM_OBJECT_PROPERTIES = {"target", "currentTarget", "relatedTarget", "parentNode", "parentElement", "firstChild",
                         "firstElementChild", "lastChild", "lastElementChild", "nextSibling", "nextElementSibling",
                         "previousSibling", "previousElementSibling", "body", "head", "documentElement",
                         "activeElement", "style", "classList", "dataset", "location", "tHead", "tFoot",
                         "ownerDocument", "form", "content"}


@functools.lru_cache(maxsize=64)
def _read(text: str, shown: str) -> Module:
    """Parsed once per text: the registry and the check both need every module (modules are never mutated)."""
    return Module(text, shown, ast.parse(executable_view(text)))


def is_self(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Name) and expr.id in ("self", "cls")


def decorator_name(decorator: ast.AST) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
