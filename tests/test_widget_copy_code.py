"""The copy_code widget: its HTML and helpers under CPython and compiled to JavaScript (identical results),
and mount() in Chromium through the real loader: keyboard and pointer copy to the real clipboard."""
from __future__ import annotations

import pytest

from islet.content.embed import Islands
from islet.islands.registry import WidgetError
from islet.islands.testing import run_js_many
from support import browser
from support.widget_harness import harness_islands, harness_page, props_maker, registry
from widgets import copy_code

HOSTILE = "<script>alert('x')</script> & \"quoted\""

props = props_maker(copy_code)

# ---------------------------------------------------------------- CPython

def test_render_is_only_an_empty_live_region():
    """Without JavaScript nothing dead is shown: no button, no text; a status region waits for mount()."""
    out = copy_code.render(props())
    assert out == '<div class="copy-code-status visually-hidden" role="status"></div>'
    assert copy_code.render(props(label=HOSTILE, done=HOSTILE)) == out   # no prop text reaches the page


def test_island_through_the_registry():
    islands = Islands(registry(), {}, {"copy_code": "widgets/copy_code.js"})
    out = islands.island("copy_code", {"scope": "article", "label": HOSTILE}, "idle", ("a.md", 3))
    assert out.startswith('<div class="islet islet-copy_code" data-islet="copy_code" data-trigger="idle"')
    assert "<script>alert" not in out and '"scope":"article"' in out
    with pytest.raises(WidgetError, match="has no prop 'colour'"):
        islands.island("copy_code", {"colour": "red"}, "idle", ("a.md", 3))


@pytest.mark.parametrize("text, line", [
    ("pip install pelican-islet\n", "pip install pelican-islet"),
    ("\n\n   ./dev   build\t--strict\n", "./dev build --strict"),
    ("x" * 40, "x" * 40),
    ("x" * 41, "x" * 40 + "\u2026"),
    ("a b c d e f g h i j k l m n o p q r s t u v w", "a b c d e f g h i j k l m n o p q r s t\u2026"),
    ("\U0001F600" * 45, "\U0001F600" * 40 + "\u2026"),   # counted in characters, not UTF-16 units
    ("   \n\t\n", ""),
    ("", ""),
])
def test_first_line(text, line):
    assert copy_code.first_line(text) == line


def test_button_name_and_clean_code():
    assert copy_code.button_name("Copy code", "def f():\n    pass\n", 1) == "Copy code: def f():"
    assert copy_code.button_name("Copy code", " \n ", 3) == "Copy code block 3"
    assert copy_code.clean_code("ls -l\n\n") == "ls -l"          # pasting into a terminal must not run it
    assert copy_code.clean_code("a\r\n  \n") == "a\r\n  "          # only trailing line breaks go
    assert copy_code.clean_code("\n") == ""


# ---------------------------------------------------------------- CPython vs compiled JavaScript

def in_js(compiled, calls):
    """[function, args] calls on widgets.copy_code run by node on the compiled module (`compiled`: conftest.py)."""
    return run_js_many(compiled, [("copy_code", name, args) for name, args in calls])


def test_compiled_module_exports_render_and_mount(compiled):
    source = (compiled / "widgets.copy_code.js").read_text()
    assert "export var render = function (props)" in source
    assert "export var mount = function (root, props)" in source
    assert "__kwargtrans__ (" not in source


def test_render_and_helpers_are_identical_in_javascript(compiled):
    calls = [["render", [props()]], ["render", [props(label=HOSTILE, name=HOSTILE, done=HOSTILE, scope="")]]]
    texts = ["pip install pelican-islet\n", "\n\n   ./dev   build\t--strict\n", "x" * 41, "\U0001F600" * 45,
             "a\u00a0b  c", "\r\n\r\nline", HOSTILE + "\n", "   \n\t\n", "", "Ünïcode … 你好 " * 5]
    for number, text in enumerate(texts):
        calls += [["first_line", [text]], ["button_name", [HOSTILE, text, number + 1]], ["clean_code", [text]]]
    for text in ["ls -l\n\n", "a\r\n  \n", "\n", "x"]:
        calls.append(["clean_code", [text]])
    expected = [getattr(copy_code, name)(*args) for name, args in calls]
    assert in_js(compiled, calls) == expected


# ---------------------------------------------------------------- mount() in Chromium

CODE_1 = "pip install pelican-islet\n./dev build"
CODE_2 = "def greet(name):\n    return f\"<b>{name}</b> & co\""


@pytest.fixture(scope="module")
def page_site(tmp_path_factory, compiled):
    """Two code blocks (one highlighted as Pygments does it, one plain), a pre without code, and the
    copy_code island, served with the site's real CSP (no 'unsafe-inline'; the inline CSS by its hash)."""
    from html import escape

    site = tmp_path_factory.mktemp("copy-site")
    island = harness_islands({}, "copy_code").island("copy_code", {"scope": "main"}, "idle", ("t.md", 1))
    harness_page(site, compiled,
                 '<main id="main"><h1>Code</h1><p>Install:</p>'
                 f'<div class="highlight"><pre tabindex="0"><span></span><code>{escape(CODE_1)}\n</code></pre></div>'
                 f'<p>A function:</p><pre tabindex="0"><code>{escape(CODE_2)}\n</code></pre>'
                 '<pre class="art">  /\\_/\\  no code element here</pre>'
                 f'{island}</main><footer><pre><code>outside the scope</code></pre></footer>', "Copy code")
    return site


