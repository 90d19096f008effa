"""Front matter: the ``Key: value`` lines at the top of a Markdown source, checked before Pelican sees them.

Pelican reports a broken article as "Could not process x.md" and silently drops it. We check the
front matter ourselves first, so the author gets the exact line: a line that is not ``Key: value``,
an impossible date, an unknown template, a missing title, a file that is not UTF-8.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from pelican.utils import SafeDatetime, get_date

from islet.errors import Problem

# Python-Markdown's meta extension (markdown/extensions/meta.py), which Pelican's Markdown reader uses to read the
# front matter: its expressions, as they are. A line that starts with "---" may open the front matter (the first
# line only); one that starts with "---" or "..." closes it, as a blank line does.
_KEY = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")
_CONTINUATION = re.compile(r"^[ ]{4,}(?P<value>.*)")
_BEGIN = re.compile(r"^-{3}(\s.*)?")
_END = re.compile(r"^(-{3}|\.{3})(\s.*)?")
TAB_LENGTH = 4          # Markdown's default: it expands tabs before the meta extension reads the lines
DATE_KEYS = ("date", "modified")
JINJA_ON, JINJA_OFF = ("yes", "true", "on"), ("no", "false", "off")     # `Jinja:` (islet.content.reader.JinjaBody)
REQUIRED_KEYS = ("title",)


@dataclass
class FrontMatter:
    """The front matter of a Markdown source, read as Python-Markdown's meta extension reads it."""
    fields: list[tuple[int, str, str]] = field(default_factory=list)   # (line, key in lower case, value): Key lines
    meta: dict[str, list[str]] = field(default_factory=dict)          # what the meta extension gives (``md.Meta``)
    end: int = 0        # the lines it takes: the body starts on line end + 1 (the blank or '---' line is taken)
    stray: int = 0      # the line that ended it without being front matter (not 'Key: value'), else 0
    fenced: bool = False    # it opened with a '---' line


def markdown_lines(text: str) -> list[str]:
    """The lines of `text` as Markdown's first preprocessor (NormalizeWhitespace) hands them to the meta extension:
    CR LF and CR are line breaks (no other character is), tabs are expanded, STX and ETX dropped, lines of
    spaces emptied, two blank lines added at the end."""
    text = text.replace("\x02", "").replace("\x03", "").replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
    return _SPACES.sub("\n", text.expandtabs(TAB_LENGTH)).split("\n")


_SPACES = re.compile(r"(?<=\n) +\n")


HEAD = 1024        # characters: front matter longer than this is read from the whole text


def read_front_matter(text: str) -> FrontMatter:
    """The front matter of `text`: MetaPreprocessor.run of markdown/extensions/meta.py, with line numbers.

    Read from the lines of the text's first `HEAD` characters (up to a line break) when it ends in them: each
    line is normalised on its own, so those are the text's first lines. Normalising a whole article to read
    its first few lines took a twentieth of parsing it."""
    cut = text.find("\n", HEAD)
    if cut != -1:
        lines = markdown_lines(text[:cut + 1])
        front = _read(lines, len(lines) - 3)            # (the head ends with a line break: 3 blank lines added)
        if front is not None:
            return front
    lines = markdown_lines(text)
    return _read(lines, len(lines))


def _read(lines: list[str], known: int) -> FrontMatter | None:
    """The front matter in `lines`, of which the first `known` are the text's; None if it goes on past them."""
    front = FrontMatter(fenced=bool(_BEGIN.match(lines[0])))
    number, key = int(front.fenced), None
    while number < len(lines):          # (it ends at the latest on the blank lines at the end)
        if number >= known:
            return None
        line = lines[number]
        number += 1
        if line.strip() == "" or _END.match(line):
            break
        match = _KEY.match(line)
        if match:
            key, value = match["key"].lower().strip(), match["value"].strip()
            front.fields.append((number, key, value))
            front.meta.setdefault(key, []).append(value)
            continue
        more = _CONTINUATION.match(line)
        if more and key:
            front.meta[key].append(more["value"].strip())
            continue
        front.stray, number = number, number - 1       # not taken: it is the body's first line
        break
    front.end = number
    return front


def check_source(text: bytes, shown: str, templates: set[str], names: int | None = None) -> tuple[str, list[Problem]]:
    """Decode a Markdown source and check its front matter.

    Returns the text and the problems found (empty when the file is fine).
    `templates` are the theme's template names, for the ``Template:`` key; `names`: ISLET_LIMITS['names'].
    """
    try:
        decoded = text.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = text[: error.start].count(b"\n") + 1
        return "", [Problem(shown, line, f"not valid UTF-8 (byte 0x{text[error.start]:02x})",
                            "save the file as UTF-8 in your editor")]
    if not decoded.strip():
        return decoded, [Problem(shown, 0, "the file is empty",
                                 "start it with front matter such as 'Title: My article', or delete it")]
    return decoded, check_front_matter(decoded, shown, templates, names)


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


