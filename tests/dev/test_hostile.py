"""islet.dev.hostile: the audit of hostile sources, on three of its cases (the whole list: ./dev hostile)."""
from islet.dev import hostile


def test_each_kind_of_case_fails_clearly_or_builds_and_the_table_says_so(tmp_path):
    outcomes = hostile.run(["zone", "anchors", "brackets"], seconds=120, workdir=tmp_path)
    assert [(o.name, o.code, o.traceback) for o in outcomes] == [("zone", 1, False), ("anchors", 0, False),
                                                                  ("brackets", 1, False)]
    assert outcomes[0].first.startswith("content/articles/a.md:2: invalid date")
    assert outcomes[2].first.startswith("content/articles/a.md:4: Markdown needs more than 2 s")
    assert all(o.passed for o in outcomes) and "FAILS" not in hostile.table(outcomes)


def test_a_hang_or_a_traceback_fails_the_audit():
    hung = hostile.Outcome("x", None, 120.0, "still running after 120 s", False)
    crashed = hostile.Outcome("y", 1, 1.0, "islet: internal error: OSError", True)
    unnamed = hostile.Outcome("z", 1, 1.0, "Build failed: 1 problem.", False)
    assert not any(o.passed for o in (hung, crashed, unnamed))
    assert hostile.table([hung]).endswith("<< FAILS")
