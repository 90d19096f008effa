"""islet.dev.profile_edit: the stages of a one-edit build of the bench's site, timed without a profiler (in a
process of its own, as the command runs: the clocks stay in place for the rest of the process)."""
from __future__ import annotations

import re
import subprocess
import sys


def test_a_one_edit_build_is_timed_stage_by_stage(tmp_path):
    run = subprocess.run([sys.executable, "-m", "islet.dev.profile_edit", "--articles", "12", "--runs", "1",
                          "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    head, _, *rows = run.stdout.splitlines()
    total, imports = map(float, re.search(r"in this process: ([\d.]+) s .* imports for ([\d.]+) s", head).groups())
    spent = {}
    for row in rows:
        label, cpu, wall = re.fullmatch(r"(.+?)\s+([\d.]+)\s+([\d.]+)", row).groups()
        spent[label.strip()] = (float(cpu), float(wall))
    assert {"Pelican run", "articles read (objects from the caches)", "pages rendered or reused", "link check",
            "caches committed"} <= set(spent)
    assert spent["Pelican run"][1] <= total and 0 < imports < 10
    # stages nest: the render is part of the finalized signal, which is part of Pelican's run
    assert spent["pages rendered or reused"][1] <= spent["finalized: render and islet's output stages"][1]
    assert spent["finalized: render and islet's output stages"][1] <= spent["Pelican run"][1]
    page = tmp_path / "islet" / "build" / "articles" / "bench-00006.html"
    assert "profile-edit-0" in page.read_text(encoding="utf-8")
