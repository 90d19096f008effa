"""Rule tests that need to know what a value is, from the types mypy inferred (types.py): where an
unknown type decides the meaning, floats written as text, text joined from non-text, isinstance with
int, membership of tuples, mixed equality, list deletion, dict order, shifts and JavaScript's own
property names."""
from __future__ import annotations

import ast
from dataclasses import dataclass

from .module import Found, Module, is_self
from .types import CONTAINERS

NUMBERS = frozenset({"int", "float", "bool"})


def _name(expr: ast.AST) -> str:
    text = ast.unparse(expr)
    return text if len(text) <= 40 else text[:37] + "…"


def _pairs(node: ast.Compare):
    """(operator, left, right) of each comparison in a chain: `a < b < c` is (<, a, b), (<, b, c)."""
    return zip(node.ops, [node.left] + node.comparators, node.comparators)


TRUTH = "an empty list or dict is true in JavaScript"


def decided_by_type(node, m, r) -> Found:
    """Positions whose JavaScript meaning depends on the value's type, holding a value of unknown type."""
    scope = m.scope_of[node]
    for expr, why in _typed_positions(node, m):
        if not isinstance(expr, (ast.Compare, ast.BoolOp)) and not _is_not(expr) and m.unknown(expr, scope):
            yield expr, {"x": _name(expr), "why": why}
            return


def _typed_positions(node, m: Module):
    if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
        yield node.test, TRUTH
    elif isinstance(node, ast.comprehension):
        for test in node.ifs:
            yield test, TRUTH
        yield node.iter, "iterating a dict fails in JavaScript"
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        yield node.iter, "iterating a dict fails in JavaScript"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield node.operand, TRUTH
    elif isinstance(node, ast.BoolOp):
        for value in node.values[:-1]:
            yield value, TRUTH
    elif isinstance(node, (ast.BinOp, ast.AugAssign)):
        left, right = (node.target, node.value) if isinstance(node, ast.AugAssign) else (node.left, node.right)
        if isinstance(node.op, (ast.Add, ast.Mult)):
            yield left, "`+` and `*` join lists and text differently in JavaScript"
            yield right, "`+` and `*` join lists and text differently in JavaScript"
        elif isinstance(node.op, ast.Mod):
            yield left, "`%` formats text differently in JavaScript"
    elif isinstance(node, ast.Compare):
        for op, a, b in _pairs(node):
            if isinstance(op, (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)) and not _is_none(a) \
                    and not _is_none(b):
                yield a, "JavaScript compares lists by identity and text with numbers loosely"
                yield b, "JavaScript compares lists by identity and text with numbers loosely"
    elif isinstance(node, ast.FormattedValue) and node.conversion == -1 and node.format_spec is None:
        yield node.value, "a float is written differently in JavaScript (2.0 is \"2\")"
    elif m.builtin_call(node, "str") and len(node.args) == 1:
        yield node.args[0], "a float is written differently in JavaScript (2.0 is \"2\")"


def _is_not(expr: ast.AST) -> bool:
    return isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not)


