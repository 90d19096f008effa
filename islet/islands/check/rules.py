"""The rule table: what Transcrypt 3.9.5 gets wrong, how to spot it, what to write instead.

Each rule is the node kinds it looks at, a test (in syntax, calls or values) that takes (node, module,
registry) and yields the nodes to point at with details, and a message and fix: format strings over
those details.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Iterator

from . import calls, syntax, values
from .module import Found, Module
from .registry import Registry


@dataclass(frozen=True)
class Hit:
    line: int
    column: int
    what: str
    fix: str


@dataclass(frozen=True)
class Rule:
    kinds: tuple[type, ...]
    test: Callable[[ast.AST, Module, Registry], Found]
    what: str
    fix: str

    def hits(self, node: ast.AST, module: Module, registry: Registry) -> Iterator[Hit]:
        for at, details in self.test(node, module, registry):
            yield Hit(getattr(at, "lineno", 0), getattr(at, "col_offset", -1) + 1,
                      self.what.format(**details), self.fix.format(**details))


CALL = (ast.Call,)
BINDINGS = (ast.Name, ast.arg, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.alias, ast.ExceptHandler)
RULES = [
    # Transcrypt's parser has no visitor for `match`: the output is not valid JavaScript, and no error is given.
    Rule((ast.Match,), syntax.always, "`match` is compiled to invalid JavaScript", "use if / elif / else"),
    # Same for the walrus operator: the JavaScript refers to an undeclared name.
    Rule((ast.NamedExpr,), syntax.always, "the walrus operator `:=` is compiled to invalid JavaScript",
         "assign the value on a line of its own first"),
    # `var function = …`: the module is not valid JavaScript (esbuild or the browser stop at it).
    Rule(BINDINGS, syntax.reserved_name, "`{name}` is a reserved word in JavaScript: the compiled module would "
                                         "not load", "rename it, e.g. `{name}_`"),
    # `export var py_metatype = …` beside the runtime's own import of it.
    Rule(BINDINGS, syntax.runtime_name, "a module-level `{name}` collides with Transcrypt's own `{js}`: the "
                                        "compiled module would not load", "rename it, e.g. `{name}_of`"),
    # `except*` (3.11) is unknown to Transcrypt.
    Rule((ast.TryStar,), syntax.always, "`except*` is not supported by Transcrypt", "use a plain `except`"),
    # Starred assignment: Transcrypt stops with an empty error message.
    Rule((ast.Assign, ast.For, ast.AsyncFor, ast.comprehension), syntax.starred_target,
         "starred assignment (`a, *rest = xs`) cannot be compiled by Transcrypt",
         "index and slice instead: `a = xs[0]` and `rest = xs[1:]`"),
    # `[*xs, 1]` silently nests the list; `{**d}` stops Transcrypt with an empty message.
    Rule((ast.List, ast.Tuple, ast.Set, ast.Dict), syntax.starred_in_literal,
         "unpacking `{written}` inside {kind} literal is compiled wrongly (the list is nested, or Transcrypt fails)",
         "build it step by step: `out = list(xs)` then `out.append(…)` / `out.extend(…)`, "
         "or copy a dict key by key"),
    # Format specs and conversions are dropped: f"{x:.2f}" prints 3.14159 in the browser.
    Rule((ast.FormattedValue,), syntax.fstring_spec, "f-string format `{spec}` is ignored in JavaScript",
         "format by hand, e.g. with widgets.html.format_number(x, 2, False), and use str(x) / repr by hand"),
    # Literal braces in f-strings stop Transcrypt with an empty message.
    Rule((ast.JoinedStr,), syntax.fstring_braces, "`{{{{` or `}}}}` in an f-string cannot be compiled by Transcrypt",
         "concatenate: \"{{\" + f\"…\" (or build the text with +)"),
    # "{:.2f}".format(x) returns the template unchanged in the browser.
    Rule(CALL, syntax.format_spec, "format spec `{spec}` in str.format is not applied in JavaScript (the text "
                             "comes out as written)", "use plain `{{}}` fields and format the value by hand"),
    # `"%d items" % n` gives None in the browser. (Numeric a % b is right: Transcrypt emits Python's modulo.)
    Rule((ast.BinOp,), syntax.percent_format, "`%` string formatting gives None in JavaScript",
         "concatenate with str(): \"…\" + str(x), or use an f-string without format specs"),
    # Keyword arguments arrive in the wrong parameter unless the def was compiled with the kwargs pragma.
    Rule(CALL, calls.keywords, "keyword argument `{written}` in the call to `{name}` is passed wrongly by Transcrypt "
                          "(the function is not compiled for keyword arguments)", "{fix}"),
    # `for k in d` / list(d) / tuple(d) on a dict throws or silently yields nothing (sorted(d) works).
    Rule((ast.For, ast.AsyncFor, ast.comprehension, ast.Call), calls.dict_iteration,
         "iterating a dict directly fails in JavaScript (TypeError, or silently empty)",
         "iterate `{d}.keys()` (or `{d}.items()`)"),
    # Tuple and list sort keys are compared as text: (10, 1) sorts before (9, 1).
    Rule(CALL, calls.tuple_sort_key, "a tuple or list sort key is compared as text in JavaScript (10 sorts before 9)",
         "sort by one scalar key, several times from the least to the most significant (sorted is stable), "
         "or merge-sort with a comparison function as widgets/table.py does"),
    # The standard library is not there in the browser (typing/__future__ fail at load, json is not Python's).
    Rule((ast.Import, ast.ImportFrom), calls.imports, "`{module}` cannot be imported by a widget (it is not in the "
                                                 "browser)", "{fix}"),
    # Transcrypt's str has no such method: TypeError at run time.
    Rule(CALL, calls.str_methods, "str.{method}() does not exist in JavaScript (TypeError in the browser)", "{fix}"),
    # The argument of strip/lstrip/rstrip is ignored: "xxaxx".strip("x") stays "xxaxx".
    Rule(CALL, calls.strip_argument, "the argument of {method}() is ignored in JavaScript (only whitespace is removed)",
         "remove the characters in a loop with startswith / endswith and slices"),
    # Transcrypt renames these attributes (event.type → event.py_metatype), so on a browser or JSON object
    # they read undefined.
    Rule((ast.Attribute,), values.renamed_attribute,
         "`.{attr}` becomes `.{alias}` in JavaScript, which a browser or JSON object does not have",
         "write {instead}, or put `# __pragma__('noalias', '{attr}')` before this code; "
         "if it is an object of your own Python class, end the line with `# islet: allow`"),
    # xs[-1] is undefined in JavaScript (no wrap-around) unless opov is on.
    Rule((ast.Subscript,), values.negative_index, "a negative index reads undefined in JavaScript (no wrap-around)",
         "{fix}, or use `# __pragma__('opov')` around this code"),
    # ==, <, +, * on lists, "ab" * 3 and set | set are JavaScript's operators without opov.
    Rule((ast.Compare, ast.BinOp, ast.AugAssign), values.container_operators,
         "`{op}` for {what} is JavaScript's operator here: it {result}",
         "write a loop (or helper) that compares / builds element by element, or enable "
         "`# __pragma__('opov')` … `# __pragma__('noopov')` around this code"),
    # Empty lists and dicts are true in JavaScript: `if xs:` takes the branch for [].
    Rule((ast.If, ast.While, ast.IfExp, ast.Assert, ast.comprehension, ast.UnaryOp, ast.BoolOp, ast.Call),
         values.truthiness, "an empty list, dict or set counts as true in JavaScript",
         "test the length: `len({x}) > 0` (or `len({x}) == 0` for `not {x}`)"),
    # A dataclass field without a default stops Transcrypt with an empty message (with defaults they work).
    Rule((ast.ClassDef,), syntax.dataclass_field, "dataclass field `{field}` without a default cannot be compiled by "
                                            "Transcrypt", "give it a default, e.g. `{field}: int = 0`"),
    # JavaScript errors (null dereference, failed fetch) are not Python exceptions.
    Rule((ast.ExceptHandler,), values.except_exception,
         "`except Exception` does not catch JavaScript errors (null element, failed fetch) raised in this try",
         "use a bare `except:` around code that touches the DOM or the network"),
    # round(2.675, 2) is 2.68 in JavaScript, 2.67 in CPython; round(1.005, 2) prints 1 vs 1.0.
    Rule(CALL, calls.round_digits, "round(x, n) gives different digits in JavaScript than in CPython",
         "round to an integer (round(x * 100) keeps exact integers) or format with widgets.html.format_number"),
    # int() is a 32-bit truncation in JavaScript: int(3e9) is -1294967296.
    Rule(CALL, calls.int_call, "int() truncates to 32 bits in JavaScript (int(3000000000.0) is -1294967296)",
         "use round(x) or x // 1 (exact up to 2**53); parse text with float(text)"),
]

RULES_BY_KIND: dict[type, list[Rule]] = {}
for _rule in RULES:
    for _kind in _rule.kinds:
        RULES_BY_KIND.setdefault(_kind, []).append(_rule)
