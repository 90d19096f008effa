"""Images stage: real Pillow on generated PNG/JPEG/SVG files in a small output folder."""
from __future__ import annotations

import hashlib
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, features

from islet.output import images
from islet.output.variants import Picture, choose, plan_variants, variant_widths
from islet.output.verify import Source, resolve

AVIF = features.check("avif")


def photo(path: Path, size=(1000, 600)) -> None:
    """A smooth gradient with a few shapes: photographic enough that modern formats beat JPEG."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.merge("RGB", (image.getchannel(0), image.getchannel(0).rotate(90, expand=False).resize(size),
                                Image.new("L", size, 140)))
    draw = ImageDraw.Draw(image)
    draw.ellipse((size[0] // 3, size[1] // 4, size[0] // 2, size[1] // 2), fill=(250, 220, 120))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=90)


def page(body: str, header: str = "", footer: str = "") -> str:
    return (f"<!doctype html><html><head><title>t</title></head><body><header>{header}</header>"
            f"<main id=\"main\">{body}</main><footer>{footer}</footer></body></html>")


@pytest.fixture
def site(tmp_path) -> Path:
    out = tmp_path / "out"
    photo(out / "images" / "photo.jpg")
    icon = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ImageDraw.Draw(icon).rectangle((40, 40, 260, 160), fill=(20, 120, 200, 255))
    icon.save(out / "images" / "icon.png")
    (out / "images" / "boxed.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 480 260"/>')
    (out / "images" / "wide.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" viewBox="0 0 400 100"/>')
    (out / "images" / "broken.jpg").write_bytes(b"\xff\xd8 this is not a JPEG")
    (out / "index.html").write_text(page(
        '<p><img alt="first" src="images/photo.jpg"></p><p>text</p><p><img alt="second" src="images/icon.png"></p>',
        header='<img alt="logo" src="images/boxed.svg">', footer='<img alt="badge" src="images/wide.svg">'))
    (out / "articles" / "deep").mkdir(parents=True)
    (out / "articles" / "deep" / "page.html").write_text(page(
        "<p>" + "words " * 200 + '</p><img alt="A &quot;quoted&quot; &amp; &lt;odd&gt; alt" src="../../images/photo.jpg" />'))
    return out


def img_tags(html: str) -> list[dict]:
    class Collect(HTMLParser):
        found: list = []

        def handle_starttag(self, tag, attrs):
            if tag in ("img", "source"):
                self.found.append({"tag": tag, **dict(attrs)})
    collector = Collect()
    collector.found = []
    collector.feed(html)
    return collector.found


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("width, expected", [
    (3000, [480, 800, 1200, 1600]), (1600, [480, 800, 1200, 1600]), (1000, [480, 800, 1000]),
    (1250, [480, 800, 1250]), (850, [480, 850]), (300, [300]),
])
def test_variant_widths_are_capped_at_the_image_width(width, expected):
    assert variant_widths(width) == expected


def test_raster_images_get_picture_sources_sizes_and_variants(site, tmp_path):
    result = images.optimize(site, tmp_path / "cache", formats=("avif", "webp"))
    assert result.problems == []                          # broken.jpg is in images/ but no page uses it
    tags = img_tags((site / "index.html").read_text())
    sources = [t for t in tags if t["tag"] == "source"]
    first = next(t for t in tags if t.get("alt") == "first")
    assert (first["width"], first["height"]) == ("1000", "600")
    assert first["src"] == "images/photo.jpg" and "srcset" not in first      # the original: never re-encoded
    types = [s["type"] for s in sources[:2]]               # the first picture's sources, best first
    assert types == (["image/avif", "image/webp"] if AVIF else ["image/webp"])   # smooth photo: each is smaller
    assert [c.split()[1] for c in sources[0]["srcset"].split(", ")] == ["480w", "800w", "1000w"]
    assert all(s["sizes"] == images.SIZES for s in sources)
    for tag in sources:
        for candidate in tag["srcset"].split(", "):
            url, width = candidate.split()
            file = site / url
            with Image.open(file) as variant:
                assert variant.width == int(width[:-1])
                assert variant.format == {"webp": "WEBP", "avif": "AVIF"}[file.suffix[1:]]
                assert variant.format == tag["type"].split("/")[1].upper()
    icon = next(t for t in tags if t.get("alt") == "second")
    assert icon["src"] == "images/icon.png" and (icon["width"], icon["height"]) == ("300", "200")
    webp = next(s for s in sources if s["srcset"].startswith("img/icon-") and s["type"] == "image/webp")
    with Image.open(site / webp["srcset"].split()[0]) as variant:
        assert variant.mode == "RGBA"                      # transparency survives
    assert result.stats.sources == 2 and result.stats.original_bytes > 0
    assert "webp" in result.stats.variant_bytes and "jpeg" not in result.stats.variant_bytes


def test_first_image_of_main_is_eager_others_lazy(site, tmp_path):
    images.optimize(site, tmp_path / "cache")
    tags = {t.get("alt"): t for t in img_tags((site / "index.html").read_text()) if t["tag"] == "img"}
    assert "loading" not in tags["first"] and tags["first"]["fetchpriority"] == "high"
    assert tags["second"]["loading"] == "lazy" and "fetchpriority" not in tags["second"]
    assert "loading" not in tags["logo"]                  # before <main>: the header is on the first screen
    assert tags["badge"]["loading"] == "lazy"             # after <main>
    assert all(t["decoding"] == "async" for t in tags.values())
    deep = img_tags((site / "articles/deep/page.html").read_text())[-1]
    assert "loading" not in deep and "fetchpriority" not in deep   # first, but below a screen of text


def test_svg_gets_its_size_from_width_height_or_viewbox(site, tmp_path):
    images.optimize(site, tmp_path / "cache")
    tags = {t.get("alt"): t for t in img_tags((site / "index.html").read_text())}
    assert (tags["logo"]["width"], tags["logo"]["height"]) == ("480", "260")
    assert (tags["badge"]["width"], tags["badge"]["height"]) == ("200", "50")
    assert tags["logo"]["src"] == "images/boxed.svg" and "srcset" not in tags["logo"]
    assert "<picture><source" not in str(tags["logo"])


def test_nested_pages_get_relative_urls_that_resolve(site, tmp_path):
    images.optimize(site, tmp_path / "cache")
    text = (site / "articles/deep/page.html").read_text()
    for tag in img_tags(text):
        urls = [c.split()[0] for c in tag.get("srcset", "").split(", ") if c] + ([tag["src"]] if "src" in tag else [])
        for url in urls:
            assert url.startswith(("../../img/photo-", "../../images/photo.jpg"))
            assert resolve("articles/deep/page.html", url, site)


def test_escaping_keeps_the_alt_text_as_written(site, tmp_path):
    images.optimize(site, tmp_path / "cache")
    text = (site / "articles/deep/page.html").read_text()
    tag = img_tags(text)[-1]
    assert tag["alt"] == 'A "quoted" & <odd> alt'
    assert 'alt="A &quot;quoted&quot; &amp; &lt;odd&gt; alt"' in text
    assert text.count("<picture>") == 1 and " />" in text     # the author's self-closing style is kept


def test_second_run_encodes_nothing_and_output_is_deterministic(site, tmp_path):
    pristine = tmp_path / "pristine"
    shutil.copytree(site, pristine)
    first = images.optimize(site, tmp_path / "cache")
    assert first.stats.encoded > 0 and first.stats.cached == 0
    again = tmp_path / "again"
    shutil.copytree(pristine, again)
    second = images.optimize(again, tmp_path / "cache")
    assert second.stats.encoded == 0 and second.stats.cached == first.stats.encoded
    assert digest(again) == digest(site)
    cold = tmp_path / "cold"                               # a fresh cache encodes the very same bytes
    shutil.copytree(pristine, cold)
    third = images.optimize(cold, tmp_path / "other-cache", workers=1)
    assert third.stats.encoded == first.stats.encoded and digest(cold) == digest(site)
    rerun = images.optimize(site, tmp_path / "cache")      # over its own output: nothing changes
    assert rerun.stats.pages == 0 and digest(again) == digest(site)


def test_a_changed_image_gets_new_names(site, tmp_path):
    pristine = tmp_path / "pristine"
    shutil.copytree(site, pristine)
    images.optimize(site, tmp_path / "cache")
    before = {p.name for p in (site / "img").iterdir()}
    photo(pristine / "images" / "photo.jpg", size=(1000, 601))
    images.optimize(pristine, tmp_path / "cache")
    after = {p.name for p in (pristine / "img").iterdir()}
    assert {n for n in before if n.startswith("photo-")}.isdisjoint(after)
    assert {n for n in before if n.startswith("icon-")} <= after


def test_unreadable_image_is_one_problem_and_missing_is_left_to_verify(tmp_path):
    out = tmp_path / "out"
    (out / "images").mkdir(parents=True)
    (out / "images" / "broken.jpg").write_bytes(b"\xff\xd8 this is not a JPEG")
    html = page('<img alt="a" src="images/broken.jpg"><img alt="b" src="images/broken.jpg">'
                '<img alt="c" src="images/missing.png">')
    (out / "a.html").write_text(html)
    (out / "b.html").write_text(html)
    source = Source("content/articles/a.md", "Title: A\n\nIntro.\n\n![a]({static}/images/broken.jpg)\n")
    result = images.optimize(out, tmp_path / "cache", sources={"a.html": source})
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.path, problem.line) == ("content/articles/a.md", 5)
    assert "images/broken.jpg" in problem.what and "cannot be read" in problem.what and problem.fix
    text = (out / "a.html").read_text()
    assert "<picture>" not in text and 'src="images/missing.png"' in text and not (out / "img").exists()


def test_an_image_of_more_pixels_than_pillow_decodes_is_a_problem_saying_to_make_it_smaller(tmp_path):
    out = tmp_path / "out"
    (out / "images").mkdir(parents=True)
    Image.new("L", (20_000, 20_000)).save(out / "images" / "bomb.png")      # 400 MB of pixels in 390 KB
    (out / "a.html").write_text(page('<img alt="a" src="images/bomb.png">'))
    source = Source("content/articles/a.md", "Title: A\n\n![a]({static}/images/bomb.png)\n")
    [problem] = images.optimize(out, tmp_path / "cache", sources={"a.html": source}).problems
    assert (problem.path, problem.line) == ("content/articles/a.md", 3)
    assert "DecompressionBombError" in problem.what and problem.fix.startswith("re-save it at a smaller size")


def test_author_srcset_or_picture_is_not_wrapped_again(site, tmp_path):
    (site / "own.html").write_text(page(
        '<picture><source type="image/webp" srcset="images/photo.jpg"><img alt="p" src="images/photo.jpg"></picture>'
        '<img alt="s" src="images/photo.jpg" srcset="images/photo.jpg 1000w" width="500">'))
    images.optimize(site, tmp_path / "cache")
    text = (site / "own.html").read_text()
    assert text.count("<picture>") == 1
    tags = {t.get("alt"): t for t in img_tags(text) if t["tag"] == "img"}
    assert tags["p"]["width"] == "1000" and tags["s"]["srcset"] == "images/photo.jpg 1000w"
    assert (tags["s"]["width"], tags["s"]["height"]) == ("500", "300")   # the missing one follows the ratio


def test_absolute_site_urls_count_as_local_and_keep_their_style(site, tmp_path):
    (site / "abs.html").write_text(page('<img alt="x" src="https://example.org/images/photo.jpg">'
                                        '<img alt="y" src="/images/photo.jpg">'
                                        '<img alt="z" src="https://elsewhere.example/images/photo.jpg">'))
    images.optimize(site, tmp_path / "cache", site_url="https://example.org")
    tags = img_tags((site / "abs.html").read_text())
    [x, y] = [t["srcset"] for t in tags if t["tag"] == "source"]
    assert x.startswith("https://example.org/img/photo-") and y.startswith("/img/photo-")
    assert [t["src"] for t in tags if t["tag"] == "img"][:2] == ["https://example.org/images/photo.jpg",
                                                                "/images/photo.jpg"]
    assert tags[-1] == {"tag": "img", "alt": "z", "src": "https://elsewhere.example/images/photo.jpg"}


@pytest.mark.parametrize("sizes, kept", [                 # the original file: 100 bytes
    ({"avif": 10, "webp": 20}, ["avif", "webp"]),
    ({"avif": 25, "webp": 20}, ["webp"]),                 # AVIF must beat WebP
    ({"avif": 25, "webp": 200}, ["avif"]),                # WebP must beat the original
    ({"avif": 150, "webp": 200}, []),                     # the original alone: no <picture>
])
def test_a_modern_format_is_offered_only_when_smaller(tmp_path, sizes, kept):
    picture = Picture(tmp_path / "x.jpg", "0" * 64, 400, 300, "jpeg")
    picture.path.write_bytes(b"j" * 100)
    variants = plan_variants(picture, ["avif", "webp"])
    assert {v.fmt for v in variants} == {"avif", "webp"}      # never the picture's own format
    for v in variants:
        (tmp_path / v.key).write_bytes(b"x" * sizes[v.fmt])
    assert list(dict.fromkeys(v.fmt for v in choose(variants, tmp_path))) == kept


def test_exif_rotation_is_applied_to_sizes_and_variants(tmp_path):
    out = tmp_path / "out"
    photo(out / "images" / "turned.jpg", size=(400, 300))
    with Image.open(out / "images" / "turned.jpg") as image:
        exif = image.getexif()
        exif[0x0112] = 6                                   # "rotate 90° clockwise to display"
        image.save(out / "images" / "turned.jpg", "JPEG", exif=exif.tobytes())
    (out / "index.html").write_text(page('<img alt="t" src="images/turned.jpg">'))
    images.optimize(out, tmp_path / "cache", workers=1)
    tag = img_tags((out / "index.html").read_text())[-1]
    assert (tag["width"], tag["height"]) == ("300", "400")
    source = next(t for t in img_tags((out / "index.html").read_text()) if t["tag"] == "source")
    with Image.open(out / source["srcset"].split(", ")[-1].split()[0]) as variant:
        assert variant.size == (300, 400) and 0x0112 not in variant.getexif()   # no metadata left to rotate it again


@pytest.mark.parametrize("src", ["/.//[x.png", "http://[", "//[::1"])
def test_a_src_that_is_no_url_is_not_an_image_of_the_site(src):
    """The link check reports it (islet.output.verify); the image stage must not crash on it."""
    assert images.local_target("articles/a.html", src) is None


def test_sizes_is_the_given_value_on_every_source(site, tmp_path):
    images.optimize(site, tmp_path / "cache", sizes="(min-width: 60rem) 50vw, 100vw")
    tags = img_tags((site / "index.html").read_text())
    wrapped = [t for t in tags if "srcset" in t]
    assert wrapped and all(t["sizes"] == "(min-width: 60rem) 50vw, 100vw" for t in wrapped)


# --- the stage in a build: only when the site asks (ISLET_IMAGES) ------------------------------------------------

SCREENSHOT = """Title: A screenshot
Date: 2026-03-14 09:30
Summary: One wide image.

