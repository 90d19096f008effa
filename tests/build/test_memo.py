"""islet.build.memo: results remembered between builds by the texts or the file they are of."""
import os

from islet.build.memo import Memo, file_identity, rewrite, settled_files


def count_calls(function):
    def counted(*args, **kwargs):
        counted.calls += 1
        return function(*args, **kwargs)
    counted.calls = 0
    return counted


def pages(folder, count):
    folder.mkdir(exist_ok=True)
    found = []
    for number in range(count):
        page = folder / f"p{number}.html"
        page.write_text(f"<p>{number}</p>", encoding="utf-8")
        found.append(page)
    return found


def test_a_file_is_known_by_its_identity_and_a_replaced_one_is_worked_out_again(tmp_path):
    length = count_calls(len)
    [page] = pages(tmp_path / "out", 1)
    memo = Memo(tmp_path / "memo.pickle", length)
    assert memo.of_file(page) == len("<p>0</p>")
    memo.save()
    again = Memo(tmp_path / "memo.pickle", length)
    assert again.of_file(page) == 8 and length.calls == 1
    page.unlink()
    page.write_text("<p>longer</p>", encoding="utf-8")    # another file at the same place
    assert again.of_file(page) == 13 and length.calls == 2


def test_while_files_are_settled_each_identity_is_asked_once_and_a_rewritten_page_is_seen(tmp_path, monkeypatch):
    length = count_calls(len)
    [page, other] = pages(tmp_path / "out", 2)
    stats = count_calls(os.stat)
    monkeypatch.setattr(os, "stat", stats)
    memo = Memo(None, length)
    with settled_files():
        assert [memo.of_file(page) for _ in range(3)] + [memo.of_file(other)] == [8, 8, 8, 8]
        assert stats.calls == 2 and length.calls == 2
        rewrite(page, b"<p>rewritten</p>")
        before = stats.calls
        assert memo.of_file(page) == 16 and memo.of_file(other) == 8 and length.calls == 3
        assert stats.calls == before + 2                   # every identity forgotten, whatever spelling it was asked by
    before = stats.calls
    assert file_identity(page) == file_identity(page) and stats.calls == before + 2      # outside: asked every time


def test_while_files_are_settled_each_memo_key_is_worked_out_once_for_every_stage(tmp_path, monkeypatch):
    from islet.build import memo as memo_module

    [page] = pages(tmp_path / "out", 1)
    keys = count_calls(memo_module._key)
    monkeypatch.setattr(memo_module, "_key", keys)
    lengths, words = Memo(None, len), Memo(None, lambda text, *more: len(text.split()) + len(more))
    with settled_files():
        assert (lengths.of_file(page), words.of_file(page), lengths.of_file(page)) == (8, 1, 8)
        assert keys.calls == 1
        assert words.of_file(page, "another text") == 2      # other texts: another key
        assert keys.calls == 2
    lengths.of_file(page)
    assert keys.calls == 3                                  # outside: worked out every time


def test_a_memo_keeps_only_what_its_build_used(tmp_path):
    memo = Memo(tmp_path / "memo.pickle", str.upper)
    memo("a"), memo("b")
    memo.save()
    memo = Memo(tmp_path / "memo.pickle", str.upper)
    memo("a")
    memo.save()
    assert len(Memo(tmp_path / "memo.pickle", str.upper).kept) == 1


def test_filled_ahead_in_processes_as_of_file_would_and_what_was_known_is_kept(tmp_path):
    """fill_files works out the missing pages in forked processes. Pages it found remembered count as used:
    a stage that then asks only for some of them (the link check) must not lose the others, or every second
    build would work them all out again."""
    found = pages(tmp_path / "out", 40)
    length = count_calls(len)
    memo = Memo(tmp_path / "memo.pickle", length)
    memo.fill_files([(page,) for page in found], processes=2, minimum=10)
    assert length.calls == 0                       # in the forked processes
    assert [memo.of_file(page) for page in found] == [len(p.read_text()) for p in found]
    assert length.calls == 0
    memo.save()
    for build in range(2):                          # builds that fill ahead, then ask for one page only
        memo = Memo(tmp_path / "memo.pickle", length)
        memo.fill_files([(page,) for page in found], processes=2, minimum=10)
        memo.of_file(found[0])
        memo.save()
        assert len(Memo(tmp_path / "memo.pickle", length).kept) == 40


def test_too_few_missing_are_left_to_of_file(tmp_path):
    found = pages(tmp_path / "out", 3)
    length = count_calls(len)
    memo = Memo(tmp_path / "memo.pickle", length)
    memo.fill_files([(page,) for page in found], processes=2, minimum=10)
    assert memo.used == {} and os.listdir(tmp_path) == ["out"]
    assert memo.of_file(found[2]) == len("<p>2</p>") and length.calls == 1


def test_keys_tell_texts_apart_and_a_long_text_is_hashed_once_per_build(monkeypatch):
    from islet.build import memo

    long = "<p>" + "x" * memo.LONG + "</p>"
    assert len({memo._key(t) for t in [("ab",), ("a", "b"), ("a", "", "b"), (long,), (long + "y",), ("L",)]}) == 6
    hashed = []
    real = memo.hashlib.blake2b

    def counting(data=b"", **kwargs):
        hashed.append(len(data))
        return real(data, **kwargs)

    monkeypatch.setattr(memo.hashlib, "blake2b", counting)
    memo.forget_texts()
    first = memo._key((long, "short"))
    assert memo._key((long, "short")) == first and hashed.count(len(long.encode())) == 1
    memo.forget_texts()
    assert memo._key((long, "short")) == first and hashed.count(len(long.encode())) == 2


def test_a_build_that_used_every_entry_and_worked_nothing_out_leaves_the_file_as_it_is(tmp_path):
    path = tmp_path / "memo.pickle"
    memo = Memo(path, str.upper)
    memo("a"), memo("b")
    memo.save()
    written = os.stat(path)
    again = Memo(path, str.upper)
    again("a"), again("b")
    again.save()
    now = os.stat(path)
    assert (now.st_ino, now.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)     # not written again
    fewer = Memo(path, str.upper)
    fewer("a")
    fewer.save()
    assert len(Memo(path, str.upper).kept) == 1
    more = Memo(path, str.upper)
    more("a"), more("c")
    more.save()
    assert Memo(path, str.upper).kept.keys() == more.used.keys() and len(more.used) == 2


def test_a_memo_file_damaged_since_it_was_saved_is_forgotten(tmp_path):
    """One changed character of a remembered result (highlighted code, say) would reach the pages: a damaged
    file is worked out again instead (found by changing a result's bytes in place, tests/build/test_damaged_caches.py)."""
    path = tmp_path / "memo.pickle"
    memo = Memo(path, str.upper)
    assert memo("print(1)") == "PRINT(1)"
    memo.save()
    data = path.read_bytes()
    path.write_bytes(data.replace(b"PRINT", b"TNIRP"))          # still a valid pickle, of another result
    upper = count_calls(str.upper)
    again = Memo(path, upper)
    assert again.kept == {} and again("print(1)") == "PRINT(1)" and upper.calls == 1
    path.write_bytes(data)
    assert Memo(path, upper)("print(1)") == "PRINT(1)" and upper.calls == 1       # the file as saved is used
