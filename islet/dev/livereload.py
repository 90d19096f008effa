"""``./dev livereload``: serve build/, rebuild on every change, reload the open page.

The dev server adds one small script to each HTML page it serves (never to the files in
build/). The script listens to ``/_islet/events`` (Server-Sent Events) and reloads its page when
the server says that page changed. Changes are seen through `watchfiles` (inotify).

An edit to the body of an article or page is shown first by a *fast render* (islet.build.fast_render:
only that page, from the last build's state, served from memory in a fraction of a second),
then the full build runs as always; pages that build changed reload again, unless their new bytes
are those already shown. A failed build prints its problems and leaves build/ as it was; what
the server shows from memory is dropped.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import unquote

from islet.build.driver import BuildPlan, build_and_report
from islet.build.memo import file_identity
from islet.islands.check import start_site_check
from islet.islands.hydrate import html_pages

from .serve import SiteHandler, make_server

WATCHED = ("content", "theme", "widgets", "pelicanconf.py")
MARKDOWN = (".md", ".markdown", ".mkd", ".mdown")
EVENTS = "/_islet/events"
CLIENT = "/_islet/livereload.js"
# The page carries the build generation it was served from, so a rebuild that finishes before
# the event stream connects still reloads it; and its own path, so it reloads only when it changed.
CLIENT_JS = (b"const since = new URL(document.currentScript.src).searchParams.get('g');\n"
             b"const page = encodeURIComponent(location.pathname);\n"
             b"new EventSource('/_islet/events?since=' + since + '&page=' + page)"
             b".addEventListener('reload', () => location.reload());\n")


class Generation:
    """A counter of changes to the served site that server threads can wait on, with the pages each
    one changed (None: any page may have)."""

    def __init__(self):
        self.number = 0
        self.pages: dict[int, set[str] | None] = {}
        self.changed = threading.Condition()

    def advance(self, pages: set[str] | None = None) -> None:
        with self.changed:
            self.number += 1
            self.pages[self.number] = pages
            self.changed.notify_all()

    def wait_past(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.number != seen, timeout)
            return self.number

    def concerns(self, page: str | None, seen: int, now: int) -> bool:
        """Whether a page served at generation `seen` is out of date at `now`."""
        changed = [self.pages.get(n) for n in range(seen + 1, now + 1)]
        return any(pages is None or page is None or page in pages for pages in changed)


def output_page(url_path: str) -> str:
    """The output file a URL path is served from: ``/`` -> ``index.html``, ``/a/`` -> ``a/index.html``."""
    path = url_path.split("?", 1)[0].lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


class LiveHandler(SiteHandler):
    generation: Generation
    shown: dict[str, bytes]          # output page -> a fast render of it, served instead of build/'s

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
        page = output_page(path)
        if target.suffix == ".html" and (page in self.shown or target.is_file()):
            tag = f'<script src="{CLIENT}?g={self.generation.number}" defer></script>'.encode()
            body = self.shown.get(page) or target.read_bytes()
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
        page = output_page(unquote(query["page"])) if "page" in query else None
        try:
            self.wfile.write(b"retry: 500\n\n")
            while True:
                now = self.generation.wait_past(seen, timeout=15)
                stale = now != seen and self.generation.concerns(page, seen, now)
                self.wfile.write(b"event: reload\ndata: 1\n\n" if stale else b": keep-alive\n\n")
                self.wfile.flush()
                seen = now
        except (BrokenPipeError, ConnectionResetError):
            pass


def watch_and_serve(root: Path, output: str, host: str, port: int) -> None:
    from watchfiles import watch

    plan = BuildPlan(root, "pelicanconf.py", output, head_start=start_site_check)
    site = Site(root / output, build_and_report(plan))
    handler = type("Handler", (LiveHandler,), {"generation": site.generation, "shown": site.shown})
    server = make_server(root / output, host, port, handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    watched = [str(root / name) for name in WATCHED if (root / name).exists()]
    print(f"Watching {', '.join(WATCHED)}; serving http://{host}:{server.server_port}/ — press Ctrl-C to stop.",
          flush=True)
    try:
        for changes in watch(*watched, debounce=30, step=10):
            site.fast_render(changes)
            site.rebuild(plan)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()


class Site:
    """What the dev server shows: build/, plus fast renders while a build runs."""

    def __init__(self, output: Path, built: bool):
        from islet import plugin

        self.output, self.generation, self.shown = output, Generation(), {}
        self.last = plugin.current if built else None      # the last successful build's run

    def fast_render(self, changes) -> None:
        """Show the new pages of edited Markdown sources now, when a page of their own can show them."""
        from watchfiles import Change

        from islet.build import fast_render, incremental

        # Added too: editors that save by renaming a new file over the old one report that.
        paths = [Path(p) for kind, p in changes if kind != Change.deleted and p.endswith(MARKDOWN)]
        if self.last is None or not paths or len(paths) < len(changes):
            return
        started = time.perf_counter()
        try:
            pages = fast_render.render(fast_render.published(self.last.generators), paths)
        finally:
            if incremental.session is not None:
                incremental.session.close()       # the reader may have opened the caches again
        if pages:
            self.shown.update(pages)
            self.generation.advance(set(pages))
            print(f"Fast render: {', '.join(sorted(pages))} in {time.perf_counter() - started:.2f} s; "
                  f"building the rest…", flush=True)

    def rebuild(self, plan: BuildPlan) -> None:
        from islet import plugin
        from islet.build import fast_render

        before = self._pages()
        fast_render.forget_rendered()         # every build makes new content objects
        built = build_and_report(plan)
        shown = dict(self.shown)
        self.shown.clear()                    # (the server's handler holds this very dict)
        if not built:
            if shown:
                self.generation.advance(set(shown))     # back to build/'s pages
            return
        self.last = plugin.current
        after = self._pages()
        changed = {page for page in before.keys() | after.keys() if before.get(page) != after.get(page)}
        changed -= {page for page, body in shown.items() if _bytes(self.output / page) == body}
        self.generation.advance(changed)

    def _pages(self) -> dict[str, list[int]]:
        """Output page -> its file identity: a page the build linked unchanged keeps it."""
        found = {}
        for path in html_pages(self.output):
            try:
                found[path.relative_to(self.output).as_posix()] = file_identity(path)
            except OSError:
                pass
        return found


def _bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None
