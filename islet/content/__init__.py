"""Reading sources: Markdown articles and pages, their front matter, data files, highlighting and widget blocks.

- ``reader``: islet's Markdown reader (front matter checked first, then the body through Jinja and Markdown).
- ``sandbox``: the Jinja of bodies: a sandbox bounded in time, output and memory; values reach Markdown as text.
- ``front_matter``: the `Key: value` lines of a source, checked with exact lines; dates.
- ``data``: ``content/data/`` (CSV, JSON, YAML, TOML) as one read-only mapping, ``data``; only regular files
  inside the content folder.
- ``formats``: parsing one data file within ISLET_LIMITS (nesting, values, finite numbers), at its line.
- ``paths`` / ``outputs``: every file a source makes Pelican write stays inside the output folder, every
  linked file inside the content folder, and no two writers share a file (checked before anything is written).
- ``highlight``: Pygments as codehilite uses it, faster; ``inline``: Markdown's inline stage, skipping the patterns
  that cannot match a text; ``blocks``: Markdown's block processors, skipping the searches of blocks without the
  characters a match needs; ``starts``: which characters a regular expression's match can start with, and which it
  must hold (the three use it).
- ``embed``: ```` ```widget NAME ```` blocks and the ``widget()`` template global → islands of server-rendered HTML.

May import: islet.build, islet.errors, islet.islands, islet.settings.
"""
