"""Rule tests for constructs Transcrypt cannot compile, or compiles into different text: `match`, `:=`,
starred targets and literals, f-string and str.format specs, `%` formatting, dataclass fields without defaults,
and names JavaScript reserves or Transcrypt's runtime already exports."""
from __future__ import annotations

import ast
import string

from .module import Found, decorator_name


def always(node, m, r) -> Found:
    yield node, {}


def starred_target(node, m, r) -> Found:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        if isinstance(target, ast.Name):
            continue
        for sub in ast.walk(target):
            if isinstance(sub, ast.Starred):
                yield sub, {}


def starred_in_literal(node, m, r) -> Found:
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if key is None:
                yield value, {"kind": "a dict", "written": "{**d}"}
        return
    for element in node.elts:
        if isinstance(element, ast.Starred) and isinstance(element.ctx, ast.Load):
            kind = {ast.List: "a list", ast.Tuple: "a tuple", ast.Set: "a set"}[type(node)]
            yield element, {"kind": kind, "written": "*" + ast.unparse(element.value)}


def fstring_spec(node, m, r) -> Found:
    if node.format_spec is not None or node.conversion not in (-1, ord("s")):   # {x!s} is {x}
        shown = "!" + chr(node.conversion) if node.conversion != -1 else ":" + ast.unparse(node.format_spec)[2:-1]
        yield node.value, {"spec": shown}


def fstring_braces(node, m, r) -> Found:
    if any(isinstance(v, ast.Constant) and ("{" in str(v.value) or "}" in str(v.value)) for v in node.values):
        yield node, {}


def format_spec(node, m, r) -> Found:
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


def percent_format(node, m, r) -> Found:
    if isinstance(node.op, ast.Mod) and m.kind(node.left, m.scope_of[node]) == "str":
        yield node, {}


def dataclass_field(node, m, r) -> Found:
    if not any(decorator_name(d) == "dataclass" for d in node.decorator_list):
        return
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and item.value is None and isinstance(item.target, ast.Name) \
                and "ClassVar" not in ast.unparse(item.annotation):
            yield item, {"field": item.target.id}


# Words JavaScript reserves (in modules, which are strict) that Python allows as names and Transcrypt writes
# as they are: `var function = …` does not load. (Transcrypt renames case, default, new, switch, arguments.)
JS_RESERVED = {"catch", "const", "debugger", "delete", "do", "enum", "eval", "export", "extends", "false",
               "function", "implements", "instanceof", "interface", "let", "null", "package", "private",
               "protected", "public", "static", "super", "this", "throw", "true", "typeof", "var", "void"}
# Builtins Transcrypt renames and every module imports from its runtime: a module-level def of one
# declares that name twice. (`property` is not translated at all.)
RUNTIME_NAMES = {"type": "py_metatype", "enumerate": "py_enumerate", "reversed": "py_reversed", "iter": "py_iter",
                 "next": "py_next", "property": "property"}


def bound_names(node) -> list[tuple[ast.AST, str]]:
    """The names this node binds, each with the node to point at."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return [(node, node.id)]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [(node, node.name)]
    if isinstance(node, ast.arg):
        return [(node, node.arg)]
    if isinstance(node, ast.alias):
        return [(node, (node.asname or node.name).split(".")[0])]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [(node, node.name)]
    return []


def reserved_name(node, m, r) -> Found:
    for at, name in bound_names(node):
        if name in JS_RESERVED:
            yield at, {"name": name}


def runtime_name(node, m, r) -> Found:
    if m.scope_of.get(node) is not m.tree:
        return
    for at, name in bound_names(node):
        if name in RUNTIME_NAMES:
            yield at, {"name": name, "js": RUNTIME_NAMES[name]}


def mutable_default(node, m, r) -> Found:
    """def f(acc=[]): CPython makes the list once and shares it between calls; JavaScript makes a new one."""
    for default in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
        if isinstance(default, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)) or (
                isinstance(default, ast.Call) and isinstance(default.func, ast.Name)
                and default.func.id in ("list", "dict", "set")):
            yield default, {"name": getattr(node, "name", "lambda")}


def lambda_default(node, m, r) -> Found:
    """lambda i=i: i — Transcrypt drops a lambda's defaults (the parameter is None)."""
    if node.args.defaults or any(d is not None for d in node.args.kw_defaults):
        yield node, {}


def loop_closure(node, m, r) -> Found:
    """A function made inside a loop that reads the loop variable: CPython's sees its last value, JavaScript's
    (a `var` in a C-style loop) a different one."""
    loops, current = [], m.parent.get(node)
    while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                                           ast.ClassDef, ast.Module)):
        if isinstance(current, (ast.For, ast.AsyncFor)):
            loops.append(current.target)
        elif isinstance(current, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            loops += [g.target for g in current.generators]
        current = m.parent.get(current)
    names = {n.id for target in loops for n in ast.walk(target) if isinstance(n, ast.Name)}
    if not names:
        return
    own = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}
    body = node.body if isinstance(node.body, list) else [node.body]
    used = {n.id for statement in body for n in ast.walk(statement) if isinstance(n, ast.Name)}
    for name in sorted((used & names) - own):
        yield node, {"name": name}
        return


# Operators that call these only under # __pragma__('opov'); without it `==` compares identities, `+` joins
# text, `x[i]` reads a property.
OPERATOR_METHODS = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__add__", "__radd__", "__sub__",
                    "__mul__", "__rmul__", "__truediv__", "__floordiv__", "__mod__", "__pow__", "__neg__", "__and__",
                    "__or__", "__xor__", "__getitem__", "__setitem__", "__delitem__", "__contains__", "__iadd__"}


def operator_method(node, m, r) -> Found:
    parent = m.parent.get(node)
    if isinstance(parent, ast.ClassDef) and node.name in OPERATOR_METHODS and not m.pragma_on("opov", node.lineno):
        yield node, {"name": node.name}


def multiple_bases(node, m, r) -> Found:
    """Transcrypt's method resolution through several bases is not CPython's (super() skips classes)."""
    if len([b for b in node.bases if not (isinstance(b, ast.Name) and b.id == "object")]) > 1:
        yield node, {"name": node.name}
