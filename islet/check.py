"""Check stage: every widget module is read by CPython's parser and checked for the constructs
Transcrypt 3.9.5 compiles wrongly, before Transcrypt runs.

Transcrypt accepts much of Python and then, for some constructs, writes JavaScript that gives
different results, throws at run time, or does not load, usually without any error message
(measured: /work/shared/transcrypt.md and the snippets in tests/test_check.py). The author hears
about them here instead, as ``widgets/x.py:LINE:COL: what is wrong — what to write instead``.

Contract:
  - `check_widgets(widgets_dir, site_root)` checks every ``*.py`` under widgets/ (used or not, skipping
    __pycache__) and returns all findings of all files, sorted. `check_or_raise` raises `CheckError`.
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
Each rule is one entry of RULES at the bottom: the node kinds it looks at, a test, the message, the fix.
"""
from __future__ import annotations

import ast
import functools
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .errors import IsletError, Problem, shown_path

ALLOW = re.compile(r"#\s*islet:\s*allow\s*$")
PRAGMA = re.compile(r"^\s*#\s*__pragma__\s*\((?P<args>.*)\)\s*(#.*)?$")


class CheckError(IsletError):
    """A widget module uses a construct that Transcrypt would compile wrongly (or not at all)."""


# ---------------------------------------------------------------------------------------------
# Entry points


def widget_sources(widgets_dir: Path) -> list[Path]:
    return sorted(p for p in Path(widgets_dir).rglob("*.py") if "__pycache__" not in p.parts)


def check_widgets(widgets_dir: Path, site_root: Path) -> list[Problem]:
    """All findings for every module in `widgets_dir`, sorted by path, line and column."""
    return check_files(widget_sources(widgets_dir), site_root)


def check_or_raise(widgets_dir: Path, site_root: Path) -> None:
    problems = check_widgets(widgets_dir, site_root)
    if problems:
        raise CheckError(problems)


def check_files(paths: list[Path], site_root: Path) -> list[Problem]:
    """Like check_widgets for an explicit list of files (keyword-argument marks are looked up across them)."""
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for path in paths:
        shown = shown_path(path, site_root)
        data = Path(path).read_bytes()
        try:
            texts[shown] = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            problems.append(Problem(shown, line, f"not valid UTF-8 (byte 0x{data[error.start]:02x})",
                                    "save the file as UTF-8", column))
    registry = Registry.build(texts)
    for shown, text in texts.items():
        problems.extend(check_source(text, shown, registry))
    return _sorted(problems)


def check_source(text: str, shown: str, registry: Registry | None = None) -> list[Problem]:
    """Findings for one module's source text; `shown` is how messages name it (``widgets/x.py``).

    `registry` knows which functions in the other widget modules accept keyword arguments;
    without it only this module's own functions are known.
    """
    browser_lines = executable_view(text) != text
    try:
        if browser_lines:
            ast.parse(text, filename=shown)   # the module must also run under CPython, as written
        module = Module.read(text, shown)
    except SyntaxError as error:
        return [_syntax_problem(shown, error, " in a browser-only #? line" if browser_lines else "")]
    registry = registry or Registry.build({shown: text})
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


# ---------------------------------------------------------------------------------------------
# One module: its tree as Transcrypt sees it, its pragmas, its scopes


def executable_view(text: str) -> str:
    """The source as Transcrypt reads it: ``#?code`` lines between ``# __pragma__('ecom')`` and
    ``# __pragma__('noecom')`` become code. Line numbers stay the same."""
    lines = text.split("\n")
    active = False
    for index, line in enumerate(lines):
        name = _pragma_name(line)
        if name in ("ecom", "noecom"):
            active = name == "ecom"
        elif active:
            stripped = line.lstrip()
            if stripped[:4] in ("'''?", "?'''", '"""?', '?"""'):
                lines[index] = ""
            elif stripped.startswith("#?"):
                lines[index] = line.replace("#?", "", 1)
    return "\n".join(lines)


