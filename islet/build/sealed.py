"""Cache entries stored whole and used only while intact: the widget compiler's and the bundler's folders, and
Jinja's compiled templates, and islet.build.memo's files.

    store(made, target)     seal the folder `made` and rename it to `target`
    intact(target)          whether `target` still holds exactly what was sealed
    checked(body)           a file's bytes with their digest ahead; opened(data) gives them back, or None
    BytecodeCache(folder)   Jinja's FileSystemBytecodeCache, each file `checked`

An entry is made aside and renamed into place, so islet never leaves one half-written. It is used only
while it holds exactly the bytes it was sealed with: a file truncated, damaged or deleted since (a full
disk, a machine that crashed, a hand tidying up) makes it a miss, and the work is done again, instead of the
damage being copied into every later build's output, or, for a compiled template, run: one changed byte
of marshalled code can crash the interpreter.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

from jinja2 import FileSystemBytecodeCache

from .fingerprint import atomic_write

SEAL = ".seal.json"          # in the entry: {path relative to it: sha256 of the file}
DIGEST = 32                  # bytes of a sha256, ahead of a `checked` file's body


def store(made: Path, target: Path) -> None:
    """Seal the folder `made` and move it to `target` (on the same file system) in one rename. An intact entry
    another build stored there first is kept (it has the same content); anything else there is replaced."""
    files = _files(made)
    (made / SEAL).write_text(json.dumps({name: _digest(path) for name, path in files.items()}, sort_keys=True),
                             encoding="utf-8")
    if target.exists() and not intact(target):
        shutil.rmtree(target, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.replace(made, target)


def intact(folder: Path) -> bool:
    """Whether `folder` holds exactly the files its seal lists, with those bytes (False without a seal)."""
    try:
        sealed = json.loads((folder / SEAL).read_text(encoding="utf-8"))
        files = _files(folder)
        return (isinstance(sealed, dict) and files.keys() == sealed.keys()
                and all(_digest(path) == sealed[name] for name, path in files.items()))
    except (OSError, ValueError):
        return False


def _files(folder: Path) -> dict[str, Path]:
    found = {path.relative_to(folder).as_posix(): path for path in folder.rglob("*") if not path.is_dir()}
    found.pop(SEAL, None)
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checked(body: bytes) -> bytes:
    """`body` as a file of a cache holds it: its sha256 first."""
    return hashlib.sha256(body).digest() + body


def opened(data: bytes) -> memoryview | None:
    """The body of a `checked` file's `data`; None when it does not match its digest (damaged since)."""
    body = memoryview(data)[DIGEST:]
    return body if len(data) > DIGEST and hashlib.sha256(body).digest() == data[:DIGEST] else None


class BytecodeCache(FileSystemBytecodeCache):
    """Jinja's cache of compiled templates (it checks each against its template's source), each file `checked`:
    one that does not match is a miss, and the template is compiled again."""

    def load_bytecode(self, bucket) -> None:
        try:
            body = opened(Path(self._get_cache_filename(bucket)).read_bytes())
        except OSError:
            return
        if body is not None:
            bucket.load_bytecode(io.BytesIO(body))

    def dump_bytecode(self, bucket) -> None:
        body = io.BytesIO()
        bucket.write_bytecode(body)
        with contextlib.suppress(OSError):
            atomic_write(Path(self._get_cache_filename(bucket)), checked(body.getvalue()))
