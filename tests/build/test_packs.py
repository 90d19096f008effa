"""islet.build.packs: cache entries in append-only files, one per writing process, found through an index."""
from __future__ import annotations

import json
import os

from islet.build.packs import Pack


def test_entries_come_back_and_unknown_keys_are_misses(tmp_path):
    pack = Pack(tmp_path, "site", {})
    pack.put("a", b"first")
    pack.put("b", b"second" * 1000)
    assert pack.get("a") == b"first" and pack.get("b") == b"second" * 1000
    assert pack.get("c") is None and "a" in pack and "c" not in pack
    assert len(list(tmp_path.glob("site-*.pack"))) == 1, "one process, one pack"


def test_a_later_build_finds_what_the_manifest_kept(tmp_path):
    first = Pack(tmp_path, "site", {})
    first.put("a", b"alpha")
    index = first.keep({"a"})
    assert Pack(tmp_path, "site", index).get("a") == b"alpha"


def test_a_forked_process_writes_its_own_pack_and_reports_it(tmp_path):
    pack = Pack(tmp_path, "site", {})
    pack.put("parent", b"from the parent")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                       # the child: as a render helper or parse worker
        pack.added = {}
        pack.put("child", b"from the child")
        os.write(write, json.dumps(pack.added).encode())
        os._exit(0)
    os.close(write)
    added = json.loads(os.read(read, 10000))
    os.waitpid(pid, 0)
    pack.merge(added)
    assert len(list(tmp_path.glob("site-*.pack"))) == 2, "the child appended to the parent's pack"
    assert pack.get("child") == b"from the child" and pack.get("parent") == b"from the parent"


def test_damaged_or_missing_packs_are_misses(tmp_path):
    pack = Pack(tmp_path, "site", {})
    pack.put("a", b"alpha")
    pack.put("b", b"bravo")
    index = pack.keep({"a", "b"})
    name = index["a"][0]
    body = bytearray((tmp_path / name).read_bytes())
    body[0] ^= 0xFF                                    # a flipped bit in "alpha"
    (tmp_path / name).write_bytes(bytes(body))
    damaged = Pack(tmp_path, "site", index)
    assert damaged.get("a") is None and damaged.get("b") == b"bravo"
    (tmp_path / name).unlink()
    assert Pack(tmp_path, "site", index).get("b") is None


def test_keep_deletes_this_outputs_unused_packs_only(tmp_path):
    old = Pack(tmp_path, "site", {})
    old.put("gone", b"an entry the next build does not use")
    old.close()
    other = Pack(tmp_path, "other-site", {})
    other.put("theirs", b"another output folder's entry")
    other.close()
    new = Pack(tmp_path, "site", {})
    new.put("kept", b"used")
    index = new.keep({"kept"})
    assert sorted(p.name.split("-")[0] for p in tmp_path.glob("*.pack")) == ["other", "site"]
    assert Pack(tmp_path, "site", index).get("kept") == b"used"


def test_a_pack_of_mostly_dead_entries_is_rewritten(tmp_path):
    pack = Pack(tmp_path, "site", {})
    pack.put("live", b"L" * 1000)
    for n in range(10):
        pack.put(f"dead{n}", os.urandom(1 << 20))      # 10 MB nobody uses any more
    index = pack.keep({"live"})
    files = list(tmp_path.glob("site-*.pack"))
    assert len(files) == 1 and files[0].stat().st_size == 1000
    assert Pack(tmp_path, "site", index).get("live") == b"L" * 1000
