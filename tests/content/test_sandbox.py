"""islet.content.sandbox and the Jinja stage of islet.content.reader: a body's Jinja cannot run code, read
secrets, hang the build or exhaust memory, and a data value reaches the page as text, never as Markdown."""
from __future__ import annotations

import html
import re
import runpy
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islet.content.data import freeze
from islet.content.reader import IsletMarkdownReader
from islet.content.sandbox import ContentSandbox
from islet.errors import ContentError, IsletError, LimitError
from islet.settings import Limits
from support.site import ROOT
from support.widget_harness import harness_islands

FRONT = "Title: T\nDate: 2026-01-01\n\n"
MARKDOWN = runpy.run_path(str(ROOT / "pelicanconf.py"))["MARKDOWN"]      # the demo's extensions: extra, toc…


def read(tmp_path, body: str, data: dict | None = None, limits: Limits = Limits(), islands=None) -> str:
    """The HTML islet's Markdown reader makes of `body`, with `data` as data.*."""
    from pelican.settings import DEFAULT_CONFIG

    IsletMarkdownReader.env = ContentSandbox(limits)
    IsletMarkdownReader.context = {"data": freeze(data or {})}
    IsletMarkdownReader.root, IsletMarkdownReader.templates = tmp_path, set()
    IsletMarkdownReader.problems, IsletMarkdownReader.islands = [], islands
    source = tmp_path / "a.md"
    source.write_text(FRONT + body, encoding="utf-8")
    content, _ = IsletMarkdownReader({**DEFAULT_CONFIG, "MARKDOWN": MARKDOWN}).read(str(source))
    return content


def problem_of(tmp_path, body: str, **kwargs) -> str:
    with pytest.raises(IsletError) as caught:
        read(tmp_path, body, **kwargs)
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


# --- code, secrets, files: nothing but data ---------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__()|length }}",
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{{ lipsum.__globals__['os'].environ['ISLET_TEST_SECRET'] }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ data.__class__.__init__.__globals__['os'].environ }}",
    "{{ data.items.__self__.__class__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ range.__self__ }}",
    "{{ dict.__base__.__subclasses__() }}",
    "{{ data|attr('__class__') }}",
    "{{ (data|attr('\\x5f\\x5fclass\\x5f\\x5f')) }}",
    "{{ config }}{{ request }}{{ os }}",
    "{% set x = data.rows.append(1) %}",
    "{{ '{0.__class__}'.format(data) }}",
    "{{ 'a'.__class__.__base__.__subclasses__() }}",
    "{% include '/etc/passwd' %}",
    "{% import '/etc/passwd' as p %}",
    "{% extends '/etc/passwd' %}",
]


@pytest.mark.parametrize("body", ESCAPES)
def test_a_body_cannot_reach_code_secrets_or_files(body, tmp_path, monkeypatch):
    monkeypatch.setenv("ISLET_TEST_SECRET", "s3cr3t-value")
    monkeypatch.chdir(tmp_path)
    message = problem_of(tmp_path, f"Line one.\n\n{body}\n", data={"rows": [1]})
    assert message.startswith("a.md:6: "), message
    assert "s3cr3t" not in message and "root:" not in message
    assert not (tmp_path / "MARKER").exists()


def test_what_a_body_may_do_still_works(tmp_path):
    body = ("{% for row in data.rows|sort(attribute='n') %}| {{ row.name|upper }} | {{ '{:,}'.format(row.n) }} |\n"
            "{% endfor %}\n{{ data.rows|map(attribute='n')|sum }} {{ range(3)|list|length }} {{ dict(a=1).a }}"
            " {{ '%05.1f' % 3.14159 }} {{ 'ab' * 3 }} {{ 2 ** 10 }}\n")
    out = read(tmp_path, body, data={"rows": [{"name": "b", "n": 2000}, {"name": "a", "n": 1}]})
    assert "| A | 1 |" in html.unescape(out) and "| B | 2,000 |" in html.unescape(out)
    assert "2001 3 1 003.1 ababab 1024" in out


