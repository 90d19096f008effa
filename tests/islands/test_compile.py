"""Compile stage: Transcrypt without Java, deterministic output, cache, error mapping, runtime fix,
and the differential mechanism (same render() result under CPython and compiled JS)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from islet.errors import ToolMissingError
from islet.islands import compile as compile_stage
from islet.islands.check import CheckError
from islet.islands.compile import CompileError, compile_widgets, transcrypt_problems
from islet.islands.testing import JsCallError, run_js_calls, run_js_render, run_py_render
from support.site import folder_digest

WIDGETS = {
    "__init__.py": "",
    "shared.py": 'def wrap(tag: str, inner: str) -> str:\n    return "<" + tag + ">" + inner + "</" + tag + ">"\n',
    "counter.py": (
        "from widgets.shared import wrap\n\n\n"
        "def render(count: int) -> str:\n    return wrap(\"button\", str(count))\n\n\n"
        "def mount(el, props):\n    el.textContent = render(props[\"count\"])\n"),
    "features.py": (
        "from widgets.shared import wrap\n\n\n"
        "class Box:\n    def __init__(self, n: int) -> None:\n        self.n = n\n\n    def size(self) -> int:\n        return self.n * 2\n\n\n"
        "class Big(Box):\n    def size(self) -> int:\n        return super().size() + 1\n\n\n"
        "def render(n: int, words: list[str]) -> str:\n"
        "    xs = [3, 1, 2]\n    xs.append(n)\n    xs.extend([9])\n    last = xs.pop()\n    xs.sort()\n"
        "    d = {\"b\": 2, \"a\": 1}\n    d[\"c\"] = n\n"
        "    pairs = \";\".join([k + \"=\" + str(d[k]) for k in sorted(d.keys())])\n"
        "    flags = [w.upper() for w in words if w.startswith(\"a\")]\n"
        "    text = \"{} of {}\".format(len(words), n)\n"
        "    return wrap(\"p\", \",\".join([str(x) for x in xs]) + \" \" + str(last) + \" \" + pairs + \" \"\n"
        "                + \"|\".join(flags) + \" \" + text + \" \" + str(Big(n).size()))\n\n\n"
        "def boom(x: str) -> None:\n    raise ValueError(\"bad \" + x)\n\n\n"
        "def mount(el, props):\n    pass\n"),
}


def write_site(root: Path, extra: dict[str, str] | None = None) -> Path:
    (root / "widgets").mkdir(parents=True, exist_ok=True)
    for name, text in {**WIDGETS, **(extra or {})}.items():
        (root / "widgets" / name).write_text(text, encoding="utf-8")
    return root


def run(root: Path, out: str = "out", cache: str = "cache"):
    return compile_widgets(root / "widgets", root, root / out, root / cache)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("site"))
    return root, run(root)


def test_compiles_every_module_into_es_modules(compiled):
    root, result = compiled
    assert not result.cached
    assert result.modules == {"counter": "widgets.counter.js", "features": "widgets.features.js",
                              "shared": "widgets.shared.js"}
    names = {p.name for p in result.out_dir.iterdir()}
    assert {"org.transcrypt.__runtime__.js", "widgets.counter.js", "widgets.shared.js", "package.json"} <= names
    assert not [n for n in names if n.endswith(".project") or n.startswith("_islet")]
    for js in result.out_dir.glob("*.js"):
        text = js.read_text()
        assert "Transcrypt'ed from Python, " not in text            # no timestamp
        assert str(root) not in text and "/tmp/" not in text        # no absolute path
    counter_map = json.loads((result.out_dir / "widgets.counter.map").read_text())
    assert "def render(count: int)" in counter_map["sourcesContent"][0]   # maps carry the Python source


def test_compiles_without_java_on_path(tmp_path, monkeypatch):
    """No java anywhere on PATH, and compile's own stub (which fails the build when called) stays unused."""
    path = [d for d in os.environ["PATH"].split(os.pathsep) if not os.access(os.path.join(d, "java"), os.X_OK)]
    monkeypatch.setenv("PATH", os.pathsep.join(path))
    result = run(write_site(tmp_path / "site"))
    assert (result.out_dir / "widgets.counter.js").is_file()


def test_java_guard_catches_any_java_call(tmp_path):
    env = compile_stage.java_guard(tmp_path)
    called = subprocess.run(["java", "-jar", "closure.jar"], env=env, capture_output=True, text=True)
    assert called.returncode != 0 and (tmp_path / compile_stage.JAVA_TRIED).exists()


def test_output_is_deterministic(compiled, tmp_path):
    _, first = compiled
    again = run(write_site(tmp_path / "elsewhere"))   # other folder, fresh cache: a real second compile
    assert not again.cached
    assert folder_digest(again.out_dir) == folder_digest(first.out_dir)


