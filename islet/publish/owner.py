"""Ownership: a site owns its prefix. Each S3 publish leaves a small manifest there (`MANIFEST`: which site, which
build, which keys), and the next publish checks, before any change, that the target is that site's own:

- no other islet site below the prefix (the bucket root given for a site published under ``live/``);
- no islet site above it (a site's own prefix given a sub-folder of another one);
- the manifest there, if any, names this site;
- no more than `FENCE_FLOOR` objects that neither the last manifest nor this build accounts for (without a
  manifest: objects islet did not upload, which carry no islet MD5).

A refusal says what was found and that ``--claim-target`` overrides it. Pure functions: islet.publish.s3 lists
and reads the objects.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from islet.errors import Problem

from .plan import FENCE_FLOOR, LocalFile, RemoteFile, S3Target

MANIFEST = ".islet-site.json"
OVERRIDE = "--claim-target"


@dataclass(frozen=True)
class Manifest:
    site: str                   # SITE_ORIGIN or SITEURL, else SITENAME: which site published here
    build: str                  # a digest of the keys and their MD5s: which build
    keys: tuple[str, ...]


def manifest_of(site: str, local: dict[str, LocalFile]) -> Manifest:
    digest = hashlib.sha256("".join(f"{k}\0{f.md5}\0" for k, f in sorted(local.items())).encode()).hexdigest()
    return Manifest(site, digest[:16], tuple(sorted(local)))


def to_json(manifest: Manifest) -> bytes:
    return json.dumps({"site": manifest.site, "build": manifest.build, "keys": list(manifest.keys)},
                      indent=0).encode()


def from_json(body: bytes) -> Manifest | None:
    """The manifest in `body`, or None for anything else (a hand-made file of that name is no manifest)."""
    try:
        data = json.loads(body)
        return Manifest(str(data["site"]), str(data["build"]), tuple(str(k) for k in data["keys"]))
    except (ValueError, KeyError, TypeError):
        return None


def ancestors(target: S3Target) -> list[str]:
    """The manifest keys of every prefix above the target's (the bucket root's included)."""
    parts = target.prefix.split("/") if target.prefix else []
    return [("/".join(parts[:n]) + "/" if n else "") + MANIFEST for n in range(len(parts))]


def ownership_problem(target: S3Target, site: str, remote: dict[str, RemoteFile], own: Manifest | None,
                      above: dict[str, Manifest], local: dict[str, LocalFile]) -> Problem | None:
    """Why publishing `site` to `target` looks like a mistake, or None. `remote`: the objects under the prefix (its
    own manifest left out); `own`: the manifest there; `above`: manifests found at `ancestors`."""
    fix = f"check --target; if this site should replace what is there, run again with {OVERRIDE}"
    if above:
        key, manifest = min(above.items())
        where = f"s3://{target.bucket}/{key.removesuffix(MANIFEST)}".rstrip("/")
        return Problem(str(target), 0, f"refused before any change: {target} is inside the site {manifest.site!r} "
                                       f"published at {where}", fix)
    nested = sorted(key for key in remote if key.endswith("/" + MANIFEST))
    if nested:
        folder = nested[0].removesuffix(MANIFEST)
        return Problem(str(target), 0, f"refused before any change: {target} holds another islet site under "
                                       f"{folder} ({len(nested)} site{'s' * (len(nested) > 1)} below it in all)", fix)
    if own is not None and own.site != site:
        return Problem(str(target), 0, f"refused before any change: {target} holds the site {own.site!r}, "
                                       f"not {site!r}", fix)
    known = set(own.keys) if own is not None else {key for key, file in remote.items() if file.md5}
    unknown = sorted(set(remote) - known - set(local))
    if len(unknown) > FENCE_FLOOR:
        return Problem(str(target), 0, f"refused before any change: {len(unknown)} objects at {target} were not "
                                       f"published by this site (e.g. {', '.join(unknown[:3])}) and would be deleted",
                       fix)
    return None
