"""The publish plan: where a site goes, what is local, and what to upload and delete, as values.

For S3 a publish is a plan computed first (`plan`), after Hugo's deploy: the remote listing and
the local files are compared by an MD5 of the uncompressed file (kept in object metadata: a
multipart ETag is not an MD5) and by the headers; uploads go in ordered groups (`GROUPS`: hashed
assets, other assets, pages, then feeds, sitemap and home page) so no reader is served HTML that
refers to an asset that is not there yet; deletes run only after every upload succeeded and are
fenced by a maximum. rsync keeps the same order with two passes (`group_of`). Nothing here does
any I/O but reading the build.
"""
from __future__ import annotations

import gzip
import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from islet.errors import IsletError, Problem
from islet.output import headers

DEFAULT_MAX_DELETES = 256
# The relative fence: a publish may delete at most this share of the files live at the target, nor leave out more
# than this share of its live pages (a wrong prefix, a gutted build). Up to FENCE_FLOOR deletions always pass:
# a small site's ordinary edit.
DEFAULT_MAX_DELETE_SHARE = 0.25
FENCE_FLOOR = 5
DEFAULT_BRANCH = "gh-pages"
VARIANTS = (".gz", ".br")        # precompressed copies the build writes next to a text file


class PublishError(IsletError):
    """Publishing failed or was refused; the message says what to do. Nothing half-done is left visible."""


# ---------------------------------------------------------------------------------------------- targets

@dataclass(frozen=True)
class S3Target:
    bucket: str
    prefix: str = ""            # no leading or trailing slash; "" is the bucket's root

    def key(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


@dataclass(frozen=True)
class RsyncTarget:
    host: str                   # with the user, as ssh takes it: "deploy@example.org"
    path: str
    port: int | None = None

    @property
    def destination(self) -> str:
        return f"{self.host}:{self.path.rstrip('/')}/"

    def __str__(self) -> str:
        return f"ssh://{self.host}{f':{self.port}' if self.port else ''}{self.path}"


@dataclass(frozen=True)
class GitTarget:
    repository: str
    branch: str = DEFAULT_BRANCH

    def __str__(self) -> str:
        return f"git:{self.repository}#{self.branch}"


Target = S3Target | RsyncTarget | GitTarget
TARGET_FORMS = "s3://bucket/prefix, ssh://user@host:port/path, user@host:/path or git:/path/to/repo#branch"


def parse_target(text: str, source: str = "--target") -> Target:
    """The target string → a target; a `PublishError` naming the accepted forms otherwise."""
    text = (text or "").strip()

    def bad(what: str) -> PublishError:
        return PublishError(Problem(source, 0, f"{what}: {text!r}", f"write the target as one of {TARGET_FORMS}"))

    if not text:
        raise PublishError(Problem(source, 0, "no publish target given",
                                   "pass --target (e.g. s3://my-bucket/site) or set ISLET_PUBLISH_TARGET "
                                   f"in publishconf.py; the forms are {TARGET_FORMS}"))
    if text.startswith("s3://"):
        bucket, _, prefix = text[5:].partition("/")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket):
            raise bad("not a valid bucket name (3–63 lower-case letters, digits, dots, hyphens)")
        return S3Target(bucket, prefix.strip("/"))
    if text.startswith("git:"):
        repository, _, branch = text[4:].partition("#")
        if not repository or branch.startswith("-") or " " in branch:
            raise bad("a git target needs a repository (and optionally #branch)")
        return GitTarget(repository, branch or DEFAULT_BRANCH)
    if text.startswith("rsync://"):
        raise bad("rsync:// means an rsync daemon, which islet does not publish to; use ssh://user@host:port/path")
    if text.startswith("ssh://"):
        parts = urlsplit(text)
        if not parts.hostname or not parts.path or parts.path == "/":
            raise bad("an ssh target needs a host and a folder")
        host = f"{parts.username}@{parts.hostname}" if parts.username else parts.hostname
        return RsyncTarget(host, parts.path, parts.port)
    match = re.fullmatch(r"((?:[\w.\-]+@)?[\w.\-]+):(.+)", text)
    if match and "://" not in text:
        return RsyncTarget(match[1], match[2])
    raise bad("unknown kind of target")


# ------------------------------------------------------------------------------------------ local files

