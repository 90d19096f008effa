"""Sites nobody here wrote: Hypothesis writes the untrusted part of a site (articles, pages, data files, symlinks),
broken and hostile, and the real build must keep the promises of docs/security.md and docs/content.md on it:

- it exits 0, or 1 with every problem on a line of its own (``path:line: what — how``), and never a traceback;
- a failed build leaves the previous ``build/`` exactly as it was;
- it writes nothing outside its output and cache folders, reads nothing through a symlink to outside the site,
  and finishes within a bound;
- a built page never holds markup that came from a data file or from Markdown's own link and attribute syntax: no
  element, event handler or ``javascript:`` URL carrying the marker that the generated values hide everywhere.

Two searches: anything goes (most such sites fail, clearly), and well-formed sites full of hostile values, which
must build. Each example starts from a copy of one built site of its own (never the demo's content).
``ISLET_GENERATED_SITES=300 pytest tests/test_generated_sites.py`` searches longer (20 examples each by default).
Found so far: a YAML data file holding NUL (9f7b460), and half a surrogate pair in data or a body (9088d85).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import html5lib
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from support.site import folder_digest, make_site

EXAMPLES = int(os.environ.get("ISLET_GENERATED_SITES", "20"))
MARK = "pwned"            # in every hostile value: no built element, handler or URL may carry it as markup
NOT_UTF8 = "(not UTF-8)"    # a data file written as the bytes FF FE
SECONDS = 120             # a build that takes longer has hung (the limits below stop a runaway body in 2 s)

BASE = {
    "content/articles/known.md": "Title: Known\nDate: 2026-01-01\nTags: alpha\n\nAn article the links can name.\n",
    "content/pages/about.md": "Title: About\n\nA page.\n",
    "content/data/known.json": json.dumps({"title": "Known data", "rows": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}),
}

# --- what a stranger writes ------------------------------------------------------------------------------

# Values of data files: markup, handlers, URLs and islet's own syntax, each of which must reach a page as text.
HOSTILE = [
    f"<b id={MARK}>bold</b>", f'" onmouseover="{MARK}()', f"javascript:{MARK}()", f"</script><b id={MARK}-s>",
    f"```widget table\nrows: {MARK}\n```", "{{ 7*7 }}", f"<!-- {MARK}", f"&lt;b id={MARK}&gt;",
]
# Markdown's own syntax for links and attributes, in a source: it must never give a handler or a javascript: URL
# (raw HTML in a source passes through, as in Pelican: docs/security.md).
MARKDOWN_HOSTILE = [
    f"[link](javascript:{MARK}())", f"{{: onclick={MARK}() }}", f"![x](x.png){{: onerror={MARK}() }}",
    f"[ref]\n\n[ref]: javascript:{MARK}()", f"[x](JaVaScRiPt:{MARK}())", f"# Title {{: onmouseover={MARK}() }}",
    f"[y](java\tscript:{MARK}())", f"<javascript:{MARK}()>",
]
HOSTILE += MARKDOWN_HOSTILE
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
values = st.one_of(st.sampled_from(HOSTILE), words, st.integers(-10**6, 10**6),
                   st.floats(allow_nan=False, allow_infinity=False, width=32))
names = st.sampled_from(["known", "evil", "rows", "site", "items", "bad-name", "x" * 40, "_private"])

json_values = st.recursive(st.one_of(st.none(), st.booleans(), values),
                           lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(names | words, inner, max_size=4)), max_leaves=12)


@st.composite
def data_file(draw):
    """(path, text) of a file in content/data/: JSON, CSV, YAML or TOML, well-formed or not."""
    name = draw(st.sampled_from(["evil", "rows", "known", "bad-name", "items", "x"]))
    kind = draw(st.sampled_from(["json", "csv", "yaml", "toml", "junk"]))
    value = draw(st.dictionaries(names, json_values, min_size=1, max_size=4))
    if kind == "json":
        text = json.dumps(value)
    elif kind == "csv":
        columns = draw(st.lists(st.sampled_from(["a", "b", "name", MARK, "a b"]), min_size=1, max_size=3))
        rows = draw(st.lists(st.lists(values.map(str), min_size=len(columns) - 1, max_size=len(columns) + 1),
                             max_size=4))
        text = "\n".join(",".join(json.dumps(cell) if draw(st.booleans()) else cell.replace("\n", " ")
                                  for cell in row) for row in [columns, *rows]) + "\n"
    elif kind == "yaml":
        text = draw(st.sampled_from([json.dumps(value), "a: &x [1, 2]\nb: [*x, *x]\n", "a: !!python/object:os.system x\n",
                                     f"a: {MARK}\n  b: : :\n", "- .nan\n", f"text: |\n  <b id={MARK}>\n"]))
    elif kind == "toml":
        text = draw(st.sampled_from([f'a = "{MARK}"\n', "a = [1, \n", 'x = inf\n', f'[t]\nb = "<b id={MARK}>"\n']))
        kind = "toml"
    else:
        kind, text = draw(st.sampled_from(["json", "yaml", "csv"])), draw(st.sampled_from(
            ["{", NOT_UTF8, "", "a,b\n1\n", "[" * 200 + "]" * 200, "\0"]))
    return f"content/data/{name}.{kind}", text


DATA_EXPRESSIONS = ["data.known.title", "data.evil", "data.evil.a", "data.rows", "data.known.rows[0].b",
                    "data.nosuch", "data['items']", "data.evil.text"]
FILTERS = ["", "|markdown", "|e", "|upper", "|tojson", "|nosuchfilter", "|length", "|sort"]
# Text Python-Markdown needs minutes for (islet.content.clock stops it after markdown_seconds, below).
STALLS = ["[" * 30_000, "![" * 20_000, "<http://a" * 20_000]
LONG = "a-long-name-" * 22          # a slug, tag or category whose file name no file system holds (264 bytes)

FRAGMENTS = st.one_of(
    words, st.sampled_from(MARKDOWN_HOSTILE), st.sampled_from(STALLS),
    st.builds("{{{{ {}{} }}}}".format, st.sampled_from(DATA_EXPRESSIONS), st.sampled_from(FILTERS)),
    st.builds("{{% for r in {} %}}| {{{{ r }}}} |\n{{% endfor %}}".format, st.sampled_from(DATA_EXPRESSIONS)),
    st.sampled_from([
        "# A heading", "## {{ data.evil.a }}", "* a\n* b", "1. one", "> quoted", "---", "| a | b |\n|---|---|\n| 1 | 2 |",
        "[known]({filename}/articles/known.md)", "[gone]({filename}/articles/gone.md)", "[up]({filename}/../pelicanconf.py)",
        "![img]({static}/images/none.png)", "[x](data:text/html,hi)", "<https://example.org>", "[^1]\n\n[^1]: note",
        "```python\nprint('{{ x }}')\n```", "```nosuchlang\ncode\n```", "```\nnever closed", "`code {{ x }}`",
        "```widget table\nrows: data.known.rows\n```", "```widget table\nrows: data.nosuch\n```",
        "```widget nosuch\n```", "```widget chart\nkind: pie\n```", "```widget table\n: : [\n```",
        "```widget tabs\ntabs: [[a, b]]\n```", "```widget table\nrows: data.evil\ncaption: {{ data.evil }}\n```",
        "<div>\n<a href='x title=y>open</a>\n</div>", "<!-- an unclosed comment", "<details><summary>s</summary>x",
        "{% raw %}{{ not data }}{% endraw %}", "{{ unclosed", "{% if true %}never ended", "{% include 'base.html' %}",
        "{{ ''.__class__ }}", "{{ range(10**12)|list }}", "{% for i in range(10**9) %}{% endfor %}",
        "{{ data.__class__ }}", "{{ 'x' * 10**9 }}", "\\{\\{ escaped", "<script>document.title = 1</script>",
    ]))

FRONT_MATTER = {
    "Title": st.one_of(words, st.sampled_from(MARKDOWN_HOSTILE)),
    "Date": st.sampled_from(["2026-02-01", "2026-02-30", "2099-01-01", "yesterday", "2026-03-14 09:30", "",
                             "2026-01-01T10:00+25:00", "9999-12-31 23:59", "0001-01-01"]),
    "Tags": st.lists(st.one_of(words, st.sampled_from([*MARKDOWN_HOSTILE, LONG])), max_size=3).map(", ".join),
    "Category": st.one_of(words, st.sampled_from([*MARKDOWN_HOSTILE, LONG])),
    "Slug": st.sampled_from(["fine", "known", "../out", "/abs", "a/b", "index", "feeds/all.atom.xml", "", "ü", LONG]),
    "Status": st.sampled_from(["published", "draft", "hidden", "nonsense"]),
    "Summary": st.one_of(words, st.sampled_from(MARKDOWN_HOSTILE), st.sampled_from(STALLS)),
    "Template": st.sampled_from(["article", "page", "nosuch", "../base"]),
    "Save_as": st.sampled_from(["x.html", "../x.html", "/etc/x.html", "index.html", "sitemap.xml"]),
    "Lang": st.sampled_from(["en", "fr", "", "<b>"]),
    "Translation": st.sampled_from(["true", "false"]),
    "Jinja": st.sampled_from(["yes", "no", "maybe"]),
    "Authors": st.one_of(words, st.sampled_from(MARKDOWN_HOSTILE)),
}


@st.composite
def source(draw):
    """(path, text) of an article or page: front matter (keys from FRONT_MATTER, maybe a broken line), a blank
    line and a body of generated fragments."""
    folder = draw(st.sampled_from(["articles", "articles", "pages"]))
    name = draw(st.sampled_from(["one", "two", "known", "über", "a b"]))
    keys = draw(st.lists(st.sampled_from(sorted(FRONT_MATTER)), unique=True, max_size=5))
    lines = [] if "Title" in keys or draw(st.integers(0, 9)) == 0 else [f"Title: {draw(words)}"]
    lines += [f"{key}: {draw(FRONT_MATTER[key])}".replace("\n", " ") for key in keys]
    if draw(st.integers(0, 9)) == 0:
        lines.append(draw(st.sampled_from(["no colon here", ": no key", "Date 2026-01-01"])))
    if folder == "articles" and not any(line.startswith("Date:") for line in lines) and draw(st.booleans()):
        lines.append("Date: 2026-01-02")
    body = "\n\n".join(draw(st.lists(FRAGMENTS, min_size=1, max_size=6)))
    return f"content/{folder}/{name}.md", "\n".join(lines) + "\n\n" + body + "\n"


# Symlinks a pull request can hold, to files outside the site (`OUTSIDE`: each holds SECRET) or inside it.
SECRET = "s3cr3t-outside"
OUTSIDE = {"secret.md": f"Title: Secret\nDate: 2026-01-01\n\n{SECRET}\n", "secret.json": json.dumps({"s": SECRET}),
           "secret.png": SECRET}
LINKS = st.dictionaries(
    st.sampled_from(["content/articles/linked.md", "content/pages/linked.md", "content/data/linked.json",
                     "content/images/linked.png", "content/articles/folder", "content/data/folder"]),
    st.sampled_from(["../outside/secret.md", "../outside/secret.json", "../outside/secret.png", "../outside",
                     "content/articles/known.md", "/etc/hostname"]), max_size=2)
sites = st.tuples(st.lists(source(), min_size=1, max_size=3, unique_by=lambda f: f[0]),
                  st.lists(data_file(), max_size=2, unique_by=lambda f: f[0].rsplit(".", 1)[0]), LINKS)

# Well-formed sites with hostile values: each must build, and show every value as text.
plain = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="{}%#\\"),
                min_size=1, max_size=12).filter(str.strip)
text_values = st.one_of(st.sampled_from(HOSTILE), st.sampled_from(HOSTILE), plain)     # (mostly hostile)
LABELS = ["Notes", "Field notes", "Ünïcode", *MARKDOWN_HOSTILE[:3]]     # tags and categories: distinct slugs
SHOWN = ["", "|markdown", "|e", "|upper", "|tojson"]


@st.composite
def well_formed_site(draw):
    """{path: text}: a data file of hostile values (JSON, YAML or CSV) and articles that show them in every place
    a body can (text, table, heading, list, widget props), with hostile Markdown links and attribute lists."""
    row = st.fixed_dictionaries({"a": text_values, "b": text_values})
    evil = draw(st.fixed_dictionaries({"a": text_values, "text": text_values,
                                       "rows": st.lists(row, min_size=1, max_size=3)}))
    kind = draw(st.sampled_from(["json", "yaml", "csv"]))
    files = {f"content/data/evil.{kind}": json.dumps(evil) if kind != "csv" else csv_text(evil["rows"])}
    rows = "data.evil" if kind == "csv" else "data.evil.rows"
    # Each value as it is and through each filter: in a loop over the rows, and on its own (not from a CSV file,
    # which is the rows alone), in text, a heading, a list and a table cell.
    looped = [f"{{% for r in {rows} %}}\n{place}{{{{ r.{key}{f} }}}}\n{{% endfor %}}"
              for key in ("a", "b") for f in SHOWN for place in ("", "## ", "* ", "| x | ")]
    alone = [] if kind == "csv" else [f"{place}{{{{ data.evil.{key}{f} }}}}" for key in ("a", "text") for f in SHOWN
                                      for place in ("", "## ", "* ", "| x | ")]
    caption = draw(st.sampled_from(alone)).lstrip("#*| x") if alone else "{{ data.evil|length }} rows"
    fragments = st.one_of(plain, st.sampled_from(MARKDOWN_HOSTILE), st.sampled_from(looped + alone), st.sampled_from([
        f"```widget table\nrows: {rows}\n```", f"```widget table\nrows: {rows}\ncaption: {caption}\n```",
        "[known]({filename}/articles/known.md)"]))
    for number in range(draw(st.integers(1, 3))):
        front = {"Title": draw(st.one_of(plain, st.sampled_from(MARKDOWN_HOSTILE))), "Slug": f"generated-{number}",
                 "Date": f"2026-02-0{number + 1}", "Tags": ", ".join(draw(st.lists(st.sampled_from(LABELS), unique=True,
                                                                                     max_size=3))),
                 "Category": draw(st.sampled_from(LABELS)), "Summary": draw(st.one_of(plain, st.sampled_from(MARKDOWN_HOSTILE)))}
        body = "\n\n".join(draw(st.lists(fragments, min_size=1, max_size=5)))
        files[f"content/articles/generated-{number}.md"] = "".join(
            f"{key}: {value}\n" for key, value in front.items() if value) + "\n" + body + "\n"
    return files


def csv_text(rows: list[dict]) -> str:
    import csv
    import io
    out = io.StringIO()
    writer = csv.DictWriter(out, ["a", "b"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()

# --- the promises --------------------------------------------------------------------------------------------

# (without a line only where the whole file is wrong: empty, not UTF-8, too large)
PROBLEM = re.compile(r"^(?:(?:content|widgets|theme)/[^:]+|pelicanconf\.py)(?::\d+(?::\d+)?)?: \S.*$")
TRASH = re.compile(r"\.build-build\.trash-\w+")      # the previous output, being deleted in the background
SUMMARY = re.compile(r"^Build failed: \d+ problems?\. build/ was left as it was\.$")


@pytest.fixture(scope="module")
def built_base(tmp_path_factory):
    """One built site of its own: every example starts from a copy of it (output and caches included)."""
    site = make_site(tmp_path_factory.mktemp("generated") / "site", BASE)
    with open(site.root / "pelicanconf.py", "a", encoding="utf-8") as settings_file:
        settings_file.write('\nISLET_LIMITS = {"template_seconds": 2, "render_seconds": 2, "markdown_seconds": 2}\n')
    built = site.build()
    assert built.code == 0, built.stderr
    return site.root


def injected(page: str) -> list[str]:
    """What of a built page carries MARK as markup, read as a browser reads it (html5lib: the standard's parser)."""
    found = []
    for element in html5lib.parse(page, namespaceHTMLElements=False).iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if MARK in name or value.startswith(MARK) and name == "id" or (
                    MARK in value and (name.startswith("on") or value.strip().lower().startswith("javascript:"))):
                found.append(f"<{element.tag} {name}={value!r}>")
        if element.tag == "script" and element.get("type") == "application/json":
            try:
                json.loads(element.text or "")
            except ValueError:
                found.append(f"a script of props that is not JSON: {element.text[:80]!r}")
        elif element.tag == "script" and MARK in (element.text or ""):
            found.append(f"<script>{element.text[:80]!r}")
    return found


def cli_build(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "islet", "build", "--root", str(root)], capture_output=True,
                          text=True, timeout=SECONDS, cwd=root, env={**os.environ, "ISLET_SERVER": "off"})


