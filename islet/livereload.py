"""``./dev livereload``: serve build/, rebuild on every change, reload the open page.

The dev server adds one small script to each HTML page it serves (never to the files in
build/). The script listens to ``/_islet/events`` (Server-Sent Events); after each
*successful* rebuild the server sends ``reload``. A failed rebuild prints its problems
and leaves both build/ and the open page as they were. Changes are seen through
`watchfiles` (inotify), so an edit reaches the browser as soon as the build is done.
"""
from __future__ import annotations

import threading
from pathlib import Path

from .build import BuildPlan, build_and_report
from .serve import SiteHandler, make_server

WATCHED = ("content", "theme", "widgets", "pelicanconf.py")
EVENTS = "/_islet/events"
CLIENT = "/_islet/livereload.js"
# The page carries the build generation it was served from, so a rebuild that finishes before
# the event stream connects still reloads it.
CLIENT_JS = (b"const since = new URL(document.currentScript.src).searchParams.get('g');\n"
             b"new EventSource('/_islet/events?since=' + since).addEventListener('reload', () => location.reload());\n")


class Generation:
    """A counter of successful builds that server threads can wait on."""

    def __init__(self):
        self.number = 0
        self.changed = threading.Condition()

    def advance(self) -> None:
        with self.changed:
            self.number += 1
            self.changed.notify_all()

    def wait_past(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.number != seen, timeout)
            return self.number


class LiveHandler(SiteHandler):
    generation: Generation

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == EVENTS:
            return self._events()
        if path == CLIENT:
            return self._send(200, "text/javascript", CLIENT_JS)
        target = Path(self.translate_path(path))
        if target.is_dir():
            if not path.endswith("/"):
                return super().do_GET()  # redirects to the URL with a slash
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            tag = f'<script src="{CLIENT}?g={self.generation.number}" defer></script>'.encode()
            body = target.read_bytes()
            body = body.replace(b"</body>", tag + b"</body>", 1) if b"</body>" in body else body + tag
            return self._send(200, "text/html; charset=utf-8", body)
        return super().do_GET()

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        query = dict(part.split("=", 1) for part in self.path.partition("?")[2].split("&") if "=" in part)
        seen = int(query["since"]) if query.get("since", "").isdigit() else self.generation.number
        try:
            self.wfile.write(b"retry: 500\n\n")
            while True:
                now = self.generation.wait_past(seen, timeout=15)
                self.wfile.write(b"event: reload\ndata: 1\n\n" if now != seen else b": keep-alive\n\n")
                self.wfile.flush()
                seen = now
        except (BrokenPipeError, ConnectionResetError):
            pass


def watch_and_serve(root: Path, output: str, host: str, port: int) -> None:
    from watchfiles import watch

    plan = BuildPlan(root, "pelicanconf.py", output)
    build_and_report(plan)
    generation = Generation()
    handler = type("Handler", (LiveHandler,), {"generation": generation})
    server = make_server(root / output, host, port, handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    watched = [str(root / name) for name in WATCHED if (root / name).exists()]
    print(f"Watching {', '.join(WATCHED)}; serving http://{host}:{server.server_port}/ — press Ctrl-C to stop.",
          flush=True)
    try:
        for _changes in watch(*watched, debounce=30, step=10):
            if build_and_report(plan):
                generation.advance()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
