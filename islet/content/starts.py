"""Which characters a match of a regular expression can start with: worked out from the parsed expression.

Two stages skip work with it, the output unchanged: Pygments' rules that cannot match at a character are not
tried (islet.content.highlight), nor Markdown's inline patterns that cannot match anywhere in a text
(islet.content.inline). Conservative: when this cannot tell (back references, unknown classes), it says so.
"""
from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def first_characters(pattern: re.Pattern) -> re.Pattern | None:
    """An expression of one character, with the flags of `pattern` (case-insensitive ones too), matching every
    character a match of `pattern` may start with; None when `pattern` may match the empty string, or when
    this cannot tell."""
    from re import _constants as c
    from re import _parser

    if not isinstance(pattern.pattern, str):
        return None
    try:
        found, empty = _first(_parser.parse(pattern.pattern, pattern.flags), c)
        if found is None or empty:
            return None
        return re.compile("|".join(found), pattern.flags & ~re.VERBOSE)
    except (re.error, RecursionError, TypeError, ValueError, KeyError):
        return None


_CLASSES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
            "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


def _first(items, c) -> tuple[list[str] | None, bool]:
    """For `items` (a parsed expression): the one-character expressions its match may start with (None:
    any character), and whether it can match the empty string."""
    starts: list[str] = []
    for op, av in items:
        if op is c.LITERAL:
            return starts + [re.escape(chr(av))], False
        if op is c.NOT_LITERAL:
            return starts + [f"[^{re.escape(chr(av))}]"], False
        if op is c.ANY:
            return starts + ["."], False
        if op is c.IN:
            return starts + [_character_class(av, c)], False
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):   # anchors and lookarounds consume nothing (ignoring
            continue                                # what a lookahead demands only keeps more rules)
        if op is c.SUBPATTERN:
            found, empty = _first(av[3], c)
            if found is not None and (av[1] or av[2]):
                found = [_scoped(found, av[1], av[2])]
        elif op is c.BRANCH:
            found, empty = [], False
            for branch in av[1]:
                more, may_be_empty = _first(branch, c)
                if more is None:
                    return None, False
                found, empty = found + more, empty or may_be_empty
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            found, empty = _first(av[2], c)
            empty = empty or av[0] == 0
        elif op is c.ATOMIC_GROUP:
            found, empty = _first(av, c)
        else:                                       # back references and the like
            return None, False
        if found is None:
            return None, False
        starts += found
        if not empty:
            return starts, False
    return starts, True


def _character_class(items, c) -> str:
    parts = []
    for kind, value in items:
        if kind is c.NEGATE:
            parts.append("^")
        elif kind is c.LITERAL:
            parts.append(re.escape(chr(value)))
        elif kind is c.RANGE:
            parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif kind is c.CATEGORY:
            parts.append(_CLASSES[str(value)])     # KeyError: a class this does not know, no test
        else:
            raise ValueError(kind)
    return f"[{''.join(parts)}]"


def _scoped(found: list[str], add: int, remove: int) -> str:
    letters = {re.IGNORECASE: "i", re.DOTALL: "s", re.MULTILINE: "m", re.VERBOSE: "x"}
    if (add | remove) & ~sum(letters):
        raise ValueError("flags")                  # ASCII, LOCALE…: no test
    on = "".join(letter for flag, letter in letters.items() if add & flag)
    off = "".join(letter for flag, letter in letters.items() if remove & flag)
    return f"(?{on}{'-' + off if off else ''}:{'|'.join(found)})"
