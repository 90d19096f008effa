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
    code = ("import sys; from pathlib import Path; from islet.livereload import watch_and_serve; "
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
    yield demo_copy, url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_an_edit_reloads_the_open_page(livereload, chromium):
    site, url = livereload
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
