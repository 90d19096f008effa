"""Bundle stage: one entry per widget, the Transcrypt runtime in one shared chunk, external maps,
deterministic names and bytes, sizes per file, and the runtime fix surviving minification."""
from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from islet.errors import ToolMissingError
from islet.islands.bundle import BundleError, bundle
from islet.islands.compile import compile_widgets
from support.site import ROOT, folder_digest

NODE_MODULES = ROOT / "node_modules"
RUNTIME_TEXT = "Function,Uint8Array]"   # from the runtime's prototype fix (islet.islands.compile), kept by minifying
WIDGETS = {
    "__init__.py": "",
    "shared.py": 'def wrap(tag: str, inner: str) -> str:\n    return "<" + tag + ">" + inner + "</" + tag + ">"\n',
    "counter.py": ("from widgets.shared import wrap\n\n\ndef render(count: int) -> str:\n    return wrap(\"button\", str(count))\n\n\n"
                   "def mount(el, props):\n    el.textContent = render(props[\"count\"])\n"),
    "greeting.py": ("from widgets.shared import wrap\n\n\ndef render(name: str) -> str:\n    return wrap(\"p\", \"Hello, \" + name)\n\n\n"
                    "def mount(el, props):\n    el.textContent = render(props[\"name\"]).upper()\n"),
}
ENTRIES = {"counter": "widgets.counter.js", "greeting": "widgets.greeting.js"}


def compiled_site(root: Path) -> Path:
    (root / "widgets").mkdir(parents=True)
    for name, text in WIDGETS.items():
        (root / "widgets" / name).write_text(text, encoding="utf-8")
    return compile_widgets(root / "widgets", root, root / "compiled", root / "cache").out_dir


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    compiled = compiled_site(root)
    return compiled, bundle(compiled, ENTRIES, root / "public" / "widgets", NODE_MODULES)


def test_runtime_is_one_shared_chunk_used_by_both_widgets(bundled):
    _, result = bundled
    counter, greeting = result.widgets["counter"], result.widgets["greeting"]
    assert counter.entry.path.startswith("counter-") and counter.entry.path.endswith(".js")
    with_runtime = [p for p in result.files if RUNTIME_TEXT in (result.out_dir / p).read_text()]
    assert len(with_runtime) == 1 and with_runtime[0].startswith("chunks/")
    assert with_runtime[0] in {c.path for c in counter.chunks} & {c.path for c in greeting.chunks}
    for widget in (counter, greeting):   # the entry is small: only the widget's own code
        assert widget.entry.raw < 1000 and RUNTIME_TEXT not in (result.out_dir / widget.entry.path).read_text()


def test_sizes_are_reported_per_file(bundled):
    _, result = bundled
    for path, info in result.files.items():
        body = (result.out_dir / path).read_bytes()
        assert info.raw == len(body) > 0
        assert info.gzip == len(gzip.compress(body, compresslevel=9, mtime=0)) < info.raw
    counter = result.widgets["counter"]
    assert counter.gzip == counter.entry.gzip + sum(c.gzip for c in counter.chunks)
    assert 3000 < counter.gzip < 9000   # the runtime chunk dominates; measured about 5.9 kB


def test_maps_are_external_and_never_referenced(bundled):
    _, result = bundled
    assert {m.removesuffix(".map") for m in result.maps} == set(result.files)
    for path in result.files:
        assert "sourceMappingURL" not in (result.out_dir / path).read_text()
    chunk_map = json.loads((result.out_dir / result.widgets["counter"].chunks[0].path).with_suffix(".js.map")
                           .read_text())
    assert any(s.endswith("widgets.shared.py") for s in chunk_map["sources"])   # maps point at the Python


def test_output_is_deterministic(bundled, tmp_path):
    compiled, first = bundled
    moved = shutil.copytree(compiled, tmp_path / "somewhere" / "else")
    again = bundle(moved, ENTRIES, tmp_path / "out", NODE_MODULES)
    assert again.widgets == first.widgets
    assert folder_digest(again.out_dir) == folder_digest(first.out_dir)