def test_cache_hit_compiles_nothing(tmp_path, monkeypatch):
    root = write_site(tmp_path)
    cold = run(root)
    assert not cold.cached and (root / "cache" / cold.key).is_dir()

    def no_subprocess(*args, **kwargs):
        raise AssertionError("Transcrypt ran on a cache hit")
    monkeypatch.setattr(subprocess, "run", no_subprocess)
    warm = run(root, out="out2")
    assert warm.cached and warm.key == cold.key
    assert folder_digest(warm.out_dir) == folder_digest(cold.out_dir)
    assert warm.seconds < cold.seconds

    monkeypatch.undo()
    (root / "widgets" / "counter.py").write_text(WIDGETS["counter.py"] + "\n# edited\n")
    edited = run(root)
    assert not edited.cached and edited.key != cold.key


def test_a_cache_entry_damaged_since_it_was_stored_is_compiled_again(tmp_path):
    """A truncated module in the cache (a full disk, a crash) would otherwise go into every later build."""
    root = write_site(tmp_path)
    cold = run(root)
    cached = root / "cache" / cold.key / "widgets.counter.js"
    cached.write_bytes(cached.read_bytes()[:100])
    again = run(root, out="out2")
    assert not again.cached and again.key == cold.key
    assert folder_digest(again.out_dir) == folder_digest(cold.out_dir)
    assert run(root, out="out3").cached                 # stored again, whole


def test_rejected_construct_names_the_widget_file(tmp_path, monkeypatch):
    monkeypatch.setattr(compile_stage, "precheck", lambda sources: None)   # let Transcrypt itself fail
    bad = "from widgets.shared import wrap\n\n\ndef render(xs):\n    a, *rest = xs\n    return wrap(\"p\", a)\n"
    with pytest.raises(CompileError) as caught:
        run(write_site(tmp_path, {"bad.py": bad}))
    assert str(caught.value).startswith("widgets/bad.py:5: Transcrypt could not translate this line")
    assert "docs/widgets.md" in str(caught.value)


def test_error_in_shared_module_names_that_module(tmp_path, monkeypatch):
    monkeypatch.setattr(compile_stage, "precheck", lambda sources: None)   # let Transcrypt itself fail
    with pytest.raises(CompileError) as caught:
        run(write_site(tmp_path, {"shared.py": "def wrap(tag, inner):\n    a, *b = tag\n    return a\n"}))
    assert str(caught.value).startswith("widgets/shared.py:2: ")


def test_silently_miscompiled_constructs_are_caught_before_transcrypt(tmp_path, monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError("Transcrypt ran although the check failed")
    monkeypatch.setattr(subprocess, "run", no_subprocess)
    walrus = "def render(xs):\n    if (n := len(xs)) > 1:\n        return n\n    return 0\n"
    starred = "def render(xs):\n    a, *rest = xs\n    return a\n"
    with pytest.raises(CheckError) as caught:
        run(write_site(tmp_path, {"walrus.py": walrus, "starred.py": starred}))
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("widgets/starred.py:2:8: starred assignment")
    assert lines[1].startswith("widgets/walrus.py:2:9: the walrus operator")


def test_transcrypt_report_is_mapped_to_widget_paths(tmp_path):
    report = ("Error while compiling (offending file last):\n"
              f"\tFile '{tmp_path}/_islet_all_widgets.py', line 2, at import of:\n"
              f"\tFile '{tmp_path}/widgets/tabs.py', line 1, at import of:\n"
              "\tFile 'widgets.helper', line 7, namely:\n\t\n\tUnknown pragma: bogus\n\nAborted\n")
    [problem] = transcrypt_problems(report, tmp_path)
    assert str(problem).startswith("widgets/helper.py:7: Unknown pragma: bogus")
    [unknown] = transcrypt_problems("Traceback …\nKeyError: 'x'\n", tmp_path)
    assert unknown.path == "widgets" and "KeyError" in unknown.what


def test_missing_transcrypt_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(compile_stage.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ToolMissingError, match=r"pip install transcrypt==3\.9\.5"):
        run(write_site(tmp_path))


def node_json(tmp_path, module, code: str):
    """Run `code` in node after importing the compiled `module` as `r`; what it console.logs, as JSON."""
    script = tmp_path / "check.mjs"
    script.write_text(f"const r = await import({json.dumps(module.as_uri())});\n{code}\n")
    run_node = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=30)
    assert run_node.returncode == 0, run_node.stderr
    return json.loads(run_node.stdout)


def test_runtime_leaves_no_enumerable_prototype_properties(compiled, tmp_path):
    _, result = compiled
    found = node_json(tmp_path, result.out_dir / "widgets.features.js",
                      "const keys = (x) => { const out = []; for (const k in x) out.push(k); return out; };\n"
                      "console.log(JSON.stringify([keys([1, 2]), keys('ab'), keys(new Uint8Array(2)), keys({}),"
                      " Object.keys(Array.prototype), Object.keys(String.prototype)]));")
    assert found == [["0", "1"], ["0", "1"], ["0", "1"], [], [], []]