# --- time, output and memory are bounded -------------------------------------------------------------------

BOMBS = [
    ("{% for i in range(10**12) %}{% endfor %}", "Range too big"),
    ("{{ 'x' * 10**9 }}", "would make 1,000,000,000 items"),
    ("{{ [1] * 10**9 }}", "would make"),
    ("{{ 10 ** 1000000 }}", "too large a number"),
    ("{{ '%999999999d' % 1 }}", "format width of 999999999"),
    ("{{ '%*d' % (999999999, 1) }}", "format width of *"),
    ("{{ '{:>999999999}'.format(1) }}", "format width of 999999999"),
    ("{{ '{:{w}}'.format(1, w=999999999) }}", "may not hold another"),
    ("{{ 'a'.ljust(10**9) }}", "ljust() with a size"),
    ("{{ 'a'|center(10**9) }}", "filter 'center'"),
    ("{{ 'a'|indent(10**9) }}", "filter 'indent'"),
    ("{{ [1]|batch(10**9, 0)|list }}", "filter 'batch'"),
    ("{{ [1]|slice(10**9)|list }}", "filter 'slice'"),
]


@pytest.mark.parametrize("body, why", BOMBS)
def test_one_step_cannot_make_a_huge_value(body, why, tmp_path):
    started = time.perf_counter()
    message = problem_of(tmp_path, body + "\n")
    assert why in message and message.startswith("a.md:4: ")
    assert time.perf_counter() - started < 2


def test_a_body_running_too_long_is_stopped_at_its_line(tmp_path):
    started = time.perf_counter()
    message = problem_of(tmp_path, "Fine.\n\n{% for i in range(100000) %}{% for j in range(100000) %}"
                                   "{% endfor %}{% endfor %}\n", limits=Limits(template_seconds=0.5))
    assert time.perf_counter() - started < 3
    assert message.startswith("a.md:6: still running after 0.5 s — ")
    assert "template_seconds" in message


def test_a_body_writing_too_much_is_stopped(tmp_path):
    message = problem_of(tmp_path, "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}\n",
                         limits=Limits(template_bytes=100_000))
    assert "more than 100,000 characters" in message


def test_doubling_a_string_by_recursion_meets_a_limit(tmp_path):
    """Concatenation (~) is not an operator the sandbox can intercept: time, output or memory stop it."""
    started = time.perf_counter()
    message = problem_of(tmp_path, "{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n - 1) }}{% else %}{{ s|length }}"
                                   "{% endif %}{% endmacro %}{{ f('ab', 40) }}\n", limits=Limits(template_seconds=5))
    assert time.perf_counter() - started < 10
    assert "a.md:4: " in message and ("memory" in message or "still running" in message or "characters" in message)
    # the process is usable afterwards: the memory limit was lifted
    assert len("y" * (300 * 1024 ** 2)) == 300 * 1024 ** 2


def test_the_limits_are_errors_of_their_own_kind(tmp_path):
    with pytest.raises(LimitError):
        read(tmp_path, "{% for i in range(100000) %}{{ i }}{% endfor %}\n", limits=Limits(template_bytes=10))
    with pytest.raises(ContentError):
        read(tmp_path, "{{ ''.__class__ }}\n")


# --- data is text -------------------------------------------------------------------------------------------

HOSTILE = [
    "[read more](javascript:alert(document.domain))",
    "![logo](x.png){: onerror=alert(1) }",
    "<img src=x onerror=alert(1)>",
    "```widget table\nrows: data.evil\n```",
    "~~~widget table\n~~~",
    "x\n\n# heading\n\n* list\n\n<script>alert(1)</script>",
    "{: .cls onclick=alert(1) }",
    "&lt;b&gt; &amp; \\*not\\* **bold** `code` _em_",
    "<https://evil.example>",
    "[x]: javascript:alert(1)\n\n[x]",
    "\x02wzxhzdk:0\x03",
    "{{ 7 * 7 }}",
]

