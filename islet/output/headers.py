"""Headers policy: how each output file is served — content type, caching, compression, security.

One policy for every way the site leaves the machine: the S3 publisher stores these as object
metadata, `invoke preview` turns them into nginx configuration, and the build writes them as a
``_headers`` file (the Netlify / Cloudflare Pages format) for hosts that read one, when the site sets
ISLET_HEADERS (with a Content-Security-Policy derived from what the pages load: islet.output.csp).

File names decide the cache policy. Everything under a HASHED folder carries a content hash in
its name (the widget bundles, the resized images, the search index's shards and fragments), so it can
be cached forever: a change gets a new name. Everything else (HTML, feeds, sitemap, favicon, the search
manifest) must be revalidated so a publish is seen at once.
"""
from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from .csp import merged

# Output folders whose file names hold a content hash: widget bundles, resized images, the search index's parts
# (islet.output.search_shards; its manifest, search.json, is not among them).
HASHED = ("widgets/", "img/", "search/t/", "search/d/", "search/f/")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".ico": "image/vnd.microsoft.icon",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".woff2": "font/woff2",
    ".webmanifest": "application/manifest+json; charset=utf-8",
}
# Pelican's feeds end in .atom.xml / .rss.xml: say what they are, so feed readers and browsers agree.
FEED_TYPES = {".atom.xml": "application/atom+xml; charset=utf-8", ".rss.xml": "application/rss+xml; charset=utf-8"}
COMPRESSIBLE = {".html", ".css", ".js", ".mjs", ".json", ".map", ".xml", ".txt", ".svg", ".ico", ".webmanifest"}

SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def content_type(path: str) -> str:
    """``Content-Type`` for an output path (relative, forward slashes); text types carry charset=utf-8."""
    name = PurePosixPath(path).name.lower()
    for suffix, kind in FEED_TYPES.items():
        if name.endswith(suffix):
            return kind
    suffix = PurePosixPath(name).suffix
    if suffix in TYPES:
        return TYPES[suffix]
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed


def is_hashed(path: str) -> bool:
    return path.startswith(HASHED)


def cache_control(path: str) -> str:
    return IMMUTABLE if is_hashed(path) else REVALIDATE


def compressible(path: str) -> bool:
    """Worth sending gzip/brotli-compressed (text formats); images are compressed already."""
    return PurePosixPath(path.lower()).suffix in COMPRESSIBLE


# The CSP source of an empty inline text ('sha256-' + base64 of the SHA-256 of b""): it allows nothing a page
# needs, and where it appears a theme with no CSS for islet to inline got a policy naming CSS it does not have.
EMPTY_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"


def content_security_policy(script_hashes: Iterable[str] = (), style_hashes: Iterable[str] = (),
                            needs: Mapping[str, Iterable[str]] | None = None) -> str:
    """The site's policy: scripts and styles only from this origin or the exact inline texts hashed here,
    plus what `needs` names (islet.output.csp: {directive: sources} the pages load; none for the islet theme).

    No ``unsafe-inline`` for elements: the islet theme's only inline scripts are the import map (one text,
    site-wide) and the pre-paint snippet; its only inline style is the theme CSS. Each is allowed by its hash;
    the hash of an empty text never is (no inline CSS, no style hash). Written only for a site that sets
    ISLET_HEADERS.
    """
    needs = {directive: set(sources) - {EMPTY_HASH} for directive, sources in (needs or {}).items()}
    needs.setdefault("script-src", set()).update(set(script_hashes) - {EMPTY_HASH})
    needs.setdefault("style-src", set()).update(set(style_hashes) - {EMPTY_HASH})
    parts = ["default-src 'self'", merged(needs, "script-src", "'self'")]
    parts += [merged(needs, "script-src-attr")] if needs.get("script-src-attr") else []
    parts += [merged(needs, "style-src", "'self'")]
    parts += [merged(needs, "style-src-attr")] if needs.get("style-src-attr") else []
    parts += [merged(needs, "img-src", "'self'", "data:")]
    parts += [merged(needs, name, "'self'") for name in ("font-src", "media-src", "frame-src") if needs.get(name)]
    parts += ["object-src 'none'", "base-uri 'self'", merged(needs, "form-action", "'self'"), "frame-ancestors 'none'"]
    return "; ".join(parts)


def site_headers(csp: str) -> dict[str, str]:
    """Headers every response of the site carries."""
    return {"Content-Security-Policy": csp, **SECURITY}


def headers_file(csp: str) -> str:
    """The ``_headers`` file: security headers on every path, cache policy by folder."""
    lines = ["/*"] + [f"  {k}: {v}" for k, v in site_headers(csp).items()] + [f"  Cache-Control: {REVALIDATE}"]
    for folder in HASHED:
        lines += [f"/{folder}*", f"  Cache-Control: {IMMUTABLE}"]
    return "\n".join(lines) + "\n"


def parse_headers_file(text: str) -> dict[str, dict[str, str]]:
    """``_headers`` text → {path pattern: {header: value}}, the inverse of `headers_file`."""
    rules: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            current = rules.setdefault(line.strip(), {})
        elif current is not None and ":" in line:
            name, value = line.split(":", 1)
            current[name.strip()] = value.strip()
    return rules
