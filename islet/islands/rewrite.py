"""Before Transcrypt: the few operations whose compiled form cannot be CPython's become runtime calls.

`for_transcrypt(text)` is the module as islet hands it to Transcrypt; lines stay where they were, so
messages and source maps still point at the author's code.

Division. 
Transcrypt compiles ``a / b`` to JavaScript's ``a / b`` and ``a // b`` to ``Math.floor (a / b)``: dividing
by zero gives Infinity or NaN where CPython raises ZeroDivisionError, and the page shows "NaN". islet
hands Transcrypt a copy of each module in which such a division is a call, ``__divide__ (a, b)`` or
``__floor__ (a, b)``, to runtime functions that raise (runtime_fixes.ZERO); ``%`` already is one.
Division by a non-zero number written in the code (``x / 2``) is left alone.

int() and round(x, n). The runtime's int() is ``float(x) | 0`` (32 bits; int("3.7") is 3) and its
round(x, n) rounds a scaled product (round(2.675, 2) is 2.68). The widgets' own calls go to
``__int__`` and ``__round__`` (runtime_fixes.INT_ROUND), which a page carries only when its widgets call them.
"""
from __future__ import annotations

import ast

CALLS = {ast.Div: (b"/", b"__divide__"), ast.FloorDiv: (b"//", b"__floor__")}


RENAMED = {"int": (1, b"__int__"), "round": (2, b"__round__")}   # builtin: (positional arguments, runtime name)


def for_transcrypt(text: str) -> str:
    return checked_division(checked_calls(text))


def checked_calls(text: str) -> str:
    """`text` with the widget's calls int(x) and round(x, n) made calls of the runtime's CPython-exact ones."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} | \
            {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))} | \
            {(a.asname or a.name) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id in RENAMED and n.func.id not in bound and not n.keywords
             and len(n.args) == RENAMED[n.func.id][0] and not any(isinstance(a, ast.Starred) for a in n.args)]
    lines = text.encode("utf-8").split(b"\n")
    for name in sorted(calls, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        line = lines[name.lineno - 1]
        lines[name.lineno - 1] = line[:name.col_offset] + RENAMED[name.id][1] + line[name.end_col_offset:]
    return b"\n".join(lines).decode("utf-8")


def checked_division(text: str) -> str:
    """`text` with every division by a possibly-zero value made a call; unchanged if it does not parse."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    source = text.encode("utf-8")
    starts = [0]
    for line in source.split(b"\n"):
        starts.append(starts[-1] + len(line) + 1)

    def at(line: int, column: int) -> int:   # ast columns count UTF-8 bytes
        return starts[line - 1] + column

    targets = sorted(((at(n.lineno, n.col_offset), at(n.end_lineno, n.end_col_offset), n)
                      for n in ast.walk(tree) if isinstance(n, ast.BinOp) and type(n.op) in CALLS
                      and not _nonzero_constant(n.right)), key=lambda t: (t[0], -t[1]))

    def rewritten(start: int, end: int) -> bytes:
        out, position = [], start
        for node_start, node_end, node in targets:
            if node_start < position or node_end > end:
                continue
            operator, call = CALLS[type(node.op)]
            split = _operator_at(source, at(node.left.end_lineno, node.left.end_col_offset),
                                 at(node.right.lineno, node.right.col_offset), operator)
            if split is None:
                continue
            out += [source[position:node_start], call, b" (", rewritten(node_start, split), b", ",
                    rewritten(split + len(operator), node_end), b")"]
            position = node_end
        out.append(source[position:end])
        return b"".join(out)

    return rewritten(0, len(source)).decode("utf-8") if targets else text


def _nonzero_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool) and node.value != 0


def _operator_at(source: bytes, start: int, end: int, operator: bytes) -> int | None:
    """Where `operator` is between the two operands (only brackets, blanks and comments are there too)."""
    index = start
    while index < end:
        if source[index:index + 1] == b"#":
            index = source.find(b"\n", index, end)
            if index < 0:
                return None
        elif source[index:index + len(operator)] == operator:
            return index
        index += 1
    return None
