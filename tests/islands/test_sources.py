"""islet.islands.sources: a site uses islet's built-in widgets by name, and its own widgets/x.py replaces islet's x
in every stage (CPython import, the check, Transcrypt)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from islet.islands.check import CheckError, check_site
from islet.islands.compile import compile_widgets
from islet.islands.registry import discover
from islet.islands.sources import BUILTIN, folders, widget_files
from islet.islands.testing import import_widget, run_js_render


def builtin_widgets() -> list[str]:
    """The modules of islet/widgets that define render(), read from their source (not imported)."""
    return sorted(p.stem for p in BUILTIN.glob("*.py") if not p.stem.startswith("_") and any(
        isinstance(node, ast.FunctionDef) and node.name == "render" for node in ast.parse(p.read_text()).body))


def own_widget(name: str, text: str = "mine") -> str:
    return (f'PROPS = {{"who": ["str", "{text}"]}}\n\n\ndef render(props):\n    return "<p>" + props["who"] + "</p>"\n'
            "\n\ndef mount(root, props):\n    pass\n").replace("(props)", '(props: "Props")')


@pytest.fixture
def bare(tmp_path) -> Path:
    """A site with no widgets/ folder at all."""
    (tmp_path / "content").mkdir()
    return tmp_path


def test_the_package_ships_builtin_widgets():
    assert BUILTIN.is_dir() and builtin_widgets(), BUILTIN


def test_a_site_without_widgets_folder_finds_every_builtin_widget_by_name(bare):
    found = discover(bare)
    assert sorted(found) == builtin_widgets()
    assert all(w.path.endswith("(built into islet)") for w in found.values())
    assert folders(bare) == [BUILTIN]


def test_a_site_widget_replaces_the_builtin_one_of_that_name_everywhere(bare):
    name = builtin_widgets()[0]
    (bare / "widgets").mkdir()
    (bare / "widgets" / f"{name}.py").write_text(own_widget(name), encoding="utf-8")
    found = discover(bare)
    assert found[name].path == f"widgets/{name}.py" and found[name].render({"who": "x"}) == "<p>x</p>"
    assert set(found) == set(builtin_widgets())                  # the other built-in widgets are still there
    assert widget_files(bare)[f"{name}.py"] == bare / "widgets" / f"{name}.py"
    assert import_widget(bare, name).render({"who": "y"}) == "<p>y</p>"


def test_the_check_covers_the_site_and_the_builtin_modules_it_imports(bare):
    (bare / "widgets").mkdir()
    helper = next(n for n in widget_files(bare) if n != "__init__.py" and n.removesuffix(".py") not in builtin_widgets())
    module = helper.removesuffix(".py")
    (bare / "widgets" / "mine.py").write_text(
        f"from widgets import {module}\n\n\n" + own_widget("mine") + "\n\ndef label(a: str) -> str:\n    return \"%s!\" % a\n")
    with pytest.raises(CheckError) as caught:
        check_site(bare)
    assert str(caught.value).startswith("widgets/mine.py:")            # the site's file, at its line
    assert all(p.path == "widgets/mine.py" for p in caught.value.problems)   # islet's own modules pass


def test_a_builtin_widget_compiles_for_a_site_without_widgets_folder(bare):
    name = "tabs" if "tabs" in builtin_widgets() else builtin_widgets()[0]
    result = compile_widgets(bare / "widgets", bare, bare / "out", bare / "cache", names=[name])
    assert result.modules == {name: f"widgets.{name}.js"} and (result.out_dir / f"widgets.{name}.js").is_file()
    others = [n for n in builtin_widgets() if n != name and not (result.out_dir / f"widgets.{name}.js").read_text()
              .count(f"widgets.{n}.js")]
    assert not any((result.out_dir / f"widgets.{n}.js").exists() for n in others)   # only what it imports
    # The site's own module of that name is what compiles once it has one.
    (bare / "widgets").mkdir()
    (bare / "widgets" / f"{name}.py").write_text(own_widget(name), encoding="utf-8")
    mine = compile_widgets(bare / "widgets", bare, bare / "out", bare / "cache", names=[name])
    assert mine.key != result.key
    assert run_js_render(mine.out_dir, name, "render", [{"who": "js"}]) == '"<p>js</p>"'
