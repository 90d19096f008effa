"""Helpers of the publish tests: running ``python -m islet.publish``, copying a built site, reading a bucket back."""
from __future__ import annotations

import gzip
import hashlib
import json
import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from islet.publish.owner import MANIFEST
from support.site import copy_site

ORIGIN = "https://islet.example"


def site_copy(production_site, folder: Path):
    """A private copy of the production site, build included, with the build's times kept (not stale)."""
    site = copy_site(folder)
    shutil.copytree(production_site.root / "build", folder / "build")
    for path in (folder / "build").rglob("*"):      # copies are newer than the sources only if we say so
        path.touch()
    return site


def publish_cli(root: Path, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m islet.publish` on a site folder."""
    return subprocess.run([sys.executable, "-m", "islet.publish", "--root", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


def publish(root: Path, env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m islet.publish --no-build` on a site folder (the build step is tested separately)."""
    return publish_cli(root, "--no-build", *args, env=env, timeout=timeout)


def remote_objects(client, bucket: str, prefix: str = "") -> dict[str, dict]:
    """Every object under the prefix: {key without prefix: HEAD answer}."""
    lead = f"{prefix}/" if prefix else ""
    keys = [item["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=lead)
            for item in page.get("Contents", [])]
    # The site's manifest (islet.publish.owner) is the publisher's record, not a file of the site.
    return {key[len(lead):]: client.head_object(Bucket=bucket, Key=key) for key in keys
            if not key.endswith(MANIFEST)}


def remote_state(client, bucket: str, prefix: str = "") -> dict[str, str]:
    """{key: md5 of the body as a reader gets it, decompressed}: what the site *is* on the remote."""
    lead = f"{prefix}/" if prefix else ""
    state = {}
    for key in remote_objects(client, bucket, prefix):
        answer = client.get_object(Bucket=bucket, Key=lead + key)
        body = answer["Body"].read()
        if answer.get("ContentEncoding") == "gzip":
            body = gzip.decompress(body)
        state[key] = hashlib.md5(body).hexdigest()
    return state


def local_state(build: Path) -> dict[str, str]:
    """{key: md5} of what an S3 publish of `build` must leave in the bucket (no variants, no `_headers`, no
    stylesheet nothing names)."""
    from islet.publish.plan import NOT_FOR_S3, unreferenced_styles

    every = {p.relative_to(build).as_posix(): p for p in build.rglob("*") if p.is_file()}
    keys = [key for key in every if not (key.endswith((".gz", ".br")) and key[:-3] in every) and key not in NOT_FOR_S3]
    unused = unreferenced_styles(build, keys)
    return {key: hashlib.md5(every[key].read_bytes()).hexdigest() for key in keys if key not in unused}


# What a page needs to render: scripts, styles, images, icons, preloads and import-map entries. Links to
# other pages (<a href>) are navigation, not rendering; they are not part of "never broken".
_LINK_REL = re.compile(r"""<link\b[^>]*\brel="([^"]+)\"""", re.I)
_IMPORTMAP = re.compile(r"""<script type="importmap">(.*?)</script>""", re.S)


def page_assets(page_key: str, html: str) -> set[str]:
    """Keys of the assets `html` (the page at `page_key`) needs, resolved to site keys."""
    found: set[str] = set()
    for tag in re.finditer(r"<(script|img|source|link|video|audio|iframe)\b[^>]*>", html, re.I):
        text = tag.group(0)
        if tag.group(1).lower() == "link":
            rel = _LINK_REL.search(text)
            if not rel or not set(rel.group(1).lower().split()) & {"stylesheet", "icon", "modulepreload",
                                                                     "preload", "manifest"}:
                continue
        for attr in re.finditer(r"""\s(src|href|srcset)="([^"]+)\"""", text, re.I):
            urls = [part.strip().split()[0] for part in attr.group(2).split(",")] if attr.group(1).lower() == \
                "srcset" else [attr.group(2)]
            found.update(filter(None, (_key(page_key, url) for url in urls)))
    for block in _IMPORTMAP.findall(html):
        for url in json.loads(block).get("imports", {}).values():
            if key := _key(page_key, url):
                found.add(key)
    return found


def _key(page_key: str, url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("data", "mailto") or (parts.netloc and f"{parts.scheme}://{parts.netloc}" != ORIGIN):
        return None
    path = parts.path
    if not path:
        return None
    key = path.lstrip("/") if path.startswith("/") else posixpath.normpath(
        posixpath.join(posixpath.dirname(page_key), path))
    return key + "index.html" if key.endswith("/") or key == "" else key


_ANCHOR = re.compile(r'<a\b[^>]*?\shref="([^"]+)"', re.I)


def broken_links(pages: dict[str, str], keys: set[str], search: str | None = None) -> list[str]:
    """'page → page' for every link a reader can follow to a page that is not among `keys`: from the home page
    on, through the pages there, and every page the search index lists. [] also while there is no home page (a
    first publish: nobody can reach the site yet)."""
    if "index.html" not in pages:
        return []
    broken, seen, todo = set(), {"index.html"}, ["index.html"]
    while todo:
        page = todo.pop()
        for url in _ANCHOR.findall(pages[page]):
            target = _key(page, url.split("#")[0].split("?")[0])
            if target is None or not target.endswith(".html"):
                continue
            if target not in keys:
                broken.add(f"{page} → {target}")
            elif target in pages and target not in seen:
                seen.add(target)
                todo.append(target)
    for url in re.findall(r'"([^"\s]+\.html)"', search or ""):
        if (target := _key("", url)) not in keys:
            broken.add(f"search.json → {target}")
    broken.update(f"search.json → {key}" for key in re.findall(r'"missing ([^"]+)"', search or ""))
    return sorted(broken)


def search_results(read) -> str:
    """The fragments of every search result the live index holds (islet.output.search_shards), as one text for
    `broken_links`: `read(key)` gives a file's text, None when it is missing. A file the index names that is
    not there is reported as a link to "missing <key>", which is never a page."""
    manifest = read("search.json")
    if manifest is None:
        return ""
    texts = [manifest]
    for table in json.loads(manifest)["tables"]:
        names = read(f"search/d/{table}.json")
        if names is None:
            texts.append(f'"missing search/d/{table}.json"')
            continue
        for name in json.loads(names):
            key = f"search/f/{name}.json"
            texts.append(read(key) or f'"missing {key}"')
    return "\n".join(texts)


def add_to_search_index(build: Path, entry: dict) -> None:
    """Rewrite the search index of `build` (search.json and search/) with one more article: the entries come
    back from the fragments."""
    from islet.output import search_index

    entries = [dict(zip(("title", "url", "date", "day", "summary", "body"), json.loads(path.read_text())))
               for path in (build / "search" / "f").glob("*.json")]
    shutil.rmtree(build / "search")
    for path, body in search_index.build_index(entries + [entry]).files.items():
        (build / path).parent.mkdir(parents=True, exist_ok=True)
        (build / path).write_bytes(body)


def broken_references(pages: dict[str, str], keys: set[str]) -> list[str]:
    """'page → asset' for every asset a page needs that is not among `keys`. [] means nothing is broken."""
    return sorted(f"{page} → {asset}" for page, html in pages.items() for asset in page_assets(page, html)
                  if asset not in keys)
