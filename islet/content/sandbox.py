"""The Jinja of article and page bodies: a sandbox, because content comes from many hands.

A body may use ``{{ data.… }}``, loops and conditions to build tables and figures from content/data/.
It runs in Jinja's immutable sandbox, which refuses every attribute starting with ``_`` (so no
``__class__``, ``__globals__``, ``os``, environment or files) and every method that changes a value.
On top of that:

* it sees ``data`` (the context of each render), ``range`` (at most 100,000 items) and ``dict``: none of
  Jinja's other globals (``lipsum``, ``cycler``, ``joiner``, ``namespace``);
* fenced code and code spans are not rendered at all (`without_code`), and ``|markdown`` formats a value
  on request, safely (`markdown_filter`);
* operators and string methods that could make a huge value in one step (``"x" * n``, ``10 ** n``,
  ``"%9999999d" % x``, ``"{:>9999999}".format(x)``, ``s.center(n)``, filters ``center``, ``indent``,
  ``batch``, ``slice``) are refused past a size;
* rendering is bounded in time (``template_seconds``), in output (``template_bytes``) and, as a last
  resort, in memory (the address space may grow by `MEMORY` while a body renders).

The theme's templates are the site owner's, trusted like pelicanconf.py: Pelican renders them as usual.
"""
from __future__ import annotations

import contextlib
import math
import os
import re
import string
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from islet.errors import TimeLimitExceeded, time_limit
from islet.islands.registry import traceback_line
from islet.settings import Limits

# The text of each {{ value }} of the body being read, by the placeholder that stands for it in the Markdown
# (see islet.content.reader.JinjaBody): code blocks and widget props show the text itself.
VALUES: dict[str, str] = {}

TEMPLATE = Path("<template>")   # the file name of a template made from a string, in tracebacks
MOST_ITEMS = 100_000          # the longest string or list one operation may make
MEMORY = 1024 ** 3            # how much more address space a body may use while it renders


class OutputTooLarge(Exception):
    """A body's Jinja produced more text than ``template_bytes`` allows."""


