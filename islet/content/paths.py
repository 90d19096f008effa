"""Output paths: what a build writes for a source stays inside the output folder, and no two writers
share a file.

Content is untrusted (pull requests, co-authors): its front matter (``Slug:``, ``Save_as:``, ``URL:``,
``Lang:`` …) and its ``{static}`` / ``{attach}`` / ``{filename}`` links decide where Pelican writes and
what it copies. Pelican itself only drops a source whose output would land outside the output folder
(with a log line the build driver leaves out, so the page silently disappears); it writes
``articles/../index.html`` over the home page, and copies the target of ``{static}/../../x`` from outside
the content folder to outside the output folder. Here each of those is a `Problem` at the source's line,
found before Pelican writes anything (islet.plugin.on_read).

Plain functions over strings: no Pelican, no I/O. islet.plugin turns Pelican's objects into `Output`s;
islet.build.fingerprint keeps the *reading* of inputs inside the site.
"""
from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from islet.content.front_matter import line_of
from islet.errors import Problem

LINKED_FILES = ("static", "attach", "filename")      # the link kinds that name a file in the content folder


@dataclass(frozen=True)
class Output:
    """One file a build writes, and who writes it.

    `shown`: the source file (site-relative) or, for what the theme, the settings or islet write, what it
    is ("the theme's index page"). `key`: the front matter key that decides the path (``slug``, ``save_as``
    …), which the author changes; "" when none does."""
    path: str                 # relative to the output folder, as Pelican joins it to that folder
    shown: str
    line: int = 0
    key: str = ""
    site: bool = False        # written by the theme, the settings or islet: trusted, kept in a duplicate


def escape(path: str) -> str | None:
    """Why `path` (relative to the output folder) could leave it (or cannot be written), or None. ""
    (nothing is written) is fine, and so is any relative path without a '..' segment."""
    if not path:
        return None
    if path[0] in "/\\" or path[1:2] == ":" and path[0].isascii() and path[0].isalpha():
        return "is absolute"
    if ".." in path and ".." in re.split(r"[/\\]", path):
        return "goes up a folder with '..'"
    if "\0" in path:
        return "holds a NUL character"
    return None


def url_escape(url: str) -> str | None:
    """Why a ``URL:`` of the front matter is not a path inside the site, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:          # e.g. "http://[": no URL at all
        return "is not a valid URL"
    if parts.scheme or parts.netloc or url.startswith(("/", "\\")):
        return "is absolute"
    return escape(parts.path)


def normalised(path: str) -> str:
    """The output path as the file system sees it: `a//b`, `./a` and `a/./b` are `a/b`."""
    return posixpath.normpath(path) if path else ""


def culprit(metadata: Mapping[str, object], path: str) -> str:
    """The front matter key that put a '..' or a leading '/' into `path`: ``save_as`` when the source gives
    one, else ``slug`` or another key whose text is in the path; "" when none is (then the settings did)."""
    if "save_as" in metadata:
        return "save_as"
    suspects = sorted(key for key, value in metadata.items()
                      if isinstance(value, str) and value and value in path
                      and (".." in value or value.startswith("/") or "\0" in value))
    return "slug" if "slug" in suspects else (suspects or [""])[0]


def writer_key(metadata: Mapping[str, object]) -> str:
    """The front matter key to change when a source writes where another does: the one that decides its path."""
    return next((key for key in ("save_as", "slug") if key in metadata), "title")


NAME_MAX = 255       # bytes of one file or folder name: the most ext4, APFS, NTFS and the rest allow


def too_long(path: str) -> tuple[str, int] | None:
    """(the name, its size in bytes) when one name of `path` is longer than any file system holds, or None."""
    for name in re.split(r"[/\\]", path):
        size = len(name.encode("utf-8", "surrogatepass"))
        if size > NAME_MAX:
            return name, size
    return None


def abridged(text: str, keep: int = 40) -> str:
    """`text` for a message: its start and end around an ellipsis when it is long."""
    return repr(text) if len(text) <= keep else repr(f"{text[:keep // 2]}…{text[-keep // 2:]}")


def long_names(outputs: Iterable[Output]) -> list[Problem]:
    """A problem for every output of a source whose path has a name no file system can hold."""
    return [Problem(o.shown, o.line, f"the file name {abridged(long[0])} of its page has {long[1]:,} bytes, more "
                                     f"than the {NAME_MAX} a file system allows", shorten_fix(o.key))
            for o in outputs if not o.site and (long := too_long(o.path))]


def shorten_fix(key: str) -> str:
    """How to make a source's output path shorter, by the key that decides it."""
    if key == "save_as":
        return "give it a shorter 'Save_as:'"
    if key in ("slug", "title"):
        return "give it a shorter 'Slug:' (without one, the title makes it)"
    return "give the file a shorter name, or change the *_SAVE_AS setting that makes this path"


def escapes(outputs: Iterable[Output]) -> list[Problem]:
    """A problem for every output of a source that would not stay inside the output folder."""
    return [Problem(o.shown, o.line, f"output path {o.path!r} {reason}", escape_fix(o.key))
            for o in outputs if not o.site and (reason := escape(o.path))]


