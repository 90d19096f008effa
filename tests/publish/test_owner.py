"""islet.publish.owner: which targets a site may publish to without being told to (pure functions)."""
from __future__ import annotations

import pytest

from islet.publish.owner import MANIFEST, Manifest, ancestors, from_json, manifest_of, ownership_problem, to_json
from islet.publish.plan import LocalFile, RemoteFile, S3Target

SITE = "https://a.example"


def lf(md5: str = "1") -> LocalFile:
    return LocalFile(None, md5, 1, {})


def rf(md5: str = "1") -> RemoteFile:
    return RemoteFile(md5, {})


def test_the_manifest_round_trips_and_names_the_build():
    local = {"index.html": lf("1"), "a.html": lf("2")}
    manifest = manifest_of(SITE, local)
    assert from_json(to_json(manifest)) == manifest and manifest.keys == ("a.html", "index.html")
    assert manifest_of(SITE, {**local, "a.html": lf("3")}).build != manifest.build
    assert from_json(b"not json") is None and from_json(b'{"site": 1}') is None


def test_ancestors_are_every_prefix_above_the_target():
    assert ancestors(S3Target("b")) == []
    assert ancestors(S3Target("b", "www/blog")) == [MANIFEST, f"www/{MANIFEST}"]


@pytest.mark.parametrize("remote, own, above, found", [
    ({"index.html": rf()}, Manifest(SITE, "x", ("index.html",)), {}, None),
    ({"index.html": rf()}, None, {}, None),                                  # islet's objects, no manifest yet
    ({f"live/{MANIFEST}": rf(), "live/index.html": rf()}, None, {}, "another islet site under live/"),
    ({}, None, {MANIFEST: Manifest("https://b.example", "x", ())}, "inside the site 'https://b.example'"),
    ({"index.html": rf()}, Manifest("https://b.example", "x", ("index.html",)), {}, "holds the site"),
    ({f"f{i}.pdf": rf("") for i in range(6)}, None, {}, "6 objects at"),     # not islet's: no md5 metadata
    ({f"f{i}.pdf": rf("") for i in range(5)}, None, {}, None),               # a few are let through
    ({f"f{i}.pdf": rf() for i in range(6)}, Manifest(SITE, "x", ()), {}, "6 objects at"),   # not in its manifest
])
def test_what_looks_like_a_mistake(remote, own, above, found):
    problem = ownership_problem(S3Target("b", "www"), SITE, remote, own, above, {"index.html": lf()})
    if found is None:
        assert problem is None
    else:
        assert problem is not None and found in problem.what and "--claim-target" in problem.fix
