"""Bench: the corpus is deterministic and valid, the instrument measures, a run writes complete JSON.

No timing assertions: the figures belong to `invoke bench`, not to the test suite.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from islet.dev import bench


def corpus_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "articles").glob("*.md"))}


def test_corpus_is_deterministic_and_seeded(tmp_path):
    bench.generate_corpus(tmp_path / "a", 30)
    bench.generate_corpus(tmp_path / "b", 30)
    bench.generate_corpus(tmp_path / "c", 30, seed=7)
    a = corpus_bytes(tmp_path / "a")
    assert len(a) == 30 and a == corpus_bytes(tmp_path / "b")
    assert a != corpus_bytes(tmp_path / "c")


def test_corpus_articles_are_complete_and_links_valid(tmp_path):
    paths = bench.generate_corpus(tmp_path, 60)
    text = "\n".join(p.read_text(encoding="utf-8") for p in paths)
    assert "```python" in text and "```js" in text and "\n## " in text and "\n- " in text
    for path in paths:
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        meta = dict(line.split(": ", 1) for line in head.splitlines())
        assert set(meta) == {"Title", "Date", "Category", "Tags", "Slug", "Summary"}
        assert meta["Category"] in bench.CATEGORIES
        assert 1 <= len(meta["Tags"].split(", ")) <= 4 and set(meta["Tags"].split(", ")) <= set(bench.TAGS)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", meta["Date"])
        assert "{{" not in body and "{%" not in body and "{#" not in body      # islet runs bodies through Jinja
        for target in re.findall(r"\{filename\}/articles/([\w-]+\.md)", body):
            assert (tmp_path / "articles" / target).is_file()
    slugs = [p.read_text().split("Slug: ")[1].split("\n")[0] for p in paths]
    assert len(set(slugs)) == len(slugs)


def test_measure_reports_time_and_peak_memory_of_the_process(tmp_path):
    hog = bench.Tool("hog", tmp_path, (sys.executable, "-c", "import time; b = b'x' * (150 << 20); time.sleep(0.2)"),
                     tmp_path / "out", ())
    sample = bench.measure(hog, "cold", tmp_path / "hog.log")
    assert sample.peak_rss_mb >= 150 and sample.seconds >= 0.2 and sample.cpu_seconds > 0


def test_a_failing_build_stops_the_bench(tmp_path):
    broken = bench.Tool("broken", tmp_path, (sys.executable, "-c", "print('boom'); raise SystemExit(3)"),
                        tmp_path / "out", ())
    with pytest.raises(bench.BenchError) as error:
        bench.measure(broken, "noop", tmp_path / "broken.log")
    assert "exit 3" in str(error.value) and "rebuild, nothing changed" in str(error.value)


def test_bench_runs_both_tools_and_writes_well_formed_json(tmp_path, capsys):
    path = bench.run_and_report(articles=20, repeat=1, json_path=tmp_path / "bench.json", workdir=tmp_path / "work")
    result = json.loads(path.read_text())
    assert result["articles"] == 20 and result["repeat"] == 1 and result["corpus_bytes"] > 0
    assert {"cpus", "python", "pelican", "platform"} <= set(result["machine"])
    for name in ("pelican", "islet"):
        tool = result["tools"][name]
        assert tool["html_pages"] >= 20 and tool["peak_rss_mb"] > 0 and tool["command"]
        assert set(tool["phases"]) == {"cold", "noop", "edit"}
        for phase in tool["phases"].values():
            assert len(phase["seconds"]) == 1 and phase["median_seconds"] > 0 and len(phase["peak_rss_mb"]) == 1
            assert phase["median_cpu_seconds"] > 0 and len(phase["load_average"]) == 1
    assert set(result["ratios"]) == {"cold", "noop", "edit", "cold_cpu", "noop_cpu", "edit_cpu", "peak_rss"}
    assert all(isinstance(v, float) for v in result["ratios"].values())
    # what cold builds must not find was set aside, and deleted once every build was timed
    assert not (tmp_path / "work/set-aside").exists()
    cold = (tmp_path / "work/logs/islet-0-cold.log").read_text()
    assert "0 pages with unchanged inputs, 0 from the render cache" in cold
    # the edit really reached both outputs
    assert "bench-edit-0" in (tmp_path / "work/pelican/out/bench-00010.html").read_text()
    assert "bench-edit-0" in (tmp_path / "work/islet/build/articles/bench-00010.html").read_text()
    # the edits rebuilt through the build server reached the output too (the bench checks they went through it)
    served = result["tools"]["islet"]["with_server"]
    assert set(served) == {"cold", "edit"}
    assert all(len(p["seconds"]) == 1 and p["median_seconds"] > 0 and p["ratio"] > 0 for p in served.values())
    assert "bench-edit-warm-1" in (tmp_path / "work/islet/build/articles/bench-00010.html").read_text()
    # and the livereload edit reached the open page (checked by the bench), then build/
    live = result["tools"]["islet"]["livereload"]
    assert len(live["shown_seconds"]) == 1 and 0 < live["median_shown_seconds"] <= live["median_built_seconds"]
    assert "bench-live-0" in (tmp_path / "work/islet/build/articles/bench-00010.html").read_text()
    printed = capsys.readouterr().out
    for label in ("cold full build", "rebuild, nothing changed", "rebuild, one article edited", "peak memory",
                  "with islet's build server running",
                  "livereload: edit shown on the open page"):
        assert label in printed


def test_a_work_folder_of_a_previous_run_is_refused_with_a_message(tmp_path, capsys):
    """`--workdir` names a new folder: one holding a previous run would mix two runs' sites (and the builds would
    not be cold), so the bench and the profile say so, with exit 1, before anything is written."""
    from islet.dev import profile_edit

    (tmp_path / "old" / "corpus").mkdir(parents=True)
    assert bench.new_workdir(tmp_path / "new") == tmp_path / "new" and bench.new_workdir(tmp_path / "old" / "corpus")
    for command in (bench.main, profile_edit.main):
        assert command(["--articles", "3", "--workdir", str(tmp_path / "old")]) == 1
        said = capsys.readouterr().err
        assert said.startswith(f"{tmp_path / 'old'}: the work folder holds a previous run") and "Traceback" not in said
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["corpus"]
