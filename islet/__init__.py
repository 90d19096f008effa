"""islet: a Pelican plugin for data files, a build you can trust, and Python widgets.

Add ``"islet"`` to ``PLUGINS`` in pelicanconf.py. The stages live in their own modules:
data (content/data/ → ``data``), content (check and render Markdown), verify (links),
sitemap, and build (the transactional driver behind ``python -m islet build``).
"""
from islet.errors import IsletError, Problem

__all__ = ["IsletError", "Problem", "register"]


def register():
    """Pelican's plugin entry point."""
    from islet.plugin import register as _register

    _register()
