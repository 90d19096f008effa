"""`invoke preview`: a real nginx serving a built site with the headers and encodings a CDN edge sends."""
from __future__ import annotations

import gzip
import http.client
import os
import socket
from urllib.parse import urlsplit

import brotli
import pytest

from islet.dev.preview import Preview
from islet.errors import ToolMissingError
from islet.output import headers
from islet.output.compress import compress_output

PAGE = "<!doctype html><html lang=en><title>{}</title>" + "<p>An island of interactivity in a sea of HTML.</p>\n" * 40
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
FILES = {
    "index.html": PAGE.format("Home"),
    "404.html": PAGE.format("Not found"),
    "articles/islands.html": PAGE.format("Islands"),
    "feeds/all.atom.xml": '<?xml version="1.0" encoding="utf-8"?><feed>' + "<entry><title>x</title></entry>" * 60
                          + "</feed>",
    "sitemap.xml": "<urlset>" + "<url><loc>http://127.0.0.1/x.html</loc></url>" * 40 + "</urlset>",
    "widgets/x-ABCDEFGH.js": "export function mount(el){el.textContent='hello';}\n" * 30,
    "widgets/chunks/chunk-ABCDEFGH.js": "export const shared = 1;\n" * 40,
    "theme/site.css": "body{margin:0}\n" * 50,
    "images/diagram.svg": '<svg xmlns="http://www.w3.org/2000/svg">' + '<rect width="1" height="1"/>' * 40 + "</svg>",
    "data.json": '{"rows": [' + ",".join(['{"a": 1}'] * 60) + "]}",
}
# A policy only this test uses (so a default one would show), with characters nginx treats specially.
CSP = headers.content_security_policy(["'sha256-AAAAtestTESTtest+/=='"], ["'sha256-BBBBtest+/=='"])
EXTRA = {"X-Preview-Test": 'quotes " and a $dollar'}

REVALIDATE = headers.REVALIDATE
IMMUTABLE = "public, max-age=31536000, immutable"


def make_site(root, with_headers=True):
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "img").mkdir()
    (root / "img" / "photo-ABCDEFGH.png").write_bytes(PNG)
    if with_headers:
        text = headers.headers_file(CSP).replace("/*\n", "/*\n" + "".join(f"  {k}: {v}\n" for k, v in EXTRA.items()), 1)
        (root / "_headers").write_text(text, encoding="utf-8")
    compress_output(root)
    return root


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(tmp_path_factory.mktemp("preview-site"))


@pytest.fixture(scope="module")
def preview(site):
    before = snapshot(site)
    with Preview(site) as running:
        yield running
    assert snapshot(site) == before, "the preview wrote into the served folder"


def get(preview, path, encoding=None):
    connection = http.client.HTTPConnection(preview.host, preview.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": encoding} if encoding else {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/index.html", "/widgets/x-ABCDEFGH.js", "/feeds/all.atom.xml", "/sitemap.xml",
                                  "/theme/site.css"])
def test_brotli_gzip_and_identity(preview, site, path):
    original = (site / path.lstrip("/")).read_bytes()
    status, head, body = get(preview, path, "br")
    assert (status, head.get("content-encoding")) == (200, "br")
    assert body == (site / (path.lstrip("/") + ".br")).read_bytes()
    assert brotli.decompress(body) == original
    status, head, body = get(preview, path, "gzip")
    assert (status, head.get("content-encoding")) == (200, "gzip")
    assert gzip.decompress(body) == original
    status, head, body = get(preview, path)
    assert (status, head.get("content-encoding")) == (200, None)
    assert body == original
    for encoding in ("br", "gzip", None):
        assert "accept-encoding" in get(preview, path, encoding)[1].get("vary", "").lower()


def test_brotli_preferred_when_both_accepted(preview):
    assert get(preview, "/index.html", "gzip, deflate, br")[1].get("content-encoding") == "br"


def test_images_are_sent_as_they_are(preview):
    status, head, body = get(preview, "/img/photo-ABCDEFGH.png", "br, gzip")
    assert (status, head.get("content-encoding"), body) == (200, None, PNG)


@pytest.mark.parametrize("path, cache", [
    ("/widgets/x-ABCDEFGH.js", IMMUTABLE), ("/widgets/chunks/chunk-ABCDEFGH.js", IMMUTABLE),
    ("/img/photo-ABCDEFGH.png", IMMUTABLE),
    ("/", REVALIDATE), ("/index.html", REVALIDATE), ("/articles/islands.html", REVALIDATE),
    ("/feeds/all.atom.xml", REVALIDATE), ("/sitemap.xml", REVALIDATE), ("/theme/site.css", REVALIDATE),
    ("/no/such/page.html", REVALIDATE), ("/widgets/missing-ABCDEFGH.js", REVALIDATE),   # a 404 is never immutable
])
def test_cache_policy(preview, path, cache):
    for encoding in ("br", None):
        assert get(preview, path, encoding)[1]["cache-control"] == cache