def _pragma_args(line: str) -> tuple | None:
    match = PRAGMA.match(line)
    if not match:
        return None
    try:
        args = ast.literal_eval(f"({match['args']},)")
    except (ValueError, SyntaxError):
        return None
    return args if args and all(isinstance(a, str) for a in args) else None


def _pragma_name(line: str) -> str | None:
    args = _pragma_args(line)
    return args[0] if args else None


PARAM = object()   # binding by a function parameter, for-loop target… : value unknown


@dataclass(frozen=True)
class Hit:
    line: int
    column: int
    what: str
    fix: str


class Module:
    """A parsed widget module with what the rules need to know about it."""

    def __init__(self, text: str, shown: str, tree: ast.Module):
        self.shown = shown
        self.lines = text.split("\n")
        self.tree = tree
        self.pragmas = [(number, args) for number, line in enumerate(self.lines, 1)
                        if (args := _pragma_args(line)) is not None]
        self.skipped = self._skip_ranges()
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

    # -- pragmas ----------------------------------------------------------------------------
    def _skip_ranges(self) -> list[tuple[int, int]]:
        ranges, start = [], None
        for number, args in self.pragmas:
            if args[0] == "skip" and start is None:
                start = number
            elif args[0] == "noskip" and start is not None:
                ranges.append((start, number))
                start = None
        if start is not None:
            ranges.append((start, len(self.lines) + 1))
        return ranges

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
            self._bind_target(node.target, PARAM, scope)
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
        elif isinstance(target, (ast.Tuple, ast.List)):
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
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("addEventListener", "removeEventListener") and len(node.args) > 1:
                handler = node.args[1]
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
        """'list', 'tuple', 'dict', 'set' or 'str' when `expr` detectably is one; None when unsure."""
        if seen:
            return self._kind(expr, scope, seen)
        key = (expr, scope)
        if key not in self._kinds:
            self._kinds[key] = self._kind(expr, scope, seen)
        return self._kinds[key]

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
        return self.kind(expr, scope) in ("list", "tuple", "dict", "set")

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


# ---------------------------------------------------------------------------------------------
# Which functions accept keyword arguments, across all widget modules


def _kwargs_marked(module: Module, node: ast.AST) -> bool:
    """A def compiled with ``# __pragma__('kwargs')`` in force; a class whose __init__ is, or a dataclass."""
    if isinstance(node, ast.ClassDef):
        if any(_decorator_name(d) == "dataclass" for d in node.decorator_list):
            return True   # measured: P(y=5) works for a @dataclass
        inits = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
        return bool(inits) and all(module.pragma_on("kwargs", n.lineno) for n in inits)
    return module.pragma_on("kwargs", node.lineno)


@dataclass
class Registry:
    top_level: dict[str, dict[str, bool]]   # "widgets.html" -> {"tag": accepts keywords?}
    methods: dict[str, list[bool]]          # any def by name, in any class of any module

    @classmethod
    def build(cls, texts: dict[str, str]) -> Registry:
        top_level: dict[str, dict[str, bool]] = {}
        methods: dict[str, list[bool]] = {}
        for shown, text in texts.items():
            try:
                module = Module.read(text, shown)
            except SyntaxError:
                continue
            names = top_level.setdefault(module_name(shown), {})
            for node in module.nodes():
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    marked = _kwargs_marked(module, node)
                    if module.scope_of[node] is module.tree:
                        names[node.name] = names.get(node.name, True) and marked
                    else:
                        methods.setdefault(node.name, []).append(marked)
        return cls(top_level, methods)


def module_name(shown: str) -> str:
    """``widgets/html.py`` → ``widgets.html``; ``widgets/__init__.py`` → ``widgets``."""
    parts = shown.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# ---------------------------------------------------------------------------------------------
# The rule table's tests. Each takes (node, module, registry) and yields (node to point at, details).

Found = Iterator[tuple[ast.AST, dict]]


def _always(node, m, r) -> Found:
    yield node, {}


def _starred_target(node, m, r) -> Found:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        if isinstance(target, ast.Name):
            continue
        for sub in ast.walk(target):
            if isinstance(sub, ast.Starred):
                yield sub, {}


