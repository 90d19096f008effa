"""HTML helpers shared by widgets. Runs under CPython (build time) and as compiled JS (browser).

Written in the subset of Python that Transcrypt translates faithfully: positional
arguments, no format specs, no negative indices, no int() on data (in JS it is
`float(x) | 0`, so 3e9 becomes -1294967296), and no names such as get or keys, which
Transcrypt renames (a function `get` is exported as `py_get`).
"""


def escape(value: str) -> str:
    """Text safe inside HTML elements and double-quoted attributes."""
    text = value.replace("&", "&amp;")
    text = text.replace("<", "&lt;")
    text = text.replace(">", "&gt;")
    text = text.replace('"', "&quot;")
    return text.replace("'", "&#39;")


def attrs(pairs: list[list[str | None]]) -> str:
    """' a="1" b="2"' from a list of [name, value] pairs; a value of None leaves the attribute out."""
    out = ""
    for pair in pairs:
        value = pair[1]
        if value is not None:
            out = out + " " + str(pair[0]) + '="' + escape(value) + '"'
    return out


def tag(name: str, pairs: list[list[str | None]], inner: str) -> str:
    return "<" + name + attrs(pairs) + ">" + inner + "</" + name + ">"


def slug(text: str) -> str:
    """A lowercase id fragment: letters and digits kept, everything else becomes '-'."""
    out = ""
    for char in text.lower():
        if ("a" <= char <= "z") or ("0" <= char <= "9"):
            out = out + char
        elif len(out) > 0 and out[len(out) - 1] != "-":
            out = out + "-"
    while len(out) > 0 and out[len(out) - 1] == "-":
        out = out[:len(out) - 1]
    return out


def keys_of(obj: "dict[str, Any]") -> list[str]:
    """The keys of a row, in the browser's order: a dict under CPython, a dict or plain object in the browser.

    (Props reach mount() as plain JSON objects, which have no keys() method. Written as a
    subscript because Transcrypt renames the attribute: Object.keys would become Object.py_keys.)
    JavaScript puts keys that are array indexes ("2024", "7") first, in numeric order, whatever the
    order of the data; CPython's side gives that order too, so both render the same columns.
    """
    # __pragma__('ecom')
    #?return Object["keys"](obj)
    # __pragma__('noecom')
    # __pragma__('skip')
    keys = list(obj.keys())
    indexes = sorted([key for key in keys if is_array_index(key)], key=int)
    return indexes + [key for key in keys if not is_array_index(key)]
    # __pragma__('noskip')


# __pragma__('skip')
def is_array_index(key: str) -> bool:
    """A key JavaScript keeps first in an object: "0", "7", "2024" (not "07", "-1" or "1.5"), below 2**32 - 1."""
    return isinstance(key, str) and key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") \
        and int(key) < 4294967295
# __pragma__('noskip')


def chars(text: str) -> list[str]:
    """The characters of `text` as CPython counts them, in both: a JavaScript string counts UTF-16 units, in
    which an emoji or another character beyond U+FFFF is two, and slicing there can split one in half."""
    # __pragma__('ecom')
    #?return Array["from"](text)
    # __pragma__('noecom')
    # __pragma__('skip')
    return list(text)
    # __pragma__('noskip')


def value_of(row: "dict[str, Any]", key: str) -> "Any":
    """row[key], or None when the row has no such key (the browser would give undefined)."""
    if key in row:
        return row[key]
    return None


def is_number(value: object) -> bool:
    """True for ints and floats, False for booleans, text and None."""
    if value is None or isinstance(value, bool):
        return False
    return isinstance(value, (int, float))


def label(key: str) -> str:
    """A column key as a heading: 'requests_per_second' -> 'Requests per second'."""
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]


def group_digits(digits: str) -> str:
    """'1234567' -> '1,234,567' (a string of digits in, commas every three from the right)."""
    out = ""
    count = len(digits)
    for position in range(count):
        if position > 0 and (count - position) % 3 == 0:
            out = out + ","
        out = out + digits[position]
    return out


SCALES = [1, 10, 100, 1000, 10000, 100000, 1000000]
MOST_PLACES = 6                     # decimal places a number is shown with at most (the last of SCALES)
LARGEST_FLOAT = 1.7976931348623157e308
EXACT = 9007199254740992            # 2**53: below it a float holds every whole number, in JavaScript too
TRILLION = 1000000000000            # from here up, format_number writes no decimals


