"""The reader cache (islet.build.reader_cache): sources parsed ahead by worker processes, read in ready order."""
from __future__ import annotations

import shutil
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from support.site import incremental_counts as counts


class _Pool:
    """Stands in for the worker pool: each task's result is set by the test."""

    def __init__(self):
        self.tasks = []

    def submit(self, function, paths):
        from concurrent.futures import Future

        self.tasks.append((Future(), paths))
        return self.tasks[-1][0]


def test_pelican_reads_the_sources_parsed_already_first(monkeypatch):
    """islet.build.reader_cache.Ahead: while workers parse, Pelican gets the sources no worker has first, then
    those parsed, as each worker's task ends; every source once, and each task's cache entries taken once."""
    from islet.build import incremental, reader_cache

    merged = []
    monkeypatch.setattr(incremental, "session", SimpleNamespace(packs={"reader": SimpleNamespace(merge=merged.append)}))
    monkeypatch.setattr(reader_cache, "CHUNK", 2)
    pool = _Pool()
    ahead = reader_cache.Ahead(pool, ["/c/a/1.md", "/c/a/2.md", "/c/a/3.md", "/c/a/4.md"])
    (first, _), (second, _) = pool.tasks
    second.set_result(({"entries of 3 and 4": 1}, {}))
    order = ahead.in_ready_order(["a/1.md", "a/3.md", "a/new.md", "a/4.md", "a/2.md"], "/c")
    assert [next(order), next(order), next(order)] == ["a/new.md", "a/3.md", "a/4.md"]
    ahead.wait_for("/c/a/3.md")                                  # the reader asks for one of them: done already
    assert merged == [{"entries of 3 and 4": 1}]
    first.set_exception(RuntimeError("a worker died"))        # its sources are parsed by the reader instead
    assert list(order) == ["a/1.md", "a/2.md"]
    assert merged == [{"entries of 3 and 4": 1}] and ahead.pending == {} and ahead.parts == {}


def test_what_workers_highlight_is_remembered_for_the_next_build(tmp_path, monkeypatch):
    """Code blocks highlighted by the parse workers of a first build are in the highlight memo it leaves: the
    first edit of an article after it does not highlight its blocks again."""
    from islet.build.memo import Memo
    from support.site import make_site

    code = "```python\ndef f{n}(x: int) -> int:\n    return x + {n}\n```\n"
    files = {f"content/articles/a{n}.md": f"Title: A{n}\nDate: 2026-01-01\nSummary: s\n\nText.\n\n" + code.format(n=n)
             for n in range(24)}
    site = make_site(tmp_path / "site", files)
    monkeypatch.setenv("ISLET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ISLET_PROCESSES", "2")
    built = site.build()
    assert built.code == 0, built.stderr
    assert counts(built)["preparsed"] == 24
    (memo,) = (tmp_path / "cache").rglob("*-highlight.pickle")
    assert len(Memo(memo, None).kept) == 24                            # each article's block, worked out by a worker


def _failing_worker(paths):
    raise RuntimeError("a worker process that fails")


def test_sources_of_a_failed_worker_are_parsed_in_process(demo_copy, build_here, monkeypatch):
    from islet.build import reader_cache

    shutil.rmtree(demo_copy.root / ".cache", ignore_errors=True)
    monkeypatch.setenv("ISLET_CACHE_DIR", str(demo_copy.root / ".cache-fresh"))
    monkeypatch.setattr(reader_cache, "_parse_in_worker", _failing_worker)      # (forked workers inherit it)
    result = build_here(demo_copy.root)
    done = counts(SimpleNamespace(stdout="\n".join(result.report)))
    assert done["preparsed"] > 16 and done["parsed"] == done["preparsed"], done


@settings(max_examples=500)
@given(st.binary(max_size=40) | st.text(alphabet="{}%#widgetx \n", max_size=30).map(str.encode))
def test_a_source_is_plain_when_it_has_no_jinja_marker_and_no_widget(body):
    """Plain sources skip the data files and widgets in their key: none of the four markers may be missed."""
    from islet.build.fingerprint import is_plain

    assert is_plain(body) == (not any(marker in body for marker in (b"{{", b"{%", b"{#", b"widget")))


_NAME = st.text(st.sampled_from("a.*?[]!-_/\\x#é"), max_size=8)


