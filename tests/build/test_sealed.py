"""islet.build.sealed: a cache folder, or a compiled template, is used only while it holds exactly what was stored."""
from __future__ import annotations

import subprocess
import sys

import pytest

from islet.build import sealed


def made(tmp_path, name="made"):
    folder = tmp_path / name
    (folder / "chunks").mkdir(parents=True)
    (folder / "a.js").write_text("export const a = 1;")
    (folder / "chunks" / "b.js").write_text("export const b = 2;")
    (folder / "a.js.map").write_text("{}")
    return folder


def test_a_stored_folder_is_intact_and_moved_whole(tmp_path):
    target = tmp_path / "cache" / "key"
    target.parent.mkdir()
    sealed.store(made(tmp_path), target)
    assert not (tmp_path / "made").exists() and sealed.intact(target)
    assert (target / "chunks" / "b.js").read_text() == "export const b = 2;"


@pytest.mark.parametrize("damage", [
    lambda t: (t / "a.js").write_text("export const a = 1"),            # truncated
    lambda t: (t / "a.js").write_text("export const a = 2;"),           # changed, same size
    lambda t: (t / "a.js.map").unlink(),                                 # deleted
    lambda t: (t / "chunks" / "c.js").write_text(""),                   # a file nobody stored
    lambda t: (t / sealed.SEAL).write_text("{"),                         # the seal itself
    lambda t: (t / sealed.SEAL).unlink(),                                # an entry of an older islet
])
def test_any_change_since_it_was_stored_makes_it_a_miss(tmp_path, damage):
    target = tmp_path / "key"
    sealed.store(made(tmp_path), target)
    damage(target)
    assert not sealed.intact(target)
    sealed.store(made(tmp_path, "again"), target)          # stored again over the damaged one
    assert sealed.intact(target) and (target / "a.js").read_text() == "export const a = 1;"


def test_an_intact_entry_stored_first_by_another_build_is_kept(tmp_path):
    target = tmp_path / "key"
    sealed.store(made(tmp_path), target)
    first = (target / "a.js").stat().st_ino
    sealed.store(made(tmp_path, "second"), target)
    assert (target / "a.js").stat().st_ino == first and sealed.intact(target)


def test_a_missing_folder_is_not_intact(tmp_path):
    assert not sealed.intact(tmp_path / "nothing")


FLIP_EVERY_BYTE = """
import pathlib, sys
import jinja2
from islet.build import sealed

folder = pathlib.Path(sys.argv[1])
(folder / "t.html").write_text("{% for x in items %}<b>{{ x|upper }}</b>{% endfor %}")
def render():
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder),
                             bytecode_cache=sealed.BytecodeCache(str(folder / "cache")))
    return env.get_template("t.html").render(items=[1, 2])
(folder / "cache").mkdir()
render()
[cached] = (folder / "cache").iterdir()
pristine = cached.read_bytes()
for index in range(len(pristine)):
    damaged = bytearray(pristine)
    damaged[index] ^= 0x5A
    cached.write_bytes(bytes(damaged))
    assert render() == "<b>1</b><b>2</b>", index
print(len(pristine))
"""


def test_a_compiled_template_with_any_byte_changed_is_compiled_again(tmp_path):
    """With Jinja's own cache, one of these changes makes marshal load bytecode that crashes the interpreter
    (found by tests/build/test_damaged_caches.py). In a process of its own, so that a crash fails only this test."""
    run = subprocess.run([sys.executable, "-c", FLIP_EVERY_BYTE, str(tmp_path)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and int(run.stdout) > 1000, run.stderr