def test_runtime_isinstance_gives_python_answers_without_throwing(compiled, tmp_path):
    """Patched (islet.islands.runtime_fixes.ISINSTANCE) so that a primitive no longer throws and catches a TypeError in
    each call: the answers must stay Python's."""
    _, result = compiled
    runtime = result.out_dir / "org.transcrypt.__runtime__.js"
    assert "Object (anObject) === anObject && '__class__' in anObject" in runtime.read_text()
    found = node_json(tmp_path, runtime,
                      "const {isinstance: i, int, float, str, bool, list, dict} = r;\n"
                      "console.log(JSON.stringify([i(5, int), i(5.5, float), i(5.5, int), i('a', str), i('a', int),"
                      " i(true, bool), i(5, [int, float]), i('a', [int, float]), i([1], list), i([1], str),"
                      " i(dict({a: 1}), dict), i(dict({}), list)]));")
    # CPython: isinstance(5, int) … isinstance({}, list)
    assert found == [True, True, False, True, False, True, True, False, True, False, True, False]


def test_in_asks_an_object_for_its_own_keys_whatever_they_are_called(tmp_path):
    """The runtime's `in` is patched (islet.islands.runtime_fixes.IN): `key in row` on a plain object (a row of JSON
    props) threw when the row had a key named hasOwnProperty, and took one with an indexOf for a list."""
    root = write_site(tmp_path, {"has.py": "def has(key: \"Any\", container: \"Any\") -> bool:\n    return key in container\n"})
    out = run(root).out_dir
    row = {"hasOwnProperty": "", "indexOf": "x", "__contains__": 1, "length": 3}
    cases = [["hasOwnProperty", row], ["indexOf", row], ["length", row], ["x", row], ["toString", row],
             ["constructor", row], ["a", "cat"], ["z", "cat"], [2, [1, 2]], [3, [1, 2]]]
    assert [json.loads(text) for text in run_js_calls(out, "has", [("has", case) for case in cases])] == \
        [run_py_render(root, "has", "has", case) for case in cases]


@pytest.mark.parametrize("args", [[3, ["apple", "pear", "avocado"]], [0, []], [-7, ["a"]]])
def test_compiled_render_matches_cpython(compiled, args):
    """The differential mechanism widget tests reuse: list/str methods, dicts, classes still work."""
    root, result = compiled
    expected = run_py_render(root, "features", "render", args)
    assert json.loads(run_js_render(result.out_dir, "features", "render", args)) == expected
    assert expected.startswith("<p>")


def test_js_calls_batch_and_report_python_exceptions(compiled):
    root, result = compiled
    got = run_js_calls(result.out_dir, "counter", [("render", [1]), ("render", ["x<"])])
    assert [json.loads(g) for g in got] == [run_py_render(root, "counter", "render", [a]) for a in (1, "x<")]
    with pytest.raises(JsCallError, match="ValueError: bad news"):
        run_js_render(result.out_dir, "features", "boom", ["news"])


def test_slim_runtime_drops_only_prototype_methods_nobody_mentions():
    from islet.islands.compile import slim_runtime

    runtime = "\n".join([
        "export var __Terminal__ = __class__ ('__Terminal__', [object], {",
        "});",
        "String.prototype.rsplit = function (sep) {",
        "    return this.split (sep);",
        "};",
        "String.prototype.py_strip = function () {",
        "    return this.trim ();",
        "};",
        "String.prototype.center = function () {",
        "    return this.py_helper ();",
        "};",
        "String.prototype.py_helper = function () { return 1; };",
        "export function len (x) { return x.length; }",
    ])
    slim = slim_runtime(runtime, ["import {__Terminal__, len, rsplit} from './org.transcrypt.__runtime__.js';\n"
                                  "var a = s.py_strip (); var b = t.center ();"])
    lines = slim.split("\n")
    assert len(lines) == len(runtime.split("\n")), "line numbers stay valid for the source map"
    assert "rsplit" not in slim                       # nobody calls it
    assert "py_strip" in slim and "center" in slim   # a module calls them
    assert "py_helper = function" in slim            # kept because a kept method calls it
    assert "__class__" not in slim and "x.length" not in slim, "declarations nothing uses go (import lists don't count)"
    assert "export var __Terminal__;" in slim and "export var len;" in slim, "…but their exports stay declared"
    kept = slim_runtime(runtime, ["var t = __Terminal__ (); var n = len (t);"])
    assert "export var __Terminal__ = /* @__PURE__ */ __class__ (" in kept and "export function len" in kept
    # A word in a string is not a use: the search widget listens for "input" events, which must not keep
    # the runtime's `input` (and with it the whole print/input terminal, ~400 B of gzip) on its page.
    quoted = slim_runtime(runtime, ["el.addEventListener ('len', f); var k = \"__Terminal__\";"])
    assert "export function len" not in quoted and "__class__" not in quoted
