"""The README and docs/: the README stays short and opens with the two commands, every link and every
`./dev TASK --flag` it names exists, and each example that is code does what the text around it says:
the widget is the scaffold's and passes the check, the article, data and widget examples build, strictly,
into the pages described, and the error example is what a site broken that way prints."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from support.site import ROOT, make_site

README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^`\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)


def text_of(path: Path, heading: str = "") -> str:
    """The text of `path`, or only its part under `heading` (to the next heading of that level)."""
    text = path.read_text(encoding="utf-8")
    if not heading:
        return text
    start = text.index(heading + "\n")
    end = text.find("\n" + heading.split(" ")[0] + " ", start + len(heading))
    return text[start:end if end >= 0 else len(text)]


def blocks(text: str, info: str) -> list[str]:
    """The fenced code blocks of `text` whose info string starts with `info`, outermost fences only."""
    return [m["body"] for m in FENCE.finditer(text) if m["info"].strip().startswith(info)]


def test_the_readme_is_short_and_opens_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert len(text.encode()) < 10 * 1024
    first = next(FENCE.finditer(text))
    assert first["info"].strip() == "bash" and first["body"].splitlines() == ["./dev build", "./dev test"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_leads_to_a_file(doc):
    text = FENCE.sub("", doc.read_text(encoding="utf-8"))
    targets = [t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:|#", t)]
    assert [t for t in targets if not (doc.parent / t).exists()] == []


def test_every_task_and_flag_the_docs_name_exists_and_the_readme_lists_every_task():
    import tasks

    named = {(m[1], flag) for doc in DOCS for m in re.finditer(r"\./dev ([a-z][a-z-]*)((?: --[a-z][a-z-]*)*)",
                                                                 doc.read_text(encoding="utf-8"))
             for flag in [*m[2].split(), None]}
    missing = []
    for name, flag in sorted(named, key=str):
        task = tasks.namespace.tasks.get(name)
        if task is None:
            missing.append(f"./dev {name}")
        elif flag is not None and not _takes(task.body, flag):
            missing.append(f"./dev {name} {flag}")
    assert missing == []
    tabled = set(re.findall(r"^\| `\./dev ([a-z-]+)", README.read_text(encoding="utf-8"), re.M))
    assert tabled == set(tasks.namespace.tasks), "the README's task table lists every task, once"


def test_every_setting_islet_reads_is_in_the_configuration_reference():
    """Names of settings and environment variables in the engine's source, against the reference's tables."""
    internal = {"ISLET_INPUTS", "ISLET_FINDINGS", "ISLET_HEAD_START", "ISLET_ROOT", "ISLET_CONFIG_FILE",  # the driver's
                "ISLET_PUBLISH_STOP_AFTER"}                                           # the interruption tests'
    read = {name for path in (ROOT / "islet").rglob("*.py")
            for name in re.findall(r"[\"'](ISLET_[A-Z_]+)[\"']", path.read_text(encoding="utf-8"))} - internal
    reference = text_of(ROOT / "docs" / "configuration.md")
    documented = set(re.findall(r"^\| `(ISLET_[A-Z_]+)`", reference, re.M))
    assert read == documented
    assert "| `SITE_ORIGIN` |" in reference


def test_the_message_the_reference_quotes_is_the_one_a_wrong_setting_gives(tmp_path):
    [quoted] = re.findall(r"\(`(pelicanconf\.py: setting [^`]+)`\)", text_of(ROOT / "docs" / "configuration.md"))
    site = make_site(tmp_path / "site", {"content/articles/fine.md": "Title: Fine\nDate: 2026-03-01\n\nText.\n"})
    settings = site.path("pelicanconf.py")
    settings.write_text(settings.read_text(encoding="utf-8") + '\nISLET_STRICT = "yes"\n', encoding="utf-8")
    built = site.build()
    assert (built.code, built.lines[0]) == (1, quoted)


def test_the_publish_settings_of_the_docs_are_read_as_written(tmp_path):
    from islet.publish.command import read_settings
    from islet.publish.plan import parse_target

    [example] = blocks(text_of(ROOT / "docs" / "publishing.md"), "python")
    (tmp_path / "publishconf.py").write_text(example, encoding="utf-8")
    read = read_settings(tmp_path, "publishconf.py")
    written = {}
    exec(example, written)
    assert (read.target, read.endpoint_url, read.max_deletes, read.cloudfront_distribution) == (
        written["ISLET_PUBLISH_TARGET"], written["ISLET_PUBLISH_ENDPOINT"], written["ISLET_PUBLISH_MAX_DELETES"],
        written["ISLET_PUBLISH_CLOUDFRONT_DISTRIBUTION"])
    assert str(parse_target(read.target)) == read.target


def _takes(body, flag: str) -> bool:
    """Whether invoke gives the task `flag`: its parameter, or --no-X for a parameter X that defaults to True."""
    parameters = inspect.signature(body).parameters
    name = flag[2:].replace("-", "_")
    negated = name.removeprefix("no_")
    return name in parameters or (name != negated and parameters.get(negated) is not None
                                  and parameters[negated].default is True)


def test_the_widget_of_the_docs_is_the_one_the_scaffold_writes_and_it_passes_the_check():
    from islet.dev.scaffold import WIDGET
    from islet.islands.check import check_source

    [example] = [b for b in blocks(text_of(ROOT / "docs" / "widgets.md"), "python") if "def mount(" in b]
    assert example == WIDGET.format(name="vote_counter", css="vote-counter")
    assert check_source(example, "widgets/vote_counter.py") == []


def test_the_examples_build_strictly_into_the_pages_they_describe(tmp_path):
    [article] = blocks(text_of(README, "## Writing an article"), "markdown")
    [uses_data] = blocks(text_of(ROOT / "docs" / "data.md"), "markdown")
    [places_widget] = blocks(text_of(README, "## Embedding a widget"), "markdown")
    site = make_site(tmp_path / "site", {
        "content/articles/my-article.md": article,
        "content/articles/other-article.md": "Title: Other article\nDate: 2026-03-01\n\nThe one linked to.\n",
        "content/images/islands-diagram.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"/>\n',
        "content/articles/figures.md": ("Title: Figures\nDate: 2026-03-02\n\n" + uses_data + "\n"
                                        + places_widget),
        "content/data/frameworks.csv": "name,requests_per_second\nFlask,12345\nDjango,9876\n",
        "content/data/site.toml": "[survey]\npython_share = 51\n",
    })
    built = site.build("--strict")
    assert built.code == 0, built.stderr
    page = site.path("build/articles/islands-not-continents.html").read_text(encoding="utf-8")
    assert 'href="../articles/other-article.html"' in page and 'width="40" height="30"' in page and "{filename}" not in page
    figures = site.path("build/articles/figures.html").read_text(encoding="utf-8")
    assert "Python was used by 51% of respondents." in figures
    assert re.search(r"<td>Flask</td>\s*<td[^>]*>12,345</td>", figures), figures
    assert 'data-islet="table"' in figures and "Python web frameworks" in figures       # the widget's island


def test_the_failure_examples_are_what_sites_broken_that_way_print(tmp_path):
    articles, data = blocks(text_of(ROOT / "docs" / "content.md", "## When the build fails"), "text")
    broken_articles = make_site(tmp_path / "articles", {
        "content/articles/islands.md": "Title: Islands\nDate: 2026-02-30\n\nText.\n",
        "content/articles/tabs.md": "Tags: widgets\nDate: 2026-03-01\n\nNo title.\n",
    })
    broken_data = make_site(tmp_path / "data", {
        "content/articles/fine.md": "Title: Fine\nDate: 2026-03-01\n\nText.\n",
        "content/data/frameworks.csv": "name,year,stars,license,language\n"
                                       + "".join(f"f{i},2020,{i},MIT,Python\n" for i in range(7))
                                       + "f7,2020,7,MIT,Python,extra\n",
    })
    for site, expected in ((broken_articles, articles), (broken_data, data)):
        built = site.build()
        assert (built.code, built.lines) == (1, expected.splitlines())
