"""The developer's tools: serving, live reloading, a CDN-like preview, audits, benchmarks and scaffolding.

- ``serve``, ``livereload``: build/ on 127.0.0.1; rebuild on every change and reload the open page.
- ``preview``: build/ through a real nginx with the headers a CDN would send.
- ``audit`` (with ``blocking.mjs``): Lighthouse and axe on one page of each kind, against budgets.
- ``bench`` (with ``bench_livereload``): plain Pelican and islet side by side on a synthetic corpus.
- ``scaffold``: ``./dev new-widget NAME``, a working widget and its differential test.

May import: islet.build, islet.content, islet.errors, islet.islands, islet.output, islet.plugin, islet.publish,
islet.settings.
"""
