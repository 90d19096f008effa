"""islet.content.inline: Markdown's inline stage skipping patterns that cannot match gives exactly Markdown's HTML."""
import re

import markdown
import pytest
from hypothesis import given, settings, strategies as st
from markdown import treeprocessors

from islet.content import inline
from islet.content.starts import first_characters
from support.markdown import IDS, SETTINGS

# Pieces of real Markdown, each (mostly) holding one thing an inline pattern looks for.
PIECES = ["plain words", "`code`", "``co`de``", "\\*not em\\*", "\\\\", "*em*", "_em_", "**strong**", "__strong__",
          "***both***", "a * b", "snake_case_name", "[link](https://example.org/a?b=1&c=2)", "[ref][r1]", "[r1]",
          "![image](a.png)", "![ref image][r1]", "<https://example.org>", "<me@example.org>", "<span>x</span>",
          "<b>", "&amp;", "&#169;", "&copy", "a & b", "a < b", "trailing  \n", "--", "---", "...", "\"quoted\"",
          "'single'", "[[WikiLink]]", "[^1]", "HTML", "{: .cls }", "!", "[", "]", "(", "<!-- c -->", "\x02", "é"]
BLOCKS = ["", "# Heading {#id}\n\n", "> ", "- ", "1. ", "    ", "Term\n:   ", "| a | b |\n|---|---|\n| ", "!!! note\n    "]
TAIL = "\n\n[r1]: https://example.org/r1 \"Title\"\n[^1]: A note.\n*[HTML]: Hyper Text\n"


def _convert(config: dict, documents: list[str], quick: bool) -> list[str]:
    inline.install()
    processor = treeprocessors.InlineProcessor
    installed = (processor.run, processor._InlineProcessor__handleInline)
    if not quick:
        processor.run, processor._InlineProcessor__handleInline = processor.run.original
    try:
        md = markdown.Markdown(**config)
        return [(md.reset(), md.convert(document))[1] for document in documents]
    finally:
        processor.run, processor._InlineProcessor__handleInline = installed


@st.composite
def _documents(draw):
    paragraphs = draw(st.lists(st.tuples(st.sampled_from(BLOCKS), st.lists(st.sampled_from(PIECES), min_size=1,
                                                                            max_size=8)), min_size=1, max_size=4))
    text = "\n\n".join(block + " ".join(pieces) for block, pieces in paragraphs)
    return text + (TAIL if draw(st.booleans()) else "")


@pytest.mark.parametrize("config", SETTINGS, ids=IDS)
@settings(max_examples=150, deadline=None)
@given(documents=st.lists(_documents(), min_size=1, max_size=3))
def test_the_quick_inline_stage_gives_markdowns_html(config, documents):
    assert _convert(config, documents, quick=True) == _convert(config, documents, quick=False)


def test_patterns_are_skipped_only_where_they_cannot_match():
    """The search for a pattern's first characters, as the quick stage uses it."""
    link = first_characters(re.compile(r"(?<!\!)\["))
    assert link.pattern == r"\[" and link.search("no link here") is None and link.search("a [b]")
    assert first_characters(re.compile(r"\*|_")).search("snake_case")
    assert first_characters(re.compile(r"(^|\s)x")) is not None             # anchors consume nothing
    assert first_characters(re.compile(r"a?")) is None                       # may match the empty string
    assert first_characters(re.compile(r"(a)\1")).search("a")                # a back reference after the start
    assert first_characters(re.compile(r"(?i)abc")).search("ABC")            # the pattern's own flags


def test_a_pattern_is_searched_for_only_in_texts_that_hold_its_first_character():
    """What makes it quicker: a pattern's own search runs only where it may match."""
    from markdown.extensions import Extension
    from markdown.inlinepatterns import SimpleTagInlineProcessor

    searches = []

    class Mark(SimpleTagInlineProcessor):
        def getCompiledRegExp(self):
            searches.append(1)
            return super().getCompiledRegExp()

    class Marks(Extension):
        def extendMarkdown(self, md):
            md.inlinePatterns.register(Mark(r"(==)(.+?)==", "mark"), "mark", 5)

    def count(text: str, quick: bool) -> int:
        searches.clear()
        _convert({"extensions": [Marks()]}, [text], quick)
        return len(searches)

    prose = "Plain prose, with commas.\n\nAnother paragraph, *emphasis* and a [link](x).\n\n- an item\n- another"
    assert count(prose, quick=False) >= 4 and count(prose, quick=True) == 1       # (1: the run works out its start)
    assert count("a ==marked== word", quick=True) > 1
    assert _convert({"extensions": [Marks()]}, ["a ==marked== word"], True) == ["<p>a <mark>marked</mark> word</p>"]


def test_another_markdowns_inline_loop_is_left_as_it_is(monkeypatch):
    """`handle_inline` copies Python-Markdown 3.x's loop: a Markdown whose loop differs keeps its own."""
    inline.install()
    processor = treeprocessors.InlineProcessor
    original_run, _ = processor.run.original

    def __handleInline(self, data, patternIndex=0):       # (a loop of another shape)
        return data.upper()

    monkeypatch.setattr(processor, "run", original_run)
    monkeypatch.setattr(processor, "_InlineProcessor__handleInline", __handleInline)
    inline.install()
    assert processor.run is original_run and processor._InlineProcessor__handleInline is __handleInline
