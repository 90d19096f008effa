"""The rule table: what Transcrypt 3.9.5 gets wrong, how to spot it, what to write instead.

Each rule is the node kinds it looks at, a test (in syntax, calls or values) that takes (node, module,
registry) and yields the nodes to point at with details, and a message and fix: format strings over
those details.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Iterator

from . import calls, syntax, typed, values
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
    # xs[-1] = v sets a property "-1" in JavaScript (reads are right: the runtime's __k__ counts from the end).
    Rule((ast.Subscript,), values.negative_index, "assigning or deleting at a negative index does not count from "
                                                  "the end in JavaScript",
         "{fix}, or use `# __pragma__('opov')` around this code"),
    # ==, <, +, * on lists, "ab" * 3 and set | set are JavaScript's operators without opov.
    Rule((ast.Compare, ast.BinOp, ast.AugAssign), values.container_operators,
         "`{op}` for {what} is JavaScript's operator here: it {result}",
         "write a loop (or helper) that compares / builds element by element, or enable "
         "`# __pragma__('opov')` … `# __pragma__('noopov')` around this code"),
    # Empty lists and dicts are true in JavaScript: `if xs:` takes the branch for [].
    Rule((ast.If, ast.While, ast.IfExp, ast.Assert, ast.comprehension, ast.UnaryOp, ast.BoolOp),
         values.truthiness, "an empty list, dict or set (or an object with __len__ or __bool__) counts as true in "
                            "JavaScript",
         "test the length: `len({x}) > 0` (or `len({x}) == 0` for `not {x}`)"),
    # A dataclass field without a default stops Transcrypt with an empty message (with defaults they work).
    Rule((ast.ClassDef,), syntax.dataclass_field, "dataclass field `{field}` without a default cannot be compiled by "
                                            "Transcrypt", "give it a default, e.g. `{field}: int = 0`"),
    # JavaScript errors (null dereference, failed fetch) are not Python exceptions.
    Rule((ast.ExceptHandler,), values.except_exception,
         "`except Exception` does not catch JavaScript errors (null element, failed fetch) raised in this try",
         "use a bare `except:` around code that touches the DOM or the network"),
    # Where the meaning depends on the type (truth, +, ==, iteration, str), an unknown type could be any of them.
    Rule((ast.If, ast.While, ast.IfExp, ast.Assert, ast.comprehension, ast.For, ast.AsyncFor, ast.UnaryOp,
          ast.BoolOp, ast.BinOp, ast.AugAssign, ast.Compare, ast.FormattedValue, ast.Call), typed.decided_by_type,
         "the type of `{x}` is unknown here, and it decides the meaning: {why}",
         "annotate it, so the check knows what it is: the parameter (`def f(rows: list[dict[str, str]]) -> str:`), "
         "the variable (`count: int = …`), or the function it comes from; props: `def render(props: \"Props\")`"),
    # str(2.0) is "2" in JavaScript: integers and floats are one type there.
    Rule((ast.FormattedValue, ast.Call), typed.float_text, "`{x}` can be a float, which JavaScript writes differently "
                                                           "(2.0 is \"2\", 1e16 is \"10000000000000000\")",
         "write it with widgets.html.format_number(x, digits, False), or make it an int first (round(x))"),
    # "-".join([1, 2]) is "1-2" in JavaScript; CPython raises TypeError.
    Rule(CALL, typed.join_text, "joining items that are not all text: JavaScript joins them, CPython raises TypeError",
         "convert each item: `\"-\".join([str(x) for x in xs])`"),
    # isinstance(2.0, int) is True in JavaScript.
    Rule(CALL, typed.isinstance_int, "isinstance(…, int) or (…, float) cannot tell 2.0 from 2 in JavaScript",
         "test `x == round(x)` for a whole number, or accept both: isinstance(x, (int, float))"),
    # (1, 2) in [(1, 2)] is False in JavaScript: `in` finds the same object, not an equal one.
    Rule((ast.Compare,), typed.membership, "`{op}` with a tuple or list on the left finds only that very object in "
                                           "JavaScript, not an equal one",
         "compare element by element in a loop, or use a text key: `str(a) + \",\" + str(b)`"),
    # "1" == 1 is true in JavaScript.
    Rule((ast.Compare,), typed.mixed_equality, "comparing text with a number: JavaScript converts the text (\"1\" == 1 "
                                               "is true), CPython says False",
         "convert one side first: int(text) or str(number)"),
    # del xs[0] leaves a hole (undefined) in a JavaScript array; del xs[1:3] does nothing.
    Rule((ast.Delete,), typed.list_delete, "`del` on a list item leaves a hole in JavaScript (or does nothing for a slice)",
         "{fix}"),
    # JavaScript objects list keys that look like array indexes ("7", "2024") first, and int keys become text.
    Rule((ast.Call, ast.FormattedValue), typed.dict_order, "{method}() lists the keys in a different order in JavaScript (keys that look like "
                                 "whole numbers, such as \"2024\", come first; int keys become text)",
         "go through `sorted({d}.keys())` (the same order in both), or use widgets.html.keys_of({d}), which gives "
         "the browser's order in both; use text keys"),
    # 1 << 32 is 1 in JavaScript (32-bit shifts).
    Rule((ast.BinOp, ast.AugAssign), typed.shift, "`<<` works on 32 bits in JavaScript (1 << 32 is 1)",
         "multiply instead: `x * 2 ** n`"),
    # hasattr(o, "constructor") is True for every JavaScript object; o.__proto__ is the prototype.
    Rule((ast.Call, ast.Attribute), typed.prototype_name, "`{name}` is a property of every JavaScript object: "
                                                          "{what}", "rename the attribute (e.g. `{name}_`)"),
    # mypy: None + 1, "n=" + 1, len(5), None(): CPython raises TypeError, JavaScript goes on with a wrong value.
    Rule((ast.Module,), typed.type_errors, "type error: {message}", "CPython would raise TypeError here, or the "
         "annotations are wrong (the check relies on them): convert or test the value (`if x is not None`), or "
         "correct the annotation"),
    # max(len(w) for w in words) throws, tuple(x for x in xs) is empty: the generator is a list in disguise.
    Rule((ast.GeneratorExp,), calls.generator_argument, "a generator expression here is not what Transcrypt's "
                                                        "builtins take (max(… for …) throws, tuple(… for …) is empty)",
         "write a list comprehension instead, [… for …] (list(), sum(), min(), max(), \"\".join() and next() take generators)"),
    # format(x, ".2f") is a ReferenceError in the browser.
    Rule(CALL, calls.missing_builtin, "{name}() does not exist in the browser (Transcrypt has no such builtin)", "{fix}"),
    # def f(acc=[]) shares one list between calls in CPython; Transcrypt makes a new one each call.
    Rule((ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda), syntax.mutable_default,
         "a mutable default (a list, dict or set) is made anew on every call in JavaScript, but shared by all "
         "calls in CPython", "default to None and make it inside: `def {name}(…, acc: list[int] | None = None)` "
         "then `if acc is None: acc = []`"),
    # lambda i=i: i gives None in JavaScript.
    Rule((ast.Lambda,), syntax.lambda_default, "Transcrypt drops the defaults of a lambda (the parameter is None)",
         "write a small def instead, or pass the value when calling"),
    # [lambda: i for i in range(3)]: CPython's closures all see 2, JavaScript's see 3.
    Rule((ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda), syntax.loop_closure,
         "a function made in a loop reads the loop variable `{name}`, whose last value differs in JavaScript",
         "make the function in a helper that takes `{name}` as an argument: `def make(x): return lambda: x`"),
    # class M: def __eq__(…) — == ignores it without opov.
    Rule((ast.FunctionDef,), syntax.operator_method, "`{name}` is not called by operators in JavaScript (== compares "
                                                     "identities, + joins text, x[i] reads a property)",
         "call a method by name instead (a.equals(b)), or put the code that uses the operator under "
         "`# __pragma__('opov')`"),
    # class D(B, C): super() and method lookup follow a different order in JavaScript.
    Rule((ast.ClassDef,), syntax.multiple_bases, "class `{name}` has several base classes: Transcrypt looks up "
                                                 "methods and super() in a different order than CPython",
         "use one base class, and hold the other behaviour as an attribute"),
]

RULES_BY_KIND: dict[type, list[Rule]] = {}
for _rule in RULES:
    for _kind in _rule.kinds:
        RULES_BY_KIND.setdefault(_kind, []).append(_rule)