def whole_digits(whole: int) -> str:
    """The exact decimal digits of a whole number >= 0, the same in CPython and JavaScript at any size
    (JavaScript's str() rounds beyond 2**53 and writes 1e+21 from there up; a BigInt is exact)."""
    # __pragma__('ecom')
    #?return BigInt(whole).toString()
    # __pragma__('noecom')
    # __pragma__('skip')
    return str(int(whole))
    # __pragma__('noskip')


def format_number(value: float, decimals: int, group: bool) -> str:
    """'1,234.5': at most `decimals` (0-6) decimal places, trailing zeros dropped; thousands separated if `group`.

    Only integer arithmetic reaches the text, so CPython and the browser print the same
    characters (str(2.0) is '2.0' in one and '2' in the other; round(x, n) and float // differ
    too, so neither is used). Halves round to even, as round() does in both. From a trillion
    up, decimals are dropped; beyond 2**53 the digits are the float's exact value in both.
    """
    size = abs(value)
    if size != size:
        return ""
    if size > LARGEST_FLOAT:
        return "-\u221e" if value < 0 else "\u221e"
    if size >= TRILLION:
        decimals = 0
    scale = SCALES[decimals]
    scaled = round(size * scale)
    whole = scaled // scale
    fraction = scaled - whole * scale
    text = whole_digits(whole)
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


# Decimal places: a number keeps no trailing zeros once read (3.0 is 3, 1.50 is 1.5), so a column's places are the
# most any of its numbers needs, and format_fixed writes each with that many: 3.0, 4.1, 3.8 (not 3 next to 4.1).
# Only render() uses these, so esbuild leaves them out of the browser's code (the table filters the page's text).


def places_of(value: float) -> int:
    """The decimal places `value` is written with, at most MOST_PLACES: 2 for 0.25, 1 for 0.1 + 0.2 (0.3 and a
    float's error), 0 for 3.0, MOST_PLACES for 1 / 3. The same in both: floats are IEEE doubles in each."""
    size = abs(value)
    if size != size or size >= TRILLION:
        return 0
    places = 0
    while places < MOST_PLACES:
        scaled = size * SCALES[places]
        if scaled >= EXACT:
            return places
        # Whole, but for the float's own error: the number written has at most 15 significant digits (all a
        # float holds), reading it and scaling it err by at most two units in the last place (2.2e-16 each).
        error = abs(scaled - round(scaled))
        if error <= 0.00000000000001 or error <= scaled * 0.0000000000000003:
            return places
        places = places + 1
    return places


def decimal_places(values: "list[Any]") -> int:
    """The most decimal places any number among `values` is written with (text, None and booleans skipped)."""
    most = 0
    for value in values:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            places = places_of(value)
            if places > most:
                most = places
    return most


def format_fixed(value: float, places: int, group: bool) -> str:
    """format_number with exactly `places` (0-6) decimal places, trailing zeros kept: '3.0', '0.500'.
    Fewer for numbers too large to hold them exactly (from 2**53 / 10**places up), none from a trillion up."""
    size = abs(value)
    while places > 0 and (size >= TRILLION or size * SCALES[places] >= EXACT):
        places = places - 1
    text = format_number(value, places, group)
    if places == 0 or len(text) == 0:       # also infinities and NaN: places is 0 for them, or the text empty
        return text
    # The digits after the point, which format_number writes without trailing zeros (counted from the end, with
    # no str.find: should a mount() ever use this, find would bring a runtime helper into every page's code).
    end = len(text)
    digits = 0
    while digits < end and "0" <= text[end - 1 - digits] <= "9":
        digits = digits + 1
    if digits == end or text[end - 1 - digits] != ".":
        text = text + "."
        digits = 0
    while digits < places:
        text = text + "0"
        digits = digits + 1
    return text


def num(value: float) -> str:
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


def groups_thousands(values: "list[Any]") -> bool:
    """Style-guide rule for a column: separate thousands only when some number has five or more digits
    (so years and other four-digit columns read 2005, while 31,000 sits above 9,800)."""
    for value in values:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 10000:
            return True
    return False


def cell_text(value: object, group: bool) -> str:
    """How a data value reads in a cell: numbers formatted, booleans as Yes/No, None as nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (int, float)):
        return format_number(value, 3, group)
    if isinstance(value, (list, tuple)):
        return ", ".join([cell_text(item, group) for item in value])
    if isinstance(value, dict):
        return ", ".join([str(key) + ": " + cell_text(value[key], group) for key in keys_of(value)])
    if isinstance(value, str):
        return value
    return ""
