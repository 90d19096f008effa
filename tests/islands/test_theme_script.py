"""The pre-paint snippet: run in node against a fake localStorage and document, and placed before any style."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from islet.islands.hydrate import csp_hash
from islet.islands.theme_script import KEY, PREPAINT, insert_prepaint
from islet.output.headers import content_security_policy
from widgets import theme_toggle

# Runs PREPAINT once per case in a fresh context with only the fakes in it, and reports the
# attribute it set, the names it left behind and whether it threw.
HARNESS = r"""
const vm = require('node:vm');
const [script, cases] = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const out = cases.map((c) => {
  const attrs = {};
  const storage = c.storage === 'throws'
    ? { getItem() { throw new Error('SecurityError: private mode'); } }
    : { getItem: (k) => (c.storage && k in c.storage ? c.storage[k] : null) };
  const documentElement = c.noRoot ? null : { setAttribute: (k, v) => { attrs[k] = String(v); } };
  const context = vm.createContext({ localStorage: storage, document: { documentElement } });
  const before = Object.keys(context);
  let threw = null;
  try { vm.runInContext(script, context); } catch (e) { threw = String(e); }
  return { theme: attrs['data-theme'] ?? null, leaked: Object.keys(context).filter((k) => !before.includes(k)), threw };
});
process.stdout.write(JSON.stringify(out));
"""

CASES = {
    "stored dark": ({"storage": {KEY: "dark"}}, "dark"),
    "stored light": ({"storage": {KEY: "light"}}, "light"),
    "nothing stored": ({"storage": {}}, "system"),
    "junk stored": ({"storage": {KEY: "<b>purple"}}, "system"),
    "another key": ({"storage": {"theme": "dark"}}, "system"),
    "localStorage throws": ({"storage": "throws"}, "system"),
}


def run_prepaint(cases: list[dict]) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    run = subprocess.run([node, "-e", HARNESS], input=json.dumps([PREPAINT, cases]),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_prepaint_sets_the_stored_theme_without_leaking_or_throwing():
    results = run_prepaint([case for case, _ in CASES.values()] + [{"storage": {KEY: "dark"}, "noRoot": True}])
    for name, result in zip(CASES, results):
        assert result == {"theme": CASES[name][1], "leaked": [], "threw": None}, name
    assert results[-1] == {"theme": None, "leaked": [], "threw": None}   # even a broken document cannot make it throw


def test_prepaint_agrees_with_the_widget():
    """The snippet and the widget read the same key and accept the same values."""
    assert KEY == theme_toggle.KEY
    assert f'"{KEY}"' in PREPAINT
    results = run_prepaint([{"storage": {KEY: value}} for value in ("light", "dark", "system", "", "Dark")])
    assert [r["theme"] for r in results] == [theme_toggle.normalize(v) for v in ("light", "dark", "system", "", "Dark")]


def test_prepaint_is_small_and_allowed_by_its_hash():
    assert len(PREPAINT.encode()) < 300
    assert "<" not in PREPAINT          # nothing that could end the <script> element
    policy = content_security_policy([csp_hash(PREPAINT)], [])
    assert "script-src 'self' 'sha256-" in policy and "unsafe-inline" not in policy


PAGE = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width"><title>t</title><style>body{}</style></head>'
        '<body><p>Text with <style> in it</p></body></html>')
SCRIPT = "<script>" + PREPAINT + "</script>"


def test_insert_prepaint_goes_right_after_the_charset_and_before_any_style():
    out = insert_prepaint(PAGE)
    assert out == PAGE.replace('<meta charset="utf-8">', '<meta charset="utf-8">' + SCRIPT)
    assert out.index(SCRIPT) < out.index("<style>")
    assert insert_prepaint(out) == out     # idempotent


def test_insert_prepaint_goes_before_a_style_that_comes_first():
    early = PAGE.replace("<head>", '<head><link rel="stylesheet" href="a.css">')
    out = insert_prepaint(early)
    assert out.index(SCRIPT) < out.index("<link") < out.index("<meta charset")
    upper = "<HTML><HEAD data-x=1><TITLE>t</TITLE><STYLE>b{}</STYLE></HEAD></HTML>"
    assert insert_prepaint(upper) == upper.replace("<STYLE>", SCRIPT + "<STYLE>")


def test_insert_prepaint_without_styles_or_head():
    assert insert_prepaint("<html><head><title>t</title></head></html>") == \
        "<html><head>" + SCRIPT + "<title>t</title></head></html>"
    assert insert_prepaint("<p>fragment</p>") == "<p>fragment</p>"
    header = "<html><header>x</header><head><meta charset=utf-8></head></html>"   # <header> is not <head>
    assert insert_prepaint(header) == header.replace("<meta charset=utf-8>", "<meta charset=utf-8>" + SCRIPT)