def _is_none(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def float_text(node, m, r) -> Found:
    """str(x), f"{x}" and "…" + str(…) where x can be a float (or a list of them)."""
    if isinstance(node, ast.FormattedValue):
        value = node.value if node.conversion in (-1, ord("s")) and node.format_spec is None else None
    elif m.builtin_call(node, "str") and len(node.args) == 1:
        value = node.args[0]
    else:
        value = None
    if value is None:
        return
    typed = m.type_of(value)
    if typed is None:
        return
    if "float" in typed.kinds or (typed.kinds & CONTAINERS and "float" in typed.items):
        yield value, {"x": _name(value)}


def join_text(node, m, r) -> Found:
    """"-".join(xs) where the items can be numbers: CPython raises TypeError, JavaScript joins them."""
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "join" and len(node.args) == 1 \
            and m.kind(func.value, m.scope_of[node]) == "str":
        typed = m.type_of(node.args[0])
        if typed is not None and typed.items - {"str", "any"}:
            yield node.args[0], {}


def isinstance_int(node, m, r) -> Found:
    """isinstance(x, int) is True for 2.0 in JavaScript (numbers are one type)."""
    if m.builtin_call(node, "isinstance") and len(node.args) == 2:
        classes = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
        names = {c.id for c in classes if isinstance(c, ast.Name)}
        typed = m.type_of(node.args[0])
        if names & {"int", "float"} and not names >= {"int", "float"} \
                and (typed is None or typed.kinds & {"float", "any"}):
            yield node, {}


def membership(node, m, r) -> Found:
    """`(1, 2) in pairs`: JavaScript looks for that very tuple object, not an equal one."""
    scope = m.scope_of[node]
    for op, a, b in _pairs(node):
        if isinstance(op, (ast.In, ast.NotIn)) and m.kinds(a, scope) & CONTAINERS \
                and m.kinds(b, scope) & (CONTAINERS - {"dict"}):
            yield a, {"op": "in" if isinstance(op, ast.In) else "not in"}


def mixed_equality(node, m, r) -> Found:
    """`"1" == 1` is true in JavaScript (loose equality), False in CPython."""
    scope = m.scope_of[node]
    for op, a, b in _pairs(node):
        if isinstance(op, (ast.Eq, ast.NotEq)):
            ka, kb = m.kinds(a, scope), m.kinds(b, scope)
            if ("str" in ka and kb & NUMBERS) or ("str" in kb and ka & NUMBERS):
                yield node, {}
                return


def list_delete(node, m, r) -> Found:
    """`del xs[i]` leaves a hole in a JavaScript array; `del xs[a:b]` does nothing."""
    scope = m.scope_of[node]
    for target in node.targets:
        if isinstance(target, ast.Subscript) and m.kind(target.value, scope) == "list":
            base = _name(target.value)
            if isinstance(target.slice, ast.Slice):
                yield target, {"fix": f"build the list again without those items, e.g. `{base} = {base}[:a] "
                                      f"and .extend({base}[b:])` on a copy"}
            else:
                yield target, {"fix": f"use `{base}.pop({ast.unparse(target.slice)})`"}


def dict_order(node, m, r) -> Found:
    """d.keys() / d.values() / d.items() on a dict, unless sorted right away (sorted(d.keys())); the text of a
    dict (str, repr, an f-string), or of a list of dicts."""
    if isinstance(node, ast.FormattedValue) or m.builtin_call(node, "str", "repr"):
        value = node.value if isinstance(node, ast.FormattedValue) else (node.args[0] if node.args else None)
        typed = m.type_of(value) if value is not None else None
        if typed is not None and ("dict" in typed.kinds or "dict" in typed.items):
            yield value, {"method": "str" if isinstance(node, ast.FormattedValue) else node.func.id, "d": _name(value)}
        return
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("keys", "values", "items") and not node.args):
        return
    if m.kind(func.value, m.scope_of[node]) != "dict" or m.browser_value(func.value, m.scope_of[node]):
        return
    parent = m.parent.get(node)
    if func.attr == "keys" and m.builtin_call(parent, "sorted", "len"):
        return
    yield node, {"method": func.attr, "d": _name(func.value)}


def shift(node, m, r) -> Found:
    if isinstance(node.op, ast.LShift):
        yield node, {}


# Properties every JavaScript object has (Object.prototype) or that make it what it is.
PROTOTYPE_NAMES = {"constructor", "__proto__", "prototype", "toString", "valueOf", "hasOwnProperty",
                   "isPrototypeOf", "propertyIsEnumerable", "toLocaleString"}


def prototype_name(node, m, r) -> Found:
    """hasattr / getattr / setattr with such a name, or an attribute of that name on an object of one's own
    (an attribute `length` on one too: len() would read it)."""
    if isinstance(node, ast.Call):
        if m.builtin_call(node, "hasattr", "getattr", "setattr") and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant) and node.args[1].value in PROTOTYPE_NAMES:
            yield node.args[1], {"name": node.args[1].value, "what": "hasattr() always finds it, getattr() gives "
                                                                     "JavaScript's"}
        return
    if node.attr in PROTOTYPE_NAMES | {"length"} and not m.browser_value(node.value, m.scope_of[node]):
        typed = m.type_of(node.value)
        own = typed is not None and typed.kinds & {"object", "sized"}
        if own or is_self(node.value):
            what = "len() of the object reads it" if node.attr == "length" else "setting or reading it changes " \
                                                                                 "how the object works"
            yield node, {"name": node.attr, "what": what}


@dataclass(frozen=True)
class At:
    lineno: int
    col_offset: int


def type_errors(node, m, r) -> Found:
    """mypy's reports (types.REPORTED) for the module: None + 1, "n=" + 1, len(5), calling None …"""
    for line, column, message in m.types.errors if m.types is not None else ():
        if not m.in_skip(line):
            yield At(line, column - 1), {"message": message}