![A screenshot]({static}/images/shot.png)
"""


def screenshot_site(root: Path, settings: str):
    """A site of its own with one 1243×825 PNG; the demo's pelicanconf.py without ISLET_IMAGES, plus `settings`."""
    import re

    from support.site import make_site

    site = make_site(root, {"content/articles/shot.md": SCREENSHOT})
    shot = Image.new("RGB", (1243, 825), (230, 230, 240))
    ImageDraw.Draw(shot).rectangle((100, 100, 1100, 700), fill=(40, 90, 160))
    site.path("content/images").mkdir()
    shot.save(site.path("content/images/shot.png"))
    conf = site.path("pelicanconf.py")
    text = re.sub(r"^ISLET_IMAGES = .*\n", "", conf.read_text(encoding="utf-8"), flags=re.M)
    assert "ISLET_IMAGES" not in text
    conf.write_text(text + settings, encoding="utf-8")
    return site


def test_without_islet_images_tags_and_files_stay_as_pelican_wrote_them(tmp_path):
    site = screenshot_site(tmp_path / "site", "")
    result = site.build()
    assert result.code == 0, result.stderr
    html = site.path("build/articles/a-screenshot.html").read_text(encoding="utf-8")
    assert '<p><img alt="A screenshot" src="../images/shot.png"></p>' in html      # Markdown's tag, untouched
    assert "<picture" not in html and "Images:" not in result.stdout
    assert not site.path("build/img").exists()                                     # no variants
    assert site.path("build/images/shot.png").read_bytes() == site.path("content/images/shot.png").read_bytes()


