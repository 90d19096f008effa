"""Front matter: the ``Key: value`` lines at the top of a Markdown source, checked before Pelican sees them.

Pelican reports a broken article as "Could not process x.md" and silently drops it. We check the
front matter ourselves first, so the author gets the exact line: a line that is not ``Key: value``,
an impossible date, an unknown template, a missing title, a file that is not UTF-8.
"""
from __future__ import annotations

import re

from pelican.utils import SafeDatetime, get_date

from islet.errors import Problem

_KEY = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)$")
_CONTINUATION = re.compile(r"^( {4,}|\t)")
DATE_KEYS = ("date", "modified")
JINJA_ON, JINJA_OFF = ("yes", "true", "on"), ("no", "false", "off")     # `Jinja:` (islet.content.reader.JinjaBody)
REQUIRED_KEYS = ("title",)


def check_source(text: bytes, shown: str, templates: set[str]) -> tuple[str, list[Problem]]:
    """Decode a Markdown source and check its front matter.

    Returns the text and the problems found (empty when the file is fine).
    `templates` are the theme's template names, for the ``Template:`` key.
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
    return decoded, check_front_matter(decoded, shown, templates)


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
    return get_date(text)


def check_front_matter(text: str, shown: str, templates: set[str]) -> list[Problem]:
    """Check the ``Key: value`` lines at the top of a Markdown file."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            break
        if number > 1 and _CONTINUATION.match(line):
            continue
        match = _KEY.match(line)
        if not match:
            problems.append(Problem(shown, number, f"front matter line {line.strip()[:40]!r} is not 'Key: value'",
                                    "write it as 'Key: value', or leave one blank line between the front matter and the text"))
            break
        key, value = match["key"].lower(), match["value"].strip()
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


def front_matter_line(text: str, key: str) -> int:
    """Line of ``Key:`` in the front matter, or 1."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:", re.IGNORECASE)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            break
        if pattern.match(line):
            return number
    return 1
