"""islet.content.front_matter: the front-matter check that gives authors the exact line, and dates."""
from unittest import mock

import pytest

from islet.content.front_matter import check_front_matter, check_source, front_matter_line, line_of

TEMPLATES = {"article", "page", "404"}
GOOD = "Title: Hello\nDate: 2026-03-14 09:30\nTags: a, b\n\nBody text.\n"


def problems(text, templates=TEMPLATES):
    return check_front_matter(text, "content/articles/x.md", templates)


def test_valid_front_matter_has_no_problems():
    assert problems(GOOD) == []
    assert problems("Title: Hi\nSummary: first line\n    continued here\n\nBody\n") == []
    assert problems("Title: Hi\nTemplate: 404\n\nBody\n") == []


@pytest.mark.parametrize("text, line, fragment", [
    ("Title: Hi\nDate: 2026-13-45\n\nBody\n", 2, "invalid date '2026-13-45'"),
    ("Title: Hi\nDate: yesterday-ish\n\nBody\n", 2, "invalid date"),
    # Pelican takes it, then its feed cannot print it (an internal error): no zone is a day or more from UTC
    ("Title: Hi\nDate: 2026-01-01T10:00:00+25:00\n\nBody\n", 2, "invalid date '2026-01-01T10:00:00+25:00'"),
    ("Title: Hi\nDate: 2026-01-01\nModified: 2026-01-02 10:00 -2400\n\nBody\n", 3, "invalid modified"),
    ("Title: Hi\nModified: soon\n\nBody\n", 2, "invalid modified"),
    ("Title: Hi\nTemplate: fancy\n\nBody\n", 2, "unknown template 'fancy'"),
    ("Title: Hi\nthis line has no key\n\nBody\n", 2, "is not 'Key: value'"),
    ("Date: 2026-01-01\n\nBody\n", 1, "missing 'Title:'"),
    ("# Just a heading\n\nBody\n", 1, "is not 'Key: value'"),
])
def test_front_matter_problems_point_at_their_line(text, line, fragment):
    [problem] = problems(text)
    assert (problem.path, problem.line) == ("content/articles/x.md", line)
    assert fragment in problem.what
    assert problem.fix


def test_unknown_template_lists_the_known_ones():
    [problem] = problems("Title: Hi\nTemplate: fancy\n\nBody\n")
    assert "404, article, page" in problem.fix


def test_bytes_that_are_not_utf8_give_the_line():
    text, found = check_source(b"Title: Hi\n\nCaf\xe9\n", "x.md", TEMPLATES)
    assert [(p.line, "not valid UTF-8" in p.what) for p in found] == [(3, True)]


@pytest.mark.parametrize("raw", [b"", b"\n\n  \n"])
def test_empty_files_are_reported(raw):
    _, found = check_source(raw, "x.md", TEMPLATES)
    assert [p.what for p in found] == ["the file is empty"]


def test_line_helpers():
    assert front_matter_line(GOOD, "tags") == 3
    assert front_matter_line(GOOD, "slug") == 1
    assert line_of(GOOD, "Body") == 5


@pytest.mark.parametrize("text", [
    "2026-03-14", "2026-03-14 09:30", "2026-03-14T09:30", "2026-03-14 09:30:59", "2024-02-29", "1999-12-31 23:59",
    "0999-01-01", "2026-3-14", "2026-03-14 9:30", "2026/03/14", "14 March 2026", "2026-03-14  09:30",
    "2026-03-14 09:30+02:00", "2026-03-14T09:30:00Z", "March 2026",
])
def test_parse_date_is_pelicans_get_date(text):
    from pelican.utils import get_date

    from islet.content.front_matter import parse_date

    fast, slow = parse_date(text), get_date(text)
    assert (type(fast), fast, fast.tzinfo) == (type(slow), slow, slow.tzinfo)


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "2026-03-14 24:30", "2026-03-14 09:61", "soon"])
def test_parse_date_rejects_what_get_date_rejects(text):
    from pelican.utils import get_date

    from islet.content.front_matter import parse_date

    with pytest.raises(ValueError) as slow:
        get_date(text)
    with pytest.raises(ValueError) as fast:
        parse_date(text)
    assert str(fast.value) == str(slow.value)


