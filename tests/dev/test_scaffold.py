"""islet.dev.scaffold: `invoke new-widget NAME` gives a widget that builds, hydrates and passes its own tests."""
from __future__ import annotations

import subprocess
import sys

import pytest

from islet.dev.scaffold import ScaffoldError, new_widget, plan
from support.site import ROOT, copy_site


@pytest.mark.parametrize("name", ["Vote", "1st", "class", "vote-counter", ""])
def test_unusable_names_are_refused_with_a_fix(tmp_path, name):
    with pytest.raises(ScaffoldError) as error:
        plan(tmp_path, name)
    assert "use lowercase letters, digits and _" in str(error.value)


def test_existing_files_are_never_overwritten(tmp_path):
    (tmp_path / "widgets").mkdir()
    (tmp_path / "widgets" / "poll.py").write_text("# mine\n")
    with pytest.raises(ScaffoldError) as error:
        new_widget(tmp_path, "poll")
    assert "widgets/poll.py: exists already" in str(error.value)
    assert (tmp_path / "widgets" / "poll.py").read_text() == "# mine\n"
    assert not (tmp_path / "tests").exists(), "nothing is written when the plan is refused"


def test_the_task_is_listed():
    listed = subprocess.run([sys.executable, "-m", "invoke", "--list"], cwd=ROOT, capture_output=True, text=True)
    assert "new-widget" in listed.stdout


def test_a_scaffolded_widget_builds_and_passes_its_generated_tests(tmp_path):
    site = copy_site(tmp_path / "site")
    written = new_widget(site.root, "vote_counter")
    assert [p.relative_to(site.root).as_posix() for p in written] == [
        "widgets/vote_counter.py", "tests/test_widget_vote_counter.py"]
    article = site.path("content/articles/votes.md")
    article.write_text("Title: Votes\nDate: 2025-01-02\nCategory: Tests\n\n```widget vote_counter\nlabel: Votes\n"
                       "start: 3\ntrigger: load\n```\n")
    built = site.build("--strict")
    assert built.code == 0, built.stderr
    html = site.path("build/articles/votes.html").read_text()
    assert 'data-islet="vote_counter"' in html and "<output>Votes: 3</output>" in html
    assert "articles/votes.html" in built.stdout and "vote_counter" in built.stdout   # in the budget table
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests/test_widget_vote_counter.py"], cwd=site.root, capture_output=True, text=True,
                           timeout=600)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "5 passed" in tests.stdout          # the property-based test of render() among them
