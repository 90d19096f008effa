"""Build machinery: the atomic build driver, and the caches and processes that make a rebuild cost what it changes.

- ``driver``: `python -m islet build` — Pelican into a staging folder, swapped into place only on success;
  the `Findings` the plugin fills in.
- ``swap``: the site folder's build lock, the swap of the output into place, and recovery from a killed one.
- ``fingerprint``: one digest of every input, to skip a build that would change nothing.
- ``incremental``: one build's `Session` of caches (reader and render packs, memos, the manifest).
- ``reader_cache``: each Markdown source parsed once, ahead of Pelican, by every core.
- ``render`` / ``render_cache`` / ``render_keys``: Pelican's page writes in parallel, and only those whose inputs
  changed (the keys they are judged by).
- ``memo``, ``packs``: results of pure functions and cache entries kept between builds.
- ``fast_render``: livereload's page of its own, in a fraction of a second.
- ``forked``: work done in a forked process while the build goes on (the widget check).
- ``server``: the warm build server: `python -m islet build` run in a fork of a process that has imported the build;
  ``server_client``: its socket, and handing it a build (or starting one for the next builds).

Nothing here knows what a page, a widget or a data file is: those wings hand it keys and callables.
May import: islet.errors, islet.settings.
"""
