"""islet.output.headers: the Content-Security-Policy never allows the empty text; ``_headers`` only when asked."""
from __future__ import annotations

import re

import pytest

from islet.islands.hydrate import csp_hash
from islet.output import headers
from support.site import make_site

EMPTY, CSS, SCRIPT = csp_hash(""), csp_hash("body{margin:0}"), csp_hash('{"imports":{}}')


def directive(csp: str, name: str) -> str:
    return next(part.strip() for part in csp.split(";") if part.strip().startswith(name + " "))


def test_the_empty_hash_constant_is_the_hash_of_the_empty_text():
    assert headers.EMPTY_HASH == EMPTY


@pytest.mark.parametrize("scripts, styles, script_src, style_src", [
    ([], [], "script-src 'self'", "style-src 'self'"),
    ([], [EMPTY], "script-src 'self'", "style-src 'self'"),                    # a theme without CSS: no style hash
    ([SCRIPT], [CSS], f"script-src 'self' {SCRIPT}", f"style-src 'self' {CSS}"),
    ([SCRIPT, EMPTY, SCRIPT], [CSS, EMPTY], f"script-src 'self' {SCRIPT}", f"style-src 'self' {CSS}"),
    ([EMPTY], [CSS, CSS], "script-src 'self'", f"style-src 'self' {CSS}"),
])
def test_hashes_are_listed_once_and_never_the_empty_texts(scripts, styles, script_src, style_src):
    csp = headers.content_security_policy(scripts, styles)
    assert directive(csp, "script-src") == script_src
    assert directive(csp, "style-src") == style_src
    assert EMPTY not in csp and "unsafe-inline" not in csp


ARTICLE = """Title: Plain
Date: 2026-03-14 09:30
Summary: A page of a site that did not ask for islet's headers.

Some text.
"""


def without(site, *names: str):
    """The site's pelicanconf.py (the demo's) without these settings: their defaults apply."""
    conf = site.path("pelicanconf.py")
    text = re.sub(rf"^(?:{'|'.join(names)}) = .*\n", "", conf.read_text(encoding="utf-8"), flags=re.M)
    assert not any(name in text for name in names)
    conf.write_text(text, encoding="utf-8")
    return site


def test_no_headers_file_unless_the_site_asks(tmp_path):
    site = without(make_site(tmp_path / "site", {"content/articles/plain.md": ARTICLE}), "ISLET_HEADERS")
    result = site.build()
    assert result.code == 0, result.stderr
    assert site.path("build/index.html").is_file()
    assert not site.path("build/_headers").exists()


def test_a_theme_without_css_gets_no_style_hash(tmp_path):
    """ISLET_HEADERS on, and a theme with no CSS for islet to inline: style-src names no hash at all."""
    site = make_site(tmp_path / "site", {"content/articles/plain.md": ARTICLE})
    for css in site.path("theme/static/css").glob("*.css"):
        css.write_text("/* nothing */\n", encoding="utf-8")
    result = site.build()
    assert result.code == 0, result.stderr
    policy = headers.parse_headers_file(site.path("build/_headers").read_text())["/*"]["Content-Security-Policy"]
    assert directive(policy, "style-src") == "style-src 'self'"
    assert EMPTY not in policy


def test_the_demo_asks_and_its_policy_allows_its_inline_css_and_scripts(built_demo):
    policy = headers.parse_headers_file(built_demo.path("build/_headers").read_text())["/*"]["Content-Security-Policy"]
    page = built_demo.path("build/articles/dark-mode-without-a-flash.html").read_text(encoding="utf-8")
    [css] = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert css and csp_hash(css) in directive(policy, "style-src")
    # Every inline script that runs (not the widgets' props, which are JSON data) is allowed by its hash.
    inline = re.findall(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>(.*?)</script>", page, re.S)
    assert inline and all(csp_hash(text) in directive(policy, "script-src") for text in inline)
    assert EMPTY not in policy


@pytest.mark.parametrize("name, value", [("ISLET_HEADERS", "yes"), ("ISLET_IMAGES", 1), ("ISLET_ALIGN_CLASSES", None),
                                         ("ISLET_IMAGE_SIZES", ""), ("ISLET_IMAGE_SIZES", ["100vw"]),
                                         ("ISLET_IMAGE_FORMATS", "webp"), ("ISLET_IMAGE_FORMATS", ["jpeg"])])
def test_the_switches_are_checked_once_with_the_build_settings(name, value, tmp_path):
    """ISLET_HEADERS and its siblings (images, table alignment) are read by islet.settings: off unless set."""
    from islet.errors import SettingsError
    from islet.settings import DEFAULT_IMAGE_SIZES, read

    base = {"PATH": str(tmp_path / "content"), "OUTPUT_PATH": str(tmp_path / "build"), "THEME": str(tmp_path / "theme")}
    config = read(base)
    assert (config.headers, config.images, config.align_classes) == (False, False, False)
    assert config.image_sizes == DEFAULT_IMAGE_SIZES and config.image_formats == ("webp",)
    with pytest.raises(SettingsError) as failed:
        read({**base, name: value})
    assert f"setting {name} = {value!r} is not valid" in str(failed.value)


def test_a_site_shipping_its_own_headers_file_keeps_it_when_islet_writes_none(tmp_path):
    own = "/*\n  X-Site: its own\n"
    site = make_site(tmp_path, {"content/articles/a.md": "Title: A\nDate: 2026-01-01\n\nText.\n",
                                "content/extra/_headers": own})
    with open(tmp_path / "pelicanconf.py", "a") as settings:
        settings.write('\nISLET_HEADERS = False\nSTATIC_PATHS = ["extra/_headers"]\n'
                       'EXTRA_PATH_METADATA = {"extra/_headers": {"path": "_headers"}}\n')
    built = site.build()
    assert built.code == 0, built.stderr
    assert (tmp_path / "build" / "_headers").read_text() == own
