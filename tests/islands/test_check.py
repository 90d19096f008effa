"""Check stage: each rule flags its construct (with line, column and a fix) and leaves the safe
spelling alone; pragmas, skip blocks and `# islet: allow` are honoured; the real widgets pass."""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from islet.islands.check import CheckError, check_or_raise, check_source, check_widgets, start_site_check
from islet.islands.check.rules import RULES
from support.site import ROOT

SITE = ROOT


UNKNOWN = "the type of `"   # the rule that asks for annotations: tested on its own below and in the corpus


def findings(code: str, shown: str = "widgets/x.py") -> list[tuple[int, int, str]]:
    """The findings for `code`, but those asking for an annotation: the examples stay short, unannotated."""
    return [(p.line, p.column, p.what) for p in check_source(textwrap.dedent(code).lstrip("\n"), shown)
            if not p.what.startswith(UNKNOWN)]


# (id, source, [(line, column, fragment of the message)]): the flagged spelling …
FLAGGED = [
    ("match", "def f(x):\n    match x:\n        case 1:\n            return 1\n", [(2, 5, "`match`")]),
    ("walrus", "def f(xs):\n    if (n := len(xs)) > 1:\n        return n\n", [(2, 9, "walrus")]),
    ("starred-assign", "def f(xs):\n    a, *rest = xs\n    return a\n", [(2, 8, "starred assignment")]),
    ("starred-for", "def f(xs):\n    for a, *rest in xs:\n        pass\n", [(2, 12, "starred assignment")]),
    ("unpack-list", "def f(xs):\n    return [*xs, 1]\n", [(2, 13, "unpacking `*xs` inside a list")]),
    ("unpack-tuple", "def f(a):\n    return (*a,)\n", [(2, 13, "inside a tuple")]),
    ("unpack-set", "def f(a):\n    return {*a}\n", [(2, 13, "inside a set")]),
    ("unpack-dict", "def f(d):\n    return {**d, 'a': 1}\n", [(2, 15, "`{**d}` inside a dict")]),
    ("fstring-spec", "def f(x):\n    return f'{x:.2f}'\n", [(2, 15, "format `:.2f`")]),
    ("fstring-conv", "def f(s):\n    return f'<{s!r}>'\n", [(2, 16, "format `!r`")]),
    ("fstring-braces", "def f(s):\n    return f'{{{s}}}'\n", [(2, 12, "`{{` or `}}`")]),
    ("format-spec", "def f(x):\n    return '{:>5}'.format(x)\n", [(2, 12, "format spec `:>5`")]),
    ("percent", "def f(n):\n    return '%d items' % n\n", [(2, 12, "`%` string formatting")]),
    ("percent-fstring", "def f(n):\n    return f'{n}%d' % n\n", [(2, 12, "`%` string formatting")]),
    ("percent-name", "def f(n):\n    t = 'n=%s'\n    return t % n\n", [(3, 12, "`%` string formatting")]),
    ("kwargs-local", "def g(a, b=1):\n    return a\n\n\ndef f():\n    return g(1, b=2)\n",
     [(6, 17, "keyword argument `b=` in the call to `g`")]),
    ("kwargs-double-star", "def g(a, b=1):\n    return a\n\n\ndef f(o):\n    return g(1, **o)\n",
     [(6, 19, "keyword argument `**`")]),
    ("kwargs-browser", "def mount(root, props):\n    root.addEventListener('click', f, passive=True)\n",
     [(2, 39, "`passive=` in the call to `root.addEventListener`")]),
    ("kwargs-after-nokwargs", "# __pragma__('kwargs')\ndef g(a, b=1):\n    return a\n# __pragma__('nokwargs')\n\n\n"
     "def h(a, b=1):\n    return a\n\n\ndef f():\n    return g(1, b=2) + h(1, b=2)\n",
     [(12, 29, "call to `h`")]),
    ("kwargs-min-reverse", "def f(xs):\n    return min(xs, reverse=True)\n", [(2, 20, "`reverse=`")]),
    ("kwargs-dict", "def f(x):\n    return dict(name=x)\n", [(2, 17, "`name=` in the call to `dict`")]),
    ("kwargs-format", "def f(x):\n    return '{a}'.format(a=x)\n", [(2, 25, "`a=` in the call to `'{a}'.format`")]),
    ("dict-for", "def f():\n    d = {'a': 1}\n    for k in d:\n        pass\n", [(3, 14, "iterating a dict")]),
    ("dict-list", "def f():\n    d = dict()\n    return list(d)\n", [(3, 17, "iterating a dict")]),
    ("dict-tuple-literal", "def f():\n    return tuple({'a': 1})\n", [(2, 18, "iterating a dict")]),
    ("dict-comprehension", "def f():\n    d = {k: 1 for k in 'ab'}\n    return [k for k in d]\n",
     [(3, 24, "iterating a dict")]),
    ("dict-closure", "def f():\n    d = {'a': 1}\n\n    def g():\n        return ','.join(d)\n    return g\n",
     [(5, 25, "iterating a dict")]),
    ("sort-key-tuple", "def f(rows):\n    return sorted(rows, key=lambda r: (r[0], r[1]))\n",
     [(2, 39, "tuple or list sort key")]),
    ("sort-key-func", "def by(r):\n    return [r[0], r[1]]\n\n\ndef f(rows):\n    rows.sort(key=by)\n",
     [(6, 19, "tuple or list sort key")]),
    ("except-star", "def f():\n    try:\n        pass\n    except* ValueError:\n        pass\n",
     [(2, 5, "`except*`")]),
    ("import-json", "import json\n", [(1, 1, "`json` cannot be imported")]),
    ("import-typing", "from typing import List\n", [(1, 1, "`typing`")]),
    ("import-future", "from __future__ import annotations\n", [(1, 1, "`__future__`")]),
    ("import-asyncio", "import asyncio\n", [(1, 1, "`asyncio`")]),
    ("import-other", "import requests\n", [(1, 1, "`requests`")]),
    ("import-relative", "from .html import tag\n", [(1, 1, "`.html`")]),
    ("str-zfill", "def f(s):\n    return s.zfill(3)\n", [(2, 12, "str.zfill()")]),
    ("str-count", "def f(s):\n    return s.count('a')\n", [(2, 12, "str.count()")]),
    ("str-title", "def f(s):\n    return s.title()\n", [(2, 12, "str.title()")]),
    ("str-index", "def f():\n    s = 'abc'\n    return s.index('b')\n", [(3, 12, "str.index()")]),
    ("str-removeprefix", "def f(s):\n    return s.removeprefix('a')\n", [(2, 12, "removeprefix")]),
    ("strip-arg", "def f(s):\n    return s.strip('x')\n", [(2, 12, "argument of strip()")]),
    ("rstrip-arg", "def f(s):\n    return s.rstrip('/')\n", [(2, 12, "argument of rstrip()")]),
    ("attr-name", "def f(o):\n    return o.name\n", [(2, 12, "`.name` becomes `.py_name`")]),
    ("attr-type-event", "def on_key(event):\n    return event.type\n", [(2, 12, "`.py_metatype`")]),
    ("attr-default", "def f(o):\n    return o.default\n", [(2, 12, "`.py_default`")]),
    ("attr-props-get", "def mount(root, props):\n    return props.get('x')\n", [(2, 12, "`.get` becomes `.py_get`")]),
    ("attr-handler-keys", "def on_x(e):\n    return e.target.dataset.keys()\n\n\n"
                          "def mount(root, props):\n    root.addEventListener('x', on_x)\n", [(2, 12, "`.keys`")]),
    ("attr-document-element", "def mount(root, props):\n    box = root.querySelector('p')\n    return box.replace(1)\n",
     [(3, 12, "`.replace` becomes `.py_replace`")]),
    ("attr-location", "def go(url):\n    location.replace(url)\n", [(2, 5, "`.replace`")]),
    ("attr-object-keys", "def f(o):\n    return Object.keys(o)\n", [(2, 12, "`.keys`")]),
    ("negative-index", "def f(xs):\n    xs[-1] = 0\n", [(2, 8, "negative index")]),
    ("negative-variable", "def f(xs: list[int], n: int) -> None:\n    del xs[-n]\n",
     [(2, 9, "`del` on a list"), (2, 12, "negative index")]),
    ("eq-list", "def f(xs):\n    return xs == []\n", [(2, 12, "`==` for comparing")]),
    ("ne-tuple", "def f(a):\n    return a != (1, 2)\n", [(2, 12, "`!=`")]),
    ("eq-dict", "def f(a):\n    return {'a': 1} == a\n", [(2, 12, "`==`")]),
    ("lt-lists", "def f():\n    a = [1, 10]\n    return a < [1, 9]\n", [(3, 12, "`<`")]),
    ("list-plus", "def f(xs):\n    return xs + [1]\n", [(2, 12, "`+` for list arithmetic")]),
    ("list-times", "def f(n):\n    row = [0]\n    return row * n\n", [(3, 12, "`*` for list arithmetic")]),
    ("list-augmented", "def f(x):\n    xs = [1]\n    xs += [x]\n    return xs\n", [(3, 5, "`+` for list")]),
    ("str-times", "def f(n):\n    return '-' * n\n", [(2, 12, "repeating a string")]),
    ("set-or", "def f():\n    a = {1}\n    return a | {2}\n", [(3, 12, "`|` for set operators")]),
    ("truthy-if", "def f():\n    xs = []\n    if xs:\n        return 1\n", [(3, 8, "empty list, dict or set")]),
    ("truthy-not", "def f():\n    d = {}\n    return not d\n", [(3, 16, "empty list")]),
    ("truthy-while", "def f():\n    xs = [x for x in 'ab']\n    while xs:\n        xs.pop()\n", [(3, 11, "empty list")]),
    ("truthy-or", "def f():\n    xs = list()\n    return xs or None\n", [(3, 12, "empty list")]),
    ("dataclass-no-default", "from dataclasses import dataclass\n\n\n@dataclass\nclass P:\n    x: int\n    y: int = 0\n",
     [(6, 5, "dataclass field `x`")]),
    ("except-exception", "def mount(root, props):\n    try:\n        root.querySelector('p').focus()\n"
                         "    except Exception:\n        pass\n", [(4, 12, "`except Exception`")]),
    ("browser-only-line", "def f(o):\n    # __pragma__('ecom')\n    #?o[-1] = 1\n    # __pragma__('noecom')\n    return 0\n",
     [(3, 7, "negative index")]),
    ("float-text", "def f(x: float) -> str:\n    return str(x) + f'{x / 2}'\n", [(2, 16, "`x` can be a float"),
                                                                               (2, 24, "`x / 2` can be a float")]),
    ("join-numbers", "def f(xs: list[int]) -> str:\n    return ','.join(xs)\n", [(2, 21, "joining items"),
                                                                               (2, 21, "type error")]),
    ("isinstance-int", "def f(x: float) -> bool:\n    return isinstance(x, int)\n", [(2, 12, "isinstance(…, int)")]),
    ("tuple-in-list", "def f(xs: list[tuple[int, int]]) -> bool:\n    return (1, 2) in xs\n",
     [(2, 12, "`in` with a tuple or list")]),
    ("text-equals-number", "def f(s: str, n: int) -> bool:\n    return s == n\n", [(2, 12, "comparing text with a number")]),
    ("dict-order", "def f(d: dict[str, int]) -> list[int]:\n    return list(d.values())\n",
     [(2, 17, "values() lists the keys in a different order")]),
    ("shift", "def f(n: int) -> int:\n    return 1 << n\n", [(2, 12, "`<<` works on 32 bits")]),
    ("prototype-name", "def f(o: object) -> bool:\n    return hasattr(o, 'constructor')\n",
     [(2, 23, "`constructor` is a property of every JavaScript object")]),
    ("type-error", "def f(x: int | None) -> int:\n    return x + 1\n", [(2, 12, "type error: Unsupported operand")]),
    ("generator", "def f(xs: list[int]) -> list[int]:\n    return list(tuple(x for x in xs))\n",
     [(2, 22, "a generator expression")]),
    ("missing-builtin", "def f(x: float) -> str:\n    return format(x, '.2f')\n", [(2, 12, "format() does not exist")]),
    ("mutable-default", "def f(x: int, acc: list[int] = []) -> list[int]:\n    return acc\n",
     [(1, 32, "a mutable default")]),
    ("lambda-default", "def f(n: int) -> int:\n    g = lambda i=n: i\n    return g()\n",
     [(2, 9, "drops the defaults of a lambda")]),
    ("loop-closure", "def f(n: int) -> list[int]:\n    fs = []\n    for i in range(n):\n        fs.append(lambda: i)\n"
                     "    return [g() for g in fs]\n", [(4, 19, "reads the loop variable `i`")]),
    ("operator-method", "class M:\n    def __eq__(self, other: object) -> bool:\n        return True\n",
     [(2, 5, "`__eq__` is not called by operators")]),
    ("multiple-bases", "class A:\n    pass\n\n\nclass B:\n    pass\n\n\nclass C(A, B):\n    pass\n",
     [(9, 1, "class `C` has several base classes")]),
    ("reserved-names", "import widgets.html as var\n\n\ndef f(this, x):\n    function = x\n    for let in x:\n"
                       "        pass\n    return function\n\n\nclass delete:\n    pass\n",
     [(1, 8, "`var` is a reserved word"), (4, 7, "`this` is a reserved word"), (5, 5, "`function` is a reserved"),
      (6, 9, "`let` is a reserved word"), (11, 1, "`delete` is a reserved word")]),
    ("runtime-name", "def type(x):\n    return x\n\n\nnext = 1\n",
     [(1, 1, "module-level `type` collides with Transcrypt's own `py_metatype`"), (5, 1, "module-level `next`")]),
]

