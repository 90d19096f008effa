"""Preview like a CDN: serve build/ through a real nginx with the headers a CDN edge would send.

    with Preview(Path("build")) as preview:       # nginx on 127.0.0.1, a free port
        print(preview.url)                        # http://127.0.0.1:PORT/

What the generated configuration does, all of it derived from `islet.output.headers` (the one policy):
- cache policy per folder: the content-hashed folders (``widgets/``, ``img/``) are immutable,
  everything else (HTML, feeds, sitemap) revalidates;
- ``Content-Type`` exactly as `headers.content_type` says, charset included (a ``types {}`` block
  built from the policy and the extensions present, plus nested locations for ``*.atom.xml`` feeds);
- the precompressed ``F.br`` / ``F.gz`` written by islet.output.compress are sent as they are
  (``brotli_static`` / ``gzip_static``, with ``Vary: Accept-Encoding``); nothing is compressed on the fly;
- the Content-Security-Policy and security headers from ``build/_headers`` on every response,
  404s included (``add_header … always``); unknown paths get ``404.html`` with status 404.

The configuration and nginx's pid and temp files live in a temporary prefix folder, never in build/.
nginx runs in the foreground of this process and is stopped by its PID.
"""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from islet.errors import IsletError, Problem, ToolMissingError
from islet.output import headers

BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
INSTALL = "apt-get install nginx-light libnginx-mod-http-brotli-static (./dev preview and ./dev test install them)"
# Used when build/_headers is missing (a build from before the headers stage): same-origin only, but
# inline scripts and styles allowed, since their hashes are unknown here. The real policy is stricter.
FALLBACK_CSP = headers.content_security_policy(["'unsafe-inline'"], ["'unsafe-inline'"])


class PreviewError(IsletError):
    """nginx could not be configured or started for the preview."""


@dataclass(frozen=True)
class Tools:
    nginx: str
    brotli_module: Path


def find_tools() -> Tools:
    """nginx and its brotli_static module, or ToolMissingError saying how to install them."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if nginx is None:
        raise ToolMissingError(Problem("nginx", 0, "nginx is not installed", INSTALL))
    if not BROTLI_MODULE.is_file():
        raise ToolMissingError(Problem(str(BROTLI_MODULE), 0, "nginx's brotli_static module is not installed", INSTALL))
    return Tools(nginx, BROTLI_MODULE)


def site_headers(output: Path) -> tuple[dict[str, str], str | None]:
    """Headers every response carries (CSP + security), read from ``output/_headers``.

    Returns (headers, warning); the warning is set when the file is missing and a fallback policy is used.
    Cache-Control is not taken from the file: it comes from the policy per folder (`headers.cache_control`).
    """
    path = Path(output) / "_headers"
    if not path.is_file():
        return (headers.site_headers(FALLBACK_CSP),
                f"{path}: not found, so the preview sends a default Content-Security-Policy that allows inline "
                "scripts and styles — set ISLET_HEADERS = True in the settings (and rebuild) to preview a policy of "
                "the site's own")
    rules = headers.parse_headers_file(path.read_text(encoding="utf-8"))
    every = {k: v for k, v in rules.get("/*", {}).items() if k.lower() != "cache-control"}
    if not every:
        return (headers.site_headers(FALLBACK_CSP),
                f"{path}: no headers for '/*', so the preview sends a default Content-Security-Policy")
    return every, None


def _quote(value: str) -> str:
    """An nginx string literal. `$` would start a variable, so it is spelled with the $dollar variable."""
    if "\n" in value or "\r" in value:
        raise PreviewError(Problem("_headers", 0, f"header value {value!r} spans lines", "keep each header on one line"))
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "${dollar}") + '"'


def _types(output: Path) -> dict[str, str]:
    """Extension → Content-Type for the policy's extensions and every extension present in `output`."""
    extensions = {suffix.lstrip(".") for suffix in headers.TYPES}
    extensions |= {p.suffix.lstrip(".").lower() for p in Path(output).rglob("*.*") if p.is_file()}
    extensions -= {"gz", "br"}   # variants are never requested by name
    return {ext: headers.content_type(f"file.{ext}") for ext in sorted(extensions) if ext}


def _location(prefix: str, cache: str, every: dict[str, str]) -> list[str]:
    lines = [f"location {prefix} {{"]
    # add_header in a location replaces the server's, so each location lists all of them; `always`
    # puts them on 404s and other errors too.
    for name, value in {"Cache-Control": cache, **every}.items():
        lines.append(f"  add_header {name} {_quote(value)} always;")
    for suffix, kind in headers.FEED_TYPES.items():
        pattern = suffix.replace(".", r"\.")
        lines.append(f"  location ~* {pattern}$ {{ types {{ }} default_type {_quote(kind)}; }}")
    # The variants and the _headers file are instructions for servers, not pages: a CDN would not serve them.
    lines.append(r"  location ~ (\.gz|\.br|/_headers)$ { return 404; }")
    lines.append("}")
    return lines


