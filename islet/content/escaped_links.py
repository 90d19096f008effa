"""Links to files whose names hold `&`, `"`, `<` or `>` (``Q&A.png``): found, and written escaped.

In a page's HTML a link's URL is escaped (Markdown writes ``{static}../images/Q&amp;A.png``). Pelican reads it
two ways:

* ``get_static_links``, the files a page links (Pelican copies them), takes the escaped text as a path, and
  ``urlparse`` cuts it at the ``;``: it lists ``images/Q&amp``. Pelican then warns "Cannot get modification
  stamp for content/images/Q&amp", with no line: a failed build under ``--strict``, which publishing uses.
  Here, a listed path that is no file is replaced by the file the unescaped URL names, when there is one.
* ``_link_replacer`` looks the path up escaped, then unescaped, and writes the URL of what it found as it is:
  ``src="../images/Q&A.png"``, and for ``it"s.png`` a quote that ends the attribute. Here, a URL it found by
  the unescaped text is escaped again, as Markdown escapes (`&`, `<`, `>`, `"`).

Links without a character reference are left to Pelican as they are: the results then are its own.
"""
from __future__ import annotations

import os
from html import unescape
from urllib.parse import unquote, urlparse, urlunparse


def install() -> None:
    """Wrap Pelican's two methods (once per process)."""
    from pelican.contents import Content

    if getattr(Content, "islet_escaped_links", False):
        return
    listed, replacer = Content.get_static_links, Content._link_replacer

    def get_static_links(self) -> set[str]:
        links = listed(self)
        return unescaped_links(self, links) if any("&" in link for link in links) else links

    def _link_replacer(self, siteurl: str, match) -> str:
        return escaped_replacement(self, match, replacer(self, siteurl, match))

    # Pelican's own, for the tests (quicker_pelican's get_static_links keeps it too)
    get_static_links.pelicans, _link_replacer.pelicans = getattr(listed, "pelicans", listed), replacer
    Content.get_static_links, Content._link_replacer = get_static_links, _link_replacer
    Content.islet_escaped_links = True


def static_links_in(content, html: str) -> set[str]:
    """What Pelican's get_static_links lists for `html` instead of the body (a summary's), with the files
    escaped names mean (`unescaped_links`)."""
    found = set()
    for match in content._get_intrasite_link_regex().finditer(html):
        if match.group("what") in {"static", "attach"}:
            try:
                found.add(_static_path(content, match.group("value")))
            except ValueError:          # no URL ({static}//[x): the link check names it
                continue
    return unescaped_links(content, found, html) if any("&" in link for link in found) else found


def unescaped_links(content, links: set[str], html: str | None = None) -> set[str]:
    """`links` (Pelican's get_static_links of `content`) with the file each escaped URL names unescaped, in place
    of the path Pelican took from the escaped text when that is no file. That path stays when a link of
    `content` that names no file at all needs it: Pelican's replacer then finds it there, and writes the link
    as it was, which the link check reports at its line. `html`: the text the links are in (the body's)."""
    folder = content.settings["PATH"]
    meant_for: dict[str, set[str]] = {}
    needed = set()
    for match in content._get_intrasite_link_regex().finditer(content._content if html is None else html):
        value = match.group("value")
        if match.group("what") not in {"static", "attach"} or unescape(value) == value:
            continue
        try:
            written, meant = _static_path(content, value), _static_path(content, unescape(value))
        except ValueError:          # no URL ({static}//[x): the link check names it
            continue
        if written not in links or os.path.isfile(os.path.join(folder, written)):
            continue
        if os.path.isfile(os.path.join(folder, meant)):
            meant_for.setdefault(written, set()).add(meant)
        else:
            needed.add(written)
    found = set(links)
    for written, meant in meant_for.items():
        found |= meant
        if written not in needed:
            found.discard(written)
    return found


def _static_path(content, value: str) -> str:
    """The path Pelican's get_static_links lists for a link's `value` (relative to the content folder)."""
    return _in_content(content, urlparse(value).path).replace("%20", " ")


def escaped_replacement(content, match, replaced: str) -> str:
    """`replaced` (what Pelican's _link_replacer made of `match`), with the URL escaped again when Pelican found
    its target by the unescaped text (and so wrote the target's URL unescaped)."""
    value = match.group("value")
    if unescape(value) == value or match.group("what") not in {"filename", "static", "attach"}:
        return replaced
    head, quote = match.group("markup") + match.group("quote"), match.group("quote")
    url = replaced[len(head):len(replaced) - len(quote)]
    parts = list(urlparse(value))
    path, parts[2] = parts[2], match.group("path")
    key = "generated_content" if match.group("what") == "filename" else "static_content"
    if url == urlunparse(parts) or _lookup(content, key, (path, unquote(path))) is not None:
        return replaced                  # not found (left as written), or found by the escaped text itself
    escaped = url.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return head + escaped + quote


def linked(content, key: str, value: str):
    """What Pelican's replacer links for a link's `value` in `content`: the object of its context's `key`
    ("static_content" or "generated_content") at the path as written, unquoted, or HTML-unescaped; or None."""
    try:
        path, meant = urlparse(value).path, urlparse(unescape(value)).path
    except ValueError:              # no URL ({attach}//[x): the link check names it
        return None
    return _lookup(content, key, (path, unquote(path), meant))


def _lookup(content, key: str, paths):
    """The first object of the context's `key` at one of `paths` (links' paths, as Pelican's replacer tries them)."""
    known = content._context.get(key, {})
    return next((found for path in paths if (found := known.get(_in_content(content, path))) is not None), None)


def _in_content(content, path: str) -> str:
    """A link's path as a key of Pelican's context: relative to the content folder."""
    if path.startswith("/"):
        return path[1:]
    return content.get_relative_source_path(os.path.join(content.relative_dir, path))
