"""Widgets as islands: Python modules in the site's ``widgets/``, checked, compiled ahead of time, hydrated.

- ``registry``: find the site's widgets, import them with CPython, check their props.
- ``check``: the constructs Transcrypt 3.9.5 compiles wrongly, found before it runs from each value's type
  (mypy, ``check/types.py``) by a rule table and its walker.
- ``rewrite`` → ``compile`` (Transcrypt) → ``bundle`` (esbuild) → ``scripts``: content-hashed modules, cached;
  ``runtime_fixes``: where the compiled code is made to do what CPython does.
- ``hydrate``: each page with islands gets its import map and bootstrap; JavaScript budgets; ``loader.js``.
- ``theme_script``: the theme toggle's pre-paint snippet, which hydrate puts before the first style.
- ``testing``: run a compiled widget function in node and compare with CPython (for widget tests).
- ``fidelity``: props generated from a widget's PROPS, arguments from its helpers' annotations (Hypothesis),
  run both ways and compared.

May import: islet.build, islet.errors, islet.settings.
"""
