"""The differential corpus: small helpers as widget authors write them (tests/islands/corpus/*.txt), each
checked by islet's check, compiled by Transcrypt exactly as the build does, and run on the same arguments
under CPython and in node. Every snippet ends in one class:

  same      the check accepts it, and every case gives the same result (or both raise)
  caught    the check rejects it, and some case really differs
  needless  the check rejects it, yet every case gives the same result (an annotation asked for, say)
  silent    the check accepts it, and some case differs: the worst outcome, so the test fails on any

A corpus file is named after its class of constructs; in it, each snippet starts with ``### title``, defines
``f``, and lists its cases as ``>>> [json, args]`` lines. Run with ``-s`` to see the counts, and with
ISLET_CORPUS_VERBOSE=1 to see each snippet's class and findings.
"""
from __future__ import annotations

import json
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from islet.islands import compile as compile_stage
from islet.islands.check import check_widgets
from islet.islands.testing import import_widget, run_js_batch

CORPUS = Path(__file__).parent / "corpus"


@dataclass
class Snippet:
    family: str
    title: str
    line: int                       # where it starts in its corpus file
    source: str
    cases: list[list] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"tests/islands/corpus/{self.family}.txt:{self.line}"


def read_corpus(folder: Path = CORPUS) -> list[Snippet]:
    snippets: list[Snippet] = []
    for path in sorted(folder.glob("*.txt")):
        current = None
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            if line.startswith("### "):
                current = Snippet(path.stem, line[4:].strip(), number, "")
                snippets.append(current)
            elif current is None:
                continue
            elif line.startswith(">>> "):
                current.cases.append(json.loads(line[4:]))
            else:
                current.source += line + "\n"
    for snippet in snippets:
        snippet.source = snippet.source.strip("\n") + "\n"
    return snippets


def same(a, b) -> bool:
    """Equal as the page would show it: bools are not numbers, 2.0 is 2 (JSON cannot tell them apart; text
    made from them can, and is compared as text), NaN is NaN, dict order counts."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def run_python(module, args: list) -> tuple[bool, object]:
    try:
        value = module.f(*args)
    except Exception as error:   # raising is an outcome: the browser must raise too
        return False, type(error).__name__
    return True, json.loads(json.dumps(value))   # tuples become lists, as in JSON from node


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """[(snippet, class, findings, [(case, CPython outcome, JS outcome)])] for the whole corpus."""
    snippets = read_corpus()
    root = tmp_path_factory.mktemp("corpus")
    (root / "widgets").mkdir()
    (root / "widgets" / "__init__.py").write_text("")
    names = [f"s{index:03d}" for index in range(len(snippets))]
    for name, snippet in zip(names, snippets):
        (root / "widgets" / f"{name}.py").write_text(snippet.source, encoding="utf-8")
    problems = check_widgets(root / "widgets", root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compile_stage, "precheck", lambda sources: None)   # compile what the check rejects
        out = compile_stage.compile_widgets(root / "widgets", root, root / "out", root / "cache").out_dir
    calls = [(name, "f", case) for name, snippet in zip(names, snippets) for case in snippet.cases]
    js = iter(run_js_batch(out, calls))
    results = []
    for name, snippet in zip(names, snippets):
        module = import_widget(root, name)
        found = [p for p in problems if p.path == f"widgets/{name}.py"]
        cases = [(case, run_python(module, case), next(js)) for case in snippet.cases]
        differs = any(not _agree(py, node) for _, py, node in cases)
        kind = ("caught" if differs else "needless") if found else ("silent" if differs else "same")
        results.append((snippet, kind, found, cases))
    return results


def _agree(py: tuple[bool, object], node: tuple[bool, object]) -> bool:
    if not py[0] or not node[0]:
        return py[0] == node[0]   # both raised (the exception's name may differ), or neither
    return same(py[1], node[1])


def test_the_corpus_is_large_and_every_snippet_has_cases():
    snippets = read_corpus()
    assert len(snippets) >= 300
    assert all(snippet.cases for snippet in snippets), [s.where for s in snippets if not s.cases]
    assert all("def f(" in snippet.source for snippet in snippets)


def test_nothing_is_silent(outcomes):
    counts = Counter(kind for _, kind, _, _ in outcomes)
    by_family = Counter((snippet.family, kind) for snippet, kind, _, _ in outcomes)
    print(f"\ncorpus: {len(outcomes)} snippets: " + ", ".join(f"{k} {counts[k]}" for k in
                                                                ("same", "caught", "needless", "silent")))
    for family in sorted({s.family for s, _, _, _ in outcomes}):
        print(f"  {family:<14}" + " ".join(f"{k} {by_family[family, k]:>3}" for k in
                                            ("same", "caught", "needless", "silent")))
    if os.environ.get("ISLET_CORPUS_VERBOSE"):
        for snippet, kind, found, _ in outcomes:
            print(f"{kind:<8} {snippet.where} {snippet.title}: " + "; ".join(p.what[:90] for p in found))
    silent = [f"{snippet.where} {snippet.title}:\n{snippet.source}" + "".join(
        f"    f{tuple(case)!r}: CPython {py!r}, JavaScript {node!r}\n"
        for case, py, node in cases if not _agree(py, node)) for snippet, kind, _, cases in outcomes if kind == "silent"]
    assert not silent, "the check accepts these, and they behave differently in JavaScript:\n" + "\n".join(silent)


def test_findings_point_into_the_snippet_and_say_what_to_do(outcomes):
    for snippet, _, found, _ in outcomes:
        for problem in found:
            assert 1 <= problem.line <= snippet.source.count("\n"), (snippet.where, str(problem))
            assert problem.fix and problem.column >= 1, (snippet.where, str(problem))