def parse_date(text: str) -> SafeDatetime:
    """pelican.utils.get_date(text), without dateutil for the usual YYYY-MM-DD[ HH:MM[:SS]]: dateutil
    takes a tenth of a millisecond for each, as long as a short article takes to convert. Anything
    else (or an impossible date) goes to get_date, for its result or its error."""
    match = _ISO_DATE.fullmatch(text)
    if match is not None:
        try:
            return SafeDatetime(*(int(part or 0) for part in match.groups()))
        except ValueError:
            pass
    date = get_date(text)
    date.utcoffset()      # (a zone offset of a day or more raises ValueError here, not in the feed that prints it)
    return date


def check_front_matter(text: str, shown: str, templates: set[str], names: int | None = None) -> list[Problem]:
    """Check the front matter at the top of a Markdown file: ``Key: value`` lines (a line indented by four
    spaces or a tab continues the value above), up to a blank line; optionally between ``---`` lines (the
    closing one may be ``...``), as Pelican's Markdown reader reads them. A line that is none of these would
    silently become the first line of the text: it is refused. `names`: how many tags, or authors, it may list
    (`too_many_names`); None: any number."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    front = read_front_matter(text)
    for number, key, value in front.fields:
        seen.setdefault(key, number)
        if key in DATE_KEYS:
            try:
                parse_date(value)
            except (ValueError, OverflowError):
                problems.append(Problem(shown, number, f"invalid {key} {value!r}",
                                        "write dates as YYYY-MM-DD or YYYY-MM-DD HH:MM, e.g. 2026-03-14 09:30"))
        elif key == "jinja" and value.lower() not in JINJA_ON + JINJA_OFF:
            problems.append(Problem(shown, number, f"'Jinja: {value}' is neither yes nor no",
                                    "write 'Jinja: yes' to render {{ }} in this source, 'Jinja: no' to show it as written"))
        elif key == "template" and value not in templates:
            known = ", ".join(sorted(templates)) or "none"
            problems.append(Problem(shown, number, f"unknown template {value!r}",
                                    f"use one of the theme's templates ({known}) or add theme/templates/{value}.html"))
    if names is not None:
        problems += too_many_names(front, shown, names)
    if front.stray:
        line = markdown_lines(text)[front.stray - 1]
        fix = ("write it as 'Key: value' (a list as 'Tags: a, b'), or close the front matter with a '---' line"
               if front.fenced else
               "write it as 'Key: value', or leave one blank line between the front matter and the text")
        problems.append(Problem(shown, front.stray, f"front matter line {line.strip()[:40]!r} is not 'Key: value'", fix))
    for key in REQUIRED_KEYS:
        if key not in seen and not problems:
            problems.append(Problem(shown, 1, f"missing '{key.title()}:' in the front matter",
                                    f"start the file with a line such as '{key.title()}: My article'"))
    return problems


def line_of(text: str, needle: str, default: int = 1) -> int:
    """1-based number of the first line containing `needle` (for pointing at a problem)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return default


NAMED = ("tags", "author", "authors")        # keys listing names, each of which gets a page of its own


def too_many_names(front: FrontMatter, shown: str, most: int) -> list[Problem]:
    """A problem for each Tags:, Author: or Authors: that lists more than `most` names (as Pelican splits them).
    Each name gets a page listing the article, and most themes show all of an article's names with it: n names
    make n pages of n links each (3,000 authors took 35 s to build, and the pages grow as n²)."""
    from pelican.readers import DUPLICATES_DEFINITIONS_ALLOWED, ensure_metadata_list

    problems = []
    for key in NAMED:
        values = front.meta.get(key) or [""]
        whole = len(values) > 1 and DUPLICATES_DEFINITIONS_ALLOWED.get(key, True)    # (else the first line only)
        names = ensure_metadata_list(values if whole else values[0])
        if len(names) > most:
            problems.append(Problem(shown, next(number for number, name, _ in front.fields if name == key),
                                    f"{key.capitalize()}: lists {len(names):,} names, more than the limit of {most:,}",
                                    "list fewer, or raise ISLET_LIMITS['names'] in pelicanconf.py"))
    return problems


def front_matter_line(text: str, key: str) -> int:
    """Line of ``Key:`` in the front matter, or 1."""
    key = key.lower()
    return next((number for number, name, _ in read_front_matter(text).fields if name == key), 1)
