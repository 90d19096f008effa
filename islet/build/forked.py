"""Work done in a forked process while this one goes on (the widget check, beside the reading of the sources).

A fork rather than a pool: no thread is started in this process (a pool's would be inherited, half-running,
by the processes the build forks later to parse and to render), and the process ends with its work, giving
back the memory it took (the type checker's 50 MB).
"""
from __future__ import annotations

import gc
import os
import pickle
import signal


class Forked:
    """function(*args), worked out in a forked process (whose memory is given back when it ends) while this one
    goes on; `result()` waits for it. Where processes cannot fork, worked out at once, here."""

    def __init__(self, function, *args):
        self.pid = None
        if not hasattr(os, "fork"):
            self.outcome = self._run(function, args)
            return
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid:
            os.close(write)
            self.pipe = read
            return
        try:                              # in the child, from here on: never returns
            os.close(read)
            # It ends with its work, which gives its memory back: a collection would only walk (and copy) the heap
            # it inherited. (Code that frees memory for a long-running process asks gc.isenabled() first.)
            gc.disable()
            outcome = self._run(function, args)
            try:
                body = pickle.dumps(outcome)
            except Exception as error:
                body = pickle.dumps((False, RuntimeError(f"{function.__name__} failed: {error!r}")))
            with os.fdopen(write, "wb") as out:
                out.write(body)
        finally:
            os._exit(0)

    @staticmethod
    def _run(function, args) -> tuple[bool, object]:
        try:
            return True, function(*args)
        except Exception as error:
            return False, error

    def cancel(self) -> None:
        """Stop the process, unless `result` was had (a build that fails before it needs the result)."""
        if self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            os.close(self.pipe)
            self.pid = None

    def result(self):
        if self.pid is not None:
            with os.fdopen(self.pipe, "rb") as handle:
                body = handle.read()
            os.waitpid(self.pid, 0)
            self.pid = None
            self.outcome = pickle.loads(body) if body else (False, RuntimeError("the forked process stopped"))
        worked, value = self.outcome
        if not worked:
            raise value
        return value
