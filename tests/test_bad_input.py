"""Bad input never loses work: each broken input fails the real build with one clear line
naming the file (and line), exits non-zero, prints no traceback, and leaves build/ as it was."""
from __future__ import annotations

import re

import pytest
from support.site import pelican_slug


def article(site):
    """A published demo article to break (the first one by name)."""
    return next(p for p in sorted(site.path("content/articles").glob("*.md"))
                if "Status: draft" not in p.read_text())


def rel(site, path):
    return path.relative_to(site.root).as_posix()


def replace_line(path, starts_with, new):
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(starts_with))
    lines[index] = new
    path.write_text("\n".join(lines) + "\n")
    return index + 1


def append(path, text):
    path.write_text(path.read_text() + text)
    return len(path.read_text().splitlines())


def malformed_front_matter(site):
    path = article(site)
    return rel(site, path), replace_line(path, "Date:", "Date 2026-03-01 written without a colon"), "is not 'Key: value'"


def invalid_date(site):
    path = article(site)
    return rel(site, path), replace_line(path, "Date:", "Date: 2026-02-30"), "invalid date '2026-02-30'"


def unknown_template(site):
    path = article(site)
    return rel(site, path), replace_line(path, "Title:", "Template: fancy\nTitle: Fancy"), "unknown template 'fancy'"


def duplicate_slug(site):
    path = article(site)
    copy = path.with_name("zz-copy.md")
    text = path.read_text()
    title = re.search(r"^Title: (.*)$", text, flags=re.M)[1]
    slug = re.search(r"^Slug: (.*)$", text, flags=re.M)
    slug = slug[1] if slug else pelican_slug(title)                  # an article may leave Slug out, as Pelican allows
    text = re.sub(r"^Slug: .*\n", "", text, flags=re.M)
    copy.write_text(re.sub(r"^Title: .*$", f"Title: A copy\nSlug: {slug}", text, count=1, flags=re.M))
    slug_line = next(i for i, l in enumerate(copy.read_text().splitlines(), 1) if l.startswith("Slug:"))
    return rel(site, copy), slug_line, "duplicate slug"


def broken_link(site):
    path = article(site)
    return rel(site, path), append(path, "\nSee [this]({filename}/articles/no-such-article.md).\n"), "broken link"


def missing_image(site):
    path = article(site)
    return rel(site, path), append(path, "\n![A chart]({static}/images/no-such-chart.png)\n"), "broken image"


def undefined_data(site):
    path = article(site)
    return rel(site, path), append(path, "\nShare: {{ data.no_such_file.share }}\n"), "no_such_file"


def malformed_csv(site):
    path = site.path("content/data/frameworks.csv")
    return rel(site, path), append(path, "Broken,row,with,far,too,many,fields,here,really\n"), "fields but the header has"


def malformed_json(site):
    path = site.path("content/data/payloads.json")
    path.write_text('[\n  {"approach": "x",\n   "download_kb": }\n]\n')
    return rel(site, path), 3, "invalid JSON"


def malformed_yaml(site):
    path = site.path("content/data/budgets.yaml")
    path.write_text("article:\n  js_kb: [0, 1\nindex: 3\n")
    return rel(site, path), 3, "invalid YAML"


def malformed_toml(site):
    path = site.path("content/data/site.toml")
    path.write_text("[survey]\npython_share = \n")
    return rel(site, path), 2, "invalid TOML"


def non_utf8_article(site):
    path = article(site)
    path.write_bytes(path.read_bytes().replace(b"\n\n", "\n\nLatin-1 caf\xe9 here.\n\n".encode("latin-1"), 1))
    line = path.read_bytes().split(b"caf\xe9")[0].count(b"\n") + 1
    return rel(site, path), line, "not valid UTF-8"


def non_utf8_data(site):
    path = site.path("content/data/frameworks.csv")
    path.write_bytes(path.read_bytes() + b"Caf\xe9,x,2020,1,1\n")
    return rel(site, path), len(path.read_bytes().splitlines()), "not valid UTF-8"


def empty_article(site):
    path = site.path("content/articles/empty.md")
    path.write_text("")
    return rel(site, path), 0, "the file is empty"


def empty_data(site):
    path = site.path("content/data/empty.json")
    path.write_text("")
    return rel(site, path), 0, "the file is empty"


def template_syntax(site):
    path = site.path("theme/templates/article.html")
    return rel(site, path), append(path, "{% if %}\n"), "template syntax error"


UNSAFE_WIDGET = """PROPS = {"items": ["list", []]}


def render(props):
    return "<p>" + str(len(props["items"])) + "</p>"


def mount(root, props):
    if (count := len(props["items"])) > 0:
        root.dataset.count = f"{count:03d}"
"""


def unsafe_widget(site):
    """A widget that is never used still stops the build: the check runs on every module."""
    path = site.path("widgets/unsafe.py")
    path.write_text(UNSAFE_WIDGET)
    return rel(site, path), "9:9", "walrus"