class ContentSandbox(ImmutableSandboxedEnvironment):
    """The environment for article and page bodies (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, limits: Limits = Limits()):
        super().__init__(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                         finalize=self._finalize)
        self.limits = limits
        self.globals = {"range": self.globals["range"], "dict": dict}
        for name, check in _FILTER_CHECKS.items():
            self.filters[name] = _checked(self.filters[name], check)
        self.filters["markdown"] = markdown_filter
        # Set while a body renders (islet.content.reader.JinjaBody): turns each {{ value }} into a placeholder.
        self.output: Callable[[Any], str] | None = None

    def _finalize(self, value: Any) -> Any:
        return self.output(value) if self.output is not None else value

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sized, times in ((left, right), (right, left)):
                if isinstance(sized, (str, list, tuple)) and isinstance(times, int) and len(sized) * times > MOST_ITEMS:
                    raise SecurityError(f"'*' would make {len(sized) * times:,} items (at most {MOST_ITEMS:,})")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 \
                and right * math.log2(abs(left)) > 4 * MOST_ITEMS:
            raise SecurityError(f"{left} ** {right} is too large a number")
        elif operator == "%" and isinstance(left, str):
            _check_widths(re.findall(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?", left))
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's own names)
        if isinstance(getattr(__obj, "__self__", None), str) and any(
                isinstance(a, int) and a > MOST_ITEMS for a in (*args, *kwargs.values())):
            raise SecurityError(f"{getattr(__obj, '__name__', 'a method')}() with a size over {MOST_ITEMS:,}")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any):
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
            specs = [spec for _, _, spec, _ in string.Formatter().parse(owner) if spec]
            if any("{" in spec for spec in specs):
                raise SecurityError("a format specification may not hold another {field}")
            _check_widths([re.findall(r"\d+", spec) for spec in specs])
        return super().wrap_str_format(value)

    def render_body(self, source: str, context: Mapping[str, Any], output: Callable[[Any], str]) -> str:
        """Render one body, within the limits. `output` turns the value of each ``{{ }}`` into the text
        that stands for it in the Markdown (islet.content.reader keeps values away from Markdown)."""
        self.output, parts, size = output, [], 0
        try:        # (`output` is set first: Jinja finalizes constant expressions while compiling)
            template = self.from_string(source)
            with time_limit(self.limits.template_seconds), memory_limit(MEMORY):
                for part in template.generate(context):
                    size += len(part)
                    if size > self.limits.template_bytes:
                        raise OutputTooLarge(f"the template makes more than {self.limits.template_bytes:,} characters")
                    parts.append(part)
        except TimeLimitExceeded as error:    # not an Exception: Jinja did not give it the template's line
            line = traceback_line(error, TEMPLATE)
            error.template_line = template.get_corresponding_lineno(line) if line else 0
            raise
        finally:
            self.output = None
        return "".join(parts)


_FENCE = re.compile(r"^[ ]{0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_WIDGET = re.compile(r"\s*widget\s")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_MARK = "\x1a"        # (SUB: never in a Markdown source, no Jinja syntax)


def without_code(source: str) -> tuple[str, list[str]]:
    """`source` with its fenced code blocks and code spans that hold Jinja-like braces replaced by marks
    (``\\x1aN\\x1a``, holding the code's line breaks so that errors keep their lines), and the code they
    stand for: code shows ``{{ }}`` as written. Widget blocks are not code (their props may use data).
    Put back with `with_code`."""
    if "{" not in source:
        return source, []
    code: list[str] = []

    def mark(text: str) -> str:        # as many lines as the code: errors keep their line numbers
        code.append(text)
        return f"{_MARK}{len(code) - 1}" + "\n" * text.count("\n") + _MARK

    out, lines, index = [], source.split("\n"), 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence:
            closing = re.compile(rf"^[ ]{{0,3}}{fence['fence'][0]}{{{len(fence['fence'])},}}\s*$")
            end = next((j for j in range(index + 1, len(lines)) if closing.match(lines[j])), len(lines))
            block = "\n".join(lines[index:end + 1])
            code_block = not _WIDGET.match(fence["info"]) and "{" in block
            out.append(mark(block) if code_block else block)
            index = end + 1
            continue
        line = lines[index]
        out.append(_CODE_SPAN.sub(lambda m: mark(m[0]) if "{" in m[0] else m[0], line) if "`" in line else line)
        index += 1
    return "\n".join(out), code


def with_code(text: str, code: list[str]) -> str:
    """Undo `without_code` on the rendered text."""
    if not code:
        return text
    return re.sub(f"{_MARK}(\\d+)\n*{_MARK}", lambda m: code[int(m[1])], text)


def _check_widths(found: list) -> None:
    """Refuse any width or precision in a format that is a '*' (chosen by data) or larger than MOST_ITEMS."""
    for group in found:
        for number in ([group] if isinstance(group, str) else group):
            if number == "*" or (number and int(number) > MOST_ITEMS):
                raise SecurityError(f"a format width of {number} is not allowed (at most {MOST_ITEMS:,})")


def _checked(original: Callable, check: Callable[..., bool]) -> Callable:
    passes = getattr(original, "jinja_pass_arg", None) is not None    # a context first (the sync/async variants)

    def checked(*args: Any, **kwargs: Any) -> Any:
        if not check(*args[passes:], **kwargs):
            raise SecurityError(f"filter {original.__name__.removeprefix('do_')!r} asked to make over {MOST_ITEMS:,} items")
        return original(*args, **kwargs)
    checked.__name__ = original.__name__
    checked.jinja_pass_arg = getattr(original, "jinja_pass_arg", None)   # (the eval context, for some filters)
    if checked.jinja_pass_arg is None:
        del checked.jinja_pass_arg
    return checked


def _small(value: Any) -> bool:
    return not isinstance(value, int) or value <= MOST_ITEMS


_FILTER_CHECKS: dict[str, Callable[..., bool]] = {
    "center": lambda value, width=80: _small(width),
    "indent": lambda value, width=4, *args, **kwargs: _small(width) and len(str(width)) <= 6,
    "batch": lambda value, linecount, *args, **kwargs: _small(linecount),
    "slice": lambda value, slices, *args, **kwargs: _small(slices),
}


def markdown_filter(value: Any) -> Markup:
    """``{{ data.x|markdown }}``: the value as Markdown, for text an author wants formatted. Only Markdown's own
    formatting: raw HTML in the value is shown as text, attribute lists are not read, and links may only go to
    http(s), mailto or a path of the site."""
    import markdown

    html = markdown.markdown(str(escape(value)), output_format="html5")   # raw HTML is text once escaped
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]                    # one paragraph: inline, so it fits in a sentence or a table cell
    return Markup(re.sub(r'(href|src)="(?!https?:|mailto:|/|#|\.|[\w-]+(?:/|\.html|"))[^"]*"', r'\1="#"', html))


@contextlib.contextmanager
def memory_limit(extra: int) -> Iterator[None]:
    """Let the process's address space grow by at most `extra` bytes in the block (a MemoryError past it).
    Linux only; elsewhere the block runs without a limit."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        yield
        return
    wanted = used + extra
    if soft != resource.RLIM_INFINITY and soft <= wanted:
        yield                          # a tighter limit is in force already
        return
    resource.setrlimit(resource.RLIMIT_AS, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
