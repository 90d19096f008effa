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
    store.put("parent-before", b"1")                  # the parent's connection is open when the children fork
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
