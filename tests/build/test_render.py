"""islet.build.render: pages written by several processes are the pages one process writes."""
import logging
import os
import time

import pytest

from islet.build import incremental, render


@pytest.fixture(autouse=True)
def no_caches(monkeypatch):
    """Only the parallel writer here: an earlier in-process build (test_fast_render) leaves its caches set."""
    monkeypatch.setattr(incremental, "session", None)


def test_parallel_and_sequential_builds_are_byte_identical(built_demo, monkeypatch):
    # built_demo was built with one process per core (2 here): the demo has more write calls than render.MINIMUM.
    monkeypatch.setenv("ISLET_PROCESSES", "1")
    result = built_demo.build("--strict", "--precompress", "--output", "build-sequential")
    assert result.code == 0, result.stderr
    assert "parsed by 1 processes" in result.stdout
    assert built_demo.output_digest("build-sequential") == built_demo.output_digest("build")


class _Recorder(render.ParallelWriter):
    """ParallelWriter whose 'pages' are calls to a function that writes a file and may log or fail."""

    def __init__(self):   # no Pelican settings needed: only the call queue and Writer's bookkeeping
        self.calls, self.feeds, self.current, self.global_digest, self.memo = [], [], 0, None, {}
        self._written_files = set()
        render.ParallelWriter.active = self

    def _write(self, calls, index):
        (name, action, folder), _ = calls[index]
        action(folder, name)
        self._written_files.add(name)


def _page(folder, name):
    with open(os.path.join(folder, name), "w") as out:
        out.write(f"{name} by {os.getpid()}")
    if name == "p07":
        logging.getLogger("pelican.writers").warning("a warning from %s", name)


def _slow_page(folder, name):
    time.sleep(0.02)            # as a real page takes a while: the work spreads even on a busy machine
    _page(folder, name)