# … and the safe spelling of the same thing, which must pass.
ACCEPTED = [
    ("if-elif", "def f(x):\n    if x == 1:\n        return 1\n    elif x == 2:\n        return 2\n"),
    ("plain-assign", "def f(xs):\n    n = len(xs)\n    a = xs[0]\n    rest = xs[1:]\n    return n, a, rest\n"),
    ("tuple-for", "def f(pairs):\n    for a, b in pairs:\n        pass\n"),
    ("star-call", "def g(a, b):\n    return a\n\n\ndef f(xs):\n    return g(*xs)\n"),
    ("list-build", "def f(xs):\n    out = list(xs)\n    out.append(1)\n    return (xs,)\n"),
    ("fstring-plain", "def f(x):\n    return f'<{x}> and {x + 1}'\n"),
    ("format-plain", "def f(x):\n    return '{} of {}'.format(x, x)\n"),
    ("numeric-modulo", "def f(a, n):\n    return (a - 1 + n) % n\n"),
    ("kwargs-marked", "# __pragma__('kwargs')\ndef g(a, b=1):\n    return a\n# __pragma__('nokwargs')\n\n\n"
                      "def f():\n    return g(1, b=2)\n"),
    ("kwargs-builtins", "def f(xs):\n    ys = sorted(xs, key=len, reverse=True)\n    xs.sort(key=len)\n"
                        "    print(xs, ys, sep=', ', end='')\n"
                        "    return [min(xs, key=len, default=''), max(xs, key=len), list(enumerate(ys, start=1))]\n"),
    ("kwargs-dataclass", "from dataclasses import dataclass\n\n\n@dataclass\nclass P:\n    x: int = 0\n\n\n"
                         "def f():\n    return P(x=1)\n"),
    ("dict-keys", "def f():\n    d = {'a': 1}\n    for k in sorted(d.keys()):\n        pass\n"
                  "    return [[k for k in sorted(d.keys())], len(d.keys()), sorted(d)]\n"),
    ("dict-in", "def f(k):\n    d = {'a': 1}\n    return k in d\n"),
    ("list-iteration", "def f():\n    xs = [1, 2]\n    for x in xs:\n        pass\n    return list(xs)\n"),
    ("dict-rebound", "def f(rows):\n    d = {}\n    d = rows\n    for k in d:\n        pass\n"),
    ("sort-key-scalar", "def by(r):\n    return r[0]\n\n\ndef f(rows):\n    rows.sort(key=by)\n"
                        "    return sorted(rows, key=lambda r: r[1])\n"),
    ("import-widgets", "import widgets.html\nfrom widgets.html import tag\nfrom widgets import html\n"
                       "from dataclasses import dataclass\n"),
    ("str-supported", "def f(s):\n    return s.strip() + s.lower().find('a') + s.startswith('x') + s.replace('a', 'b')\n"),
    ("list-index", "def f(xs):\n    return xs.index(1)\n"),
    ("attr-js-name", "def on_key(event):\n    return event.js_type + event.target.js_name\n"),
    ("attr-self", "class A:\n    def __init__(self, name):\n        self.name = name\n"),
    ("attr-noalias", "# __pragma__('noalias', 'name')\ndef f(o):\n    return o.name\n"),
    ("attr-on-strings", "def mount(root, props):\n    text = root.textContent\n"
                        "    return text.split(',') + props['rows'].copy() + root.textContent.replace('a', 'b')\n"),
    ("attr-python-dict", "def f():\n    d = {'a': 1}\n    return d.get('a', 0) + len(d.keys())\n"),
    ("attr-own-class", "class P:\n    def __init__(self, name: str) -> None:\n        self.name = name\n\n\n"
                       "def f() -> str:\n    return P('a').name\n"),
    ("negative-read", "def f(xs: list[int]) -> int:\n    return xs[-1] + xs[-len(xs)]\n"),
    ("literal-list-times", "def f(n: int) -> list[int]:\n    return [0] * n\n"),
    ("import-math", "import math\n\n\ndef f(x: float) -> int:\n    return math.floor(x)\n"),
    ("int-and-round", "def f(x: float, s: str) -> float:\n    return int(x) + int(s) + round(x) + round(x, 2)\n"),
    ("fstring-s", "def f(n: int) -> str:\n    return f'{n!s} items'\n"),
    ("generator-takers", "def f(xs: list[int]) -> int:\n    return sum(x for x in xs) + max(x for x in xs) + "
                         "len(','.join(str(x) for x in xs))\n"),
    ("typed-truthiness", "def f(n: int, s: str, o: str | None) -> int:\n    return 1 if n and s and o else 0\n"),
    ("index-positive", "def f(xs):\n    return xs[len(xs) - 1] + xs[0] + xs[-2:] + xs[:-1]\n"),
    ("index-opov", "def f(xs):\n    # __pragma__('opov')\n    return xs[-1] + [1] == [2]\n"),
    ("eq-scalar", "def f(a, b):\n    return a == b or a + b > 1 or 'x' + a == 'y'\n"),
    ("list-in", "def f(a):\n    return a in [1, 2]\n"),
    ("str-concat", "def f(n):\n    return 'a' + str(n * 3) + 'b' if n else 'a' + 'b'\n"),
    ("truthy-len", "def f():\n    xs = []\n    if len(xs) > 0:\n        return 1\n    return 0\n"),
    ("truthy-unknown", "def f(xs, s):\n    t = ''\n    if xs or s or t:\n        return 1\n"),
    ("dataclass-defaults", "from dataclasses import dataclass\n\n\n@dataclass\nclass P:\n    x: int = 0\n"),
    ("except-bare", "def mount(root, props):\n    try:\n        root.querySelector('p').focus()\n    except:\n        pass\n"),
    ("except-python-only", "def f(x):\n    try:\n        return g(x)\n    except Exception:\n        return 0\n"),
    ("skip-block", "# __pragma__('skip')\nimport json\n\n\ndef f(x):\n    return f'{x:.2f}'\n"
                   "# __pragma__('noskip')\n"),
    ("allow", "def f(o):\n    return o.name  # islet: allow\n"),
    ("js-this-read", "def handler(event):\n    # __pragma__('ecom')\n    #?return this.value\n    # __pragma__('noecom')\n"
                     "    return 0\n"),
    ("local-runtime-name", "def f(x):\n    type = x\n    next = x\n    return [type, next, this_, function_]\n"),
]