def clipboard_for(server):
    """A `prepare` for browser.open_page: pages of `server` may read and write the clipboard."""
    return lambda page: page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                                       origin=server.url.rstrip("/"))


def open_page(chromium, served, path="", **options):
    """browser.open_page with the clipboard allowed, then (with JavaScript) wait until the island is mounted."""
    javascript = options.get("java_script_enabled", True)
    prepare = clipboard_for(served) if javascript else None
    context, page, watch = browser.open_page(chromium, served, path, prepare, **options)
    if javascript:
        page.wait_for_selector(".islet-copy_code[data-mounted]", state="attached")
    return context, page, watch


def clipboard(page):
    return page.evaluate("navigator.clipboard.readText()")


@pytest.mark.browser
def test_every_code_block_in_scope_gets_a_named_button(chromium, served):
    context, page, watch = open_page(chromium, served)
    buttons = page.locator("button.copy-button")
    assert buttons.count() == 2                     # not the <pre> without <code>, not the footer's
    assert [buttons.nth(i).get_attribute("aria-label") for i in range(2)] == \
        ["Copy code: pip install pelican-islet", "Copy code: def greet(name):"]
    assert buttons.nth(0).get_attribute("type") == "button" and buttons.nth(0).text_content() == "Copy"
    for i in range(2):
        box = buttons.nth(i).bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24   # WCAG 2.5.8 target size
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_keyboard_copies_the_code_and_announces_it(chromium, served):
    context, page, watch = open_page(chromium, served)
    page.focus("main pre >> nth=0")      # the scrollable block is focusable; Tab moves on to its button
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.get_attribute("aria-label") == "Copy code: pip install pelican-islet"
    assert focused.evaluate("b => getComputedStyle(b).opacity") == "1"     # visible on focus
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.copy-code-status').textContent === 'Copied'")
    assert clipboard(page) == CODE_1                 # no trailing newline: a pasted command does not run
    assert focused.text_content() == "Copied"
    page.wait_for_function("() => document.querySelector('.copy-button').textContent === 'Copy'", timeout=4000)
    assert page.text_content(".copy-code-status") == ""
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_pointer_copies_the_code(chromium, served):
    context, page, watch = open_page(chromium, served)
    page.hover("main pre >> nth=1")                   # a mouse reveals the button by hovering the block
    button = page.locator("button.copy-button >> nth=1")
    assert button.evaluate("b => getComputedStyle(b).opacity") == "1"
    button.click()
    page.wait_for_function("() => document.querySelector('.copy-code-status').textContent === 'Copied'")
    assert clipboard(page) == CODE_2
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_without_the_clipboard_api_the_code_is_selected(chromium, served):
    """Plain http on another host has no navigator.clipboard: the code is selected (and copied the old way)."""
    context, page, watch = open_page(chromium, served)
    page.evaluate("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.click("button.copy-button >> nth=1", force=True)
    assert page.evaluate("String(getSelection())").rstrip("\n") == CODE_2
    assert page.text_content(".copy-code-status") in ("Copied", "Code selected: press Ctrl+C to copy")
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_touch_screens_always_show_the_button(chromium, served):
    context, page, watch = open_page(chromium, served, has_touch=True, is_mobile=True)
    button = page.locator("button.copy-button >> nth=0")
    assert button.evaluate("b => getComputedStyle(b).opacity") == "1"
    code = page.locator("main pre >> nth=0").bounding_box()
    assert button.bounding_box()["y"] + button.bounding_box()["height"] <= code["y"] + 48   # in the band above the code
    assert watch.problems == []
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_mounted_buttons_pass_axe_and_fit_360px(chromium, served, scheme):
    from support.browser import axe_violations

    context, page, watch = open_page(chromium, served, color_scheme=scheme)
    page.hover("main pre >> nth=0")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_without_javascript_code_blocks_are_intact_and_nothing_dead_is_shown(chromium, served):
    context, page, watch = open_page(chromium, served, java_script_enabled=False)
    assert page.locator("button").count() == 0
    assert page.text_content("main pre code >> nth=0") == CODE_1 + "\n"
    assert page.locator(".copy-code-status").is_visible() is False or \
        page.locator(".copy-code-status").bounding_box()["width"] <= 1
    assert watch.problems == []
    context.close()


# ---------------------------------------------------------------- the demo article, built by the real pipeline

@pytest.mark.browser
def test_demo_article_copies_its_code_blocks(chromium, demo_server):
    """Built by the real pipeline (bundle, loader, import map with integrity, CSP from _headers)."""
    article = "articles/dark-mode-without-a-flash.html"
    context, page, watch = open_page(chromium, demo_server, article)
    blocks = page.locator("main pre code")
    buttons = page.locator("main .copy-code > button.copy-button")
    assert buttons.count() == blocks.count() >= 2
    first = blocks.nth(0).text_content()
    assert buttons.nth(0).get_attribute("aria-label") == "Copy code: " + copy_code.first_line(first)
    buttons.nth(0).focus()
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('.copy-code-status').textContent === 'Copied'")
    assert clipboard(page) == copy_code.clean_code(first)
    assert watch.problems == []
    context.close()

    context, page, _ = open_page(chromium, demo_server, article, java_script_enabled=False)
    assert page.locator("main pre code").count() >= 2 and page.locator("main button").count() == 0
    context.close()