@pytest.mark.parametrize("path, kind", [
    ("/index.html", "text/html; charset=utf-8"),
    ("/", "text/html; charset=utf-8"),
    ("/theme/site.css", "text/css; charset=utf-8"),
    ("/widgets/x-ABCDEFGH.js", "text/javascript; charset=utf-8"),
    ("/sitemap.xml", "application/xml; charset=utf-8"),
    ("/feeds/all.atom.xml", "application/atom+xml; charset=utf-8"),
    ("/images/diagram.svg", "image/svg+xml; charset=utf-8"),
    ("/data.json", "application/json; charset=utf-8"),
    ("/img/photo-ABCDEFGH.png", "image/png"),
])
def test_content_type_with_charset(preview, path, kind):
    for encoding in ("br", "gzip", None):
        assert get(preview, path, encoding)[1]["content-type"] == kind
    assert headers.content_type(path.lstrip("/") or "index.html") == kind   # nginx and the policy agree


@pytest.mark.parametrize("path", ["/", "/index.html", "/widgets/x-ABCDEFGH.js", "/img/photo-ABCDEFGH.png",
                                  "/feeds/all.atom.xml", "/no/such/page", "/articles"])
def test_csp_and_security_headers_on_every_response(preview, path):
    for encoding in ("br", None):
        status, head, _ = get(preview, path, encoding)
        assert head["content-security-policy"] == CSP, status
        for name, value in {**headers.SECURITY, **EXTRA}.items():
            assert head[name.lower()] == value, (name, status)


def test_unknown_path_gets_the_404_page_with_status_404(preview, site):
    status, head, body = get(preview, "/no/such/page.html")
    assert status == 404 and body == (site / "404.html").read_bytes()
    assert head["content-type"] == "text/html; charset=utf-8"
    status, head, body = get(preview, "/no/such/page.html", "br")
    assert status == 404 and brotli.decompress(body) == (site / "404.html").read_bytes()


@pytest.mark.parametrize("path", ["/index.html.br", "/index.html.gz", "/_headers"])
def test_server_files_are_not_pages(preview, path):
    assert get(preview, path)[0] == 404


def test_directory_redirect_stays_on_the_same_origin(preview):
    status, head, _ = get(preview, "/articles")
    assert status == 301 and head["location"] == "/articles/"


def test_missing_headers_file_falls_back_with_a_warning(tmp_path):
    site = make_site(tmp_path / "site", with_headers=False)
    warnings = []
    with Preview(site, warn=warnings.append) as running:
        head = get(running, "/")[1]
    assert len(warnings) == 1 and "_headers" in warnings[0] and "rebuild" in warnings[0]
    assert "'unsafe-inline'" in head["content-security-policy"]
    assert head["x-content-type-options"] == "nosniff"


def test_stop_ends_nginx_and_removes_its_prefix(tmp_path):
    site = make_site(tmp_path / "site")
    with Preview(site) as running:
        pid, prefix, port = running.process.pid, running.prefix, running.port
        assert (prefix / "nginx.conf").is_file() and not (site / "nginx.conf").exists()
        assert urlsplit(running.url).hostname == "127.0.0.1"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not prefix.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_missing_brotli_module_names_the_packages(tmp_path, monkeypatch):
    import islet.dev.preview

    monkeypatch.setattr(islet.dev.preview, "BROTLI_MODULE", tmp_path / "missing.so")
    with pytest.raises(ToolMissingError, match="libnginx-mod-http-brotli-static"):
        Preview(make_site(tmp_path / "site")).start()


def test_built_demo_site(built_demo):
    """The real build: its _headers policy, its hashed widget bundles and its pages, through nginx."""
    output = built_demo.path("build")
    policy = headers.parse_headers_file((output / "_headers").read_text())["/*"]["Content-Security-Policy"]
    widget = next(p for p in sorted((output / "widgets").glob("*.js")))
    with Preview(output) as running:
        for path, cache in [("/", REVALIDATE), ("/" + widget.relative_to(output).as_posix(), IMMUTABLE)]:
            status, head, body = get(running, path, "br")
            assert (status, head.get("content-encoding"), head["cache-control"]) == (200, "br", cache)
            assert head["content-security-policy"] == policy
        status, head, body = get(running, "/missing.html")
        assert status == 404 and body == (output / "404.html").read_bytes()


def test_port_in_use_is_a_clear_error(preview, site):
    from islet.dev.preview import PreviewError

    with pytest.raises(PreviewError, match="port is in use"):
        Preview(site, port=preview.port).start()
    assert get(preview, "/")[0] == 200, "the running preview was disturbed"
