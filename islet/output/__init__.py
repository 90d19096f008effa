"""Post-processing the output folder Pelican wrote: the finished site as readers and hosts get it.

- ``verify``: every internal link and image must resolve.
- ``images``: intrinsic sizes, lazy loading and responsive variants (AVIF, WebP).
- ``sitemap``: ``sitemap.xml`` and ``robots.txt``.
- ``search_index``: ``search.json`` for the search widget.
- ``headers``: how each file is served (types, caching, CSP): the one policy preview and publish use.
- ``compress``: brotli and gzip variants beside each text file.

May import: islet.build, islet.errors, islet.islands, islet.settings.
"""