@dataclass(frozen=True)
class LocalFile:
    path: Path                  # the file in the build
    md5: str                    # of the file as the build wrote it (uncompressed)
    size: int                   # bytes that will be uploaded (the gzip body when Content-Encoding is gzip)
    headers: dict[str, str]     # Content-Type, Cache-Control and, for a gzip body, Content-Encoding
    gzipped: Path | None = None     # the build's F.gz, when it holds exactly F

    def body(self) -> bytes:
        """What to upload: F's gzip body when Content-Encoding is gzip (F.gz from the build, or made here)."""
        if self.headers.get("Content-Encoding") != "gzip":
            return self.path.read_bytes()
        return self.gzipped.read_bytes() if self.gzipped else _gzip(self.path.read_bytes())


def _gzip(data: bytes) -> bytes:
    # mtime 0 and a fixed level: the same file always gives the same bytes (and so the same upload).
    return gzip.compress(data, compresslevel=9, mtime=0)


def _gunzip(path: Path) -> bytes | None:
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError):
        return None


def is_variant(key: str, keys: set[str]) -> bool:
    """True for F.gz / F.br written next to F: the compressed copies are served for F, never published as files."""
    return key.endswith(VARIANTS) and key[:-3] in keys


def site_keys(output: Path) -> list[str]:
    """Every file of the build, as forward-slash paths relative to it, compressed variants left out."""
    every = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    return sorted(k for k in every if not is_variant(k, every))


# Files for hosts that read them (Netlify, Cloudflare Pages), which S3 cannot use: its headers are object metadata
# (islet.output.headers), and a public `_headers` object would only show the policy to anyone.
NOT_FOR_S3 = frozenset({"_headers", "_redirects"})


def unreferenced_styles(output: Path, keys: list[str]) -> set[str]:
    """The stylesheets no page, stylesheet or script of the build names (a theme's CSS that islet inlines into
    every page, which Pelican copies anyway): nothing would ever request them."""
    styles = {key for key in keys if key.endswith(".css")}
    if not styles:
        return set()
    texts = [(output / key).read_text(encoding="utf-8", errors="replace") for key in keys
             if key.endswith((".html", ".css", ".js", ".mjs", ".json", ".xml"))]
    return {key for key in styles if not any(posixpath.basename(key) in text for text in texts)}


def local_files(output: Path) -> dict[str, LocalFile]:
    """The build as S3 would store it: {key: LocalFile}. Compressible text goes up gzip-encoded when smaller."""
    found: dict[str, LocalFile] = {}
    keys = [k for k in site_keys(output) if k not in NOT_FOR_S3]
    unused = unreferenced_styles(output, keys)
    for key in (k for k in keys if k not in unused):
        path = output / key
        data = path.read_bytes()
        head = {"Content-Type": headers.content_type(key), "Cache-Control": headers.cache_control(key)}
        size, ready = len(data), None
        if headers.compressible(key):
            ready = path.with_name(path.name + ".gz")
            # The build's F.gz is used only if it really is F: a stale or hand-made one is not uploaded.
            ready = ready if ready.is_file() and _gunzip(ready) == data else None
            packed = ready.stat().st_size if ready else len(_gzip(data))
            if packed < size:
                head["Content-Encoding"] = "gzip"
                size = packed
        found[key] = LocalFile(path, hashlib.md5(data).hexdigest(), size, head, ready)
    return found


# ------------------------------------------------------------------------------------------------- plan

@dataclass(frozen=True)
class RemoteFile:
    md5: str                    # from the object's metadata ("" when it has none: not published by islet)
    headers: dict[str, str]


class Upload(NamedTuple):
    key: str
    reason: str                 # "new", "content differs" or "headers differ"


# Upload order. A reader who arrives mid-publish must never get HTML that refers to an asset that is
# not uploaded yet, so what HTML refers to goes first and the entry points (home page, feeds, sitemap)
# go last. Each group finishes before the next starts.
GROUPS = ("hashed assets", "other assets", "pages", "feeds, sitemap and home page")
SEARCH_INDEX = "search.json"    # islet.output.search_index.FILENAME (publish may not import output's stages)
SEARCH_FRAGMENTS = "search/f/"  # one per result, with its page's url: islet.output.search_shards
LAST = ("index.html", "sitemap.xml", "robots.txt")


def group_of(key: str) -> int:
    name = key.lower()
    if headers.is_hashed(key):
        return 0
    if key in LAST or key.startswith("feeds/") or name.endswith((".atom.xml", ".rss.xml")):
        return 3
    if name.endswith(".html") or key == SEARCH_INDEX:     # the search index lists pages: it goes with them
        return 2
    return 1


