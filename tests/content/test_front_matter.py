"""islet.content.front_matter: the front-matter check that gives authors the exact line, and dates."""
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
