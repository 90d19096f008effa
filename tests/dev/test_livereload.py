"""./dev livereload: an edit is rebuilt and the open page reloads by itself; a broken edit keeps the old site."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def livereload(demo_copy):
    port = free_port()
    code = ("import sys; from pathlib import Path; from islet.dev.livereload import watch_and_serve; "
            "watch_and_serve(Path(sys.argv[1]), 'build', '127.0.0.1', int(sys.argv[2]))")
    process = subprocess.Popen([sys.executable, "-c", code, str(demo_copy.root), str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("livereload did not start:\n" + (process.stdout.read() if process.stdout else ""))
            time.sleep(0.2)
    yield demo_copy, url, process
    stop(process)


def stop(process) -> str:
    """Stop the server; what it printed."""
    process.terminate()
    try:
        out, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out or ""


def test_an_edit_reloads_the_open_page(livereload, chromium):
    site, url, _ = livereload
    about = site.path("content/pages/about.md")
    page = chromium.new_page()
    page.goto(url + "about.html")
    page.wait_for_load_state("load")
    about.write_text(about.read_text().replace("Title: About", "Title: About islet, edited", 1))
    page.locator("h1", has_text="edited").wait_for(timeout=20000)   # a locator: the CSP forbids eval
    # A broken edit must not take the served site down.
    about.write_text(about.read_text().replace("Title: About islet, edited", "Title About", 1))
    time.sleep(3)
    assert urllib.request.urlopen(url + "about.html").status == 200
    page.context.close()


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_body_edit_is_shown_by_a_fast_render_then_built(livereload, chromium):
    """The article's own page first (islet.build.fast_render), then the full build: as its bytes are those
    already shown, the article reloads once; a page the edit did not change does not reload at all."""
    site, url, process = livereload
    source, built = site.path("content/articles/first-14-kb.md"), site.path("build/articles/first-14-kb.html")
    context = chromium.new_context()
    article, about = context.new_page(), context.new_page()
    loads = {"article": 0, "about": 0}
    for name, page, path in (("article", article, "articles/first-14-kb.html"), ("about", about, "about.html")):
        page.goto(url + path)
        page.wait_for_load_state("load")
        page.on("load", lambda _, name=name: loads.__setitem__(name, loads[name] + 1))
    time.sleep(0.5)                                   # both event streams connected
    with source.open("a", encoding="utf-8") as out:
        out.write("\nA sentence added while the page was open.\n")
    article.locator("p", has_text="A sentence added while the page was open.").wait_for(timeout=20000)
    wait_for(lambda: "A sentence added" in built.read_text(encoding="utf-8"))
    time.sleep(1.5)                                   # what the full build would send has been sent
    context.close()
    printed = stop(process)
    assert "Fast render: articles/first-14-kb.html" in printed, printed
    assert loads == {"article": 1, "about": 0}, loads