def _starred_in_literal(node, m, r) -> Found:
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if key is None:
                yield value, {"kind": "a dict", "written": "{**d}"}
        return
    for element in node.elts:
        if isinstance(element, ast.Starred) and isinstance(element.ctx, ast.Load):
            kind = {ast.List: "a list", ast.Tuple: "a tuple", ast.Set: "a set"}[type(node)]
            yield element, {"kind": kind, "written": "*" + ast.unparse(element.value)}


def _fstring_spec(node, m, r) -> Found:
    if node.format_spec is not None or node.conversion != -1:
        shown = "!" + chr(node.conversion) if node.conversion != -1 else ":" + ast.unparse(node.format_spec)[2:-1]
        yield node.value, {"spec": shown}


def _fstring_braces(node, m, r) -> Found:
    if any(isinstance(v, ast.Constant) and ("{" in str(v.value) or "}" in str(v.value)) for v in node.values):
        yield node, {}


def _format_spec(node, m, r) -> Found:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "format" and isinstance(func.value, ast.Constant) \
            and isinstance(func.value.value, str):
        try:
            fields = list(string.Formatter().parse(func.value.value))
        except ValueError:
            return
        for _, name, spec, conversion in fields:
            if name is not None and (spec or conversion):
                yield func.value, {"spec": ("!" + conversion if conversion else "") + (":" + spec if spec else "")}
                return


def _percent_format(node, m, r) -> Found:
    if isinstance(node.op, ast.Mod) and m.kind(node.left, m.scope_of[node]) == "str":
        yield node, {}


ALLOWED_KEYWORDS = {   # measured to work in Transcrypt 3.9.5 without the kwargs pragma
    "sorted": {"key", "reverse"}, "min": {"key"}, "max": {"key"}, "enumerate": {"start"}, "dict": None,
}
ALLOWED_METHOD_KEYWORDS = {"sort": {"key", "reverse"}, "format": None}


def _keywords(node, m, r) -> Found:
    if not node.keywords:
        return
    given = {k.arg for k in node.keywords}
    func = node.func
    scope = m.scope_of[node]
    if isinstance(func, ast.Name) and m.lookup(func.id, scope) is None and func.id in ALLOWED_KEYWORDS:
        allowed = ALLOWED_KEYWORDS[func.id]
        if allowed is None or given <= allowed:
            return
    if isinstance(func, ast.Attribute) and func.attr in ALLOWED_METHOD_KEYWORDS:
        allowed = ALLOWED_METHOD_KEYWORDS[func.attr]
        if allowed is None or given <= allowed:
            return
    marked, where = _callee_marked(func, m, r)
    if marked:
        return
    keyword = next(k for k in node.keywords)
    written = f"{keyword.arg}=" if keyword.arg else "**"
    name = ast.unparse(func)
    fix = (f"call it positionally, or put `# __pragma__('kwargs')` on the line before `def {name.split('.')[-1]}`"
           f"{' in ' + where if where else ''} (and `# __pragma__('nokwargs')` after that function)"
           if where is not None else "pass the values positionally (a dict literal for a browser API's options)")
    yield keyword.value if keyword.arg is None else keyword, {"written": written, "name": name, "fix": fix}