USES = [
    "{{ data.v }}",
    "Text {{ data.v }} text.",
    "| a | b |\n|---|---|\n| {{ data.v }} | x |",
    "* {{ data.v }}",
    "# {{ data.v }}",
    "[{{ data.v }}](https://example.org/)",
    "> {{ data.v }}",
    "{% for x in [data.v] %}{{ x }}{% endfor %}",
    "**{{ data.v }}**",
]


CONTROL = {2: None, 3: None}


def visible_text(out: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", out))


@pytest.mark.parametrize("use", USES)
@pytest.mark.parametrize("value", HOSTILE)
def test_a_data_value_is_text_wherever_it_is_used(value, use, tmp_path):
    out = read(tmp_path, use + "\n", data={"v": value, "evil": [{"a": 1}]},
               islands=harness_islands({"evil": [{"a": 1}]}, "table"))
    assert "islet-table" not in out and "data-islet" not in out
    assert "onerror" not in out.replace("onerror=alert(1)", "") or "&lt;" in out or "onerror=alert(1)" in visible_text(out)
    tags = re.findall(r"<(\w+)([^>]*)>", out)
    assert all(not re.search(r"\son\w+=", attrs) for _, attrs in tags), out
    assert "javascript:" not in " ".join(attrs for _, attrs in tags), out
    assert not any(name in ("img", "script") for name, _ in tags), out
    shown = value.translate(CONTROL)       # (STX and ETX are dropped: they cannot appear in HTML anyway)
    assert " ".join(shown.split()) in " ".join(visible_text(out).split()), out


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_text_comes_out_as_that_text(tmp_path_factory, value):
    out = read(tmp_path_factory.mktemp("t"), "Before {{ data.v }} after.\n", data={"v": value})
    assert out.startswith("<p>Before ") and out.endswith(" after.</p>")
    inner = out[len("<p>Before "):-len(" after.</p>")]
    assert "<" not in inner.replace("&lt;", "")
    value = value.translate(CONTROL)
    assert html.unescape(inner) == value.replace("\r\n", "\n").replace("\r", "\n") or \
        " ".join(html.unescape(inner).split()) == " ".join(value.split())


def test_fenced_code_and_code_spans_show_jinja_as_written(tmp_path):
    body = ("```python\nx = '{{ data.v }}'  # {% if %}\n```\n\n`{{ data.v }}` and ``{% raw %}``\n\n"
            "~~~\n{{ 1 + }}\n~~~\n\nText {{ data.v }}.\n")
    out = visible_text(read(tmp_path, body, data={"v": "VALUE"}))
    assert "x = '{{ data.v }}'  # {% if %}" in out and "{{ data.v }} and {% raw %}" in out and "{{ 1 + }}" in out
    assert "Text VALUE." in out


def test_in_an_indented_code_block_a_value_shows_as_its_text(tmp_path):
    value = 'a < b && "c" [x](y) {: .z }'
    out = read(tmp_path, "Para.\n\n    {{ data.v }}\n", data={"v": value})
    assert "wzxhzdk" not in out and value in visible_text(out)


@pytest.mark.parametrize("site, own, rendered", [
    (False, None, False), (True, None, True), (False, "yes", True), (True, "no", False), (True, "Off", False),
    (False, "on", True), (False, "TRUE", True)])
def test_jinja_runs_where_the_site_or_the_source_asks(tmp_path, site, own, rendered, monkeypatch):
    monkeypatch.setattr(IsletMarkdownReader, "jinja", site)
    head = f"Jinja: {own}\n" if own else ""
    source = tmp_path / "a.md"
    source.write_text(FRONT.replace("\n\n", "\n" + head + "\n") + "Braces {{ data.v }} {% if x %}\n")
    from pelican.settings import DEFAULT_CONFIG

    IsletMarkdownReader.env, IsletMarkdownReader.context = ContentSandbox(), {"data": freeze({"v": "V", "x": 1})}
    IsletMarkdownReader.root, IsletMarkdownReader.templates, IsletMarkdownReader.islands = tmp_path, set(), None
    if rendered:
        with pytest.raises(ContentError):       # {% if %} without {% endif %}: only Jinja minds
            IsletMarkdownReader({**DEFAULT_CONFIG, "MARKDOWN": MARKDOWN}).read(str(source))
    else:
        content, _ = IsletMarkdownReader({**DEFAULT_CONFIG, "MARKDOWN": MARKDOWN}).read(str(source))
        assert "Braces {{ data.v }} {% if x %}" in html.unescape(content)


def test_in_widget_props_a_value_is_its_text(tmp_path):
    value = "Caption: with [brackets] & <tags> and\nnewline"
    out = read(tmp_path, "```widget table\nrows: data.rows\ncaption: {{ data.title }}\n```\n",
               data={"rows": [{"a": 1}], "title": value}, islands=harness_islands({"rows": [{"a": 1}]}, "table"))
    assert "islet-table" in out
    caption = re.search(r"<caption[^>]*>(.*?)</caption>", out, re.S)
    shown = re.sub(r"</?span[^>]*>", "", caption[1]) if caption else ""      # (the caption's text is in a span)
    assert caption and " ".join(html.unescape(shown).split()) == " ".join(value.split())


def test_the_markdown_filter_formats_but_keeps_links_and_html_safe(tmp_path):
    out = read(tmp_path, "{{ data.v|markdown }}\n",
               data={"v": "**bold** [ok](https://example.org) [bad](javascript:alert(1)) "
                          "<img src=x onerror=alert(1)> ![i](x.png){: onerror=alert(1) }"})
    assert "<strong>bold</strong>" in out and 'href="https://example.org"' in out
    assert "javascript:" not in out and "<img src=x" not in out
    assert not re.search(r"<\w+[^>]*\son\w+=", out)


# --- Markdown's own elements carry no script ----------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x]( javascript:alert(1))", "[x](vbscript:x)",
    "[x](data:text/html,<script>alert(1)</script>)", "![i](javascript:alert(1))", "<javascript:alert(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)", "![logo](x.png){: onerror=alert(1) }", "Para\n{: onclick=alert(1) }",
    "# H {: onmouseover=alert(1) }",
])
def test_markdown_in_a_source_makes_no_handler_and_no_script_url(source, tmp_path):
    out = read(tmp_path, source + "\n")
    tags = re.findall(r"<(\w+)([^>]*)>", out)
    assert not any(re.search(r"\son\w+=", attrs) for _, attrs in tags), out
    assert not any(re.search(r'(href|src)="\s*(javascript|vbscript|data):', attrs, re.I) for _, attrs in tags), out