def test_every_call_is_written_once_and_warnings_come_back(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("ISLET_PROCESSES", "3")
    writer = _Recorder()
    names = [f"p{i:02d}" for i in range(40)]
    writer.calls = [((name, _slow_page, str(tmp_path)), {}) for name in names]
    with caplog.at_level(logging.WARNING, logger="pelican"):
        render.flush()
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    assert writer._written_files == set(names)
    assert len({p.read_text().split(" by ")[1] for p in tmp_path.iterdir()}) > 1, "one process wrote everything"
    assert [r.getMessage() for r in caplog.records] == ["a warning from p07"]


def _failing(folder, name):
    if name == "p13":
        raise ValueError(f"template error in {name}")
    _page(folder, name)


def test_an_error_in_any_process_is_raised_here(tmp_path, monkeypatch):
    monkeypatch.setenv("ISLET_PROCESSES", "2")
    for attempt in range(3):           # p13 may fall to either process: each time, the error arrives here
        writer = _Recorder()
        writer.calls = [((f"p{i:02d}", _failing, str(tmp_path)), {}) for i in range(40)]
        try:
            render.flush()
        except ValueError as error:
            assert str(error) == "template error in p13"
        else:
            raise AssertionError("the error was lost")


def test_calls_writing_the_same_file_stay_in_order(tmp_path, monkeypatch):
    monkeypatch.setenv("ISLET_PROCESSES", "2")
    writer = _Recorder()
    writer.calls = [((f"p{i % 20:02d}", _page, str(tmp_path)), {}) for i in range(40)]   # each name twice
    render.flush()
    assert all(p.read_text().endswith(f" by {os.getpid()}") for p in tmp_path.iterdir()), "not written in-process"


def _repeating(folder, name):
    _page(folder, name)
    logging.getLogger("pelican.writers").warning("the same warning from every page")


def test_a_warning_every_process_gives_is_shown_once(tmp_path, monkeypatch, caplog):
    """Pelican's loggers drop a message they gave before, by raising inside handle(): the records the
    helpers send back must not break the build when the main process gave the same one."""
    from pelican.log import FatalLogger, LimitFilter

    assert isinstance(logging.getLogger("pelican.writers"), FatalLogger)
    monkeypatch.setattr(LimitFilter, "_raised_messages", set())
    monkeypatch.setenv("ISLET_PROCESSES", "2")
    writer = _Recorder()
    writer.calls = [((f"p{i:02d}", _repeating, str(tmp_path)), {}) for i in range(40)]
    with caplog.at_level(logging.WARNING, logger="pelican"):
        render.flush()
    assert len(list(tmp_path.iterdir())) == 40
    assert [r.getMessage() for r in caplog.records].count("the same warning from every page") == 1


def test_calls_that_list_the_most_objects_are_taken_first():
    """A paginated list of every article is the longest call: started last, it would keep one core busy
    while the others wait. The rest keep Pelican's order."""
    calls = [(("articles/a.html",), {"article": object()}),
             (("tag/x.html",), {"articles": [1, 2, 3], "dates": [1, 2, 3]}),
             (("articles/b.html",), {"article": object()}),
             (("index.html",), {"articles": list(range(50)), "dates": list(range(50))}),
             (("author/me.html",), {"paginated": {"articles": list(range(20))}, "articles": list(range(99))})]
    assert render.largest_first(calls) == [3, 4, 1, 0, 2]


def test_urls_are_worked_out_once_while_pages_are_written_and_as_before_afterwards():
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG
    from pelican.urlwrappers import Tag

    settings = {**DEFAULT_CONFIG, "ARTICLE_URL": "posts/{slug}.html", "TAG_URL": "t/{slug}/"}
    article = Article("<p>x</p>", {"title": "A b", "slug": "a-b"}, settings=settings)
    tag = Tag("Big Tag", settings)
    with render.settled_urls():
        assert (article.url, tag.url, tag.save_as) == ("posts/a-b.html", "t/big-tag/", "tag/big-tag.html")
        article.slug, tag.slug = "changed", "changed"           # (nothing changes them while pages are written)
        assert (article.url, tag.url) == ("posts/a-b.html", "t/big-tag/")
        assert "url" not in vars(article) and "url" not in vars(tag)    # the render keys describe these
    assert (article.url, tag.url) == ("posts/changed.html", "t/changed/")


def test_urls_settled_for_the_whole_build_stay_settled_after_the_pages_are_written_and_static_files_never_are():
    """plugin.on_get_writer settles URLs from Pelican's writer on (render.settle_urls): the writing block then
    leaves them settled, and unsettle_urls undoes it. A static file's output path is never remembered: an
    {attach} link moves the file when the linking page renders."""
    from pelican.contents import Article, Static
    from pelican.settings import DEFAULT_CONFIG

    settings = {**DEFAULT_CONFIG, "ARTICLE_URL": "posts/{slug}.html", "PATH": "/site/content"}
    article = Article("<p>x</p>", {"title": "A b", "slug": "a-b"}, settings=settings)
    static = Static("", {"title": "x.png"}, settings=settings, source_path="/site/content/images/x.png")
    assert render.settle_urls() is True and render.settle_urls() is False
    try:
        with render.settled_urls():
            assert article.url == "posts/a-b.html"
        article.slug = "changed"
        assert article.url == "posts/a-b.html"                  # still settled
        before = static.save_as
        static.override_save_as = "articles/x.png"
        assert (before, static.save_as) == ("images/x.png", "articles/x.png")
    finally:
        render.unsettle_urls()
    render.unsettle_urls()                                     # idempotent
    assert article.url == "posts/changed.html"


def test_urls_are_settled_from_the_writer_on_only_when_no_other_plugin_may_change_an_article_meanwhile():
    from pelican import signals

    from islet import plugin

    def retitle(generator, content):
        content.slug = "retitled"

    try:
        signals.article_generator_write_article.connect(retitle)
        assert plugin.on_get_writer(None) is render.ParallelWriter
        assert render._originals is None
        signals.article_generator_write_article.disconnect(retitle)
        plugin.on_get_writer(None)
        assert render._originals is not None
    finally:
        signals.article_generator_write_article.disconnect(retitle)
        render.unsettle_urls()
