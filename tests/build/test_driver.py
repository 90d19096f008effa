"""islet.build.driver: what the driver sets up around a build (the builds themselves: tests/test_cli.py,
tests/test_bad_input.py, tests/build/test_incremental.py)."""
import gc

import pytest

from islet.build.driver import fewer_collections


def test_the_cycle_collector_runs_less_often_during_a_build_and_as_before_after_it():
    saved = gc.get_threshold()
    # Python's defaults (a type check run in this process before, mypy's, leaves its own)
    gc.set_threshold(700, 10, 10)
    try:
        with fewer_collections():
            during = gc.get_threshold()
        assert during[0] >= 10 * 700 and gc.get_threshold() == (700, 10, 10)
        with pytest.raises(ValueError), fewer_collections():       # a failed build too (livereload goes on after it)
            raise ValueError("broken")
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*saved)


HEAD_START = '''
import json, sys
from pathlib import Path
from islet.build.driver import BuildPlan, build

calls = []


class Started:
    def result(self):
        calls.append("result")
        return []

    def cancel(self):
        calls.append("cancel")


def head_start(root, changed):
    changed = None if changed is None else sorted(changed)
    calls.append({"pelican imported": "pelican" in sys.modules, "changed": changed})
    return Started()


build(BuildPlan(Path(sys.argv[1]), head_start=head_start))
print(json.dumps(calls))
'''


def test_the_head_start_runs_before_pelican_is_imported_and_the_plugin_takes_what_it_started(tmp_path):
    """BuildPlan.head_start (islet.__main__ starts the widget check with it, islet.islands.check.start_site_check)
    runs before Pelican is imported, told which input parts changed since the build that wrote the output; the
    plugin takes what it started as its widget check (and waits for its result); the build cancels it as it ends."""
    import json
    import subprocess
    import sys

    from support.site import make_site

    site = make_site(tmp_path / "site", {"content/articles/a.md": "Title: A\nDate: 2026-01-01\n\nText.\n"})
    script = tmp_path / "head_start.py"
    script.write_text(HEAD_START, encoding="utf-8")

    def build():
        run = subprocess.run([sys.executable, str(script), str(site.root)], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.splitlines()[-1])

    first, *rest = build()
    assert first == {"pelican imported": False, "changed": None}
    assert rest[0] == "result" and set(rest[1:]) == {"cancel"}       # (Forked.cancel does nothing after a result)
    site.path("content/articles/a.md").write_text("Title: A\nDate: 2026-01-01\n\nOther text.\n", encoding="utf-8")
    second = build()[0]
    assert second["pelican imported"] is False and second["changed"] and "widgets" not in second["changed"]
    assert "islet" not in second["changed"]