@pytest.mark.parametrize("source, expected", [c[1:] for c in FLAGGED], ids=[c[0] for c in FLAGGED])
def test_flags_construct(source, expected):
    found = findings(source)
    assert [(line, column) for line, column, _ in found] == [(line, column) for line, column, _ in expected], found
    for (_, _, what), (_, _, fragment) in zip(found, expected):
        assert fragment in what


@pytest.mark.parametrize("source", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepts_safe_spelling(source):
    assert findings(source) == []


def test_every_finding_says_what_to_write_instead():
    for _, source, _ in FLAGGED:
        for problem in check_source(source, "widgets/x.py"):
            assert problem.fix and problem.column > 0
            assert str(problem).startswith(f"widgets/x.py:{problem.line}:{problem.column}: ")
            assert " — " in str(problem)


def test_every_rule_is_exercised():
    """A rule added to the table without a flagged example here fails this test."""
    found = [p.what for _, source, _ in FLAGGED for p in check_source(source, "widgets/x.py")]
    fired = {rule.what for rule in RULES if any(rule.what.split("{")[0][:25] in what for what in found)}
    assert fired == {rule.what for rule in RULES}


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = root / "widgets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return root


def test_keyword_marks_are_looked_up_across_modules(tmp_path):
    root = write(tmp_path, {
        "__init__.py": "",
        "html.py": "# __pragma__('kwargs')\ndef tag(name, inner=''):\n    return name\n# __pragma__('nokwargs')\n\n\n"
                   "def plain(name, inner=''):\n    return name\n",
        "card.py": "from widgets.html import tag, plain\nimport widgets.html as h\n\n\n"
                   "def render():\n    return tag('p', inner='x') + plain('p', inner='x') + h.plain('p', inner='y')"
                   " + h.tag('b', inner='z')\n",
    })
    problems = [p for p in check_widgets(root / "widgets", root) if not p.what.startswith(UNKNOWN)]
    assert [(p.path, p.line, p.column) for p in problems] == [("widgets/card.py", 6, 45), ("widgets/card.py", 6, 71)]
    assert "`plain`" in problems[0].what and "widgets/html.py" in problems[0].fix
    assert "`h.plain`" in problems[1].what


def test_all_files_all_findings_sorted(tmp_path):
    root = write(tmp_path, {
        "b.py": "def f(xs: list[int]) -> list[int]:\n    xs[-1] = 0\n    return [*xs]\n",
        "a.py": "import json\n",
        "sub/c.py": "def f(\n",
        "bad.py": b"x = 1\ny = '\xff'\n",
        "__pycache__/z.py": "import json\n",
        "_private.py": "def f(s):\n    return s.zfill(2)\n",
    })
    shown = [str(p) for p in check_widgets(root / "widgets", root) if not p.what.startswith(UNKNOWN)]
    assert [s.split(":")[0] for s in shown] == ["widgets/_private.py", "widgets/a.py", "widgets/b.py",
                                                 "widgets/b.py", "widgets/bad.py", "widgets/sub/c.py"]
    assert shown[2].startswith("widgets/b.py:2:8: assigning or deleting at a negative index")
    assert shown[3].startswith("widgets/b.py:3:13: unpacking")
    assert shown[4] == "widgets/bad.py:2:6: not valid UTF-8 (byte 0xff) — save the file as UTF-8"
    assert shown[5].startswith("widgets/sub/c.py:1:6: syntax error: '(' was never closed — ")
    with pytest.raises(CheckError) as caught:
        check_or_raise(root / "widgets", root)
    assert len(caught.value.problems) == 6


def test_the_site_check_starts_in_a_process_of_its_own_only_when_the_widgets_or_islet_changed(tmp_path):
    """start_site_check: what the build driver starts before Pelican is imported (islet.__main__), and the plugin
    otherwise. Nothing to start without a widgets/ folder, or when the build that wrote the output checked the
    same widgets with the same islet (`changed`: the input parts that differ; None: not known)."""
    assert start_site_check(tmp_path, None) is None
    (tmp_path / "widgets").mkdir()
    (tmp_path / "widgets" / "w.py").write_text("def f(xs):\n    if (n := len(xs)) > 1:\n        return n\n")
    assert start_site_check(tmp_path, frozenset({"content", "theme", "settings"})) is None
    for changed in (None, frozenset({"widgets"}), frozenset({"islet", "content"})):
        started = start_site_check(tmp_path, changed)
        assert started.pid not in (None, os.getpid())          # forked: the type checker's memory goes with it
        assert [(p.path, p.line, "walrus" in p.what) for p in started.result()] == [("widgets/w.py", 2, True)]


def test_syntax_error_in_browser_only_line():
    code = "def f():\n    # __pragma__('ecom')\n    #?return [1,\n    # __pragma__('noecom')\n    return 0\n"
    [problem] = check_source(code, "widgets/x.py")
    assert problem.what.startswith("syntax error in a browser-only #? line: ") and problem.line == 3


def test_site_widgets_pass():
    """The widgets shipped with the demo site use only constructs Transcrypt compiles faithfully."""
    assert [str(p) for p in check_widgets(SITE / "widgets", SITE)] == []


# Each pair: a flagged spelling and the fix the message suggests, as functions of one module that is
# compiled by the real Transcrypt and run in node. The rules must match reality: every flagged
# function gives a different result in JavaScript (or throws), every fixed one the same as CPython.
REALITY = {
    "percent": ("def percent(n):\n    return '%d items' % n\n", "def percent_fixed(n):\n    return str(n) + ' items'\n", [3]),
    "spec": ("def spec(x):\n    return f'{x:.2f}'\n", "def spec_fixed(x):\n    return str(round(x * 100) / 100)\n", [3.14159]),
    "format_spec": ("def format_spec(x):\n    return '{:>4}'.format(x)\n",
                    "def format_spec_fixed(x):\n    return '{}'.format(x)\n", [7]),
    "kwargs": ("def kwargs(a):\n    return pair(a, second=5)\n", "def kwargs_fixed(a):\n    return pair(a, 5)\n", [1]),
    "dict_tuple": ("def dict_tuple():\n    return tuple({'a': 1})\n",
                   "def dict_tuple_fixed():\n    return tuple(sorted({'a': 1}.keys()))\n", []),
    "dict_for": ("def dict_for():\n    d = {'a': 1}\n    out = []\n    for k in d:\n        out.append(k)\n    return out\n",
                 "def dict_for_fixed():\n    d = {'a': 1}\n    out = []\n    for k in sorted(d.keys()):\n        out.append(k)\n"
                 "    return out\n", []),
    "tuple_key": ("def tuple_key(rows):\n    return sorted(rows, key=lambda r: (r[0], r[1]))\n",
                  "def tuple_key_fixed(rows):\n    return sorted(sorted(rows, key=lambda r: r[1]), key=lambda r: r[0])\n",
                  [[[10, 1], [9, 2], [9, 1]]]),
    "strip_arg": ("def strip_arg(s):\n    return s.strip('x')\n", "def strip_arg_fixed(s):\n    return s.strip()\n", ["xxaxx"]),
    "zfill": ("def zfill(s):\n    return s.zfill(3)\n", "def zfill_fixed(s):\n    while len(s) < 3:\n        s = '0' + s\n"
              "    return s\n", ["7"]),
    "negative": ("def negative(xs):\n    ys = list(xs)\n    ys[-1] = 0\n    return ys\n",
                 "def negative_fixed(xs):\n    ys = list(xs)\n    ys[len(ys) - 1] = 0\n    return ys\n", [[1, 2]]),
    "eq_list": ("def eq_list(xs):\n    return xs == [1, 2]\n",
                "def eq_list_fixed(xs):\n    return len(xs) == 2 and xs[0] == 1 and xs[1] == 2\n", [[1, 2]]),
    "list_plus": ("def list_plus(xs):\n    return xs + [3]\n",
                  "def list_plus_fixed(xs):\n    out = list(xs)\n    out.append(3)\n    return out\n", [[1, 2]]),
    "str_times": ("def str_times(n):\n    return '-' * n\n",
                  "def str_times_fixed(n):\n    out = ''\n    for i in range(n):\n        out = out + '-'\n    return out\n", [3]),
    "set_or": ("def set_or():\n    a = {1}\n    return len(a | {2})\n", "def set_or_fixed():\n    a = {1}\n    a.add(2)\n"
               "    return len(a)\n", []),
    "truthy": ("def truthy():\n    xs = []\n    return 'yes' if xs else 'no'\n",
               "def truthy_fixed():\n    xs = []\n    return 'yes' if len(xs) > 0 else 'no'\n", []),
    "except_exception": (
        "def except_exception(x):\n    try:\n        return document.nothing.here\n    except Exception:\n        return 'caught'\n",
        "def except_exception_fixed(x):\n    try:\n        return document.nothing.here\n    except:\n        return 'caught'\n", [0]),
}
HEAD = "# __pragma__('skip')\ndocument = None\n# __pragma__('noskip')\n\n\ndef pair(first, second=2):\n    return [first, second]\n"


@pytest.fixture(scope="module")
def reality(tmp_path_factory):
    """Compile the REALITY module once; {function: (CPython result, JavaScript result)} as JSON text."""
    from islet.islands import compile as compile_stage
    from islet.islands.testing import JsCallError, run_js_calls, run_py_render
    root = tmp_path_factory.mktemp("reality")
    source = "\n\n".join([HEAD] + [part for flagged, fixed, _ in REALITY.values() for part in (flagged, fixed)])
    write(root, {"__init__.py": "", "reality.py": source})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compile_stage, "precheck", lambda sources: None)   # compile what the check rejects
        out_dir = compile_stage.compile_widgets(root / "widgets", root, root / "out", root / "cache").out_dir
    calls = [(name + suffix, args) for name, (_, _, args) in REALITY.items() for suffix in ("", "_fixed")]
    results = {}
    for func, args in calls:
        try:
            results[func] = [json.dumps(run_py_render(root, "reality", func, args), sort_keys=True)]
        except Exception as error:   # the CPython stand-in `document = None` raises: only except_exception
            results[func] = ["raised " + type(error).__name__]
    pending = calls
    while pending:   # one node process for all calls; a call that throws is recorded and left out of the next run
        try:
            for (func, _), js in zip(pending, run_js_calls(out_dir, "reality", pending)):
                results[func].append(js)
            pending = []
        except JsCallError as error:
            failed = next(c for c in pending if f"widgets.reality.{c[0]}(" in str(error))
            results[failed[0]].append("raised in JavaScript")
            pending = [c for c in pending if c is not failed]
    return source, results


