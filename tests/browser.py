"""Helpers for browser tests: the system Chromium through Playwright, a local server, axe-core."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
        from islet.serve import make_server

        self.httpd = make_server(folder, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class PageWatch:
    """Records console errors, page errors, failed requests and requests to other hosts."""

    def __init__(self, page, base: str):
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status}: {r.url}"))
        page.on("request", lambda r: r.url.startswith(base) or r.url.startswith("data:")
                or self.problems.append(f"other host: {r.url}"))


def axe_violations(page) -> list[str]:
    """Run axe-core (from node_modules) on the page; one line per violation and node."""
    page.evaluate(AXE.read_text() + ";0")
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.flatMap(v => v.nodes.map(n => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary}`));
    }""")
    return found
