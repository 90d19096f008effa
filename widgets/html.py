"""HTML helpers shared by widgets. Runs under CPython (build time) and as compiled JS (browser).

Written in the subset of Python that Transcrypt translates faithfully: positional
arguments, no format specs, no negative indices, no int() on data (in JS it is
`float(x) | 0`, so 3e9 becomes -1294967296), and no names such as get or keys, which
Transcrypt renames (a function `get` is exported as `py_get`).
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


def keys_of(obj):
    """The keys of a row, in order: a dict under CPython, a dict or plain object in the browser.

    (Props reach mount() as plain JSON objects, which have no keys() method. Written as a
    subscript because Transcrypt renames the attribute: Object.keys would become Object.py_keys.)
    """
    # __pragma__('ecom')
    #?return Object["keys"](obj)
    # __pragma__('noecom')
    # __pragma__('skip')
    return list(obj.keys())
    # __pragma__('noskip')


def value_of(row, key):
    """row[key], or None when the row has no such key (the browser would give undefined)."""
    if key in row:
        return row[key]
    return None


def is_number(value):
    """True for ints and floats, False for booleans, text and None."""
    if value is None or isinstance(value, bool):
        return False
    return isinstance(value, (int, float))


def label(key):
    """A column key as a heading: 'requests_per_second' -> 'Requests per second'."""
    text = str(key).replace("_", " ")
    return text[:1].upper() + text[1:]


def group_digits(digits):
    """'1234567' -> '1,234,567' (a string of digits in, commas every three from the right)."""
    out = ""
    count = len(digits)
    for position in range(count):
        if position > 0 and (count - position) % 3 == 0:
            out = out + ","
        out = out + digits[position]
    return out


SCALES = [1, 10, 100, 1000, 10000]


def format_number(value, decimals, group):
    """'1,234.5': at most `decimals` (0-4) decimal places, trailing zeros dropped; thousands separated if `group`.

    Only integer arithmetic reaches the text, so CPython and the browser print the same
    characters (str(2.0) is '2.0' in one and '2' in the other; round(x, n) and float // differ
    too, so neither is used). Halves round to even, as round() does in both. Exact for
    |value| < 2**53; from a trillion up, decimals are dropped.
    """
    size = abs(value)
    if size != size:
        return ""
    if size > 1e308:
        return "-\u221e" if value < 0 else "\u221e"
    if size >= 1000000000000:
        decimals = 0
    scale = SCALES[decimals]
    scaled = round(size * scale)
    whole = scaled // scale
    fraction = scaled - whole * scale
    text = str(whole)
    if group:
        text = group_digits(text)
    if fraction > 0:
        digits = str(fraction)
        while len(digits) < decimals:
            digits = "0" + digits
        while digits[len(digits) - 1] == "0":
            digits = digits[:len(digits) - 1]
        text = text + "." + digits
    if value < 0 and scaled > 0:
        text = "-" + text
    return text


def num(value):
    """A coordinate for SVG: rounded to one decimal, no separators, no trailing '.0' (same text in CPython and JS)."""
    if abs(value) >= 1000000000000:
        return format_number(value, 0, False)
    scaled = round(abs(value) * 10)
    text = str(scaled // 10)
    if scaled % 10 > 0:
        text = text + "." + str(scaled % 10)
    if value < 0 and scaled > 0:
        text = "-" + text
    return text


def groups_thousands(values):
    """Style-guide rule for a column: separate thousands only when some number has five or more digits
    (so years and other four-digit columns read 2005, while 31,000 sits above 9,800)."""
    for value in values:
        if is_number(value) and abs(value) >= 10000:
            return True
    return False


def cell_text(value, group):
    """How a data value reads in a cell: numbers formatted, booleans as Yes/No, None as nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if is_number(value):
        return format_number(value, 3, group)
    if isinstance(value, (list, tuple)):
        return ", ".join([cell_text(item, group) for item in value])
    return str(value)
