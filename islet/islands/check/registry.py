"""Which functions accept keyword arguments, across all widget modules.

Transcrypt passes keyword arguments correctly only to a function compiled with
``# __pragma__('kwargs')`` in force (or a dataclass); the rule for keyword arguments asks the
registry about functions defined in other widget modules.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from .module import Module, decorator_name


def kwargs_marked(module: Module, node: ast.AST) -> bool:
    """A def compiled with ``# __pragma__('kwargs')`` in force; a class whose __init__ is, or a dataclass."""
    if isinstance(node, ast.ClassDef):
        if any(decorator_name(d) == "dataclass" for d in node.decorator_list):
            return True   # measured: P(y=5) works for a @dataclass
        inits = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
        return bool(inits) and all(module.pragma_on("kwargs", n.lineno) for n in inits)
    return module.pragma_on("kwargs", node.lineno)


@dataclass
class Registry:
    top_level: dict[str, dict[str, bool]]   # "widgets.html" -> {"tag": accepts keywords?}
    methods: dict[str, list[bool]]          # any def by name, in any class of any module

    @classmethod
    def build(cls, texts: dict[str, str]) -> Registry:
        top_level: dict[str, dict[str, bool]] = {}
        methods: dict[str, list[bool]] = {}
        for shown, text in texts.items():
            try:
                module = Module.read(text, shown)
            except SyntaxError:
                continue
            names = top_level.setdefault(module_name(shown), {})
            for node in module.nodes():
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    marked = kwargs_marked(module, node)
                    if module.scope_of[node] is module.tree:
                        names[node.name] = names.get(node.name, True) and marked
                    else:
                        methods.setdefault(node.name, []).append(marked)
        return cls(top_level, methods)


def module_name(shown: str) -> str:
    """``widgets/html.py`` → ``widgets.html``; ``widgets/__init__.py`` → ``widgets``."""
    parts = shown.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
