"""Rule tests for calls: keyword arguments, iterating dicts, tuple sort keys, imports, str methods missing
in JavaScript, strip arguments, round() with digits and int()."""
from __future__ import annotations

import ast

from .module import Found, Module, is_self
from .registry import Registry, kwargs_marked

ALLOWED_KEYWORDS = {   # measured to work in Transcrypt 3.9.5 without the kwargs pragma (tests/islands/corpus)
    "sorted": {"key", "reverse"}, "min": {"key", "default"}, "max": {"key", "default"}, "enumerate": {"start"},
    "print": {"sep", "end"},
}
ALLOWED_METHOD_KEYWORDS = {"sort": {"key", "reverse"}}


def keywords(node, m, r) -> Found:
    if not node.keywords:
        return
    given = {k.arg for k in node.keywords}
    func = node.func
    if m.builtin_call(node, *ALLOWED_KEYWORDS):
        allowed = ALLOWED_KEYWORDS[func.id]
        if allowed is None or given <= allowed:
            return
    if isinstance(func, ast.Attribute) and func.attr in ALLOWED_METHOD_KEYWORDS:
        allowed = ALLOWED_METHOD_KEYWORDS[func.attr]
        if allowed is None or given <= allowed:
            return
    marked, where = _callee_marked(func, m, r)
    if marked:
        return
    keyword = next(k for k in node.keywords)
    written = f"{keyword.arg}=" if keyword.arg else "**"
    name = ast.unparse(func)
    fix = (f"call it positionally, or put `# __pragma__('kwargs')` on the line before `def {name.split('.')[-1]}`"
           f"{' in ' + where if where else ''} (and `# __pragma__('nokwargs')` after that function)"
           if where is not None else "pass the values positionally (a dict literal for a browser API's options)")
    yield keyword.value if keyword.arg is None else keyword, {"written": written, "name": name, "fix": fix}