def _callee_marked(func: ast.AST, m: Module, r: Registry) -> tuple[bool, str | None]:
    """(accepts keywords?, module that defines it or "" for this one; None when it is not a widgets function)."""
    scope = m.scope_of[func]
    if isinstance(func, ast.Name):
        found = m.lookup(func.id, scope)
        if found is None:
            return False, None
        defs = [v for v in m.bindings[found][func.id] if isinstance(v, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        if defs:
            return all(_kwargs_marked(m, d) for d in defs), ""
        source = _imported_from(m, func.id)
        if source is not None:
            module, name = source
            if name in r.top_level.get(module, {}):
                return r.top_level[module][name], module.replace(".", "/") + ".py"
        return False, None
    if isinstance(func, ast.Attribute):
        dotted = ast.unparse(func.value)
        target = _imported_module(m, dotted)
        if target is not None and func.attr in r.top_level.get(target, {}):
            return r.top_level[target][func.attr], target.replace(".", "/") + ".py"
        marks = r.methods.get(func.attr, [])
        if marks:
            return all(marks), "widgets/"
    return False, None


def _imported_from(m: Module, local: str) -> tuple[str, str] | None:
    for node in m.nodes():
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if (alias.asname or alias.name) == local:
                    return node.module, alias.name
    return None


def _imported_module(m: Module, dotted: str) -> str | None:
    for node in m.nodes():
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname == dotted or (alias.asname is None and alias.name == dotted):
                    return alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if (alias.asname or alias.name) == dotted:
                    return node.module + "." + alias.name
    return None


ITERATING_BUILTINS = {"list", "tuple", "set", "frozenset", "enumerate", "zip", "any", "all", "min", "max",
                      "sum", "map", "filter", "reversed", "iter"}


def _dict_iteration(node, m, r) -> Found:
    scope = m.scope_of[node]
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        candidates = [node.iter]
    elif isinstance(node.func, ast.Name) and node.func.id in ITERATING_BUILTINS and m.lookup(node.func.id, scope) is None:
        candidates = node.args[1:] if node.func.id in ("map", "filter") else node.args
    elif isinstance(node.func, ast.Attribute) and node.func.attr in ("join", "extend"):
        candidates = node.args[:1]
    else:
        candidates = []
    for expr in candidates:
        if m.kind(expr, scope) == "dict":
            yield expr, {"d": ast.unparse(expr) if isinstance(expr, ast.Name) else "d"}


def _tuple_sort_key(node, m, r) -> Found:
    func = node.func
    sorting = (isinstance(func, ast.Name) and func.id in ("sorted", "min", "max")) or \
              (isinstance(func, ast.Attribute) and func.attr == "sort")
    if not sorting:
        return
    for keyword in node.keywords:
        if keyword.arg != "key":
            continue
        key = keyword.value
        if isinstance(key, ast.Lambda) and isinstance(key.body, (ast.Tuple, ast.List)):
            yield key.body, {}
        elif isinstance(key, ast.Name):
            values = m.values_of(key.id, m.scope_of[node]) or []
            for d in values:
                if isinstance(d, (ast.FunctionDef, ast.Lambda)) and _returns_sequence(d):
                    yield key, {}
                    return


def _returns_sequence(func: ast.AST) -> bool:
    if isinstance(func, ast.Lambda):
        return isinstance(func.body, (ast.Tuple, ast.List))
    todo = list(func.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Return) and isinstance(node.value, (ast.Tuple, ast.List)):
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


IMPORT_HINTS = {
    "json": "use the browser's JSON.parse(text) / JSON.stringify(value)",
    "typing": "delete it: annotate with builtins (list[str], dict[str, int]) or not at all",
    "__future__": "delete it: widgets need no __future__ imports",
    "asyncio": "use async def / await directly; the browser's Promise and setTimeout replace asyncio",
    "math": "use the browser's Math (Math.floor, Math.sqrt, Math.PI …)",
    "random": "use the browser's Math.random()",
    "re": "use a browser RegExp: __new__(RegExp(pattern, flags))",
    "datetime": "use the browser's Date: __new__(Date(…))",
    "time": "use the browser's Date.now() or performance.now()",
}


def _imports(node, m, r) -> Found:
    if isinstance(node, ast.ImportFrom):
        if node.level:
            yield node, {"module": "." * node.level + (node.module or ""),
                         "fix": "import by absolute name: `from widgets.<module> import …`"}
            return
        if node.module == "dataclasses" and [a.name for a in node.names] == ["dataclass"]:
            return   # measured: @dataclass with defaults compiles and works
        modules = [node.module or ""]
    else:
        modules = [alias.name for alias in node.names]
    for module in modules:
        if module != "widgets" and not module.startswith("widgets."):
            top = module.split(".")[0]
            yield node, {"module": module, "fix": IMPORT_HINTS.get(
                top, "widgets can import only widgets.* modules: write the helper in widgets/, or use a browser "
                     "global (JSON, Math, Date, fetch …)")}


# str methods missing from Transcrypt's String.prototype (and from arrays, so never right on a JS value).
MISSING_STR_METHODS = {"count", "zfill", "title", "center", "ljust", "rjust", "partition", "rpartition", "rindex",
                       "swapcase", "casefold", "removeprefix", "removesuffix", "expandtabs", "format_map",
                       "isidentifier", "isprintable", "istitle", "isascii", "translate", "maketrans", "encode"}


def _str_methods(node, m, r) -> Found:
    func = node.func
    if not isinstance(func, ast.Attribute) or _is_self(func.value):
        return
    scope = m.scope_of[node]
    if func.attr in MISSING_STR_METHODS and (node.args or func.attr not in ("count",)):
        yield func, {"method": func.attr, "fix": STR_FIXES.get(func.attr, "write a small helper function in widgets/")}
    elif func.attr == "index" and m.kind(func.value, scope) == "str":
        yield func, {"method": "index", "fix": STR_FIXES["index"]}


STR_FIXES = {
    "count": "count in a loop (`for c in text:`) or use len(text.split(sub)) - 1",
    "index": "use text.find(sub), which returns -1 when absent",
    "rindex": "use text.rfind(sub), which returns -1 when absent",
    "zfill": "pad in a loop: `while len(s) < width: s = \"0\" + s`",
    "title": "capitalize each word: \" \".join([w.capitalize() for w in text.split(\" \")])",
    "removeprefix": "use `text[len(prefix):] if text.startswith(prefix) else text`",
    "removesuffix": "use `text[:len(text) - len(suffix)] if text.endswith(suffix) else text`",
    "partition": "use text.find(sep) and slices",
    "rpartition": "use text.rfind(sep) and slices",
    "casefold": "use text.lower()",
}


def _strip_argument(node, m, r) -> Found:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("strip", "lstrip", "rstrip") and node.args \
            and not _is_self(func.value):
        yield func, {"method": func.attr}


def _is_self(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Name) and expr.id in ("self", "cls")


# Transcrypt's predef_aliases: an attribute with one of these names compiles to the alias.
ALIASES = {
    "name": "py_name", "type": "py_metatype", "default": "py_default", "items": "py_items", "keys": "py_keys",
    "values": "py_values", "get": "py_get", "update": "py_update", "copy": "py_copy", "clear": "py_clear",
    "pop": "py_pop", "popitem": "py_popitem", "setdefault": "py_setdefault", "fromkeys": "py_fromkeys",
    "deepcopy": "py_deepcopy", "sort": "py_sort", "split": "py_split", "replace": "py_replace",
    "next": "py_next", "iter": "py_iter", "reversed": "py_reversed", "selector": "py_selector",
    "arguments": "py_arguments", "case": "py_case", "new": "py_new", "switch": "py_switch",
    "enumerate": "py_enumerate", "isNaN": "py_isNaN", "NaN": "py_NaN", "Infinity": "py_Infinity",
    "TypeError": "py_TypeError",
}
ALWAYS_JS_NAMES = {"name", "type", "default"}   # nearly always a DOM / event / JSON property when used
ON_PROTOTYPES = {"sort", "split", "replace", "pop", "copy", "clear", "update"}   # fine on str / list values
NO_JS_ALIAS = {"default", "case", "new", "switch", "enumerate", "fromkeys"}   # no js_ spelling exists


def _renamed_attribute(node, m, r) -> Found:
    attr = node.attr
    if attr not in ALIASES or _is_self(node.value) or m.alias_off(attr, node.lineno):
        return
    scope = m.scope_of[node]
    if attr in ALWAYS_JS_NAMES:
        flagged = True
    elif attr in ON_PROTOTYPES:   # Transcrypt gives strings and arrays these: only a browser object breaks
        flagged = isinstance(node.value, ast.Name) and m.js_object_name(node.value.id, scope)
    else:
        flagged = m.js_chain(node.value, scope)
    if flagged:
        base = ast.unparse(node.value)
        instead = f"`{base}[\"{attr}\"]`" if attr in NO_JS_ALIAS else f"`{base}.js_{attr}`"
        yield node, {"attr": attr, "alias": ALIASES[attr], "instead": instead}


def _negative_index(node, m, r) -> Found:
    index = node.slice
    negative = (isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub)) or \
               (isinstance(index, ast.Constant) and isinstance(index.value, (int, float)) and index.value < 0)
    if negative and not m.pragma_on("opov", node.lineno):
        base = ast.unparse(node.value)
        yield index, {"fix": f"write `{base}[len({base}) - {ast.unparse(index)[1:]}]`"}


def _container_operators(node, m, r) -> Found:
    if m.pragma_on("opov", node.lineno):
        return
    scope = m.scope_of[node]
    if isinstance(node, ast.Compare):
        left = node.left
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)) and \
                    (m.is_container(left, scope) or m.is_container(right, scope)):
                yield node, {"op": OPERATOR_TEXT[type(op)], "what": "comparing lists, tuples, dicts or sets",
                             "result": "compares identities or text, not contents"}
            left = right
        return
    if isinstance(node, ast.AugAssign):
        left, right, op = node.target, node.value, node.op
    else:
        left, right, op = node.left, node.right, node.op
    kinds = {m.kind(left, scope), m.kind(right, scope)}
    if isinstance(op, (ast.Add, ast.Mult)) and kinds & {"list", "tuple"}:
        yield node, {"op": OPERATOR_TEXT[type(op)], "what": "list arithmetic",
                     "result": "joins them as text ([1] + [2] is \"12\", [0] * 3 is 0)"}
    elif isinstance(op, ast.Mult) and "str" in kinds and kinds != {"str"}:
        yield node, {"op": "*", "what": "repeating a string", "result": "gives None (\"ab\" * 3)"}
    elif isinstance(op, (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)) and "set" in kinds:
        yield node, {"op": OPERATOR_TEXT[type(op)], "what": "set operators", "result": "gives a number"}


