"""``./dev livereload``: serve build/, rebuild on every change, reload the open page.

Uses the `livereload` package: it injects a small script (served from this same
server, never another host) that reloads the page after each successful rebuild.
A failed rebuild prints its problems and keeps serving the previous site.
"""
from __future__ import annotations

from pathlib import Path

from .build import BuildPlan, build_and_report

WATCHED = ("content", "theme", "widgets", "pelicanconf.py")


def watch_and_serve(root: Path, output: str, host: str, port: int) -> None:
    from livereload import Server

    plan = BuildPlan(root, "pelicanconf.py", output)
    build_and_report(plan)
    server = Server()
    for name in WATCHED:
        if (root / name).exists():
            server.watch(str(root / name), lambda: build_and_report(plan), delay=0)
    print(f"Watching {', '.join(WATCHED)}; serving http://{host}:{port}/ — press Ctrl-C to stop.")
    server.serve(root=str(root / output), host=host, port=port, open_url_delay=None, restart_delay=0)
