"""Markdown's inline stage with the patterns that cannot match a text skipped: the same HTML in less time.

Python-Markdown tries each of its inline patterns (code spans, escapes, links, images, autolinks, raw HTML,
entities, emphasis…: some fifteen) on every piece of text, one after another, each through several Python calls
and a regular-expression search: a quarter of the time a Markdown article takes. Most of those searches find
nothing: each pattern starts with one of a few characters (a backtick, "[", "<", "&", "*"…) that the text
does not hold. `install` makes the stage first look for such a character from where the search would start
(one search in C, islet.content.starts) and, when there is none, go on as Markdown does after a pattern that
did not match. Patterns this cannot tell about (one that may match the empty string, or old-style ones) are
tried as always. tests/content/test_inline.py compares the HTML with Markdown's own, on generated documents.
"""
from __future__ import annotations

from .starts import first_characters


def install() -> None:
    """Make Python-Markdown's InlineProcessor skip patterns that cannot match (once per process; idempotent).
    Nothing changes when this Markdown's inline stage is not the one this was written for."""
    from markdown import treeprocessors

    processor = treeprocessors.InlineProcessor
    handle, apply = "_InlineProcessor__handleInline", "_InlineProcessor__applyPattern"
    if getattr(processor.run, "quick", False) or not hasattr(processor, apply):
        return
    code = getattr(getattr(processor, handle, None), "__code__", None)
    if code is None or (code.co_varnames, code.co_names) != _HANDLE_INLINE:
        return                       # another Markdown's loop, which `handle_inline` would not be a copy of
    run, try_pattern = processor.run, getattr(processor, apply)

    def quick_run(self, tree, *args, **kwargs):
        # The patterns, each with the search for its first characters, once per document (extensions may
        # change them between documents, not during one).
        outer, self.islet_patterns = self.islet_patterns, [(p, _starts(p)) for p in self.inlinePatterns]
        try:
            return run(self, tree, *args, **kwargs)
        finally:
            self.islet_patterns = outer            # (None, or those of a run this one is inside)

    def handle_inline(self, data, patternIndex=0):
        """InlineProcessor.__handleInline (Python-Markdown 3.11), with the skip."""
        if not isinstance(data, treeprocessors.util.AtomicString):
            patterns = self.islet_patterns or [(p, None) for p in self.inlinePatterns]   # (outside `run`)
            startIndex, count = 0, len(patterns)
            while patternIndex < count:
                pattern, starts = patterns[patternIndex]
                if starts is not None and starts(data, startIndex) is None:
                    startIndex, patternIndex = 0, patternIndex + 1      # as after a pattern that did not match
                    continue
                data, matched, startIndex = try_pattern(self, pattern, data, patternIndex, startIndex)
                if not matched:
                    patternIndex += 1
        return data

    quick_run.quick, quick_run.original = True, (run, getattr(processor, handle))      # (tests compare the two)
    processor.islet_patterns = None
    processor.run = quick_run
    setattr(processor, handle, handle_inline)


# The local and global names of the loop `handle_inline` copies (Python-Markdown 3.x's __handleInline).
_HANDLE_INLINE = (("self", "data", "patternIndex", "startIndex", "count", "matched"),
                  ("isinstance", "util", "AtomicString", "len", "inlinePatterns", "_InlineProcessor__applyPattern"))


def _starts(pattern):
    """A search for a character a match of `pattern` can start with, or None to try it anyway."""
    from markdown.inlinepatterns import InlineProcessor

    if not isinstance(pattern, InlineProcessor):     # an old-style pattern matches its whole text, from the start
        return None
    found = first_characters(pattern.getCompiledRegExp())
    return None if found is None else found.search