def build_example(base: Path, place: Path, files: dict[str, str], links: dict | None = None) -> subprocess.CompletedProcess:
    """Build a copy of the built site `base` in `place`/site with `files` added, and `links` ({path: target},
    a target relative to the link's site path, as `ln -s` takes it), beside `place`/outside (`OUTSIDE`).
    Checks what any build must keep: exit 0 or 1, no traceback, nothing written outside, nothing read from
    outside; on failure, one problem a line and build/ as it was."""
    root = place / "site"
    shutil.copytree(base, root, symlinks=True)
    before = folder_digest(root / "build")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"\xff\xfe" if text == NOT_UTF8 else text.encode("utf-8"))
    for name, text in OUTSIDE.items():
        (place / "outside").mkdir(exist_ok=True)
        (place / "outside" / name).write_text(text, encoding="utf-8")
    for name, target in (links or {}).items():
        link = root / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists() and not link.is_symlink():
            depth = len(Path(name).parts) - 1          # ("../outside/…" from the site root)
            link.symlink_to(target if target.startswith("/") else "../" * depth + target)
    run = cli_build(root)
    said = run.stdout + run.stderr
    event(f"exit {run.returncode}")
    assert run.returncode in (0, 1) and "Traceback" not in said, said
    assert sorted(p.name for p in place.iterdir()) == ["outside", "site"], "the build wrote beside the site"
    assert sorted(p.name for p in (place / "outside").iterdir()) == sorted(OUTSIDE), "the build wrote outside"
    made = {p.name for p in root.iterdir()} - {p.name for p in base.iterdir()} - {"__pycache__"}
    assert all(TRASH.fullmatch(name) for name in made), f"the build wrote into the site's own folders: {made}"
    if run.returncode == 1:
        lines = run.stderr.strip().splitlines()
        assert lines and SUMMARY.match(lines[-1]), said
        assert all(PROBLEM.match(line) for line in lines[:-1]), said
        assert folder_digest(root / "build") == before, "a failed build changed build/"
    for path in (root / "build").rglob("*"):
        assert path.is_dir() or SECRET.encode() not in path.read_bytes(), f"{path} holds a file from outside the site"
    return run


