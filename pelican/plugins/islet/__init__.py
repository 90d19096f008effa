"""islet under Pelican's name for installed plugins: ``pelican.plugins.islet``.

Pelican 4.5+ imports every installed ``pelican.plugins.*`` package: when ``PLUGINS`` is not set it registers them
all, and ``PLUGINS = ["islet"]`` then resolves to this package too (``"islet"`` still works without it, from a
checkout). The engine stays in ``islet``; registering twice connects each handler once (blinker keys receivers by
identity), so listing both names does no double work.
"""
from islet import register

__all__ = ["register"]
