"""islet.build.driver: what the driver sets up around a build (the builds themselves: tests/test_cli.py,
tests/test_bad_input.py, tests/build/test_incremental.py)."""
import gc

import pytest

from islet.build.driver import fewer_collections


def test_the_cycle_collector_runs_less_often_during_a_build_and_as_before_after_it():
    before = gc.get_threshold()
    with fewer_collections():
        during = gc.get_threshold()
    assert during[0] >= 10 * before[0] and gc.get_threshold() == before
    with pytest.raises(ValueError), fewer_collections():       # a failed build too (livereload goes on after it)
        raise ValueError("broken")
    assert gc.get_threshold() == before