@dataclass
class Plan:
    uploads: list[Upload] = field(default_factory=list)       # in upload order: by group, wave, then key
    deletes: list[str] = field(default_factory=list)          # run only after every upload succeeded
    held_back: list[str] = field(default_factory=list)        # deletes over the limit: not run
    max_deletes: int = DEFAULT_MAX_DELETES
    waves: dict[str, int] = field(default_factory=dict)       # page -> its wave (link_waves); 0 when absent

    @property
    def empty(self) -> bool:
        return not (self.uploads or self.deletes or self.held_back)

    def groups(self) -> list[tuple[str, list[Upload]]]:
        """The uploads split into their ordered groups (empty groups left out); pages in waves, each finished
        before the next starts, so that a page goes up after every new page it links to."""
        split: dict[tuple[int, int], list[Upload]] = {}
        for upload in self.uploads:
            split.setdefault((group_of(upload.key), self.waves.get(upload.key, 0)), []).append(upload)
        return [(GROUPS[group] + (f" (wave {wave + 1}: after the new pages they link to)" if wave else ""), uploads)
                for (group, wave), uploads in sorted(split.items())]


def plan(local: dict[str, LocalFile], remote: dict[str, RemoteFile], max_deletes: int = DEFAULT_MAX_DELETES) -> Plan:
    """Pure: what to upload (with the reason) and what to delete, to make `remote` equal `local`.

    `max_deletes` < 0 means no limit. Over the limit no delete is planned at all (they are `held_back`):
    a wrong prefix or an empty build must not wipe a site.
    """
    uploads = []
    for key, file in local.items():
        there = remote.get(key)
        if there is None:
            uploads.append(Upload(key, "new"))
        elif there.md5 != file.md5:
            uploads.append(Upload(key, "content differs"))
        elif there.headers != file.headers:
            uploads.append(Upload(key, "headers differ"))
    waves = link_waves([u.key for u in uploads], local, remote)
    uploads.sort(key=lambda u: (group_of(u.key), waves.get(u.key, 0), u.key))
    deletes = sorted(set(remote) - set(local))
    if 0 <= max_deletes < len(deletes):
        return Plan(uploads, [], deletes, max_deletes, waves)
    return Plan(uploads, deletes, [], max_deletes, waves)


_HREF = re.compile(r"""<a\b[^>]*?\shref\s*=\s*["']([^"'#?]+)""", re.I)
_SEARCH_URL = re.compile(r'"([^"#?\s]+\.html)"')      # the search index's page paths (any JSON string)


def linked_pages(key: str, text: str, keys) -> set[str]:
    """The pages of the site (among `keys`) that the page or search index `key` links to."""
    found = set()
    for url in (_SEARCH_URL if key == SEARCH_INDEX else _HREF).findall(text):
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            continue                      # another site (or this one by its full URL: left alone)
        path = parts.path.lstrip("/") if parts.path.startswith("/") else \
            posixpath.normpath(posixpath.join(posixpath.dirname(key), parts.path))
        path = path + "index.html" if path.endswith("/") or path in ("", ".") else path
        path = path.removeprefix("./")
        if path in keys and path != key:
            found.add(path)
    return found


def link_waves(uploads: list[str], local: dict[str, "LocalFile"], remote) -> dict[str, int]:
    """{page: wave} for the pages (and search index) among `uploads` that link to *new* pages (not live yet):
    a page's wave is one more than the highest wave of the new pages it links to, so each goes up after them.
    Pages already live need no wait (their old version is there); a cycle of new pages is cut where found. A
    target without a home page has no readers yet: no waves."""
    if "index.html" not in remote:
        return {}
    new = {key for key in uploads if key not in remote and group_of(key) == 2}
    needs = {}
    for key in uploads:
        if group_of(key) == 2 and local[key].path is not None:
            try:
                text = Path(local[key].path).read_text(encoding="utf-8", errors="replace")
            except OSError:            # gone since it was listed: the upload will say so
                continue
            if key == SEARCH_INDEX:       # its results are in its fragments, which go up before it (hashed)
                text += "".join(_read(local[k].path) for k in local if k.startswith(SEARCH_FRAGMENTS))
            needs[key] = sorted(linked_pages(key, text, new))
    waves: dict[str, int] = {}
    for start in sorted(needs):               # depth first, without recursion: chains of new pages may be long
        if start in waves:
            continue
        stack, visiting = [(start, 0)], {start}
        while stack:
            key, index = stack[-1]
            deps = [d for d in needs.get(key, ()) if d not in visiting]
            pending = next((d for d in deps[index:] if d not in waves), None)
            if pending is not None:
                stack[-1] = (key, deps.index(pending) + 1)
                stack.append((pending, 0))
                visiting.add(pending)
                continue
            waves[key] = 1 + max((waves[d] for d in deps if d in waves), default=-1)
            stack.pop()
            visiting.discard(key)
    return {key: n for key, n in waves.items() if n}


