"""islet.content.highlight: Pygments as codehilite uses it, faster, with exactly the same tokens and HTML."""
import pytest
from pygments.lexer import RegexLexer
from pygments.lexers import get_all_lexers, get_lexer_by_name

from islet.content import highlight
from support.site import ROOT


@pytest.fixture(autouse=True)
def sort_rules_at_once(monkeypatch):
    """Sort a state's rules by first character the first time it is entered (a build waits for 32)."""
    monkeypatch.setattr(highlight, "WORTH_IT", 1)


FENCED = [("python", "", "def f(items):\n    return {i: i % 2 for i in items if i < 3}\n"),
          ("js", ' hl_lines="2"', "const a = 1;\nlet b = `${a} <b>`;\n"),
          ("", '{ .python linenums="1" }', "print('again')\nx = [1, 2]\n"),
          ("no-such-language", "", "plain <text> & more\n"),
          ("css", "", "a { color: red; }\n"),
          ("js", "", "const a = 1;\nlet b = `${a} <b>`;\n")]


def test_codehilite_gives_the_html_plain_pygments_gives(monkeypatch):
    """islet.content.highlight.install: codehilite gets one lexer and one formatter per (name, options) instead of
    new ones for every code block, and the lexers try only the rules that may match; the HTML stays
    exactly what plain Pygments gives."""
    import markdown
    import pygments.formatters
    import pygments.lexers
    from markdown.extensions import codehilite

    monkeypatch.setattr(codehilite, "get_lexer_by_name", pygments.lexers.get_lexer_by_name)
    monkeypatch.setattr(codehilite, "get_formatter_by_name", pygments.formatters.get_formatter_by_name)
    documents = [f"Block {n}:\n\n```{lang}{options}\n{code}```\n" for n, (lang, options, code) in enumerate(FENCED)]
    settings = {"extensions": ["codehilite", "extra"], "extension_configs": {"codehilite": {"css_class": "highlight"}}}

    def convert(order):
        md = markdown.Markdown(**settings)
        return [(md.reset(), md.convert(documents[n]))[1] for n in order]

    new = convert(range(len(FENCED)))
    assert 'class="hll"' in new[1] and "linenos" in new[2] and "&lt;text&gt;" in new[3]
    highlight.install()
    lexers = codehilite.get_lexer_by_name.shared
    assert convert(range(len(FENCED))) == new
    assert convert(reversed(range(len(FENCED)))) == list(reversed(new))
    # One per (language, options): js with and without hl_lines, python with and without linenums, css
    # (the unknown language is guessed, not looked up by name).
    assert sorted(name for name, _ in lexers) == ["css", "js", "js", "python", "python"]
    assert len(codehilite.get_formatter_by_name.shared) == 3    # plain, hl_lines="2", linenums


def test_a_code_block_highlighted_by_an_earlier_build_needs_no_pygments(monkeypatch):
    """Remembered by code, options and the build's reader key: the second article with the same block is
    made without any lexer; another reader key (another Pygments, other settings) highlights again."""
    from types import SimpleNamespace

    import markdown
    from markdown.extensions import codehilite

    from islet.build import incremental
    from islet.build.memo import Memo

    memos = {}

    def memoised(name, function):
        memo = memos.setdefault(name, Memo(None, function))
        memo.function = function
        return memo

    highlight.install()
    monkeypatch.setattr(incremental, "memoised", memoised)
    monkeypatch.setattr(incremental, "session", SimpleNamespace(reader_key="one"))
    documents = [f"Block {n}:\n\n```{lang}{options}\n{code}```\n" for n, (lang, options, code) in enumerate(FENCED)]
    settings = {"extensions": ["codehilite", "extra"], "extension_configs": {"codehilite": {"css_class": "highlight"}}}
    first = [markdown.Markdown(**settings).convert(d) for d in documents]

    def no_pygments(*args, **kwargs):
        raise AssertionError("a lexer was asked for")

    with monkeypatch.context() as patched:
        patched.setattr(codehilite, "get_lexer_by_name", no_pygments)
        patched.setattr(codehilite, "guess_lexer", no_pygments)
        assert [markdown.Markdown(**settings).convert(d) for d in documents] == first
        monkeypatch.setattr(incremental, "session", SimpleNamespace(reader_key="two"))
        with pytest.raises(AssertionError, match="lexer"):
            markdown.Markdown(**settings).convert(documents[0])
    assert [markdown.Markdown(**settings).convert(d) for d in documents] == first
    assert len(memos["highlight"].used) == 2 * len(FENCED)