def _callee_marked(func: ast.AST, m: Module, r: Registry) -> tuple[bool, str | None]:
    """(accepts keywords?, module that defines it or "" for this one; None when it is not a widgets function)."""
    scope = m.scope_of[func]
    if isinstance(func, ast.Name):
        found = m.lookup(func.id, scope)
        if found is None:
            return False, None
        defs = [v for v in m.bindings[found][func.id] if isinstance(v, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        if defs:
            return all(kwargs_marked(m, d) for d in defs), ""
        source = _imported_from(m, func.id)
        if source is not None:
            module, name = source
            if name in r.top_level.get(module, {}):
                return r.top_level[module][name], module.replace(".", "/") + ".py"
        return False, None
    if isinstance(func, ast.Attribute):
        dotted = ast.unparse(func.value)
        target = _imported_module(m, dotted)
        if target is not None and func.attr in r.top_level.get(target, {}):
            return r.top_level[target][func.attr], target.replace(".", "/") + ".py"
        marks = r.methods.get(func.attr, [])
        if marks:
            return all(marks), "widgets/"
    return False, None


def _imported_from(m: Module, local: str) -> tuple[str, str] | None:
    for node in m.nodes():
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if (alias.asname or alias.name) == local:
                    return node.module, alias.name
    return None


def _imported_module(m: Module, dotted: str) -> str | None:
    for node in m.nodes():
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname == dotted or (alias.asname is None and alias.name == dotted):
                    return alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if (alias.asname or alias.name) == dotted:
                    return node.module + "." + alias.name
    return None


ITERATING_BUILTINS = {"list", "tuple", "set", "frozenset", "enumerate", "zip", "any", "all", "min", "max",
                      "sum", "map", "filter", "reversed", "iter"}


def dict_iteration(node, m, r) -> Found:
    scope = m.scope_of[node]
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        candidates = [node.iter]
    elif m.builtin_call(node, *ITERATING_BUILTINS):
        candidates = node.args[1:] if node.func.id in ("map", "filter") else node.args
    elif isinstance(node.func, ast.Attribute) and node.func.attr in ("join", "extend"):
        candidates = node.args[:1]
    else:
        candidates = []
    for expr in candidates:
        if m.kind(expr, scope) == "dict":
            yield expr, {"d": ast.unparse(expr) if isinstance(expr, ast.Name) else "d"}


def tuple_sort_key(node, m, r) -> Found:
    """sorted / min / max / .sort by a tuple or list key, or over tuples (zip(…), d.items()) without a key."""
    func = node.func
    if isinstance(func, ast.Name) and func.id in ("sorted", "min", "max"):
        items = node.args[0] if len(node.args) == 1 else None
    elif isinstance(func, ast.Attribute) and func.attr == "sort":
        items = func.value
    else:
        return
    key = next((k.value for k in node.keywords if k.arg == "key"), None)
    if key is None:
        typed = m.type_of(items) if items is not None else None
        if typed is not None and typed.items & {"tuple", "list"}:
            yield items, {}
        return
    if isinstance(key, ast.Lambda):
        typed = m.type_of(key.body)
        if isinstance(key.body, (ast.Tuple, ast.List)) or (typed is not None and typed.kinds & {"tuple", "list"}):
            yield key.body, {}
        return
    typed = m.type_of(key)
    if typed is not None and typed.items & {"tuple", "list"}:
        yield key, {}
    elif isinstance(key, ast.Name):
        for d in m.values_of(key.id, m.scope_of[node]) or []:
            if isinstance(d, (ast.FunctionDef, ast.Lambda)) and _returns_sequence(d):
                yield key, {}
                return


def _returns_sequence(func: ast.AST) -> bool:
    if isinstance(func, ast.Lambda):
        return isinstance(func.body, (ast.Tuple, ast.List))
    todo = list(func.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Return) and isinstance(node.value, (ast.Tuple, ast.List)):
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


IMPORT_HINTS = {
    "json": "use the browser's JSON.parse(text) / JSON.stringify(value)",
    "typing": "delete it: annotate with builtins (list[str], dict[str, int]) or not at all",
    "__future__": "delete it: widgets need no __future__ imports",
    "asyncio": "use async def / await directly; the browser's Promise and setTimeout replace asyncio",
    "random": "use the browser's Math.random()",
    "re": "use a browser RegExp: __new__(RegExp(pattern, flags))",
    "datetime": "use the browser's Date: __new__(Date(…))",
    "time": "use the browser's Date.now() or performance.now()",
}


def imports(node, m, r) -> Found:
    if isinstance(node, ast.ImportFrom):
        if node.level:
            yield node, {"module": "." * node.level + (node.module or ""),
                         "fix": "import by absolute name: `from widgets.<module> import …`"}
            return
        if node.module == "dataclasses" and [a.name for a in node.names] == ["dataclass"]:
            return   # measured: @dataclass with defaults compiles and works
        if node.module == "math":
            return
        modules = [node.module or ""]
    else:
        modules = [alias.name for alias in node.names]
    for module in modules:
        if module != "widgets" and not module.startswith("widgets.") and module != "math":   # Transcrypt has math
            top = module.split(".")[0]
            yield node, {"module": module, "fix": IMPORT_HINTS.get(
                top, "widgets can import only widgets.* modules: write the helper in widgets/, or use a browser "
                     "global (JSON, Math, Date, fetch …)")}


# str methods missing from Transcrypt's String.prototype (and from arrays, so never right on a JS value).
MISSING_STR_METHODS = {"count", "zfill", "title", "center", "ljust", "rjust", "partition", "rpartition", "rindex",
                       "swapcase", "casefold", "removeprefix", "removesuffix", "expandtabs", "format_map",
                       "isidentifier", "isprintable", "istitle", "isascii", "translate", "maketrans", "encode"}


def str_methods(node, m, r) -> Found:
    func = node.func
    if not isinstance(func, ast.Attribute) or is_self(func.value):
        return
    scope = m.scope_of[node]
    if func.attr in MISSING_STR_METHODS and (node.args or func.attr not in ("count",)):
        yield func, {"method": func.attr, "fix": STR_FIXES.get(func.attr, "write a small helper function in widgets/")}
    elif func.attr == "index" and m.kind(func.value, scope) == "str":
        yield func, {"method": "index", "fix": STR_FIXES["index"]}


STR_FIXES = {
    "count": "count in a loop (`for c in text:`) or use len(text.split(sub)) - 1",
    "index": "use text.find(sub), which returns -1 when absent",
    "rindex": "use text.rfind(sub), which returns -1 when absent",
    "zfill": "pad in a loop: `while len(s) < width: s = \"0\" + s`",
    "title": "capitalize each word: \" \".join([w.capitalize() for w in text.split(\" \")])",
    "removeprefix": "use `text[len(prefix):] if text.startswith(prefix) else text`",
    "removesuffix": "use `text[:len(text) - len(suffix)] if text.endswith(suffix) else text`",
    "partition": "use text.find(sep) and slices",
    "rpartition": "use text.rfind(sep) and slices",
    "casefold": "use text.lower()",
}


def strip_argument(node, m, r) -> Found:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("strip", "lstrip", "rstrip") and node.args \
            and not is_self(func.value):
        yield func, {"method": func.attr}


# A generator expression is computed at once, as a list, and handed over as an iterator that most of
# Transcrypt's builtins cannot take (max(len(w) for w in words) throws, tuple(…) is empty).
GENERATOR_TAKERS = {"list", "sum", "next", "min", "max"}   # (min and max: runtime_fixes.MIN_MAX)


def generator_argument(node, m, r) -> Found:
    parent = m.parent.get(node)
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is node:
        func = parent.func
        if m.builtin_call(parent, *GENERATOR_TAKERS):
            return
        if isinstance(func, ast.Attribute) and func.attr == "join":
            return
    yield node, {}


def missing_builtin(node, m, r) -> Found:
    """Builtins Transcrypt does not have: the name is undefined in the browser (ReferenceError)."""
    func = node.func
    if m.builtin_call(node, *MISSING_BUILTINS):
        yield node, {"name": func.id, "fix": MISSING_BUILTINS[func.id]}


MISSING_BUILTINS = {
    "format": "use widgets.html.format_number(x, digits, False) for numbers, str(x) for the rest",
    "ascii": "use repr(x)", "vars": "use the object's attributes by name", "compile": "widgets cannot compile code",
    "eval": "widgets cannot evaluate code", "exec": "widgets cannot run code", "open": "use fetch() in the browser",
    "globals": "pass the values as arguments", "locals": "pass the values as arguments",
}