def nginx_config(output: Path, prefix: Path, host: str, port: int, every: dict[str, str],
                 tools: Tools) -> str:
    """The nginx.conf text that serves `output` like a CDN (pure: no files are touched)."""
    output, prefix = Path(output).resolve(), Path(prefix).resolve()
    types = "\n".join(f"    {_quote(kind)} {ext};" for ext, kind in _types(output).items())
    locations = _location("/", headers.cache_control(""), every)
    for folder in headers.HASHED:
        locations += _location("/" + folder, headers.cache_control(folder), every)
    # As root, nginx would hand requests to "nobody", who cannot read a build in a private folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    body = "\n".join("    " + line for line in locations)
    return f"""# Generated by islet.dev.preview for {output} — do not edit, it is rewritten on every start.
load_module {tools.brotli_module};
{user}daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 256; }}
http {{
  types {{
{types}
  }}
  default_type application/octet-stream;
  geo $dollar {{ default "$"; }}
  access_log off;
  log_not_found off;
  server_tokens off;
  sendfile on;
  client_body_temp_path {prefix}/client_body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  gzip off;
  gzip_static on;
  brotli_static on;
  gzip_vary on;
  server {{
    listen {host}:{port};
    root {output};
    index index.html;
    absolute_redirect off;
    error_page 404 /404.html;
{body}
  }}
}}
"""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as nginx does: TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


class Preview:
    """nginx serving `output` on host:port (a free port when port is 0), as a context manager.

    ``quiet`` sends nginx's messages to a log file in the prefix (shown if it fails to start);
    otherwise they go to this process's stderr.
    """

    def __init__(self, output: Path, host: str = "127.0.0.1", port: int = 0, quiet: bool = True,
                 warn=lambda message: print(f"warning: {message}", file=sys.stderr)):
        self.output = Path(output).resolve()
        self.host, self.port, self.quiet, self.warn = host, int(port), quiet, warn
        self.process: subprocess.Popen | None = None
        self.prefix: Path | None = None
        self.config: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def __enter__(self) -> "Preview":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        if not (self.output / "index.html").is_file():
            raise PreviewError(Problem(str(self.output), 0, "nothing to preview (no index.html)", "build the site first"))
        tools = find_tools()
        every, warning = site_headers(self.output)
        if warning:
            self.warn(warning)
        self.prefix = Path(tempfile.mkdtemp(prefix="islet-preview-"))
        self.config = self.prefix / "nginx.conf"
        fixed_port = self.port
        try:
            # A free port can be taken between probing and binding (other servers run here): try a few.
            for attempt in range(3):
                self.port = fixed_port or free_port(self.host)
                if fixed_port and not port_is_free(self.host, fixed_port):
                    raise PreviewError(Problem(f"{self.host}:{fixed_port}", 0, "the port is in use by another server",
                                               "stop that server or pick another port with --port"))
                self.config.write_text(nginx_config(self.output, self.prefix, self.host, self.port, every, tools))
                self._check(tools)
                try:
                    self._launch(tools)
                    return
                except PreviewError as error:
                    if fixed_port or "Address already in use" not in str(error) or attempt == 2:
                        raise
        except BaseException:
            self.stop()
            raise

    def _command(self, tools: Tools, *extra: str) -> list[str]:
        return [tools.nginx, "-p", str(self.prefix), "-c", str(self.config), "-e", "stderr", *extra]

    def _check(self, tools: Tools) -> None:
        test = subprocess.run(self._command(tools, "-t", "-q"), capture_output=True, text=True, timeout=30)
        if test.returncode != 0:
            raise PreviewError(Problem(str(self.config), 0, f"nginx rejected the generated configuration: "
                                       f"{test.stderr.strip()}", "this is a bug in islet.dev.preview: report it with "
                                       "this file"))

    def _launch(self, tools: Tools, timeout: float = 10.0) -> None:
        log = open(self.prefix / "nginx.log", "ab") if self.quiet else None
        try:
            self.process = subprocess.Popen(self._command(tools), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True)   # Ctrl-C reaches us; we stop nginx by PID
        finally:
            if log:
                log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise PreviewError(Problem(str(self.config), 0, f"nginx stopped at start: {self._log_tail()}",
                                           "is the port free? pass another one with --port"))
            # nginx writes its pid file only once it holds the port, so an answer is from this nginx,
            # not from another server that already had the port.
            if (self.prefix / "nginx.pid").is_file() and self._answers():
                return
            time.sleep(0.05)
        raise PreviewError(Problem(str(self.config), 0, f"nginx did not answer on {self.url} within {timeout:.0f} s",
                                   "see its messages above" if not self.quiet else self._log_tail()))

    def _answers(self) -> bool:
        # http.client, not urllib: urllib would send the request through an HTTP_PROXY from the environment.
        connection = http.client.HTTPConnection(self.host, self.port, timeout=1)
        try:
            connection.request("HEAD", "/")
            return connection.getresponse().status < 500
        except OSError:
            return False
        finally:
            connection.close()

    def _log_tail(self) -> str:
        log = self.prefix / "nginx.log" if self.prefix else None
        if not self.quiet or log is None or not log.is_file():
            return "see its messages above"
        return " / ".join(log.read_text(errors="replace").strip().splitlines()[-3:]) or "no message"

    def stop(self) -> None:
        """Graceful stop (QUIT) by PID, KILL if it lingers; then remove the prefix folder."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None
        if self.prefix is not None:
            shutil.rmtree(self.prefix, ignore_errors=True)
            self.prefix = None


def serve(output: Path, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run the preview in the foreground until Ctrl-C (or SIGTERM / SIGHUP), then stop nginx."""
    def leave(signum, frame):
        raise KeyboardInterrupt   # unwinds through Preview.__exit__, which stops nginx: no orphan server

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, leave)
    with Preview(output, host, port, quiet=False) as preview:
        print(f"Previewing {Path(output).name}/ through nginx at {preview.url} (brotli/gzip, CDN cache and "
              "security headers) — press Ctrl-C to stop.")
        try:
            while preview.process is not None and preview.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
