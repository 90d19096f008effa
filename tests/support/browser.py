"""Helpers for browser tests: the system Chromium through Playwright, a local server, axe-core."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

from .site import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Quiet and offline: never let Chromium reach out to another host (see shared/components.md).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError("Chromium not found: run ./dev test (it installs Debian's chromium) or apt-get install chromium")
    return path


class LocalServer:
    """islet's preview server on 127.0.0.1 with a free port, in a thread of the test process."""

    def __init__(self, folder: Path):
        from islet.dev.serve import make_server

        self.httpd = make_server(folder, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class SharedChromium:
    """The system Chromium through Playwright, started on first use; stands for the running Browser
    (``new_context``, ``new_page`` …). The session-wide `chromium` fixture of conftest.py is one.

    Playwright's sync API runs one instance per thread, so code that starts its own (islet.dev.audit.run_axe)
    needs this one stopped first: `stop()` does, and the next use starts it again."""

    def __init__(self):
        self._playwright = None
        self._browser = None

    def running(self):
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        return self._browser

    def __getattr__(self, name):
        return getattr(self.running(), name)

    def stop(self):
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()
            self._browser = self._playwright = None


class PageWatch:
    """Records console errors, page errors, failed requests and requests to other hosts."""

    def __init__(self, page, base: str):
        self.problems: list[str] = []
        self.response = None   # the navigation's response, when open_page made it
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status}: {r.url}"))
        page.on("request", lambda r: r.url.startswith(base) or r.url.startswith("data:")
                or self.problems.append(f"other host: {r.url}"))


PHONE = {"width": 360, "height": 740}   # the narrowest screen the site is made for


def open_page(chromium, server, path: str = "", prepare=None, **context_options):
    """A new context (a 360 × 740 viewport unless `viewport` is given; any other Playwright context option,
    such as java_script_enabled or color_scheme) and page, watched by PageWatch, at ``server.url + path``.

    `prepare(page)` runs before the navigation: listeners, init scripts, permissions. The navigation's
    response is ``watch.response``. Returns (context, page, watch); the caller closes the context."""
    context = chromium.new_context(**{"viewport": PHONE, **context_options})
    page = context.new_page()
    watch = PageWatch(page, server.url)
    if prepare is not None:
        prepare(page)
    watch.response = page.goto(server.url + path)
    return context, page, watch


def axe_violations(page) -> list[str]:
    """Run axe-core (from node_modules) on the page; one line per violation and node."""
    page.evaluate(AXE.read_text() + ";0")
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.flatMap(v => v.nodes.map(n => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary}`));
    }""")
    return found
