"""What islet hands Transcrypt: divisions by a possibly-zero value and the widget's own int() / round(x, n)
become runtime calls; everything else, and every line's place, stays as written. (What the compiled code
then does is measured against CPython in tests/islands/corpus/.)"""
from __future__ import annotations

import ast

import pytest

from islet.islands.rewrite import checked_calls, checked_division, for_transcrypt


@pytest.mark.parametrize("source, expected", [
    ("x = a / b\n", "x = __divide__ (a ,  b)\n"),
    ("x = a // n\n", "x = __floor__ (a ,  n)\n"),
    ("x = a / 2 + a // -3 + a / 0.5\n", "x = a / 2 + a // -3 + a / 0.5\n"),   # non-zero literals: plain
    ("x = (a + b) // (c / d)  # a / b\n", "x = __floor__ ((a + b) ,  (__divide__ (c ,  d)))  # a / b\n"),
    ("x = f'{a / b}'\n", "x = f'{__divide__ (a ,  b)}'\n"),
    ("x = (a /  # half\n     b)\n", "x = (__divide__ (a ,   # half\n     b))\n"),
    ("x = 'é' + str(n / m)\n", "x = 'é' + str(__divide__ (n ,  m))\n"),
    ("x = a / 0\n", "x = __divide__ (a ,  0)\n"),
])
def test_divisions_that_may_be_by_zero_become_calls(source, expected):
    assert checked_division(source) == expected


@pytest.mark.parametrize("source, expected", [
    ("x = int(s) + round(a, 2) + round(b)\n", "x = __int__(s) + __round__(a, 2) + round(b)\n"),
    ("x = int('1', 16) + int(*xs) + sorted(k, key=int)\n", "x = int('1', 16) + int(*xs) + sorted(k, key=int)\n"),
    ("def int(x):\n    return x\n\n\ny = int(3)\n", "def int(x):\n    return x\n\n\ny = int(3)\n"),   # the widget's own int
    ("ys = [int(v) for v in xs]\n", "ys = [__int__(v) for v in xs]\n"),
])
def test_int_and_round_with_digits_become_the_runtime_s_exact_ones(source, expected):
    assert checked_calls(source) == expected


def test_lines_stay_where_they_were_and_broken_code_is_left_to_the_check():
    source = "def f(a, b):\n    return (a /\n            b) + int(\n        a)\n"
    rewritten = for_transcrypt(source)
    assert rewritten.count("\n") == source.count("\n")
    assert [n.lineno for n in ast.walk(ast.parse(rewritten)) if isinstance(n, ast.Return)] == [2]
    assert for_transcrypt("def f(:\n    return a / b\n") == "def f(:\n    return a / b\n"