def duplicates(outputs: Iterable[Output]) -> list[Problem]:
    """A problem for every source that writes a path (normalised) another output writes too, or a file
    where another output needs a folder (or the other way round). The site's output is kept, else a static
    file's (its path is its name), else the first source by name: the others are the problems, where the
    author changes a `Slug:` or `Save_as:`. Outputs must not escape (see `escapes`)."""
    claims: dict[str, list[Output]] = {}
    for output in outputs:
        if output.path:
            claims.setdefault(normalised(output.path), []).append(output)
    firsts = {path: min(writers, key=_precedence) for path, writers in claims.items()}
    problems = []
    for path, writers in sorted(claims.items()):
        first = firsts[path]
        for other in sorted(writers, key=_precedence)[1:]:
            # Two of the site's own are the settings' business; one file read twice (Pelican copies
            # `images/x.png` and a link's `images/../images/x.png`) writes the same bytes twice.
            if not other.site and other.shown != first.shown:
                kind = "duplicate slug" if other.key in ("slug", "title") else "duplicate output path"
                problems.append(Problem(other.shown, other.line,
                                        f"writes {path}, which {first.shown} writes too ({kind})",
                                        duplicate_fix(other.key, first)))
    inside: dict[str, str] = {}          # folder -> the first path written below it
    for path in sorted(claims, key=lambda p: _precedence(firsts[p])):
        parent = posixpath.dirname(path)
        while parent and parent not in inside:
            inside[parent] = path
            parent = posixpath.dirname(parent)
    for path in sorted(set(claims) & set(inside)):
        file, below = firsts[path], firsts[inside[path]]
        blamed, other = (below, file) if file.site or (not below.site and _precedence(below) > _precedence(file)) \
            else (file, below)
        if blamed.site:
            continue
        problems.append(Problem(blamed.shown, blamed.line,
                                f"writes {normalised(blamed.path)}, but {other.shown} writes {normalised(other.path)}: "
                                f"{path} cannot be a file and a folder", duplicate_fix(blamed.key, other)))
    return problems


def _precedence(output: Output) -> tuple:
    return (not output.site, bool(output.key), output.shown, output.line)


def escape_fix(key: str) -> str:
    """How to keep an output inside the output folder, by the key that decides its path."""
    if key == "slug":
        return "write 'Slug:' with letters, digits and dashes only, e.g. 'Slug: my-article'"
    if key in ("save_as", "url"):
        example = "articles/my-article.html"
        return f"write '{_spelled(key)}:' as a path inside the site, without a leading '/' or '..', e.g. '{example}'"
    if key:
        return f"remove the '/' and '..' from '{_spelled(key)}:'"
    return "change the *_SAVE_AS setting that makes this path: every output stays inside the output folder"


def _spelled(key: str) -> str:
    """A front matter key as authors write it (Pelican's docs: 'Save_as:', 'URL:')."""
    return "URL" if key == "url" else key.capitalize()


def duplicate_fix(key: str, first: Output) -> str:
    """How to write elsewhere than `first`, by the key that decides the path."""
    if key == "save_as":
        return "give it a different 'Save_as:'" if first.site else "give one of them a different 'Save_as:'"
    if key in ("slug", "title"):
        return "give it a different 'Slug:'" if first.site else "give one of them a different 'Slug:' (or title)"
    return "rename or move one of the two files"


def link_target(path: str, relative_dir: str) -> str:
    """The content-relative path a ``{static}`` / ``{attach}`` / ``{filename}`` link names, normalised.
    As Pelican reads it: a leading '/' starts at the content folder, anything else at the linking file's
    folder (`relative_dir`, content-relative). See `outside`."""
    if path.startswith("/"):
        path, relative_dir = path[1:], ""
    return posixpath.normpath(posixpath.join(relative_dir, path)) if path else "."


def outside(relative: str) -> bool:
    """Whether a content-relative path (see `link_target`) leaves the content folder."""
    return relative.startswith("/") or relative == ".." or relative.startswith("../")


_FILE_LINK = re.compile(r"""[{|](?:static|attach|filename)[|}]([^"']*)""")


def may_leave(markup: str) -> bool:
    """Whether `markup` may hold a file link out of the content folder (see `links_outside`): a quick look
    for a '..' or an encoding ('%', '&') or '//' after a link marker. Most pages have none, and Pelican's
    link expression backtracks through every tag of a page."""
    return any(sign in value for value in _FILE_LINK.findall(markup) for sign in ("..", "%", "&", "//"))


def links_outside(markup: str, pattern: re.Pattern, relative_dir: str) -> list[tuple[str, str]]:
    """The file links in `markup` found by Pelican's intrasite link `pattern` whose target leaves the
    content folder, as ``(what, the link as written)``. Every spelling Pelican tries counts: as written,
    %-decoded, HTML-unescaped."""
    found = []
    for match in pattern.finditer(markup):
        if match["what"] not in LINKED_FILES:
            continue
        try:
            path = urlsplit(match["value"]).path
        except ValueError:            # no URL ({static}//[x): nothing leaves the folder; the link check names it
            continue
        spellings = dict.fromkeys((path, unquote(path), html.unescape(path), unquote(html.unescape(path))))
        if any(outside(link_target(spelling, relative_dir)) for spelling in spellings):
            found.append((match["what"], html.unescape(match["path"])))
    return found


def link_problem(shown: str, text: str, what: str, link: str, content: str) -> Problem:
    """The problem for a link out of the content folder (`content`: how messages name that folder), at the
    line of `text` (the source) that holds it; 0 when none does (a template expression made it)."""
    value = link.split("}", 1)[-1] if link.startswith("{") else link
    line = next((found for needle in (link, value) if needle and (found := line_of(text, needle, 0))), 0)
    return Problem(shown, line, f"{{{what}}} link {link!r} points outside the content folder",
                   f"link to a file inside {content}/, e.g. {{static}}/images/diagram.svg")
