"""islet: a Pelican plugin for data files, a build you can trust, and Python widgets.

Add ``"islet"`` to ``PLUGINS`` in pelicanconf.py; ``python -m islet build`` is the atomic build. The engine
is in wings by stage, and imports run one way (dev → publish, plugin → content, output → islands → build →
settings → errors; tests/test_layout.py checks it):

- ``islet.build``: the build driver, the input fingerprint, caches and parallel rendering;
- ``islet.content``: the Markdown reader, front matter, data files, highlighting, widget blocks;
- ``islet.islands``: widgets: registry, the Transcrypt check, compile, bundle, hydrate;
- ``islet.output``: links, images, sitemap, search index, headers, compression of the output folder;
- ``islet.publish``: the publish plan and its targets (S3, rsync, git);
- ``islet.dev``: serve, livereload, the nginx preview, audit, bench, scaffold;
- ``islet.plugin`` ties them to Pelican's signals; ``islet.settings`` and ``islet.errors`` are shared by all.
"""
from islet.errors import IsletError, Problem

__all__ = ["IsletError", "Problem", "register"]


def register():
    """Pelican's plugin entry point."""
    from islet.plugin import register as _register

    _register()
