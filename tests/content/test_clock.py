"""islet.content.clock: which part of a source to name when its Markdown runs past markdown_seconds. A part that
stalls Python-Markdown (minutes on its own) is put among ordinary ones, anywhere in the body or the front matter;
the line named must be its first. The limit itself, end to end: tests/test_security.py."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from islet.content.clock import slowest_part

MARKDOWN = {"extension_configs": {"markdown.extensions.extra": {}, "markdown.extensions.toc": {}},
            "extensions": ["markdown.extensions.extra", "markdown.extensions.toc", "markdown.extensions.meta"],
            "output_format": "html5"}
STALLS = ["[" * 30_000, "![" * 20_000, "<http://a" * 20_000, "[a](" * 20_000]     # each minutes alone
ORDINARY = ["A paragraph with *emphasis* and a [link](https://example.org).", "## A heading", "- one\n- two",
            "```python\nprint(1)\n```", "| a | b |\n|---|---|\n| 1 | 2 |", "> a quote\n> on two lines",
            "<div>raw</div>"]
FRONT = ["Title: A", "Date: 2026-01-01", "Tags: a, b", "Summary: A *short* summary."]


def lines_of(front: list[str], blocks: list[str]) -> list[str]:
    return [*front, "", *"\n\n".join(blocks).split("\n")]


@settings(max_examples=12, deadline=None)
@given(st.lists(st.sampled_from(ORDINARY), max_size=8), st.sampled_from(STALLS), st.data())
def test_the_part_that_stalls_markdown_is_named_by_its_first_line(blocks, stall, data):
    at = data.draw(st.integers(0, len(blocks)))
    blocks = [*blocks[:at], stall, *blocks[at:]]
    lines = lines_of(FRONT, blocks)
    expected = len(FRONT) + 2 + sum(block.count("\n") + 2 for block in blocks[:at])
    assert lines[expected - 1] == stall.split("\n")[0]
    assert slowest_part(lines, len(FRONT) + 1, MARKDOWN, 0.3) == expected


@settings(max_examples=5, deadline=None)
@given(st.sampled_from(range(len(FRONT))), st.sampled_from(STALLS))
def test_a_front_matter_line_that_stalls_markdown_is_named(index, stall):
    front = [*FRONT[:index], f"Summary: {stall}", *FRONT[index + 1:]]
    assert slowest_part(lines_of(front, ORDINARY), len(front) + 1, MARKDOWN, 0.3) == index + 1


def test_within_the_time_the_slowest_part_is_named():
    blocks = ["Fine.", "[" * 1_500, "Fine too."]            # slow (a tenth of a second), not stalling
    assert slowest_part(lines_of(FRONT, blocks), len(FRONT) + 1, MARKDOWN, 30) == len(FRONT) + 4


def test_an_empty_source_names_its_first_line():
    assert slowest_part([], 0, MARKDOWN, 1) == 1
