"""islet.store: cache entries in one SQLite file, shared by forked processes."""
import multiprocessing

from islet.store import Store


def test_put_get_has_delete(tmp_path):
    store = Store(tmp_path / "cache" / "render.sqlite")
    assert store.get("a") is None and not store.has("a")
    store.put("a", b"<p>A</p>")
    store.put("b", b"B")
    store.put("a", b"<p>A again</p>")               # the same key: replaced
    assert store.get("a") == b"<p>A again</p>" and store.has("b")
    store.delete(["b", "never-there"])
    assert not store.has("b") and store.has("a")
    assert Store(tmp_path / "cache" / "render.sqlite").get("a") == b"<p>A again</p>", "another connection sees it"


def test_a_file_that_is_not_a_database_is_replaced(tmp_path):
    path = tmp_path / "reader.sqlite"
    path.write_bytes(b"this is not SQLite " * 100)
    store = Store(path)
    assert store.get("x") is None
    store.put("x", b"1")
    assert Store(path).get("x") == b"1"


def _write_many(store: Store, prefix: str) -> None:
    for number in range(200):
        store.put(f"{prefix}{number}", prefix.encode() * number)


def test_forked_processes_write_at_once_and_the_parent_keeps_working(tmp_path):
    store = Store(tmp_path / "render.sqlite")
    store.put("parent-before", b"1")
    store.close()                                     # the rule: no open connection crosses a fork
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_write_many, args=(store, prefix)) for prefix in ("x", "y")]
    for child in children:
        child.start()
    _write_many(store, "z")
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    store.put("parent-after", b"2")
    fresh = Store(tmp_path / "render.sqlite")
    assert all(fresh.get(f"{p}{n}") == p.encode() * n for p in "xyz" for n in range(200))
    assert fresh.get("parent-before") == b"1" and fresh.get("parent-after") == b"2"


def _use_inherited(store: Store, results) -> None:
    results.put((store.get("k"), store.has("k")))
    store.put("from-child", b"x")


def test_a_connection_inherited_across_fork_is_never_used(tmp_path):
    store = Store(tmp_path / "render.sqlite")
    store.put("k", b"v")                              # open in the parent: a fork now must not touch the file
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_use_inherited, args=(store, results))
    child.start()
    child.join(60)
    assert child.exitcode == 0 and results.get(timeout=5) == (None, False)   # a cache miss, not a shared lock
    assert store.get("k") == b"v" and not store.has("from-child")


def test_a_body_that_does_not_match_its_hash_is_a_miss(tmp_path):
    import sqlite3

    store = Store(tmp_path / "render.sqlite")
    store.put("k", b"the page")
    store.close()
    with sqlite3.connect(tmp_path / "render.sqlite") as db:
        db.execute("UPDATE entries SET body = ? WHERE key = 'k'", (b"another page",))
    assert Store(tmp_path / "render.sqlite").get("k") is None


def test_an_older_layout_is_replaced(tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "render.sqlite") as db:
        db.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, body BLOB NOT NULL)")
        db.execute("INSERT INTO entries VALUES ('k', x'00')")
    store = Store(tmp_path / "render.sqlite")
    assert store.get("k") is None
    store.put("k", b"new")
    assert store.get("k") == b"new"
