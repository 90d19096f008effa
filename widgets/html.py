"""HTML helpers shared by widgets. Runs under CPython (build time) and as compiled JS (browser).

Written in the subset of Python that Transcrypt translates faithfully: positional
arguments, no format specs, no negative indices.
"""


def escape(value):
    """Text safe inside HTML elements and double-quoted attributes."""
    text = str(value)
    text = text.replace("&", "&amp;")
    text = text.replace("<", "&lt;")
    text = text.replace(">", "&gt;")
    text = text.replace('"', "&quot;")
    return text.replace("'", "&#39;")


def attrs(pairs):
    """' a="1" b="2"' from a list of [name, value] pairs; a value of None leaves the attribute out."""
    out = ""
    for pair in pairs:
        if pair[1] is not None:
            out = out + " " + pair[0] + '="' + escape(pair[1]) + '"'
    return out


def tag(name, pairs, inner):
    return "<" + name + attrs(pairs) + ">" + inner + "</" + name + ">"


def slug(text):
    """A lowercase id fragment: letters and digits kept, everything else becomes '-'."""
    out = ""
    for char in str(text).lower():
        if ("a" <= char <= "z") or ("0" <= char <= "9"):
            out = out + char
        elif len(out) > 0 and out[len(out) - 1] != "-":
            out = out + "-"
    while len(out) > 0 and out[len(out) - 1] == "-":
        out = out[:len(out) - 1]
    return out
