"""A widget module's text as Transcrypt reads it: its pragmas, its browser-only ``#?`` lines, its CPython-only
skip blocks. Plain functions of the text, shared by the check's Module and by the type view (types.py)."""
from __future__ import annotations

import ast
import re

PRAGMA = re.compile(r"^\s*#\s*__pragma__\s*\((?P<args>.*)\)\s*(#.*)?$")


def executable_view(text: str) -> str:
    """The source as Transcrypt reads it: ``#?code`` lines between ``# __pragma__('ecom')`` and
    ``# __pragma__('noecom')`` become code. Line numbers stay the same."""
    lines = text.split("\n")
    active = False
    for index, line in enumerate(lines):
        name = pragma_name(line)
        if name in ("ecom", "noecom"):
            active = name == "ecom"
        elif active:
            stripped = line.lstrip()
            if stripped[:4] in ("'''?", "?'''", '"""?', '?"""'):
                lines[index] = ""
            elif stripped.startswith("#?"):
                lines[index] = line.replace("#?", "", 1)
    return "\n".join(lines)


def pragma_args(line: str) -> tuple | None:
    match = PRAGMA.match(line)
    if not match:
        return None
    try:
        args = ast.literal_eval(f"({match['args']},)")
    except (ValueError, SyntaxError):
        return None
    return args if args and all(isinstance(a, str) for a in args) else None


def pragma_name(line: str) -> str | None:
    args = pragma_args(line)
    return args[0] if args else None


def skip_ranges(lines: list[str]) -> list[tuple[int, int]]:
    """(line of ``skip``, line of ``noskip``) of each CPython-only block; the lines between are skipped."""
    ranges, start = [], None
    for number, line in enumerate(lines, 1):
        name = pragma_name(line)
        if name == "skip" and start is None:
            start = number
        elif name == "noskip" and start is not None:
            ranges.append((start, number))
            start = None
    if start is not None:
        ranges.append((start, len(lines) + 1))
    return ranges