OPERATOR_TEXT = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
                 ast.Add: "+", ast.Mult: "*", ast.BitOr: "|", ast.BitAnd: "&", ast.Sub: "-", ast.BitXor: "^"}


def _truthiness(node, m, r) -> Found:
    if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
        tested = [node.test]
    elif isinstance(node, ast.comprehension):
        tested = node.ifs
    elif isinstance(node, ast.UnaryOp):
        tested = [node.operand] if isinstance(node.op, ast.Not) else []
    elif isinstance(node, ast.BoolOp):
        tested = node.values
    else:   # ast.Call
        tested = node.args[:1] if isinstance(node.func, ast.Name) and node.func.id == "bool" else []
    scope = m.scope_of[node]
    for expr in tested:
        if m.is_container(expr, scope):
            yield expr, {"x": ast.unparse(expr) if isinstance(expr, ast.Name) else "xs"}


def _dataclass_field(node, m, r) -> Found:
    if not any(_decorator_name(d) == "dataclass" for d in node.decorator_list):
        return
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and item.value is None and isinstance(item.target, ast.Name) \
                and "ClassVar" not in ast.unparse(item.annotation):
            yield item, {"field": item.target.id}


def _decorator_name(decorator: ast.AST) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def _except_exception(node, m, r) -> Found:
    caught = node.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    if not any(isinstance(n, ast.Name) and n.id in ("Exception", "BaseException") for n in names):
        return
    try_node = m.parent.get(node)
    scope = m.scope_of[node]
    for statement in getattr(try_node, "body", []):
        for sub in ast.walk(statement):
            if isinstance(sub, (ast.Attribute, ast.Call)) and m.js_chain(sub, scope):
                yield caught, {}
                return