def test_ordinary_links_and_attributes_are_kept(tmp_path):
    out = read(tmp_path, "[a](https://example.org/x) [b](/p/) [c](#top) ![i](img.png){: .wide #pic }\n")
    assert 'href="https://example.org/x"' in out and 'href="/p/"' in out and 'href="#top"' in out
    assert 'src="img.png"' in out and 'class="wide"' in out and 'id="pic"' in out


def test_an_error_after_a_code_block_is_reported_at_its_own_line(tmp_path):
    body = "Intro.\n\n```python\nx = '{{ y }}'\nz = 1\n```\n\n{{ data.missing.x }}\n"
    assert problem_of(tmp_path, body).startswith("a.md:11: ")       # body line 8, after 3 front matter lines


@pytest.mark.parametrize("body", ['{{ "\\ud800" }}', '{% set x = "a\\udfff" %}{{ x }}', "{{ '{:c}'.format(55296) }}"])
def test_a_value_that_is_half_a_surrogate_pair_is_an_error_at_its_line(tmp_path, body):
    """No page can hold it (UTF-8 cannot encode it): without this, the build failed later with a traceback."""
    message = problem_of(tmp_path, "Fine.\n\n" + body + "\n")
    assert message.startswith("a.md:6: ") and "half of a surrogate pair" in message
    assert "\U0001F600" in read(tmp_path, '{{ "\\U0001F600" }} and {{ "\\ud83d\\ude00"|length }}\n')
