"""Code highlighting for the read stage: Pygments as Python-Markdown's codehilite uses it, with the same
HTML in less time. A third of the time a Markdown article with a few code blocks takes goes to Pygments.

Three things are made cheaper, none changing a byte of the output (tests/content/test_highlight.py compares
with plain Pygments, for every regular-expression lexer Pygments has):

* codehilite looks a lexer up by name and makes an HTML formatter for every code block; a formatter
  turns the whole colour style into CSS classes each time. Both depend only on their name and options,
  and neither keeps anything from one text to the next: one of each per (name, options) is kept.
* a regular-expression lexer tries the rules of its current state one by one, in Python, at every
  token: some 40 attempts per token of Python code, most of them rules that cannot match there because
  they start with another character. `_tokens` tries, in their order, only the rules that can start
  with the character at the position (worked out once per state and character from each rule's
  expression, `_first_character_test`): the first that matches is the one Pygments would take.
* a code block's HTML is remembered between builds (`_remembered`) by everything it is made from: an article
  edited again needs Pygments only for its changed blocks (loading a lexer alone takes 50 ms).
"""
from __future__ import annotations

import re
from typing import Any

from .starts import first_characters


def install() -> None:
    """Make codehilite use shared lexers and formatters (once per process; idempotent)."""
    from markdown.extensions import codehilite

    if not hasattr(codehilite.get_lexer_by_name, "shared"):
        codehilite.get_lexer_by_name = _shared(codehilite.get_lexer_by_name, faster)
        codehilite.get_formatter_by_name = _shared(codehilite.get_formatter_by_name)
        codehilite.highlight = _with_values(codehilite.highlight)
        codehilite.CodeHilite.hilite = _remembered(codehilite.CodeHilite.hilite)


def _remembered(hilite):
    """CodeHilite.hilite, remembered between builds of the output (islet.build.incremental.memoised) by the code,
    the block's options and the reader key of the build (Markdown's settings, islet's and Pygments' versions).
    Not a block with values from data files in it (their text is put in as it is highlighted), nor one whose
    formatter is a class rather than a name."""
    def remembered(self, shebang: bool = True) -> str:
        from islet.build import incremental

        session = incremental.session
        if session is None or "\x02" in self.src or not isinstance(self.pygments_formatter, str):
            return hilite(self, shebang)
        key = repr((session.reader_key, self.src, self.lang, self.guess_lang, self.use_pygments, self.lang_prefix,
                    self.pygments_formatter, sorted(self.options.items()), shebang))
        return incremental.memoised("highlight", lambda _: hilite(self, shebang))(key)

    return remembered


def _with_values(highlight):
    """Code shows the text of a ``{{ value }}`` (islet.content.sandbox.VALUES), not its placeholder, which
    the lexer would cut into tokens."""
    from markdown.util import HTML_PLACEHOLDER

    from .sandbox import VALUES

    placeholder = re.compile(HTML_PLACEHOLDER % r"\d+")

    def with_values(code: str, lexer, formatter, *args):
        if "\x02" in code:
            code = placeholder.sub(lambda m: VALUES.get(m[0], m[0]), code)
        return highlight(code, lexer, formatter, *args)
    return with_values


def _shared(make, prepare=lambda made: made, limit: int = 256):
    made: dict[tuple, Any] = {}

    def shared(name, **options):
        key = (name, repr(sorted(options.items())))
        if key not in made:
            if len(made) >= limit:        # a long-running livereload sees every hl_lines an author tried
                made.clear()
            made[key] = prepare(make(name, **options))      # an unknown name raises, and is not remembered
        return made[key]

    shared.shared = made
    return shared


def faster(lexer):
    """`lexer`, made to tokenise with `_tokens` when it is a plain regular-expression lexer (one that does
    not tokenise in a way of its own); the same tokens either way."""
    from pygments.lexer import RegexLexer

    if isinstance(lexer, RegexLexer) and type(lexer).get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed:
        lexer.get_tokens_unprocessed = _tokens.__get__(lexer)
    return lexer


_DISPATCH: dict[tuple[type, str], Any] = {}     # (lexer class, state) -> its rules_at
_ENTERED: dict[tuple[type, str], int] = {}
WORTH_IT = 32     # times a state is entered before its rules are sorted by first character (that costs more
                  # than lexing a few blocks: a build that parses one article does not do it)


def _dispatcher(cls: type, state: str, rules: list):
    """For the rules of one state: a function from the character at the position to the rules that may
    match there, in their order (the others cannot: they start with another character). None until the
    state has been entered WORTH_IT times: then all its rules are tried, as Pygments does."""
    key = (cls, state)
    if key not in _DISPATCH:
        _ENTERED[key] = _ENTERED.get(key, 0) + 1
        if _ENTERED[key] < WORTH_IT:
            return None
        firsts = [_first_character_test(rexmatch) for rexmatch, _, _ in rules]
        by_character: dict[str, list] = {}

        def rules_at(character: str) -> list:
            found = by_character.get(character)
            if found is None:
                found = by_character[character] = [rule for rule, first in zip(rules, firsts)
                                                   if first is None or first(character)]
            return found

        _DISPATCH[key] = rules_at
    return _DISPATCH[key]


def _first_character_test(rexmatch):
    """A test of whether this rule's expression can match starting with a given character (islet.content.starts),
    or None when it may match the empty string, or when that cannot be told."""
    pattern = getattr(rexmatch, "__self__", None)
    found = first_characters(pattern) if isinstance(pattern, re.Pattern) else None
    return None if found is None else found.fullmatch


def _tokens(self, text, stack=("root",)):
    """RegexLexer.get_tokens_unprocessed (Pygments 2.19), trying only the rules that may match at the
    character at the position: all else is as there."""
    from pygments.token import Error, Whitespace, _TokenType

    pos = 0
    tokendefs = self._tokens
    statestack = list(stack)
    statetokens = tokendefs[statestack[-1]]
    rules_at = _dispatcher(type(self), statestack[-1], statetokens)
    while 1:
        for rexmatch, action, new_state in (statetokens if rules_at is None else rules_at(text[pos:pos + 1])):
            m = rexmatch(text, pos)
            if m:
                if action is not None:
                    if type(action) is _TokenType:
                        yield pos, action, m.group()
                    else:
                        yield from action(self, m)
                pos = m.end()
                if new_state is not None:
                    # state transition
                    if isinstance(new_state, tuple):
                        for state in new_state:
                            if state == "#pop":
                                if len(statestack) > 1:
                                    statestack.pop()
                            elif state == "#push":
                                statestack.append(statestack[-1])
                            else:
                                statestack.append(state)
                    elif isinstance(new_state, int):
                        # pop, but keep at least one state on the stack
                        if abs(new_state) >= len(statestack):
                            del statestack[1:]
                        else:
                            del statestack[new_state:]
                    elif new_state == "#push":
                        statestack.append(statestack[-1])
                    else:
                        assert False, f"wrong state def: {new_state!r}"
                    statetokens = tokendefs[statestack[-1]]
                    rules_at = _dispatcher(type(self), statestack[-1], statetokens)
                break
        else:
            # We are here only if all state tokens have been considered
            # and there was not a match on any of them.
            try:
                if text[pos] == "\n":
                    # at EOL, reset state to "root"
                    statestack = ["root"]
                    statetokens = tokendefs["root"]
                    rules_at = _dispatcher(type(self), "root", statetokens)
                    yield pos, Whitespace, "\n"
                    pos += 1
                    continue
                yield pos, Error, text[pos]
                pos += 1
            except IndexError:
                break