def test_with_islet_images_tags_are_sized_and_sizes_is_the_setting(tmp_path):
    site = screenshot_site(tmp_path / "site", '\nISLET_IMAGES = True\nISLET_IMAGE_SIZES = "100vw"\n')
    result = site.build()
    assert result.code == 0, result.stderr
    tags = img_tags(site.path("build/articles/a-screenshot.html").read_text(encoding="utf-8"))
    [img] = [t for t in tags if t["tag"] == "img" and t.get("alt") == "A screenshot"]
    assert (img["width"], img["height"]) == ("1243", "825") and img["src"] == "../images/shot.png"
    wrapped = [t for t in tags if "srcset" in t]
    assert wrapped and all(t["sizes"] == "100vw" for t in wrapped)
    assert any(site.path("build/img").iterdir())


def test_images_islet_sized_keep_their_ratio_on_any_theme(tmp_path):
    """A height islet adds must follow the width the theme renders: such images are marked, and the page gets
    one zero-specificity rule (once, at the end of <head>); images the author sized fully are left alone."""
    out = tmp_path / "out"
    photo(out / "images" / "photo.jpg")
    (out / "index.html").write_text(page('<img alt="a" src="images/photo.jpg"><img alt="b" src="images/photo.jpg" '
                                         'width="300"><img alt="c" src="images/photo.jpg" width="10" height="10">'))
    (out / "bare.html").write_text('<p>No head here.</p><img alt="d" src="images/photo.jpg">')
    images.optimize(out, tmp_path / "cache")
    html = (out / "index.html").read_text()
    tags = {t.get("alt"): t for t in img_tags(html) if t["tag"] == "img"}
    assert images.SIZED in tags["a"] and images.SIZED in tags["b"] and images.SIZED not in tags["c"]
    assert (tags["a"]["width"], tags["a"]["height"], tags["b"]["height"]) == ("1000", "600", "180")
    assert html.count(images.SIZED_STYLE) == 1 and html.index(images.SIZED_STYLE) < html.index("</head>")
    bare = (out / "bare.html").read_text()
    assert bare.index(images.SIZED_STYLE) < bare.index("<img") and bare.count(images.SIZED_STYLE) == 1
    images.optimize(out, tmp_path / "cache")                      # a second run adds nothing
    assert (out / "index.html").read_text() == html
