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


NAME = "scaffold_probe_zq"   # a name no site widget has: an author may scaffold vote_counter in this very checkout


def test_a_scaffolded_widget_builds_and_passes_its_generated_tests(tmp_path):
    site = copy_site(tmp_path / "site")
    written = new_widget(site.root, NAME)
    assert [p.relative_to(site.root).as_posix() for p in written] == [
        f"widgets/{NAME}.py", f"tests/test_widget_{NAME}.py"]
    article = site.path("content/articles/scaffold-probe.md")
    article.write_text(f"Title: Scaffold probe\nSlug: scaffold-probe-zq\nDate: 2025-01-02\nCategory: Tests\n\n"
                       f"```widget {NAME}\nlabel: Votes\nstart: 3\ntrigger: load\n```\n")
    built = site.build("--strict")
    assert built.code == 0, built.stderr
    html = site.path("build/articles/scaffold-probe-zq.html").read_text()
    assert f'data-islet="{NAME}"' in html and "<output>Votes: 3</output>" in html
    assert "articles/scaffold-probe-zq.html" in built.stdout and NAME in built.stdout   # in the budget table
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            f"tests/test_widget_{NAME}.py"], cwd=site.root, capture_output=True, text=True,
                           timeout=600)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "5 passed" in tests.stdout          # the property-based test of render() among them