def test_bundled_widgets_mount_and_leave_prototypes_clean(bundled, tmp_path):
    """DOM-free: mount() gets a plain object as its element; `for…in` sees only indices afterwards."""
    _, result = bundled
    out = shutil.copytree(result.out_dir, tmp_path / "site")
    (out / "package.json").write_text('{"type": "module"}')   # node: these .js files are ES modules
    script = out / "check.mjs"
    script.write_text(
        f"const counter = await import('./{result.widgets['counter'].entry.path}');\n"
        f"const greeting = await import('./{result.widgets['greeting'].entry.path}');\n"
        "const a = {}, b = {};\ncounter.mount(a, {count: 7});\ngreeting.mount(b, {name: 'Ada'});\n"
        "const keys = (x) => { const out = []; for (const k in x) out.push(k); return out; };\n"
        "console.log(JSON.stringify([a.textContent, b.textContent, keys([1, 2]), keys('ab'),"
        " Object.keys(Array.prototype).length + Object.keys(String.prototype).length]));\n")
    run = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == ["<button>7</button>", "<P>HELLO, ADA</P>", ["0", "1"], ["0", "1"], 0]


def test_module_without_mount_names_the_widget(bundled, tmp_path):
    compiled, _ = bundled
    with pytest.raises(BundleError, match=r"^widgets/shared\.py: esbuild: No matching export"):
        bundle(compiled, {"shared": "widgets.shared.js"}, tmp_path / "out", NODE_MODULES)


def test_missing_esbuild_says_what_to_install(bundled, tmp_path):
    compiled, _ = bundled
    with pytest.raises(ToolMissingError, match="npm ci"):
        bundle(compiled, ENTRIES, tmp_path / "out", tmp_path / "no_node_modules")


def test_an_esbuild_error_names_the_python_file_and_line(tmp_path, monkeypatch):
    """What esbuild rejects in a compiled module is reported at the widget's line, through the source map
    (the check stands in front of this; here it is switched off to reach esbuild)."""
    from islet.islands import compile as compile_stage

    monkeypatch.setattr(compile_stage, "precheck", lambda sources: None)
    (tmp_path / "widgets").mkdir()
    (tmp_path / "widgets" / "__init__.py").write_text("")
    (tmp_path / "widgets" / "bad.py").write_text("def mount(root, props):\n    x = 1\n\n\n"
                                                 "def render(props):\n    delete = props['n']\n    return delete\n")
    compiled = compile_widgets(tmp_path / "widgets", tmp_path, tmp_path / "compiled", tmp_path / "cache").out_dir
    with pytest.raises(BundleError) as caught:
        bundle(compiled, {"bad": "widgets.bad.js"}, tmp_path / "out", NODE_MODULES)
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == ("widgets/bad.py", 6) and problem.what.startswith("esbuild: ")


@pytest.mark.parametrize("mappings, generated, line", [
    ("AAAA;AACA;AAAA;AAEA", 1, 1), ("AAAA;AACA;AAAA;AAEA", 2, 2), ("AAAA;AACA;AAAA;AAEA", 3, 2),
    ("AAAA;AACA;AAAA;AAEA", 4, 4), ("AAAA;;AAqBA", 2, 0), ("AAAA;;AAqBA", 3, 22), ("AAAA", 9, 0),
    ("AAAA;AAmBA,KAAK;AAnBA", 3, 1),
])
def test_source_line_reads_a_transcrypt_map(mappings, generated, line):
    from islet.islands.bundle import source_line

    assert source_line(json.dumps({"version": 3, "mappings": mappings}), generated) == line


def test_a_scripts_cache_entry_damaged_since_it_was_stored_is_bundled_again(tmp_path):
    """A map deleted or a bundle truncated in <cache>/scripts would otherwise be copied into every later build."""
    from islet.islands.scripts import build_scripts

    root = tmp_path / "site"
    compiled_site(root)
    first = build_scripts(root, ["counter", "greeting"], root / "cache", NODE_MODULES)
    made = folder_digest(first.folder)
    for damage in (lambda f: f.unlink(), lambda f: f.write_bytes(f.read_bytes()[:50])):
        damage(next(first.folder.glob("counter-*.js*")))
        again = build_scripts(root, ["counter", "greeting"], root / "cache", NODE_MODULES)
        assert not again.cached and folder_digest(again.folder) == made
    assert build_scripts(root, ["counter", "greeting"], root / "cache", NODE_MODULES).cached
