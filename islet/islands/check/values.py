"""Rule tests for values as JavaScript sees them: renamed attributes, negative indices, operators on
containers, the truthiness of empty containers, and JavaScript errors in `except Exception`."""
from __future__ import annotations

import ast

from .module import Found, is_self

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


def renamed_attribute(node, m, r) -> Found:
    attr = node.attr
    if attr not in ALIASES or is_self(node.value) or m.alias_off(attr, node.lineno):
        return
    typed = m.type_of(node.value)
    if typed is not None and typed.kinds and typed.kinds <= {"object", "sized"}:
        return   # an object of one's own class: Transcrypt renames the attribute everywhere alike
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


def negative_index(node, m, r) -> Found:
    """Only where a subscript is assigned or deleted: reads go through the runtime's __k__, which counts
    a negative index from the end (runtime_fixes.KEYCHECK)."""
    if isinstance(node.ctx, ast.Load):
        return
    index = node.slice
    negative = (isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub)) or \
               (isinstance(index, ast.Constant) and isinstance(index.value, (int, float)) and index.value < 0)
    if negative and not m.pragma_on("opov", node.lineno):
        base = ast.unparse(node.value)
        yield index, {"fix": f"write `{base}[len({base}) - {ast.unparse(index)[1:]}]`"}


def container_operators(node, m, r) -> Found:
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
    kinds = m.kinds(left, scope) | m.kinds(right, scope)
    literal_repeat = isinstance(op, ast.Mult) and isinstance(left, ast.List) and "list" not in m.kinds(right, scope)
    if isinstance(op, (ast.Add, ast.Mult)) and kinds & {"list", "tuple"} and not literal_repeat:
        yield node, {"op": OPERATOR_TEXT[type(op)], "what": "list arithmetic",
                     "result": "joins them as text ([1] + [2] is \"12\", [0] * 3 is 0)"}
    elif isinstance(op, ast.Mult) and "str" in kinds and kinds != {"str"}:
        yield node, {"op": "*", "what": "repeating a string", "result": "gives None (\"ab\" * 3)"}
    elif isinstance(op, ast.Add) and "str" in kinds and kinds & {"int", "float", "bool", "none"}:
        yield node, {"op": "+", "what": "text and a number or None", "result": "joins them as text, where CPython "
                                                                                 "raises TypeError"}
    elif isinstance(op, (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)) and "set" in kinds:
        yield node, {"op": OPERATOR_TEXT[type(op)], "what": "set operators", "result": "gives a number"}


OPERATOR_TEXT = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
                 ast.Add: "+", ast.Mult: "*", ast.BitOr: "|", ast.BitAnd: "&", ast.Sub: "-", ast.BitXor: "^"}


def truthiness(node, m, r) -> Found:
    if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
        tested = [node.test]
    elif isinstance(node, ast.comprehension):
        tested = node.ifs
    elif isinstance(node, ast.UnaryOp):
        tested = [node.operand] if isinstance(node.op, ast.Not) else []
    else:   # ast.BoolOp: `xs and …` tests xs (bool(xs) is right: Transcrypt's bool is Python's)
        tested = node.values[:-1]
    scope = m.scope_of[node]
    for expr in tested:
        if m.is_container(expr, scope):
            yield expr, {"x": ast.unparse(expr) if isinstance(expr, ast.Name) else "xs"}


def except_exception(node, m, r) -> Found:
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
