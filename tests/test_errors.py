"""islet.errors.time_limit: a block that runs past its limit is stopped, even when the first alarm lands where
Python can only print an exception; a block within its limit leaves no timer behind."""
from __future__ import annotations

import gc
import signal
import time

import pytest

from islet.errors import TimeLimitExceeded, time_limit


def test_a_block_past_its_limit_is_stopped():
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.1):
            time.sleep(5)
    assert time.monotonic() - started < 1
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")   # the lost first alarm
def test_an_alarm_lost_in_a_garbage_collector_callback_comes_again():
    def slow(phase, info):              # the alarm fires in here, where a raise is printed and dropped
        if phase == "start":
            time.sleep(0.3)

    gc.callbacks.append(slow)
    started = time.monotonic()
    try:
        with pytest.raises(TimeLimitExceeded):
            with time_limit(0.1):
                gc.collect()
                gc.callbacks.remove(slow)
                time.sleep(5)           # without a second alarm the block would run to its end
    finally:
        if slow in gc.callbacks:
            gc.callbacks.remove(slow)
    assert time.monotonic() - started < 1.5
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_block_within_its_limit_leaves_no_timer_and_an_outer_limit_goes_on():
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.5):
            with time_limit(5):
                time.sleep(0.05)
            assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 0.5
            time.sleep(5)
    with time_limit(1):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