@pytest.mark.parametrize("name", list(REALITY))
def test_flagged_constructs_really_break_and_fixes_really_work(reality, name):
    source, results = reality
    flagged, fixed, _ = REALITY[name]
    lines = {p.line for p in check_source(source, "widgets/reality.py") if not p.what.startswith(UNKNOWN)}
    start = source.split("\n").index(flagged.split("\n")[0]) + 1
    fixed_start = source.split("\n").index(fixed.split("\n")[0]) + 1
    assert lines & set(range(start, start + flagged.count("\n"))), f"{name}: not flagged"
    assert not lines & set(range(fixed_start, fixed_start + fixed.count("\n"))), f"{name}_fixed: flagged"
    python, js = results[name]
    if name == "except_exception":   # CPython: document is None → AttributeError → caught
        assert python == '"caught"' and js == "raised in JavaScript"
    else:
        assert python != js, f"{name}: same result in JavaScript ({js}); the rule may be obsolete"
    assert results[name + "_fixed"][0] == results[name + "_fixed"][1]


def test_reserved_names_really_stop_the_module_and_renamed_ones_load(tmp_path):
    """What the two name rules prevent: compiled as it is, the module does not even load in node."""
    from islet.islands import compile as compile_stage
    from islet.islands.testing import JsCallError, run_js_calls

    for name, source in [("bad", "def f(x):\n    function = x + 1\n    return function\n"),
                         ("collides", "def type(x):\n    return x\n\n\ndef f(x):\n    return type(x) + 1\n"),
                         ("renamed", "def f(x):\n    function_ = x + 1\n    return function_\n")]:
        root = tmp_path / name
        write(root, {"__init__.py": "", "m.py": source})
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(compile_stage, "precheck", lambda sources: None)   # compile what it rejects
            out = compile_stage.compile_widgets(root / "widgets", root, root / "out", root / "cache").out_dir
        if name == "renamed":
            assert run_js_calls(out, "m", [("f", [1])]) == ["2"]
        else:
            with pytest.raises(JsCallError, match="widgets.m.f.* raised in JavaScript"):
                run_js_calls(out, "m", [("f", [1])])