def _read(path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace") if path is not None else ""
    except OSError:                    # gone since it was listed: its upload will say so
        return ""


@dataclass(frozen=True)
class Shares:
    """How much of the live site a plan removes: files deleted, and live pages the build no longer has."""
    deletes: int
    live: int
    pages_lost: int
    live_pages: int

    @staticmethod
    def of(the_plan: Plan, local: dict, remote: dict) -> "Shares":
        live_pages = [key for key in remote if key.endswith(".html")]
        return Shares(len(the_plan.deletes) + len(the_plan.held_back), len(remote),
                      sum(1 for key in live_pages if key not in local), len(live_pages))

    def over(self, max_share: float) -> bool:
        """Whether the relative fence refuses it (`max_share` < 0: no fence)."""
        if max_share < 0 or self.deletes <= FENCE_FLOOR:
            return False
        return self.deletes > max_share * self.live or self.pages_lost > max_share * self.live_pages

    def line(self, max_share: float) -> str:
        fence = "no fence" if max_share < 0 else f"fence {max_share:.0%}"
        return (f"Live site: {self.deletes} of its {self.live} files to delete ({_share(self.deletes, self.live)}), "
                f"{self.pages_lost} of its {self.live_pages} pages not in this build "
                f"({_share(self.pages_lost, self.live_pages)}); {fence}.")


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


def fence_problem(shares: Shares, max_share: float, target: Target) -> Problem:
    return Problem(str(target), 0, f"refused before any change: this publish would delete {shares.deletes} of the "
                   f"{shares.live} files live there ({_share(shares.deletes, shares.live)}) and leave out "
                   f"{shares.pages_lost} of its {shares.live_pages} pages, more than {max_share:.0%}: a wrong "
                   "target or prefix, or a build that lost pages?",
                   "check --target and the build; if that is what you want, run again with --max-delete-share=1 "
                   "(or set ISLET_PUBLISH_MAX_DELETE_SHARE)")


def apply_fence(shares: Shares, max_share: float, target: Target, dry_run: bool) -> None:
    """Print the live site's figures (when there is one); past the fence, a warning in a dry run, else
    PublishError: refused before any change. For every target that can list what is live (S3, rsync)."""
    if shares.live:
        print(shares.line(max_share))
    if shares.over(max_share):
        if not dry_run:
            raise PublishError(fence_problem(shares, max_share, target))
        print(f"warning: {fence_problem(shares, max_share, target).what}")


def describe(the_plan: Plan, local: dict[str, LocalFile], target: Target) -> list[str]:
    """The plan as lines to print: each upload with its reason, each delete, and a summary."""
    if the_plan.empty:
        return [f"{target}: no changes required."]
    width = max([len(u.key) for u in the_plan.uploads] + [len(k) for k in the_plan.deletes] + [1])
    lines = [f"Plan for {target}:"]
    for name, uploads in the_plan.groups():
        lines.append(f"  {name}:")
        lines += [f"    upload  {u.key:<{width}}  {u.reason}" for u in uploads]
    lines += [f"    delete  {key}" for key in the_plan.deletes]
    size = sum(local[u.key].size for u in the_plan.uploads)
    lines.append(f"{len(the_plan.uploads)} file{'s' * (len(the_plan.uploads) != 1)} to upload ({size_text(size)}), "
                 f"{len(the_plan.deletes)} to delete.")
    if the_plan.held_back:
        lines.append(held_back_message(the_plan))
    return lines


def held_back_message(the_plan: Plan) -> str:
    return (f"warning: {len(the_plan.held_back)} files are gone from the build, more than --max-deletes "
            f"({the_plan.max_deletes}): none of them will be deleted. If that is expected, run again with "
            f"--max-deletes={len(the_plan.held_back)} (or -1 for no limit), or set ISLET_PUBLISH_MAX_DELETES.")


def size_text(size: int) -> str:
    return f"{size} B" if size < 1000 else f"{size / 1000:.1f} kB" if size < 1_000_000 else f"{size / 1e6:.1f} MB"