@settings(max_examples=400, deadline=None)
@given(patterns=st.lists(_NAME | st.sampled_from(["**/.*", ".#*", "*.md~", "[!a]*", "[a-"]), max_size=3), name=_NAME)
def test_ignored_names_are_those_fnmatch_ignores(patterns, name):
    """IGNORE_FILES as Pelican applies it (fnmatch of the name with each pattern), brackets and all."""
    from fnmatch import fnmatch

    from islet.build.reader_cache import ignoring

    assert ignoring(patterns)(name) == any(fnmatch(name, p) for p in patterns)


def test_a_source_is_keyed_from_the_input_scan_as_it_would_be_from_its_bytes(tmp_path, monkeypatch):
    """The scan read every source already: its digest gives the same key, until the file changes."""
    import os
    from dataclasses import replace

    from islet.build import incremental, reader_cache
    from islet.build.fingerprint import MARKDOWN, Inputs
    from islet.content.reader import IsletMarkdownReader

    assert MARKDOWN == tuple(f".{e}" for e in IsletMarkdownReader.file_extensions)
    content = tmp_path / "content"
    (content / "articles").mkdir(parents=True)
    plain, jinja = content / "articles" / "a.md", content / "articles" / "b.md"
    plain.write_text("Title: A\n\nPlain.\n")
    jinja.write_text("Title: B\n\n{{ data.x }}\n")
    (tmp_path / "pelicanconf.py").write_text("")
    paths = {"content": str(content), "theme": str(tmp_path / "theme"), "data": str(content / "data")}
    inputs = Inputs.scan(tmp_path, tmp_path / "pelicanconf.py", tmp_path / "build", {}, paths)
    assert set(inputs.sources) == {str(plain.resolve()), str(jinja.resolve())}

    def keys(given, reading=False):
        monkeypatch.setattr(incremental, "session", SimpleNamespace(reader_keys={}, inputs=given, reader_key="r",
                                                                     plain_reader_key="p", ahead_of_reading=reading))
        return [reader_cache.reader_key(path.resolve()) for path in (plain, jinja)]

    scanned, read = keys(inputs), keys(replace(inputs, sources={}))
    assert scanned == read and len(set(read)) == 2
    other = {path: found._replace(digest=b"x" * 20) for path, found in inputs.sources.items()}
    assert set(keys(replace(inputs, sources=other))).isdisjoint(read)        # the scan's digest is what is used
    jinja.write_text("Title: B\n\nNo longer Jinja, and longer.\n")
    os.utime(jinja, ns=(1, 10**9))
    again = keys(inputs)
    assert again[0] == read[0] and again[1] != read[1] and again == keys(replace(inputs, sources={}))
    # While Pelican reads, the build is of the sources the scan read (its fingerprint says so): a source changed
    # since keeps the scan's key, and what is made of it now is not cached under that key.
    assert keys(inputs, reading=True) == read
    assert not reader_cache.as_scanned(jinja.resolve()) and reader_cache.as_scanned(plain.resolve())


def test_a_source_edited_while_the_build_ran_then_undone_is_built_as_it_is(tmp_path, build_here, monkeypatch):
    """While Pelican reads, a source is keyed by the bytes the scan read. One edited after the scan is read as it
    is now (livereload builds as you type): what is made of it must not be cached under the old bytes' key (the
    parsed HTML nor the Pelican object), and the build's state must not name the old bytes, or a build after the
    edit is undone would say nothing changed, or show the edit."""
    import os

    from support.site import clean_output, make_site, tree

    from islet.build import fingerprint

    site = make_site(tmp_path / "site", {"content/articles/a.md": "Title: A\nDate: 2026-03-01\n\nFirst words.\n",
                                         "content/articles/b.md": "Title: B\nDate: 2026-03-02\n\nOther.\n"})
    source = site.path("content/articles/a.md")
    scan = fingerprint.Inputs.scan

    def scan_then_edit(*args, **kwargs):
        found = scan(*args, **kwargs)
        source.write_text("Title: A\nDate: 2026-03-01\n\nEdited while the build ran.\n", encoding="utf-8")
        os.utime(source, ns=(10**18, 10**18))
        return found

    monkeypatch.setattr(fingerprint.Inputs, "scan", scan_then_edit)
    build_here(site.root)
    monkeypatch.setattr(fingerprint.Inputs, "scan", scan)
    assert "Edited while the build ran." in site.path("build/articles/a.html").read_text(encoding="utf-8")

    source.write_text("Title: A\nDate: 2026-03-01\n\nFirst words.\n", encoding="utf-8")     # the scan's bytes again
    build_here(site.root)
    assert "First words." in site.path("build/articles/a.html").read_text(encoding="utf-8")
    assert tree(site) == clean_output(site, tmp_path / "clean")