def unknown_widget(site):
    path = article(site)
    return rel(site, path), append(path, "\n```widget carousel\nspeed: 3\n```\n") - 2, "unknown widget 'carousel'"


def wrong_prop_type(site):
    path = article(site)
    return (rel(site, path), append(path, "\n```widget tabs\ntabs: just one\n```\n") - 2,
            "prop 'tabs' of widget 'tabs' must be list")


def missing_data_file(site):
    path = article(site)
    return (rel(site, path), append(path, "\n```widget table\nrows: data.no_such_table\n```\n") - 2,
            "data.no_such_table does not exist")


def set_field(path, key, value) -> int:
    """Write `Key: value` in the front matter (over the key's line, or as the second line); returns its line."""
    lines = path.read_text().splitlines()
    index = next((i for i, line in enumerate(lines) if line.lower().startswith(f"{key.lower()}:")), None)
    if index is None:
        index = 1
        lines.insert(index, "")
    lines[index] = f"{key}: {value}"
    path.write_text("\n".join(lines) + "\n")
    return index + 1


def long_slug(site):
    path = article(site)
    return rel(site, path), set_field(path, "Slug", "a-slug-" * 40), "more than the 255 a file system allows"


def long_tag(site):
    path = article(site)
    return rel(site, path), set_field(path, "Tags", "fine, " + "long tag " * 35), "the tag 'long tag long tag"


CASES = [malformed_front_matter, invalid_date, unknown_template, duplicate_slug, broken_link, missing_image,
         undefined_data, malformed_csv, malformed_json, malformed_yaml, malformed_toml, non_utf8_article,
         non_utf8_data, empty_article, empty_data, template_syntax, unsafe_widget, unknown_widget, wrong_prop_type,
         missing_data_file, long_slug, long_tag]


@pytest.mark.parametrize("breaks", CASES, ids=[c.__name__ for c in CASES])
def test_bad_input_fails_clearly_and_keeps_the_previous_build(demo_copy, breaks):
    before = demo_copy.output_digest()
    path, line, fragment = breaks(demo_copy)
    result = demo_copy.build("--strict")
    assert result.code == 1
    assert "Traceback" not in result.stderr + result.stdout
    where = f"{path}:{line}: " if line else f"{path}: "
    matching = [l for l in result.lines if l.startswith(where)]
    assert matching, f"expected a line starting {where!r}, got:\n{result.stderr}"
    assert fragment in matching[0]
    assert " — " in matching[0], "each message says how to fix it"
    assert result.lines[-1].startswith("Build failed:") and "left as it was" in result.lines[-1]
    assert demo_copy.output_digest() == before
    assert not list(demo_copy.root.glob(".build-*")), "no staging folder is left behind"


def test_links_and_images_are_only_warnings_without_strict(demo_copy):
    path, line, _ = broken_link(demo_copy)
    result = demo_copy.build()
    assert result.code == 0
    assert f"warning: {path}:{line}: broken link" in result.stderr


def test_every_unsafe_construct_is_reported_at_once_with_line_and_column(demo_copy):
    before = demo_copy.output_digest()
    unsafe_widget(demo_copy)
    result = demo_copy.build()
    assert result.code == 1
    findings = [line for line in result.lines if line.startswith("widgets/unsafe.py:")]
    assert [f.split(": ", 1)[0] for f in findings] == ["widgets/unsafe.py:9:9", "widgets/unsafe.py:10:33"], result.stderr
    assert all(" — " in f for f in findings)
    assert demo_copy.output_digest() == before


def test_a_widget_check_error_is_reported_with_the_sources_problems_and_leaves_no_process(tmp_path):
    """The check runs beside the build (islet.plugin.start_widget_check) while worker processes parse the sources:
    its problems and the sources' are reported together, and no process of the build is left running."""
    import os

    from support.site import make_site

    articles = {f"content/articles/a{n}.md": f"Title: A{n}\nDate: 2026-01-{n + 1:02d}\n\nText {n}.\n" for n in range(24)}
    articles["content/articles/a3.md"] = "Title: A3\nDate: 2026-02-30\n\nText.\n"
    site = make_site(tmp_path / "site", {**articles, "widgets/unsafe.py": UNSAFE_WIDGET})
    result = site.build("--strict")
    assert result.code == 1, result.stdout
    assert any(line.startswith("widgets/unsafe.py:9:9: ") and "walrus" in line for line in result.lines), result.stderr
    assert any(line.startswith("content/articles/a3.md:2: ") and "invalid date" in line for line in result.lines)
    assert "Traceback" not in result.stderr + result.stdout
    def command_line(pid):
        try:
            return open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:                 # (ended meanwhile)
            return ""
    # The build's workers are forks of it: their command line names the site too.
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and str(site.root) in command_line(pid)]