def test_the_jinja_switch_is_yes_or_no():
    from islet.content.front_matter import check_front_matter

    assert check_front_matter("Title: T\nJinja: no\n\nx", "a.md", set()) == []
    assert check_front_matter("Title: T\nJinja: Yes\n\nx", "a.md", set()) == []
    [problem] = check_front_matter("Title: T\nJinja: maybe\n\nx", "a.md", set())
    assert str(problem) == ("a.md:2: 'Jinja: maybe' is neither yes nor no — write 'Jinja: yes' to render {{ }} in "
                            "this source, 'Jinja: no' to show it as written")


# --- YAML-style delimiters, and agreement with Python-Markdown's meta extension (Pelican's Markdown reader) ---------

@pytest.mark.parametrize("text", [
    "---\nTitle: Hi\nTags: a, b\n---\n\nBody\n",
    "---\nTitle: Hi\n---\nBody right after the closing line\n",
    "---\nTitle: Hi\n...\n\nBody\n",
    "--- front matter\nTitle: Hi\nSummary: one\n    two\n--- end\nBody\n",
    "Title: Hi\n---\nBody\n",                      # a closing line without an opening one, as Markdown reads it
    "Title: Hi\r\nTags: a\r\n\r\nBody\r\n",
    "Title: Hi\nSummary: one\n\ttwo\n\nBody\n",
])
def test_delimited_front_matter_is_accepted(text):
    assert problems(text) == []


@pytest.mark.parametrize("text, line, fragment", [
    ("---\nTitle: Hi\ntags:\n  - a\n  - b\n---\n\nBody\n", 4, "front matter line '- a' is not 'Key: value'"),
    ("---\n    continued\nTitle: Hi\n---\n\nBody\n", 2, "is not 'Key: value'"),
    ("---\nTitle: Hi\nDate: someday\n---\n\nBody\n", 3, "invalid date 'someday'"),
    ("---\n\nTitle: Hi\n", 1, "missing 'Title:'"),
    ("---\n---\nTitle: Hi\n", 1, "missing 'Title:'"),
])
def test_delimited_front_matter_problems_point_at_their_line(text, line, fragment):
    [problem] = problems(text)
    assert problem.line == line and fragment in problem.what, problem
    assert problem.fix


def test_a_yaml_list_is_refused_with_the_way_out():
    [problem] = problems("---\nTitle: Hi\ntags:\n  - a\n---\n\nBody\n")
    assert "'Tags: a, b'" in problem.fix and "'---'" in problem.fix


def test_front_matter_line_with_delimiters():
    text = "---\nTitle: Hi\nSummary: one\n    Tags: not a key\nURL: x.html\n---\nTags: in the body\n"
    assert front_matter_line(text, "title") == 2
    assert front_matter_line(text, "url") == 5
    assert front_matter_line(text, "tags") == 1          # a continuation, then the body: not front matter


def test_the_body_starts_after_the_line_that_ends_the_front_matter():
    from islet.content.front_matter import read_front_matter

    assert read_front_matter("Title: Hi\n\nBody\n").end == 2
    assert read_front_matter("---\nTitle: Hi\n---\nBody\n").end == 3
    assert read_front_matter("---\nTitle: Hi\n---\n\nBody\n").end == 3     # the blank line 4 is the body's
    assert read_front_matter("Title: Hi\nnot a key\n").end == 1            # line 2 is left to the body
    assert read_front_matter("Title: Hi").end == 2                         # Markdown's own blank line ended it


from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(st.sampled_from("ab Z09:-_.,#*[]{}()'\"\t\x0b\x0c\x1c\x85\u2028\u00a0é"), max_size=12)
_KEYS = st.sampled_from(["Title", "Title", "title", "TITLE", "Tags", "Summary", "Slug", "Authors", "x_y-z", "a:b", "Lang",
                         "Status", "Save_as"])
_KEY_LINE = st.builds(lambda indent, key, gap, value: indent + key + ":" + gap + value,
                     st.sampled_from(["", "", "", " ", "   ", "    ", "\t", " \t"]), _KEYS,
                     st.sampled_from(["", " ", " ", "  ", "\t", "\x0c"]), _TEXT)    # Key: value (or, indented, not)
_MORE_LINE = st.builds(lambda indent, value: indent + value, st.sampled_from(["    ", "     ", "\t", "  \t", "   "]),
                      _TEXT)                                                   # a continuation (or, 3 spaces, not)
_ODD_LINE = st.one_of(_TEXT, st.sampled_from([
    "", " ", "\t", "---", "...", "--- end", "----", "---x", "....", "-- -", ". ..", "# Heading", "- a", "  - b",
    "Title : x", "title", ":", "key:value", "\x02Title: x", "Title\x03: x"]))


