"""Links in a `Summary:` made relative to each page that shows the summary, as links in the body are.

Pelican replaces the ``{static}``, ``{attach}`` and ``{filename}`` links of a ``Summary:`` once, before anything
is written (``Content.refresh_metadata_intersite_links``), for the site's root. With ``RELATIVE_URLS`` (what
pelican-quickstart sets for development, and this project's settings) every page in a folder that shows the
summary, a category's, a tag's, an author's, then links one folder too high: broken links, which the link check
reports (an error under ``--strict``) and the author cannot mend in the summary. The body has no such trouble:
Pelican replaces its links for each page (``Content.content``).

Here the summary's text as written is kept, and a page whose URLs are relative to another folder than the root
gets the summary with its links replaced for that folder, as the body would be. Where the folder is the root (and
for feeds, written while it is), the summary is Pelican's own, and so is one a plugin changed since. And the files
a summary links are among the content's static links (Pelican lists the body's only): they are copied, and an
``{attach}`` moves its file (islet.content.attach reads summaries too), whether or not the body links them.
"""
from __future__ import annotations

import posixpath

from .escaped_links import static_links_in


def summary_as_written(content) -> str | None:
    """The `Summary:` of `content` as read, when it holds a file or article link (before Pelican replaces its
    links: until its generators are done); else None."""
    text = content.metadata.get("summary") if "summary" in content.settings["FORMATTED_FIELDS"] else None
    return text if isinstance(text, str) and ("{" in text or "|" in text) and text is not content._content else None


def install() -> None:
    """Wrap Pelican's Content.refresh_metadata_intersite_links and Content.summary (once per process)."""
    from pelican.contents import Content

    if getattr(Content, "islet_summary_links", False):
        return
    refresh, summary, listed = Content.refresh_metadata_intersite_links, Content.summary, Content.get_static_links

    def get_static_links(self) -> set[str]:
        links = listed(self)
        written = summary_as_written(self)
        return links | static_links_in(self, written) if written is not None else links

    def refresh_metadata_intersite_links(self) -> None:
        written = None
        if "summary" in self.settings["FORMATTED_FIELDS"]:     # (the summary Pelican's refresh starts from)
            written = self._summary if hasattr(self, "_summary") else self.metadata.get("summary")
        siteurl = self.get_siteurl()
        refresh(self)
        replaced = self.metadata.get("summary")
        if isinstance(written, str) and isinstance(replaced, str) and replaced != written:
            self.islet_summary = (written, siteurl, replaced)

    def summary_here(self) -> str:
        kept = self.__dict__.get("islet_summary")
        if kept is not None:
            written, siteurl, replaced = kept
            here = self.get_siteurl()
            if _folder(here) != _folder(siteurl) and self.metadata.get("summary") is replaced:
                return self._update_content(written, here)
        return summary.fget(self)

    def _folder(siteurl: str) -> str:
        return posixpath.normpath(siteurl or ".")        # ("" and "." are the root alike)

    get_static_links.pelicans = getattr(listed, "pelicans", listed)          # (Pelican's own, for the tests)
    Content.get_static_links = get_static_links
    Content.refresh_metadata_intersite_links = refresh_metadata_intersite_links
    Content.summary = property(summary_here, summary.fset)
    Content.islet_summary_links = True
