"""The compress stage: .br/.gz variants beside text files, only when smaller, byte-for-byte repeatable."""
from __future__ import annotations

import gzip
import shutil

import brotli
import pytest

from islet.output.compress import compress_output, gzip_bytes, plan
from support.site import write_files

TEXT = ("<!doctype html><title>Islands</title>" + "<p>Readers are on slow phones, so every byte counts.</p>\n" * 60)
SITE = {
    "index.html": TEXT,
    "feeds/all.atom.xml": TEXT.replace("p>", "entry>"),
    "sitemap.xml": "<urlset>" + "<url><loc>http://127.0.0.1/x.html</loc></url>" * 40 + "</urlset>",
    "widgets/x-ABCDEFGH.js": "export function mount(el){el.textContent='hello';}\n" * 30,
    "theme/site.css": "body{margin:0}\n" * 50,
    "tiny.css": "a{}",                        # compressing 3 bytes only adds a header: no variants
    "img/photo-ABCDEFGH.png": TEXT,           # an image format: never compressed, whatever its bytes
    "images/p.jpg": TEXT,
    "_headers": TEXT,                         # no suffix: not served as a page
}


def make_site(root, files=SITE):
    return write_files(root, files)


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name, expected", [
    ("index.html", True), ("feeds/all.atom.xml", True), ("sitemap.xml", True), ("widgets/x-ABCDEFGH.js", True),
    ("theme/site.css", True), ("tiny.css", False), ("img/photo-ABCDEFGH.png", False), ("images/p.jpg", False),
    ("_headers", False),
])
def test_variants_written_for_compressible_files_that_shrink(tmp_path, name, expected):
    site = make_site(tmp_path)
    compress_output(site)
    assert (site / f"{name}.gz").exists() is expected
    assert (site / f"{name}.br").exists() is expected


def test_variants_decompress_to_the_original(tmp_path):
    site = make_site(tmp_path)
    compress_output(site)
    variants = sorted(site.rglob("*.br"))
    assert len(variants) == 5
    for br in variants:
        original = br.with_suffix("")
        assert brotli.decompress(br.read_bytes()) == original.read_bytes(), br
        assert gzip.decompress(original.with_name(original.name + ".gz").read_bytes()) == original.read_bytes()


def test_two_runs_and_two_folders_give_identical_bytes(tmp_path):
    first = make_site(tmp_path / "a")
    compress_output(first)
    once = snapshot(first)
    compress_output(first, workers=1)
    assert snapshot(first) == once
    second = make_site(tmp_path / "b")
    compress_output(second, cache=tmp_path / "cache")
    assert snapshot(second) == once
    third = make_site(tmp_path / "c")
    compress_output(third, cache=tmp_path / "cache")   # served from the cache this time
    assert snapshot(third) == once


def test_gzip_header_has_no_time_and_no_name():
    body = gzip_bytes(TEXT.encode())
    assert body[:3] == b"\x1f\x8b\x08"
    assert body[3] & 0x08 == 0, "FNAME flag set: the file name is in the header"
    assert body[4:8] == b"\0\0\0\0", "mtime is not 0"
    assert body[8] == 2, "not compressed at level 9"


def test_existing_variants_are_not_compressed_again(tmp_path):
    site = make_site(tmp_path)
    compress_output(site)
    compress_output(site)
    assert not list(site.rglob("*.gz.gz")) and not list(site.rglob("*.br.gz")) and not list(site.rglob("*.gz.br"))
    assert all(not p.name.endswith((".gz", ".br")) for p in plan(site))


def test_stale_variant_is_removed_when_the_file_no_longer_shrinks(tmp_path):
    site = make_site(tmp_path)
    compress_output(site)
    assert (site / "index.html.br").exists()
    (site / "index.html").write_text("<p>", encoding="utf-8")
    compress_output(site)
    assert not (site / "index.html.br").exists() and not (site / "index.html.gz").exists()


def test_changed_file_gets_new_variants(tmp_path):
    site = make_site(tmp_path)
    compress_output(site, cache=tmp_path / "cache")
    (site / "index.html").write_text(TEXT + "<p>edited</p>" * 20, encoding="utf-8")
    compress_output(site, cache=tmp_path / "cache")
    assert brotli.decompress((site / "index.html.br").read_bytes()) == (site / "index.html").read_bytes()


def test_stats_count_what_was_done(tmp_path):
    site = make_site(tmp_path)
    stats = compress_output(site)
    compressible = ["index.html", "feeds/all.atom.xml", "sitemap.xml", "widgets/x-ABCDEFGH.js", "theme/site.css",
                    "tiny.css"]
    assert stats.files == len(compressible)
    assert stats.gzip_written == stats.brotli_written == len(compressible) - 1
    assert stats.bytes_before == sum(len(SITE[name].encode()) for name in compressible)
    assert stats.brotli_after == sum(p.stat().st_size for p in site.rglob("*.br")) + len(SITE["tiny.css"])
    assert stats.gzip_after == sum(p.stat().st_size for p in site.rglob("*.gz")) + len(SITE["tiny.css"])
    assert stats.brotli_after < stats.gzip_after < stats.bytes_before
    assert stats.seconds > 0 and "brotli" in str(stats)


def test_built_demo_site_is_fully_compressed(built_demo, tmp_path):
    """The real build runs this stage last: its variants are exactly what a fresh run writes."""
    copy = tmp_path / "build"
    shutil.copytree(built_demo.path("build"), copy)
    pages = sorted(copy.rglob("*.html"))
    assert pages and all(p.with_name(p.name + ".br").exists() and p.with_name(p.name + ".gz").exists()
                         for p in pages), "the build did not write .br/.gz for its pages"
    before = snapshot(copy)
    compress_output(copy)
    assert snapshot(copy) == before, "the build's variants differ from a fresh compress run"


def test_identical_files_share_one_cache_entry(tmp_path):
    """Two files with the same bytes are compressed by two threads at once into one cache entry."""
    site = make_site(tmp_path / "site", {f"copy{i}.html": TEXT for i in range(8)})
    compress_output(site, workers=4, cache=tmp_path / "cache")
    assert len({p.read_bytes() for p in site.glob("*.br")}) == 1 and len(list(site.glob("*.br"))) == 8
    assert sorted(p.suffix for p in (tmp_path / "cache").rglob("*") if p.is_file()) == [".br", ".gz"]


def test_hashed_scripts_get_the_strongest_brotli_and_pages_a_fast_one(tmp_path):
    page = ("<p>" + " ".join(f"word{n % 97}" for n in range(4000)) + "</p>").encode()
    (tmp_path / "widgets").mkdir()
    (tmp_path / "index.html").write_bytes(page)
    (tmp_path / "widgets" / "table-ABCDEFGH.js").write_bytes(page)
    compress_output(tmp_path)
    assert (tmp_path / "index.html.br").read_bytes() == brotli.compress(page, quality=7)
    assert (tmp_path / "widgets" / "table-ABCDEFGH.js.br").read_bytes() == brotli.compress(page, quality=11)


def test_a_plain_build_writes_no_variants(demo_copy):
    """Without --precompress (or ISLET_PRECOMPRESS) the build skips this stage, and a build/ that had variants loses them."""
    assert list(demo_copy.path("build").rglob("*.br"))
    result = demo_copy.build()
    assert result.code == 0, result.stderr
    assert not list(demo_copy.path("build").rglob("*.br")) and not list(demo_copy.path("build").rglob("*.gz"))
    assert not any(line.startswith("compressed") for line in result.stdout.splitlines())