@st.composite
def markdown_sources(draw):
    """Front matter that is mostly `Key: value` lines, sometimes with one odd line in it, then a body."""
    begin = draw(st.sampled_from(["", "", "---", "--- yaml", "----", "---\t", "...", " ---"]))
    lines = draw(st.lists(st.one_of(_KEY_LINE, _KEY_LINE, _KEY_LINE, _MORE_LINE), max_size=6))
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(_ODD_LINE))
    end = draw(st.sampled_from(["", "", "---", "...", "--- x"]))
    body = draw(st.sampled_from(["", "Body", "\nBody", "\n\nBody {{ x }}", "\n---\nmore"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join(([begin] if begin else []) + lines + [end, body])


_READ = {}


def markdown_reads(text):
    """(md.Meta, the lines the preprocessors after "meta" get) for `text`, from Python-Markdown itself."""
    if not _READ:
        import markdown
        from markdown.preprocessors import Preprocessor

        class Capture(Preprocessor):
            def run(self, lines):
                _READ["body"] = list(lines)
                return lines

        md = markdown.Markdown(extensions=["markdown.extensions.meta"])
        md.preprocessors.register(Capture(md), "capture", 26.9)
        _READ["md"] = md
    md = _READ["md"]
    md.reset()
    _READ["body"] = None
    md.convert(text)
    return md.Meta, _READ["body"]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_sources())
@example("---\nTitle: Hi\n---\nBody")
@example("Title: Hi\n    more\n\tand more\n...\nBody")
@example("Title: Hi\n  \tcontinued after a tab\n\nBody")
@example("Title: Hi\x0cstill the title\nTags:\x0bx\n\nBody")
@example("Title: Hi\u2028Tags: one line for Markdown\n\nBody")
def test_islet_reads_the_front_matter_as_pythons_markdown_does(text):
    from markdown.extensions.meta import BEGIN_RE, END_RE

    from islet.content import front_matter
    from islet.content.front_matter import markdown_lines, read_front_matter

    if not text.strip():
        return                                          # check_source: "the file is empty"
    meta, body = markdown_reads(text)
    front = read_front_matter(text)
    for head in range(len(text) + 1):          # read from a head of the text, wherever that ends: the same
        with mock.patch.object(front_matter, "HEAD", head):
            assert read_front_matter(text) == front
    lines = markdown_lines(text)
    assert (front.meta, lines[front.end:]) == (meta, body)
    # Markdown stopped at a line it did not take as front matter (left as the body's first line), or it took
    # the whole front matter, up to a blank or closing line: only the second is accepted, with a title.
    taken = len(lines) - len(body)
    closed = taken > int(bool(BEGIN_RE.match(lines[0]))) and (not lines[taken - 1].strip() or END_RE.match(lines[taken - 1]))
    found = problems(text)
    if closed and "title" in meta:
        assert found == []
    elif closed:
        assert [(p.line, p.what) for p in found] == [(1, "missing 'Title:' in the front matter")]
    else:
        assert [(p.line, p.what.endswith("is not 'Key: value'")) for p in found] == [(taken + 1, True)]
        assert repr(lines[taken].strip()[:40]) in found[0].what
    for key in meta:
        assert front_matter_line(text, key) == front.fields[[k for _, k, _ in front.fields].index(key)][0]


# --- ISLET_LIMITS['names']: n names make n pages of n links each --------------------------------------------------

@pytest.mark.parametrize("front, problems", [
    ("Tags: a, b, c", []),
    ("Tags: a, b, c, d", [(2, "Tags: lists 4 names, more than the limit of 3")]),
    ("Tags: a, b, a, a, b", []),                                   # as Pelican: the same name once
    ("Authors: Doe, Jane; Roe, Rick; Poe, Edgar", []),             # split on ";" when there is one
    ("Authors: Doe, Jane, Roe, Rick", [(2, "Authors: lists 4 names, more than the limit of 3")]),
    ("Author: a, b, c, d\nTags: x", [(2, "Author: lists 4 names, more than the limit of 3")]),
    ("Tags: a\n    b\n    c\n    d, e", []),                       # continued: Pelican keeps the first line only
    ("Tags: a, b, c, d\n    e", [(2, "Tags: lists 4 names, more than the limit of 3")]),
])
def test_too_many_names_counts_as_pelican_splits(front, problems):
    found = check_front_matter(f"Title: T\n{front}\n\nBody.\n", "a.md", set(), names=3)
    assert [(p.line, p.what) for p in found] == problems
    assert all("ISLET_LIMITS['names']" in p.fix for p in found)
