"""The security model end to end (README, "Security model"): content and data come from strangers.

Real builds of a site of its own (never the demo's content). An article's Jinja cannot run code or read
secrets; data values reach every page as text, which Chromium shows as text *without* the CSP of ``_headers``
(escaping must hold on its own; the CSP is defence in depth)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from support.browser import LocalServer, open_page
from support.site import make_site

ARTICLE = "Title: {title}\nDate: 2026-0{n}-01\nSummary: {summary}\n\n{body}\n"

HOSTILE = {
    "link": "[read more](javascript:alert(document.domain))",
    "attrs": "![logo](x.png){: onerror=alert(1) }",
    "html": "<img src=x onerror=alert(2)><script>alert(3)</script>",
    "fence": "```widget table\nrows: data.evil.rows\ncaption: injected\n```",
    "autolink": "<javascript:alert(4)>",
    "reference": "[x]\n\n[x]: javascript:alert(5)",
    "quote": "\" onmouseover=\"alert(6)",
}

BODY = """Intro {{ data.evil.link }} and {{ data.evil.attrs }}.

| name | value |
|---|---|
{% for key, value in data.evil.items()|sort %}| {{ key }} | {{ value }} |
{% endfor %}

## {{ data.evil.html }}

* {{ data.evil.fence }}
* [{{ data.evil.quote }}](https://example.org/)

{{ data.evil.reference }} {{ data.evil.autolink }}

Formatted on request: {{ data.evil.link|markdown }}
"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    data = {**HOSTILE, "rows": [{"a": 1}]}
    site = make_site(tmp_path_factory.mktemp("hostile"), {
        "content/data/evil.json": json.dumps(data),
        "content/articles/hostile.md": ARTICLE.format(title="Hostile data", n=1, summary="Data from a stranger.",
                                                      body=BODY),
        "content/articles/plain.md": ARTICLE.format(title="Plain", n=2, summary="A plain article.",
                                                    body="Nothing to see."),
    })
    index = site.root / "theme" / "templates" / "index.html"      # a theme printing data: trusted code, untrusted text
    index.write_text(index.read_text().replace("{% block content %}", "{% block content %}<p class=\"from-data\">"
                                               "{{ data.evil.html }} {{ data.evil.quote }} {{ data.evil.html|e }}</p>", 1))
    built = site.build()
    assert built.code == 0, built.stderr
    (site.root / "build" / "_headers").unlink()       # no CSP: escaping must hold on its own
    return site


@pytest.mark.browser
def test_hostile_data_is_inert_text_in_chromium_without_the_csp(hostile_site, chromium):
    dialogs = []
    with LocalServer(hostile_site.root / "build") as server:
        for path in ("articles/hostile-data.html", ""):
            context, page, watch = open_page(chromium, server, path, prepare=lambda p: p.on(
                "dialog", lambda d: (dialogs.append(d.message), d.dismiss())))
            try:
                assert watch.response.headers.get("content-security-policy") is None
                page.wait_for_timeout(300)
                found = page.evaluate("""() => ({
                    handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
                        .filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)),
                    scripts: [...document.querySelectorAll('a[href^="javascript" i], img[src="x"], img[src="x.png"]')]
                        .map(e => e.outerHTML),
                    islands: document.querySelectorAll('[data-islet]').length,
                    text: document.body.innerText,
                })""")
            finally:
                context.close()
            assert found["handlers"] == [] and found["scripts"] == [] and found["islands"] == 0, found
            if not path:                                  # the theme's index template printed data values
                assert found["text"].count(HOSTILE["html"]) == 2 and HOSTILE["quote"] in found["text"]
            if path:
                for value in ("[read more](javascript:alert(document.domain))", "{: onerror=alert(1) }",
                              "<script>alert(3)</script>", "rows: data.evil.rows", "\" onmouseover=\"alert(6)"):
                    assert value in found["text"]
    assert dialogs == []


def test_the_formatted_value_is_formatted_but_its_link_is_neutral(hostile_site):
    page = (hostile_site.root / "build" / "articles" / "hostile-data.html").read_text()
    assert 'Formatted on request: <a href="#">read more</a></p>' in page
    assert "javascript:" not in page.replace("(javascript:alert(document.domain))", "").replace(
        "javascript:alert(4)", "").replace("javascript:alert(5)", "")


PAYLOADS = [
    ("{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}", "not allowed in content"),
    ("{{ lipsum.__globals__['os'].environ['ISLET_TEST_SECRET'] }}", "is undefined"),
    ("{{ ''.__class__.__mro__[1].__subclasses__()|length }}", "not allowed in content"),
    ("{% for i in range(10**12) %}{% endfor %}", "Range too big"),
]


@pytest.mark.parametrize("payload, why", PAYLOADS)
def test_an_article_cannot_run_code_or_read_secrets(payload, why, tmp_path):
    site = make_site(tmp_path, {"content/articles/a.md": ARTICLE.format(title="A", n=1, summary="s", body="Fine.")})
    assert site.build().code == 0
    before = (tmp_path / "build" / "index.html").read_bytes()
    (tmp_path / "content/articles/a.md").write_text(ARTICLE.format(title="A", n=1, summary="s",
                                                                    body=f"Fine.\n\n{payload}"))
    run = subprocess.run([sys.executable, "-m", "islet", "build", "--root", str(tmp_path)], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path, env={**os.environ, "ISLET_TEST_SECRET": "s3cr3t"})
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("content/articles/a.md:7: ") and why in run.stderr, run.stderr
    assert not (tmp_path / "MARKER").exists() and "s3cr3t" not in run.stderr + run.stdout
    assert (tmp_path / "build" / "index.html").read_bytes() == before


# --- widgets: bounded in time and in size, end to end ------------------------------------------------------

STUCK = '''"""A widget whose render() never returns."""
PROPS = {"label": ["str", "x"]}


def render(props: "Props") -> str:
    count = 0
    while count >= 0:
        count = count + 1
    return "<p>" + props["label"] + "</p>"


def mount(root: "Any", props: "Props") -> None:
    pass
'''


def limited_site(tmp_path, limits: dict, body: str, files: dict | None = None):
    site = make_site(tmp_path, {"content/articles/a.md": ARTICLE.format(title="A", n=1, summary="s", body="Fine."),
                                **(files or {})})
    with open(tmp_path / "pelicanconf.py", "a") as settings:
        settings.write(f"\nISLET_LIMITS = {limits!r}\n")
    assert site.build().code == 0
    before = (tmp_path / "build" / "index.html").read_bytes()
    (tmp_path / "content/articles/a.md").write_text(ARTICLE.format(title="A", n=1, summary="s", body=body))
    return site, before


def fails_with(site, before: bytes, first: str) -> list[str]:
    """Build `site`: exit 1, no traceback, a first line starting with `first`, build/ as it was. Its lines."""
    built = site.build()
    assert built.code == 1 and "Traceback" not in built.stderr
    assert built.lines[0].startswith(first), built.stderr
    assert (site.root / "build" / "index.html").read_bytes() == before
    return built.lines


def test_a_widget_render_that_never_returns_fails_the_build_at_its_use(tmp_path):
    site, before = limited_site(tmp_path, {"render_seconds": 1}, "Fine.\n\n```widget stuck\nlabel: y\n```",
                                {"widgets/stuck.py": STUCK})
    lines = fails_with(site, before, "content/articles/a.md:7: widget 'stuck': render() did not finish within 1 s "
                                     "(it was at line ")
    assert "ISLET_LIMITS['render_seconds']" in lines[0] and len(lines) == 2


def test_a_table_of_more_rows_than_allowed_fails_the_build(tmp_path):
    rows = "name,n\n" + "".join(f"r{i},{i}\n" for i in range(30))
    site, before = limited_site(tmp_path, {"widget_rows": 20}, "Fine.\n\n```widget table\nrows: data.big\n```",
                                {"content/data/big.csv": rows})
    lines = fails_with(site, before, "content/articles/a.md:7: prop 'rows' of widget 'table' holds 30 items; a widget "
                                     "shows at most 20 — show a summary or the top rows (a smaller data file), split "
                                     "it over pages, or raise ISLET_LIMITS['widget_rows'] in pelicanconf.py")
    assert len(lines) == 2


def test_a_body_template_over_its_time_fails_the_build_at_its_line(tmp_path):
    site, before = limited_site(tmp_path, {"template_seconds": 1}, "Fine.\n\n{% for i in range(100000) %}"
                                "{% for j in range(100000) %}{% endfor %}{% endfor %}")
    fails_with(site, before, "content/articles/a.md:7: still running after 1 s — ")


# --- Markdown: no source hangs the build ----------------------------------------------------------------------
# Python-Markdown needs minutes for 50,000 "[" on one line (plain Pelican hangs on it); Pelican's summary of
# an article without one and its search for images without alt text were quadratic in its HTML
# (islet.content.linear).

STALLS_MARKDOWN = "[" * 50_000


@pytest.mark.parametrize("others", [0, 20], ids=["in-process", "parse-workers"])
def test_markdown_over_its_time_fails_the_build_at_the_slow_line(tmp_path, others):
    files = {f"content/articles/o{i}.md": ARTICLE.format(title=f"O{i}", n=1, summary="s", body="Other.")
             for i in range(others)}       # 16 sources or more are parsed by worker processes
    site, before = limited_site(tmp_path, {"markdown_seconds": 1}, f"Fine.\n\nMore: {STALLS_MARKDOWN}\n\nEnd.", files)
    lines = fails_with(site, before, "content/articles/a.md:7: Markdown needs more than 1 s for this source; the "
                                     "slowest part starts on this line — ")
    assert "ISLET_LIMITS['markdown_seconds']" in lines[0] and len(lines) == 2


def test_markdown_in_the_front_matter_is_bounded_too(tmp_path):
    site, before = limited_site(tmp_path, {"markdown_seconds": 1}, "Fine.")
    (tmp_path / "content/articles/a.md").write_text(ARTICLE.format(title="A", n=1, summary=STALLS_MARKDOWN, body="x"))
    fails_with(site, before, "content/articles/a.md:3: Markdown needs more than 1 s")


def test_html_that_stalled_pelicans_summaries_and_alt_check_builds_at_once(tmp_path):
    body = ("<div>\n" + "<a " * 100_000 + "toc-backref\n</div>\n\n" + "```\n\n```\n" * 5_000
            + "\n<div>\n" + "<img src=" * 50_000 + 'alt=""\n</div>\n')
    site = make_site(tmp_path, {"content/articles/a.md": f"Title: A\nDate: 2026-01-01\n\n{body}"})
    started = time.monotonic()
    built = site.build()                  # Pelican took minutes for each of its three parts
    assert built.code == 0, built.stderr
    assert time.monotonic() - started < 60


def test_a_source_listing_more_names_than_allowed_fails_the_build_at_that_line(tmp_path):
    # 3,000 authors made 3,000 pages listing 3,000 authors each: 35 s, and n² in size
    site, before = limited_site(tmp_path, {"names": 5}, "Fine.")
    (tmp_path / "content/articles/a.md").write_text(
        "Title: A\nDate: 2026-01-01\nAuthors: " + "; ".join(f"Doe, J{i}" for i in range(6)) + "\n\nx\n")
    lines = fails_with(site, before, "content/articles/a.md:3: Authors: lists 6 names, more than the limit of 5 — "
                                     "list fewer, or raise ISLET_LIMITS['names'] in pelicanconf.py")
    assert len(lines) == 2
