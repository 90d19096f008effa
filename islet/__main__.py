"""Command line: ``python -m islet build [--strict] [--precompress] [--settings FILE] [--output DIR]``
and ``python -m islet server start|stop|status|run`` (warm builds: islet.build.server and server_client).

Without --output, the site is built into the folder the settings file's OUTPUT_PATH names (Pelican's
default: output/), as ``pelican`` itself would build it.

Prints one line per problem (``path:line: what — how to fix``) and exits 1 when the
build fails; the previous output folder is then left exactly as it was.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run the command here, in this process."""
    parser = argparse.ArgumentParser(prog="python -m islet", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("build", help="build the site into the output folder, atomically")
    run.add_argument("--root", default=".", help="the site folder (default: current folder)")
    run.add_argument("--settings", default="pelicanconf.py", help="settings file, relative to the root")
    run.add_argument("--output", help="output folder, relative to the root (default: the settings file's OUTPUT_PATH, "
                                      "else output/, as for Pelican)")
    run.add_argument("--strict", action="store_true", default=None,
                     help="treat broken links, missing images and Pelican warnings as errors")
    run.add_argument("--precompress", action="store_true", default=None,
                     help="write .br/.gz variants of text files, as a CDN or the nginx preview serves them")
    serve = commands.add_parser("server", help="keep the build's imports warm: each build then starts in "
                                                "milliseconds (islet.build.server)")
    serve.add_argument("action", choices=("start", "stop", "status", "run"),
                       help="start in the background, stop, say whether one runs, or run in the foreground")
    serve.add_argument("--idle", type=float, default=None, help="minutes without a build before it stops")
    args = parser.parse_args(argv)
    if args.command == "server":
        return _server(args.action, args.idle)
    from islet.build.driver import BuildPlan, build_and_report, settings_output
    from islet.islands.check import start_site_check

    root = Path(args.root)
    output = args.output if args.output is not None else settings_output(root, args.settings)
    # The widget check (a type checker's) starts on the other core while this one imports Pelican.
    plan = BuildPlan(root, args.settings, output, args.strict, args.precompress, head_start=start_site_check)
    try:
        ok = build_and_report(plan)
    except KeyboardInterrupt:
        print(f"Build interrupted: {output}/ was left as it was.", file=sys.stderr)
        return 130
    return 0 if ok else 1


def _server(action: str, idle: float | None) -> int:
    from islet.build import server_client as client
    from islet.errors import IsletError, print_problems

    minutes = client.IDLE_MINUTES if idle is None else idle
    try:
        if action == "start":
            print(f"islet build server running (pid {client.start(minutes)}): python -m islet build now starts "
                  f"warm. Stop it with python -m islet server stop.")
        elif action == "run":
            from islet.build import server

            return server.run(main, minutes)
        elif action == "stop":
            pid = client.stop()
            print(f"islet build server {pid} stopped." if pid else "No islet build server runs for this Python.")
        else:
            facts = client.status()
            print(f"islet build server {facts['pid']}: {facts['builds']} builds, {facts['modules']} modules "
                  f"imported{'; last declined: ' + facts['declined'] if facts['declined'] else ''}." if facts
                  else "No islet build server runs for this Python.")
    except IsletError as error:
        return print_problems(error)
    return 0


def cli(argv: list[str]) -> int:
    """``python -m islet``: a build goes to the warm server when one runs (the same build, started sooner); a
    build on a terminal that ran by itself starts one for the next builds (islet.build.server_client)."""
    if argv[:1] == ["build"] and not {"-h", "--help"} & set(argv):
        from islet.build import server_client as client

        code = client.build(argv)
        if code is not None:
            return code
        code = main(argv)
        pid = client.start_for_next_builds() if code != 130 else None
        if pid is not None:
            print(f"Started a build server (pid {pid}): the next builds start warm. It stops after "
                  f"{client.IDLE_MINUTES // 60:.0f} idle hours, or with python -m islet server stop; "
                  f"ISLET_SERVER=off builds without one.", file=sys.stderr)
        return code
    return main(argv)


if __name__ == "__main__":
    code = cli(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Done: skip freeing every object of a large site one by one on the way out (0.4 s at 1,000 articles).
    os._exit(code)
