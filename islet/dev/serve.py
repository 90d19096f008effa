"""A small static file server for previewing build/ on 127.0.0.1 (development only).

Like a static host, it answers unknown paths with the site's 404.html and a 404 status.
"""
from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from islet.output import headers


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves the build with the site's own policy: content types with charset, and the headers of
    ``_headers`` (Content-Security-Policy …) on every response, so development sees what readers get."""

    def guess_type(self, path):
        return headers.content_type(str(path))

    def end_headers(self):
        rules = Path(self.directory) / "_headers"
        if rules.is_file():
            for name, value in headers.parse_headers_file(rules.read_text(encoding="utf-8")).get("/*", {}).items():
                if name != "Cache-Control":   # a preview must always show the latest build
                    self.send_header(name, value)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):  # keep the terminal for build messages
        pass


def make_server(folder: Path, host: str = "127.0.0.1", port: int = 8000,
                handler: type[SimpleHTTPRequestHandler] | None = None) -> ThreadingHTTPServer:
    """An HTTP server for `folder` (not started). Port 0 picks a free port: see ``server_port``."""
    server = ThreadingHTTPServer((host, port), functools.partial(handler or SiteHandler, directory=str(folder)))
    server.daemon_threads = True
    return server


def serve(folder: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    server = make_server(folder, host, port)
    print(f"Serving {folder.name}/ at http://{host}:{server.server_port}/ — press Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