def _round_digits(node, m, r) -> Found:
    if isinstance(node.func, ast.Name) and node.func.id == "round" and m.lookup("round", m.scope_of[node]) is None \
            and (len(node.args) > 1 or node.keywords):
        yield node, {}


def _int_call(node, m, r) -> Found:
    if isinstance(node.func, ast.Name) and node.func.id == "int" and m.lookup("int", m.scope_of[node]) is None \
            and node.args and not all(isinstance(a, ast.Constant) for a in node.args):
        yield node, {}


# ---------------------------------------------------------------------------------------------
# The rules: what Transcrypt 3.9.5 gets wrong, how to spot it, what to write instead.
# Messages and fixes are format strings over the details each test yields.


@dataclass(frozen=True)
class Rule:
    kinds: tuple[type, ...]
    test: Callable[[ast.AST, Module, Registry], Found]
    what: str
    fix: str

    def hits(self, node: ast.AST, module: Module, registry: Registry) -> Iterator[Hit]:
        for at, details in self.test(node, module, registry):
            yield Hit(getattr(at, "lineno", 0), getattr(at, "col_offset", -1) + 1,
                      self.what.format(**details), self.fix.format(**details))


CALL = (ast.Call,)
RULES = [
    # Transcrypt's parser has no visitor for `match`: the output is not valid JavaScript, and no error is given.
    Rule((ast.Match,), _always, "`match` is compiled to invalid JavaScript", "use if / elif / else"),
    # Same for the walrus operator: the JavaScript refers to an undeclared name.
    Rule((ast.NamedExpr,), _always, "the walrus operator `:=` is compiled to invalid JavaScript",
         "assign the value on a line of its own first"),
    # `except*` (3.11) is unknown to Transcrypt.
    Rule((ast.TryStar,), _always, "`except*` is not supported by Transcrypt", "use a plain `except`"),
    # Starred assignment: Transcrypt stops with an empty error message.
    Rule((ast.Assign, ast.For, ast.AsyncFor, ast.comprehension), _starred_target,
         "starred assignment (`a, *rest = xs`) cannot be compiled by Transcrypt",
         "index and slice instead: `a = xs[0]` and `rest = xs[1:]`"),
    # `[*xs, 1]` silently nests the list; `{**d}` stops Transcrypt with an empty message.
    Rule((ast.List, ast.Tuple, ast.Set, ast.Dict), _starred_in_literal,
         "unpacking `{written}` inside {kind} literal is compiled wrongly (the list is nested, or Transcrypt fails)",
         "build it step by step: `out = list(xs)` then `out.append(…)` / `out.extend(…)`, "
         "or copy a dict key by key"),
    # Format specs and conversions are dropped: f"{x:.2f}" prints 3.14159 in the browser.
    Rule((ast.FormattedValue,), _fstring_spec, "f-string format `{spec}` is ignored in JavaScript",
         "format by hand, e.g. with widgets.html.format_number(x, 2, False), and use str(x) / repr by hand"),
    # Literal braces in f-strings stop Transcrypt with an empty message.
    Rule((ast.JoinedStr,), _fstring_braces, "`{{{{` or `}}}}` in an f-string cannot be compiled by Transcrypt",
         "concatenate: \"{{\" + f\"…\" (or build the text with +)"),
    # "{:.2f}".format(x) returns the template unchanged in the browser.
    Rule(CALL, _format_spec, "format spec `{spec}` in str.format is not applied in JavaScript (the text "
                             "comes out as written)", "use plain `{{}}` fields and format the value by hand"),
    # `"%d items" % n` gives None in the browser. (Numeric a % b is right: Transcrypt emits Python's modulo.)
    Rule((ast.BinOp,), _percent_format, "`%` string formatting gives None in JavaScript",
         "concatenate with str(): \"…\" + str(x), or use an f-string without format specs"),
    # Keyword arguments arrive in the wrong parameter unless the def was compiled with the kwargs pragma.
    Rule(CALL, _keywords, "keyword argument `{written}` in the call to `{name}` is passed wrongly by Transcrypt "
                          "(the function is not compiled for keyword arguments)", "{fix}"),
    # `for k in d` / list(d) / tuple(d) on a dict throws or silently yields nothing (sorted(d) works).
    Rule((ast.For, ast.AsyncFor, ast.comprehension, ast.Call), _dict_iteration,
         "iterating a dict directly fails in JavaScript (TypeError, or silently empty)",
         "iterate `{d}.keys()` (or `{d}.items()`)"),
    # Tuple and list sort keys are compared as text: (10, 1) sorts before (9, 1).
    Rule(CALL, _tuple_sort_key, "a tuple or list sort key is compared as text in JavaScript (10 sorts before 9)",
         "sort by one scalar key, several times from the least to the most significant (sorted is stable), "
         "or merge-sort with a comparison function as widgets/table.py does"),
    # The standard library is not there in the browser (typing/__future__ fail at load, json is not Python's).
    Rule((ast.Import, ast.ImportFrom), _imports, "`{module}` cannot be imported by a widget (it is not in the "
                                                 "browser)", "{fix}"),
    # Transcrypt's str has no such method: TypeError at run time.
    Rule(CALL, _str_methods, "str.{method}() does not exist in JavaScript (TypeError in the browser)", "{fix}"),
    # The argument of strip/lstrip/rstrip is ignored: "xxaxx".strip("x") stays "xxaxx".
    Rule(CALL, _strip_argument, "the argument of {method}() is ignored in JavaScript (only whitespace is removed)",
         "remove the characters in a loop with startswith / endswith and slices"),
    # Transcrypt renames these attributes (event.type → event.py_metatype), so on a browser or JSON object
    # they read undefined.
    Rule((ast.Attribute,), _renamed_attribute,
         "`.{attr}` becomes `.{alias}` in JavaScript, which a browser or JSON object does not have",
         "write {instead}, or put `# __pragma__('noalias', '{attr}')` before this code; "
         "if it is an object of your own Python class, end the line with `# islet: allow`"),
    # xs[-1] is undefined in JavaScript (no wrap-around) unless opov is on.
    Rule((ast.Subscript,), _negative_index, "a negative index reads undefined in JavaScript (no wrap-around)",
         "{fix}, or use `# __pragma__('opov')` around this code"),
    # ==, <, +, * on lists, "ab" * 3 and set | set are JavaScript's operators without opov.
    Rule((ast.Compare, ast.BinOp, ast.AugAssign), _container_operators,
         "`{op}` for {what} is JavaScript's operator here: it {result}",
         "write a loop (or helper) that compares / builds element by element, or enable "
         "`# __pragma__('opov')` … `# __pragma__('noopov')` around this code"),
    # Empty lists and dicts are true in JavaScript: `if xs:` takes the branch for [].
    Rule((ast.If, ast.While, ast.IfExp, ast.Assert, ast.comprehension, ast.UnaryOp, ast.BoolOp, ast.Call),
         _truthiness, "an empty list, dict or set counts as true in JavaScript",
         "test the length: `len({x}) > 0` (or `len({x}) == 0` for `not {x}`)"),
    # A dataclass field without a default stops Transcrypt with an empty message (with defaults they work).
    Rule((ast.ClassDef,), _dataclass_field, "dataclass field `{field}` without a default cannot be compiled by "
                                            "Transcrypt", "give it a default, e.g. `{field}: int = 0`"),
    # JavaScript errors (null dereference, failed fetch) are not Python exceptions.
    Rule((ast.ExceptHandler,), _except_exception,
         "`except Exception` does not catch JavaScript errors (null element, failed fetch) raised in this try",
         "use a bare `except:` around code that touches the DOM or the network"),
    # round(2.675, 2) is 2.68 in JavaScript, 2.67 in CPython; round(1.005, 2) prints 1 vs 1.0.
    Rule(CALL, _round_digits, "round(x, n) gives different digits in JavaScript than in CPython",
         "round to an integer (round(x * 100) keeps exact integers) or format with widgets.html.format_number"),
    # int() is a 32-bit truncation in JavaScript: int(3e9) is -1294967296.
    Rule(CALL, _int_call, "int() truncates to 32 bits in JavaScript (int(3000000000.0) is -1294967296)",
         "use round(x) or x // 1 (exact up to 2**53); parse text with float(text)"),
]

RULES_BY_KIND: dict[type, list[Rule]] = {}
for _rule in RULES:
    for _kind in _rule.kinds:
        RULES_BY_KIND.setdefault(_kind, []).append(_rule)
