"""Which characters a match of a regular expression can start with, and which it must hold: worked out from the
parsed expression.

Three stages skip work with it, the output unchanged: Pygments' rules that cannot match at a character are not
tried (islet.content.highlight), nor Markdown's inline patterns that cannot match anywhere in a text
(islet.content.inline), nor its block processors' searches of a block without the characters a match needs
(islet.content.blocks). Conservative: when this cannot tell (back references, unknown classes), it says so.
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


def required_characters(pattern: re.Pattern) -> tuple[frozenset[str], ...] | None:
    """Sets of characters of which a string must hold one of each for `pattern` to match anywhere in it (what
    its literals, classes and lookarounds demand, wherever the match is); None when this cannot tell."""
    from re import _constants as c
    from re import _parser

    if not isinstance(pattern, re.Pattern) or not isinstance(pattern.pattern, str):
        return None
    try:
        return tuple(_required(_parser.parse(pattern.pattern, pattern.flags), c, bool(pattern.flags & re.IGNORECASE)))
    except (re.error, RecursionError, TypeError, ValueError):
        return None


def _required(items, c, ignorecase: bool) -> list[frozenset[str]]:
    """What a match of `items` (a parsed expression) demands of the string: every item that must match once."""
    demands: list[frozenset[str]] = []
    for op, av in items:
        if op is c.LITERAL:
            demands += _characters([chr(av)], ignorecase)
        elif op is c.IN:
            demands += _characters(_listed(av, c), ignorecase)
        elif op is c.SUBPATTERN:
            scoped = (ignorecase or bool(av[1] & re.IGNORECASE)) and not av[2] & re.IGNORECASE
            demands += _required(av[3], c, scoped)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            if av[0] >= 1:
                demands += _required(av[2], c, ignorecase)
        elif op is c.ATOMIC_GROUP:
            demands += _required(av, c, ignorecase)
        elif op is c.ASSERT:                         # what a lookaround demands is in the string too
            demands += _required(av[1], c, ignorecase)
        elif op is c.BRANCH:                         # one of the branches: the union of their least demands
            union: set[str] = set()
            for branch in av[1]:
                found = _required(branch, c, ignorecase)
                if not found:
                    break
                union |= min(found, key=len)
            else:
                demands.append(frozenset(union))
    return demands


def _characters(chars: list[str] | None, ignorecase: bool) -> list[frozenset[str]]:
    """A demand for one of `chars`; none when unknown, or when case is ignored and one of them has a case (a
    case-insensitive "s" also matches "ſ")."""
    if not chars or (ignorecase and any(ch.lower() != ch.upper() or ch.casefold() != ch for ch in chars)):
        return []
    return [frozenset(chars)]


def _listed(items, c) -> list[str] | None:
    """The characters of a class like [-*_] or [=-] (None: negated, a category, or a wide range)."""
    chars: list[str] = []
    for kind, value in items:
        if kind is c.LITERAL:
            chars.append(chr(value))
        elif kind is c.RANGE and value[1] - value[0] < 64:
            chars += [chr(n) for n in range(value[0], value[1] + 1)]
        else:
            return None
    return chars
