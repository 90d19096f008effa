"""islet.content.blocks: block processors tested first for the characters a match needs give exactly Markdown's
HTML; starts.required_characters says what an expression demands of a string."""
import re

import markdown
import pytest
from hypothesis import given, settings, strategies as st

from islet.content import blocks
from islet.content.starts import required_characters
from support.markdown import IDS, SETTINGS

# Lines of real Markdown, near misses of each gated processor among them ("#" not at a line's start, ">" inside a
# line, "[a]:" without a URL, "---" after a paragraph line: a setext header or a rule…).
LINES = ["Plain words.", "# Heading", "## Heading ##", "Not # a heading", "#hashtag", "> quoted", ">", "a > b",
         "> > nested", "Setext", "======", "------", "- item", "* item", "1. item", "***", "* * *", "___", "a - b",
         "[ref]: https://example.org/r \"Title\"", "[ref]: <https://e.org>", "[a]:", "[^1]: A note.",
         "    indented note", "*[HTML]: Hyper Text", "HTML and [ref] and [^1]", "Term", ":   Definition",
         ": not one", "    code", "```", "| a | b |", "|---|---|", "<div markdown=\"1\">", "</div>", "!!! note",
         "\t tabbed", "", "é ünïcode", "\\# escaped", "a: b"]


def _convert(config: dict, documents: list[str], quick: bool) -> list[str]:
    md = markdown.Markdown(**config)
    if quick:
        assert blocks.install(md) >= 4
    return [(md.reset(), md.convert(document))[1] for document in documents]


@st.composite
def _documents(draw):
    chunks = draw(st.lists(st.lists(st.sampled_from(LINES), min_size=1, max_size=5), min_size=1, max_size=6))
    return "\n\n".join("\n".join(lines) for lines in chunks)


@pytest.mark.parametrize("config", SETTINGS, ids=IDS)
@settings(max_examples=200, deadline=None)
@given(documents=st.lists(_documents(), min_size=1, max_size=3))
def test_gated_block_processors_give_markdowns_html(config, documents):
    assert _convert(config, documents, quick=True) == _convert(config, documents, quick=False)


def test_what_an_expression_demands_of_a_string():
    demands = lambda pattern, flags=0: [''.join(sorted(d)) for d in required_characters(re.compile(pattern, flags))]  # noqa: E731
    assert demands(r"(?:^|\n)(?P<level>#{1,6})(?P<header>.*?)#*(?:\n|$)") == ["#"]
    assert demands(r"^.*?\n[=-]+[ ]*(\n|$)", re.M) == ["\n", "-="]
    assert demands(r"(?=(-+ ){3,}|(_+ ){3,})x?") == ["-_"]           # a lookahead's, and a union of branches
    assert demands(r"a?b*[^c]\d.") == []                                # optional, negated, categories
    assert demands(r"(?i)k#") == ["#"]                                  # a letter without case: "k" matches "K"
    assert demands(r"(?i:s)|t") == []                                   # (a branch without a demand)
    for pattern in (r"(?:^|\n)#", r"\[x\]:", r"(?i)k#", r"[=-]{2}"):
        found = required_characters(re.compile(pattern))
        for text in ("#", "\n#", "[x]:", "K#", "ſ#", "==", "-=", "none here"):
            if re.search(pattern, text):                              # a string it matches holds every demand
                assert all(any(ch in text for ch in d) for d in found), (pattern, text)


def test_a_block_without_the_characters_is_not_searched():
    """What makes it quicker: the processor's own test runs only where its expression may match."""
    md = markdown.Markdown(extensions=["extra"])
    header = next(p for p in md.parser.blockprocessors if type(p).__name__ == "HashHeaderProcessor")
    calls, own = [], header.test
    header.test = lambda parent, block: calls.append(block) or own(parent, block)      # (counts its searches)
    assert blocks.install(md) >= 4 and header.islet_gated
    md.convert("Plain prose.\n\nMore prose, with a [link](x).\n\n# A heading\n\n- an item")
    assert calls == ["# A heading"]


def test_a_processor_of_another_shape_keeps_its_own_test():
    """Only processors whose method is the one `_GATED` names: a subclass with a test of its own is left alone."""
    from markdown.blockprocessors import HashHeaderProcessor

    class Strict(HashHeaderProcessor):
        def test(self, parent, block):
            return block.startswith("#")

    md = markdown.Markdown()
    strict = Strict(md.parser)
    md.parser.blockprocessors.register(strict, "hashheader", 70)
    blocks.install(md)
    assert not getattr(strict, "islet_gated", False) and strict.test.__func__ is Strict.test
