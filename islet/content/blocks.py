"""Markdown's block processors that cannot match a block skipped before their search: the same HTML in less time.

For each block of a document, Python-Markdown asks its block processors one after another whether the block is
theirs. Several answer with a regular-expression search over the whole block that can start anywhere (a header
"#" at the start of any line, a quote ">", a reference "[id]: url"…): a quarter of the time the block stage takes,
and almost always for nothing. `install` gives each such processor a first test in C: whether the block holds
the characters every match must hold (islet.content.starts.required_characters: a "#" for a header, a "[", a "]"
and a ":" for a reference). A block without them gets the answer the search would give, without the search.

Only processors whose method is the one this was written for (Python-Markdown 3.x, `_GATED`, by its names) are
given the test: another version's keeps its own. tests/content/test_blocks.py compares the HTML with Markdown's
own, on generated documents.
"""
from __future__ import annotations

import re

from .starts import required_characters

# (module, class): the method whose answer is "not this block" when `attribute` finds nothing in it, and the names
# that method's code uses and declares (it is then the one written for). "test": the test answers False; "run":
# the test answers True and run, finding nothing, puts the block back and answers False (the same to the parser).
_GATED = {
    ("markdown.blockprocessors", "HashHeaderProcessor"):
        ("test", "RE", ("bool", "RE", "search"), ("self", "parent", "block")),
    ("markdown.blockprocessors", "BlockQuoteProcessor"):
        ("test", "RE", ("bool", "RE", "search", "util", "nearing_recursion_limit"), ("self", "parent", "block")),
    ("markdown.blockprocessors", "SetextHeaderProcessor"):
        ("test", "RE", ("bool", "RE", "match"), ("self", "parent", "block")),
    ("markdown.blockprocessors", "HRProcessor"):
        ("test", "SEARCH_RE", ("SEARCH_RE", "search", "match"), ("self", "parent", "block", "m")),
    ("markdown.extensions.def_list", "DefListProcessor"):
        ("test", "RE", ("bool", "RE", "search"), ("self", "parent", "block")),
    ("markdown.blockprocessors", "ReferenceProcessor"): ("run", "RE", None, None),
    ("markdown.extensions.footnotes", "FootnoteBlockProcessor"): ("run", "RE", None, None),
    ("markdown.extensions.abbr", "AbbrBlockprocessor"): ("run", "RE", None, None),
}
# The start of a "run" that searches the block and, finding nothing, puts it back: `_restores` checks the end.
_RUN_NAMES, _RUN_VARIABLES = ("pop", "RE", "search"), ("self", "parent", "blocks", "block")


def install(md) -> int:
    """Give the block processors of `md` (a Markdown instance) their first test; returns how many got one."""
    gated = 0
    for processor in md.parser.blockprocessors:
        kind = type(processor)
        found = _GATED.get((kind.__module__, kind.__name__))
        if found is None or getattr(processor, "islet_gated", False):
            continue
        method, attribute, names, variables = found
        demands = required_characters(getattr(processor, attribute, None))
        if not demands or not _written_for(kind, method, names, variables):
            continue
        processor.test = _gate(processor.test, _holds(demands))
        processor.islet_gated = True
        gated += 1
    return gated


def _written_for(kind, method: str, names, variables) -> bool:
    code = getattr(getattr(kind, method, None), "__code__", None)
    if code is None:
        return False
    if method == "test":
        return code.co_names == names and code.co_varnames == variables
    test = getattr(kind.test, "__code__", None)           # "run": the test says yes to every block
    return (test is not None and test.co_names == () and test.co_consts[-1:] == (True,)
            and code.co_names[:3] == _RUN_NAMES and code.co_varnames[:4] == _RUN_VARIABLES
            and _restores(code))


def _restores(code) -> bool:
    """The run ends by putting the block back and answering False (``blocks.insert(0, block); return False``)."""
    return "insert" in code.co_names and False in code.co_consts


def _holds(demands):
    """A function of a block: whether it holds one character of each demand (single characters first: `in`)."""
    singles = sorted(next(iter(d)) for d in demands if len(d) == 1)
    classes = [re.compile("[" + "".join(re.escape(ch) for ch in sorted(d)) + "]") for d in demands if len(d) > 1]

    def holds(block: str) -> bool:
        for ch in singles:
            if ch not in block:
                return False
        for pattern in classes:
            if pattern.search(block) is None:
                return False
        return True

    return holds


def _gate(test, holds):
    def gated(parent, block):
        return holds(block) and test(parent, block)

    gated.original = test            # (tests compare the two)
    return gated