def assert_inert(output: Path) -> None:
    assert (output / "index.html").is_file()
    for page in output.rglob("*.html"):
        found = injected(page.read_text(encoding="utf-8"))
        assert not found, (page.relative_to(output), found)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(site=sites)
def test_a_generated_site_builds_or_fails_clearly_and_safely(built_base, tmp_path_factory, site):
    sources, data_files, links = site
    place = tmp_path_factory.mktemp("example")
    root = place / "site"
    if build_example(built_base, place, dict([*sources, *data_files]), links).returncode == 0:
        assert_inert(root / "build")
    # Whatever that build did, failed or not, it left no trace in the caches: with the content as it was, the
    # next build gives the output the site had, byte for byte.
    shutil.rmtree(root / "content")
    shutil.copytree(built_base / "content", root / "content", symlinks=True)
    again = cli_build(root)
    assert again.returncode == 0, again.stderr
    assert folder_digest(root / "build") == folder_digest(built_base / "build"), "the caches kept a trace of the example"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(files=well_formed_site())
def test_hostile_values_in_a_well_formed_site_build_and_stay_text(built_base, tmp_path_factory, files):
    place = tmp_path_factory.mktemp("example")
    run = build_example(built_base, place, files)
    assert run.returncode == 0, run.stderr
    assert_inert(place / "site" / "build")
