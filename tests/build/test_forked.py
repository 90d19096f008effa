"""islet.build.forked: work done in a forked process, its value or its error brought back."""
import os
import time

import pytest

from islet.build.forked import Forked


def test_forked_work_runs_beside_this_process_and_brings_back_its_value_or_its_error():
    started = Forked(os.getpid)
    assert started.result() not in (os.getpid(), None)
    with pytest.raises(ValueError, match="not a number"):
        Forked(int, "not a number").result()
    with pytest.raises(RuntimeError, match="failed"):      # a value that cannot be sent back is an error too
        Forked(lambda: (lambda: 1)).result()


def test_forked_work_a_failed_build_no_longer_needs_is_stopped():
    started = time.monotonic()
    sleeper = Forked(time.sleep, 30)
    pid = sleeper.pid
    assert os.path.exists(f"/proc/{pid}")
    sleeper.cancel()
    sleeper.cancel()                                     # (idempotent: Session.close may run it after on_read did)
    assert not os.path.exists(f"/proc/{pid}") and time.monotonic() - started < 10


def test_the_forked_process_runs_without_the_collector_and_this_one_keeps_it():
    """It ends with its work: a collection there would only walk the heap it inherited (the type checker's
    explicit one took 0.16 s of a cold build's fork)."""
    import gc

    assert gc.isenabled()
    assert Forked(gc.isenabled).result() is False
    assert gc.isenabled()
