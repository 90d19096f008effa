"""``python -m islet.publish``: publish a built site (see islet.publish.command)."""
import sys

from .command import main

sys.exit(main())
