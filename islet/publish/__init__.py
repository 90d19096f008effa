"""Publishing: send a built site to where readers get it, without ever leaving it broken.

- ``command``: ``python -m islet.publish`` and ``./dev publish``: build, check the build, send it.
- ``plan``: targets, local files and the plan (uploads in ordered groups, deletes last, fenced), as values.
- ``s3``, ``rsync``, ``git``: one module per kind of target.

May import: islet.build, islet.content, islet.errors, islet.islands, islet.output, islet.settings.
"""