# The rule that asks for annotations (left out of `findings` above).
def unknown(code: str) -> list[tuple[int, int]]:
    return [(p.line, p.column) for p in check_source(code, "widgets/x.py") if p.what.startswith(UNKNOWN)]


def test_an_unknown_type_where_the_type_decides_asks_for_an_annotation():
    assert unknown("def f(xs, n):\n    if xs:\n        return n + 1\n    return str(n)\n") == [(2, 8), (3, 16), (4, 16)]
    assert check_source("def f(xs: list[int], n: int) -> str:\n    if len(xs) > 0:\n        return str(n + 1)\n"
                        "    return str(n)\n", "widgets/x.py") == []


def test_browser_values_need_no_annotation():
    code = ("def mount(root, props: \"Props\") -> None:\n    box = root.querySelector('p')\n    if box:\n"
            "        box.textContent = box.textContent + '!'\n    for item in list(root.querySelectorAll('li')):\n"
            "        if item.hidden:\n            pass\n\n    def on_key(event) -> None:\n"
            "        if event.key == 'Enter':\n            pass\n    fetch('x').then(lambda r: r.ok and r.json())\n"
            "    root.addEventListener('keydown', on_key)\n")
    assert unknown(code) == []


@pytest.mark.parametrize("skip", [False, True])
def test_props_are_typed_from_PROPS(skip):
    props = 'PROPS = {"items": ["list", []], "title": ["str", ""], "n": ["int", 0]}\n'
    head = f"# __pragma__('skip')\n{props}# __pragma__('noskip')\n" if skip else props
    code = head + '\n\ndef render(props: "Props") -> str:\n    if props["items"]:\n        return props["title"]\n' \
                  '    return str(props["n"])\n'
    line = code.split("\n").index('    if props["items"]:') + 1
    assert [(p.line, p.what[:40]) for p in check_source(code, "widgets/x.py")] == \
        [(line, "an empty list, dict or set (or an object")]


def test_any_and_callable_can_be_written_in_quotes():
    code = ('def apply(fn: "Callable[[int], int]", x: int) -> int:\n    return fn(x) + 1\n\n\n'
            'def first(rows: "list[dict[str, Any]]") -> "Any":\n    return rows[0]\n')
    assert check_source(code, "widgets/x.py") == []