# Something of most languages, and of what trips lexers up: unclosed strings and brackets, tabs, Unicode.
SAMPLE = r'''#!/usr/bin/env python
# -*- coding: utf-8 -*-
def f(items: list[str], limit=14) -> dict:
    """Doc "string" with 'quotes'."""
    return {i: f"{i!r:>{limit}}" for i in items if i % 2 == 0 and i is not None}  # comment
function g(a, b) { return a /b/ 2 + `x ${y}` + 'it\'s' + "q\"q"; } // comment
/* block */ <!-- html --> <div class="x" id='y'>&amp; text</div> <?php echo $x; ?>
#include <stdio.h>
int main(void) { printf("%d\n", 0x1F + 1e10 - 3.14f); return 0; }
SELECT * FROM t WHERE a = 'b' AND c IN (1, 2); -- sql comment
key: value # yaml
[section]
name = "toml"
@media (max-width: 40em) { a:hover { color: #fff !important; } }
λ x → x · 中文 éè ß K
\ttab\tand trailing space 
unterminated "string
((( ]]] }}}
'''


def _regex_lexers():
    for name in sorted({aliases[0] for _, aliases, _, _ in get_all_lexers() if aliases}):
        lexer = get_lexer_by_name(name)
        if isinstance(lexer, RegexLexer) and type(lexer).get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed:
            yield name


def _tokens(lexer, text):
    try:
        return list(lexer.get_tokens(text))
    except Exception as error:          # a lexer that fails must fail the same way
        return repr(error)


def test_every_regex_lexer_gives_the_same_tokens():
    names = list(_regex_lexers())
    assert len(names) > 300 and "python" in names and "javascript" in names
    differing = [name for name in names
                 if _tokens(get_lexer_by_name(name), SAMPLE) != _tokens(highlight.faster(get_lexer_by_name(name)), SAMPLE)]
    assert differing == []


@pytest.mark.parametrize("name, path", [("python", "islet/build/render_cache.py"), ("python", "tasks.py"),
                                        ("css", "theme/static/css/40-content.css"), ("html+jinja", "theme/templates/base.html"),
                                        ("js", "node_modules/esbuild/lib/main.js"), ("json", "package-lock.json"),
                                        ("markdown", "README.md"), ("toml", "pyproject.toml")])
def test_real_files_give_the_same_tokens(name, path):

    file = ROOT / path
    if not file.is_file():
        pytest.skip(f"{path} is not here")
    text = file.read_text(encoding="utf-8")[:60_000]
    assert _tokens(highlight.faster(get_lexer_by_name(name)), text) == _tokens(get_lexer_by_name(name), text)


def test_rules_that_cannot_start_at_a_character_are_not_tried():
    lexer = highlight.faster(get_lexer_by_name("python"))
    list(lexer.get_tokens("def f(): return 1\n"))
    rules_at = highlight._DISPATCH[(type(lexer), "root")]
    assert 0 < len(rules_at("d")) < len(type(lexer)._tokens["root"]) / 2
    assert len(rules_at("K")) <= len(rules_at("d"))


def test_rules_are_sorted_only_for_states_entered_often(monkeypatch):
    monkeypatch.setattr(highlight, "WORTH_IT", 3)
    monkeypatch.setattr(highlight, "_DISPATCH", {})
    monkeypatch.setattr(highlight, "_ENTERED", {})
    lexer = highlight.faster(get_lexer_by_name("python"))
    for n in range(2):
        list(lexer.get_tokens(f"x = {n}\n"))
    assert (type(lexer), "root") not in highlight._DISPATCH
    list(lexer.get_tokens("x = 3\n"))
    assert (type(lexer), "root") in highlight._DISPATCH
