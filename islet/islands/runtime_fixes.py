"""Fixes to Transcrypt 3.9.5's runtime, applied to its text after every compile (compile._finish).

Each fix is (the runtime's original text, islet's text), and the original must occur exactly once,
so a different Transcrypt fails the build loudly instead of shipping a half-fixed runtime. Where a
fix gives back Python's meaning, the differential corpus (tests/islands/corpus/) holds the snippets
that differed before. Replacements keep the original's line count (blank lines pad), so the runtime's
source map stays right.
"""
from __future__ import annotations

import re


def _same_lines(original: str, fixed: str) -> str:
    missing = original.count("\n") - fixed.count("\n")
    if missing < 0:
        raise ValueError("a runtime fix must not be longer (in lines) than the code it replaces")
    return fixed + "\n" * missing


# Every key the runtime adds to a built-in prototype is made non-enumerable afterwards (RUNTIME_TAIL);
# only __setproperty__ (used for `str.format`) makes keys that cannot be redefined, so it makes them
# configurable.
# It also asked the object for its own hasOwnProperty: a data key "hasOwnProperty" made dict() throw.
SETPROPERTY = ("""    if (!anObject.hasOwnProperty (name)) {
        Object.defineProperty (anObject, name, descriptor);""", """    if (!Object.prototype.hasOwnProperty.call (anObject, name)) {
        Object.defineProperty (anObject, name, Object.assign ({configurable: true}, descriptor));""")

# isinstance on a number or string made `'__class__' in x` throw, and its catch took the other way:
# a thrown and caught TypeError per call, the largest cost of a table's mount. Primitives now take that
# way directly, so the answers are the same and nothing is thrown.
ISINSTANCE = ("return '__class__' in anObject ? issubclass (anObject.__class__, classinfo)",
              "return Object (anObject) === anObject && '__class__' in anObject ? "
              "issubclass (anObject.__class__, classinfo)")

# `key in row` on a plain object called the object's own hasOwnProperty, and `in` took anything with an
# indexOf for a list: a data column named "hasOwnProperty" or "indexOf" made the page throw. Now only
# strings, arrays and typed arrays are searched, and an object's own keys are asked of Object.prototype.
IN = ("""            container.indexOf ?
            container.indexOf (element) > -1 :
            container.hasOwnProperty (element)""",
      """            typeof container == 'string' || Array.isArray (container) || ArrayBuffer.isView (container) ?
            container.indexOf (element) > -1 :
            Object.prototype.hasOwnProperty.call (container, element)""")

# Reading xs[i] / d[k] (every subscript is compiled through __k__, islet compiles with --keycheck):
# a negative index counts from the end, past the end raises IndexError, a missing key raises KeyError,
# and "constructor" or "toString" are keys like any other (not Object.prototype's). Objects that are
# not plain (DOM nodes, class instances) are read as JavaScript reads them.
KEYCHECK = ("""export function __k__ (keyed, key) {
    var result = keyed [key];
    if (typeof result == 'undefined') {
        if (keyed instanceof Array)
            if (key == +key && key >= 0 && keyed.length > key)
                return result;
            else
                throw IndexError (key, new Error());
        else
            throw KeyError (key, new Error());
    }
    return result;
}""", """export function __k__ (keyed, key) {
    if ((typeof keyed == 'string' || Array.isArray (keyed)) && typeof key == 'number') {
        if (typeof keyed == 'string' && __wide__ (keyed)) keyed = Array.from (keyed);
        var at = key < 0 ? key + keyed.length : key;
        if (at >= 0 && at < keyed.length) return keyed [at];
        throw IndexError ('index out of range', new Error ());
    }
    if (keyed == null || Object.getPrototypeOf (keyed) !== Object.prototype || __own__ (keyed, key)) return keyed [key];
    throw KeyError (key, new Error ());
}
export function __own__ (keyed, key) { return Object.prototype.hasOwnProperty.call (keyed, key); }""")

# d.get / d.setdefault / d.pop looked keys up through the prototype chain: d.get("constructor", 0) gave
# a function and d.get("items") the dict's own method.
GETDEFAULT = ("""function __getdefault__ (aKey, aDefault) {
    var result = this [aKey];
    if (result === undefined) {
        result = this ['py_' + aKey]
    }
    return result === undefined ? (aDefault === undefined ? null : aDefault) : result;
}""", """function __getdefault__ (aKey, aDefault) {
    return __own__ (this, aKey) ? this [aKey] : aDefault === undefined ? null : aDefault;
}""")
SETDEFAULT = ("""function __setdefault__ (aKey, aDefault) {
    var result = this [aKey];
    if (result !== undefined) {
        return result;
    }""", """function __setdefault__ (aKey, aDefault) {
    if (__own__ (this, aKey)) {
        return this [aKey];
    }""")
POP = ("""function __pop__ (aKey, aDefault) {
    var result = this [aKey];
    if (result !== undefined) {""", """function __pop__ (aKey, aDefault) {
    var result = this [aKey];
    if (__own__ (this, aKey)) {""")

# keys(), items() and values() skipped keys that look like Python's special names ("__init__",
# "__proto__"), "constructor" and anything starting with "py_": data keys like any other.
KEYS = ("""function __keys__ () {
    var keys = [];
    for (var attrib in this) {
        if (!__specialattrib__ (attrib)) {
            keys.push (attrib);
        }
    }
    return keys;
}""", """function __keys__ () {
    return Object.keys (this);
}""")
ITEMS = ("""function __items__ () {
    var items = [];
    for (var attrib in this) {
        if (!__specialattrib__ (attrib)) {
            items.push ([attrib, this [attrib]]);
        }
    }
    return items;
}""", """function __items__ () {
    return Object.keys (this).map ((key) => [key, this [key]]);
}""")
VALUES = ("""function __values__ () {
    var values = [];
    for (var attrib in this) {
        if (!__specialattrib__ (attrib)) {
            values.push (this [attrib]);
        }
    }
    return values;
}""", """function __values__ () {
    return Object.keys (this).map ((key) => this [key]);
}""")

# `k in d` on a dict asked the dict's own hasOwnProperty: a data key "hasOwnProperty" made it throw.
CONTAINS = ("""function __contains__ (element) {
    return this.hasOwnProperty (element);
}""", """function __contains__ (element) {
    return __own__ (this, element);
}""")

# len(d) of a dict with a key "length" gave that key's value, and len() skipped keys such as "__proto__";
# len(text) counts characters, as in CPython (see the code-point fixes below).
LEN = ('export function len (anObject) {\n    if (anObject === undefined || anObject === null) {\n        return 0;\n    }\n    if (anObject.__len__ instanceof Function) {\n        return anObject.__len__ ();\n    }\n    if (anObject.length !== undefined) {\n        return anObject.length;\n    }\n    var length = 0;\n    for (var attr in anObject) {\n        if (!__specialattrib__ (attr)) {\n            length++;\n        }\n    }\n    return length;\n};', """export function len (anObject) {
    if (anObject == null) return 0;
    if (anObject.__len__ instanceof Function) return anObject.__len__ ();
    if (typeof anObject == 'string') return __length__ (anObject);
    return anObject.length !== undefined && Object.getPrototypeOf (anObject) !== Object.prototype ? anObject.length : Object.keys (anObject).length;
};""")

# int() is `float(x) | 0`: 32 bits (int(3e9) was -1294967296), and int("3.7") was 3 where CPython raises.
# round(x, n) scaled by 10**n and rounded the product: round(2.675, 2) gave 2.68 (CPython: 2.67, as the
# float is 2.67499…). rewrite.py sends the widgets' own calls int(x) and round(x, n) here instead, so pages
# whose widgets never call them do not carry them. toFixed rounds the float's exact decimal value half away
# from zero; a tie (the exact value ends in 5 right after the last kept digit) goes to the even neighbour.
INT_ROUND = r"""
export function __int__ (any) {
    if (typeof any == 'string' && !/^\s*[-+]?\d+(_\d+)*\s*$/.test (any)) throw ValueError ("invalid literal for int() with base 10: '" + any + "'", new Error ());
    var n = Math.trunc (typeof any == 'string' ? any.replace (/_/g, '') : float (any));
    if (!isFinite (n)) throw ValueError ('cannot convert ' + any + ' to integer', new Error ());
    return n;
}
export function __round__ (number, ndigits) {
    if (!(ndigits > 0 && isFinite (number) && Math.abs (number) < 1e21)) return round (number, ndigits);
    var size = Math.abs (number), exact = size.toFixed (Math.min (100, ndigits + 30)).replace (/0+$/, '');
    var tie = exact.length - exact.indexOf ('.') == ndigits + 2 && exact [exact.length - 1] == '5' && exact [exact.length - 2] % 2 == 0;
    return (number < 0 ? -1 : 1) * (tie ? +exact.slice (0, -1) : +size.toFixed (ndigits));
}
"""

# Dividing numbers by zero gave Infinity or NaN; CPython raises ZeroDivisionError. rewrite.py routes every
# `/` and `//` by a possibly-zero value to __divide__ / __floor__ (ZERO), `%` always went to __mod__.
MOD = ("""export function __mod__ (a, b) {
    if (typeof a == 'object' && '__mod__' in a) {
        return a.__mod__ (b);
    }
    else if (typeof b == 'object' && '__rmod__' in b) {
        return b.__rmod__ (a);
    }
    else {
        return ((a % b) + b) % b;
    }""", """export function __mod__ (a, b) {
    if (typeof a == 'object' && '__mod__' in a) {
        return a.__mod__ (b);
    }
    else if (typeof b == 'object' && '__rmod__' in b) {
        return b.__rmod__ (a);
    }
    else {
        return b === 0 && typeof a == 'number' ? __zero__ () : ((a % b) + b) % b;
    }""")

# [1, 2].index(5) gave -1; CPython raises ValueError.
INDEX = ("""Array.prototype.index = function (element) {
    return this.indexOf (element);
};""", """Array.prototype.index = function (element) {
    var at = this.indexOf (element); if (at < 0) throw ValueError (repr (element) + ' is not in list', new Error ()); return at;
};""")

# getattr(o, "missing", 0) gave undefined (the default was ignored); without a default CPython raises.
GETATTR = ("""export function getattr (obj, name) {
    return name in obj ? obj [name] : obj ['py_' + name];
};""", """export function getattr (obj, name, py_default) {
    var found = name in obj ? obj [name] : obj ['py_' + name]; if (found !== undefined) return found; if (arguments.length > 2) return py_default; throw AttributeError (name, new Error ());
};""")

# error.args was undefined: the runtime kept the arguments as __args__ only.
ARGS = ("self.__args__ = args;", "self.__args__ = self.args = args;")

# sorted() and .sort(): the comparison never said "equal", and reverse=True sorted and then reversed the
# list, so equal items came out in the wrong order (CPython keeps them in their order either way);
# sorted("cab") threw. Rewritten whole (_sort, sorted, __sort__), and a third of the size.
SORT = ('export var _sort = function (iterable, key, reverse) {\n\tif (typeof key == \'undefined\' || (key != null && key.hasOwnProperty ("__kwargtrans__"))) {;\n\t\tvar key = null;\n\t};\n\tif (typeof reverse == \'undefined\' || (reverse != null && reverse.hasOwnProperty ("__kwargtrans__"))) {;\n\t\tvar reverse = false;\n\t};\n\tif (arguments.length) {\n\t\tvar __ilastarg0__ = arguments.length - 1;\n\t\tif (arguments [__ilastarg0__] && arguments [__ilastarg0__].hasOwnProperty ("__kwargtrans__")) {\n\t\t\tvar __allkwargs0__ = arguments [__ilastarg0__--];\n\t\t\tfor (var __attrib0__ in __allkwargs0__) {\n\t\t\t\tswitch (__attrib0__) {\n\t\t\t\t\tcase \'iterable\': var iterable = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t\tcase \'key\': var key = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t\tcase \'reverse\': var reverse = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t}\n\t\t\t}\n\t\t}\n\t}\n\telse {\n\t}\n\tif (key) {\n\t\titerable.sort ((function __lambda__ (a, b) {\n\t\t\tif (arguments.length) {\n\t\t\t\tvar __ilastarg0__ = arguments.length - 1;\n\t\t\t\tif (arguments [__ilastarg0__] && arguments [__ilastarg0__].hasOwnProperty ("__kwargtrans__")) {\n\t\t\t\t\tvar __allkwargs0__ = arguments [__ilastarg0__--];\n\t\t\t\t\tfor (var __attrib0__ in __allkwargs0__) {\n\t\t\t\t\t\tswitch (__attrib0__) {\n\t\t\t\t\t\t\tcase \'a\': var a = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t\t\t\tcase \'b\': var b = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t\t\t}\n\t\t\t\t\t}\n\t\t\t\t}\n\t\t\t}\n\t\t\telse {\n\t\t\t}\n\t\t\treturn (key (a) < key (b) ? -(1) : 1);\n\t\t}));\n\t}\n\telse {\n\t\titerable.sort ((function __lambda__ (a, b) {\n\t\t\tif (arguments.length) {\n\t\t\t\tvar __ilastarg0__ = arguments.length - 1;\n\t\t\t\tif (arguments [__ilastarg0__] && arguments [__ilastarg0__].hasOwnProperty ("__kwargtrans__")) {\n\t\t\t\t\tvar __allkwargs0__ = arguments [__ilastarg0__--];\n\t\t\t\t\tfor (var __attrib0__ in __allkwargs0__) {\n\t\t\t\t\t\tswitch (__attrib0__) {\n\t\t\t\t\t\t\tcase \'a\': var a = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t\t\t\tcase \'b\': var b = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t\t\t}\n\t\t\t\t\t}\n\t\t\t\t}\n\t\t\t}\n\t\t\telse {\n\t\t\t}\n\t\t\treturn (a < b ? -(1) : 1);\n\t\t}));\n\t}\n\tif (reverse) {\n\t\titerable.reverse ();\n\t}\n};\nexport var sorted = function (iterable) {\n\tvar key = null;\n\tvar reverse = false;\n\tif (arguments.length) {\n\t\tvar __ilastarg0__ = arguments.length - 1;\n\t\tif (arguments [__ilastarg0__] && arguments [__ilastarg0__].hasOwnProperty ("__kwargtrans__")) {\n\t\t\tvar __allkwargs0__ = arguments [__ilastarg0__--];\n\t\t\tfor (var __attrib0__ in __allkwargs0__) {\n\t\t\t\tswitch (__attrib0__) {\n\t\t\t\t\tcase \'iterable\': var iterable = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t\tcase \'key\': var key = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t\tcase \'reverse\': var reverse = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t}\n\t\t\t}\n\t\t}\n\t}\n\telse {\n\t}\n\tif (py_typeof (iterable) == dict) {\n\t\tvar result = _copy (iterable.py_keys ());\n\t}\n\telse {\n\t\tvar result = _copy (iterable);\n\t}\n\t_sort (result, key, reverse);\n\treturn result;\n};\nexport var __sort__ = function (iterable) {\n\tvar key = null;\n\tvar reverse = false;\n\tif (arguments.length) {\n\t\tvar __ilastarg0__ = arguments.length - 1;\n\t\tif (arguments [__ilastarg0__] && arguments [__ilastarg0__].hasOwnProperty ("__kwargtrans__")) {\n\t\t\tvar __allkwargs0__ = arguments [__ilastarg0__--];\n\t\t\tfor (var __attrib0__ in __allkwargs0__) {\n\t\t\t\tswitch (__attrib0__) {\n\t\t\t\t\tcase \'iterable\': var iterable = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t\tcase \'key\': var key = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t\tcase \'reverse\': var reverse = __allkwargs0__ [__attrib0__]; break;\n\t\t\t\t}\n\t\t\t}\n\t\t}\n\t}\n\telse {\n\t}\n\t_sort (iterable, key, reverse);\n};', """export var _sort = function (iterable, key, reverse) {
\titerable.sort ((a, b) => __order__ (key ? key (a) : a, key ? key (b) : b, reverse));
};
export var sorted = function (iterable) {
\tvar options = __options__ (arguments);
\tvar result = typeof iterable == 'string' ? Array.from (iterable) : py_typeof (iterable) == dict ? _copy (iterable.py_keys ()) : _copy (iterable);
\t_sort (result, options.key, options.reverse);
\treturn result;
};
export var __sort__ = function (iterable) {
\tvar options = __options__ (arguments);
\t_sort (iterable, options.key, options.reverse);
};""")
# xs.sort() is None was False (undefined is not null).
SORT_NONE = ("    __sort__.apply  (null, [this].concat ([] .slice.apply (arguments)));",
             "    __sort__.apply  (null, [this].concat ([] .slice.apply (arguments))); return null;")
# reversed("abc") threw: a string has no slice() of a list.
REVERSED_TEXT = ("    iterable = iterable.slice ();\n    iterable.reverse ();",
                 "    iterable = typeof iterable == 'string' ? Array.from (iterable) : iterable.slice ();\n"
                 "    iterable.reverse ();")
# min() / max() of a string (or any iterable that is not a list) threw. Rewritten whole, and shorter.
MIN_MAX = ('function min_max (f_compare, ...args) {\n    let dflt = undefined;\n    function key(x) {return x}\n    if (args.length > 0) {\n        if (args[args.length-1] && args[args.length-1].hasOwnProperty ("__kwargtrans__")) {\n            const kwargs = args[args.length - 1];\n            args = args.slice(0, -1);\n            if (kwargs.hasOwnProperty(\'py_default\')) dflt = kwargs[\'py_default\'];\n            if (kwargs.hasOwnProperty(\'key\')) key = kwargs[\'key\'];\n            if (Object.prototype.toString.call(key) !== \'[object Function]\') throw TypeError("object is not callable", new Error());\n        }\n    }\n    if (args.length === 0) throw TypeError("expected at least 1 argument, got 0", new Error ());\n    if (args.length > 1 && dflt !== undefined) throw TypeError("Cannot specify a default with multiple positional arguments", new Error ());\n    if (args.length === 1){\n        if (Object.prototype.toString.call(args[0]) !== \'[object Array]\') throw TypeError("object is not iterable", new Error());\n        args = args[0];\n    }\n    if (args.length === 0){\n        if (dflt === undefined) throw ValueError ("arg is an empty sequence", new Error ());\n        return dflt\n    }\n    return args.reduce((max_val, cur_val) => f_compare(key(cur_val), key(max_val)) ? cur_val : max_val);\n}', """function min_max (f_compare, ...args) {
    var dflt, key = (x) => x, kwargs = args [args.length - 1];
    if (kwargs && kwargs.hasOwnProperty ('__kwargtrans__')) {
        args = args.slice (0, -1);
        if ('py_default' in kwargs) dflt = kwargs.py_default;
        if ('key' in kwargs) key = kwargs.key;
    }
    if (args.length == 1) args = Array.from (args [0]);
    if (!args.length) {
        if (dflt === undefined) throw ValueError ('arg is an empty sequence', new Error ());
        return dflt;
    }
    return args.reduce ((best, x) => f_compare (key (x), key (best)) ? x : best);
}""")

# Strings count characters (code points), as in CPython: an emoji is one character, not two UTF-16
# units, for len(), s[i], slices, ord(), chr(), find() and rfind(). Only text that has such
# characters takes the slower way.
ORD = ("    return aChar.charCodeAt (0);", "    return aChar.codePointAt (0);")
CHR = ("    return String.fromCharCode (charCode);", "    return String.fromCodePoint (charCode);")
SLICE_TEXT = ('String.prototype.__getslice__ = function (start, stop, step) {\n    if (step === null) {\n        step = 1;\n    }\n    if (start === null) {\n        start = (step < 0 ? -1 : 0);\n    }\n    if (start < 0) {\n        start = Math.max(this.length + start, 0);\n    } else if (start > this.length) {\n        start = this.length > 0 ? this.length + (step < 0 ? -1 : 0) : 0;\n    }\n    if (stop === null) {\n        stop = (step < 0 && this.length > 0 ? -1 : this.length);\n    } else if (stop < 0) {\n        stop = Math.max(this.length + stop, (step < 0 && this.length > 0 ? -1 : 0));\n    } else if (stop > this.length) {\n        stop = this.length;\n    }\n    if (step === 1) {\n        return this.substring (start, (start > stop ? start : stop));\n    }\n    let result = \'\';\n    if (step > 0) {\n        for (var index = start; index < stop; index += step) {\n            result = result.concat (this.charAt(index));\n        }\n    } else if (step < 0) {\n        for (var index = start; index > stop; index += step) {\n            result = result.concat (this.charAt(index));\n        }\n    }\n    else {\n        throw ValueError ("slice step cannot be zero", new Error ());\n    }\n    return result;\n};', """String.prototype.__getslice__ = function (start, stop, step) {
    if ((step == null || step === 1) && !__wide__ (this)) return this.slice (start == null ? 0 : start, stop == null ? this.length : stop);
    return Array.from (this).__getslice__ (start, stop, step).join ('');
};""")
FIND = ("String.prototype.find = function (sub, start) {\n    return this.indexOf (sub, start);\n};",
        "String.prototype.find = function (sub, start, end) {\n    var part = __part__ (this, start, end), at = "
        "part [0].indexOf (sub);\n    return at < 0 ? -1 : part [1] + __length__ (part [0].slice (0, at)); };")
RFIND = ("String.prototype.rfind = function (sub, start) {\n    return this.lastIndexOf (sub, start);\n};",
         "String.prototype.rfind = function (sub, start, end) {\n    var part = __part__ (this, start, end), at = "
         "part [0].lastIndexOf (sub);\n    return at < 0 ? -1 : part [1] + __length__ (part [0].slice (0, at)); };")

# "hELLO".capitalize() kept "ELLO"; isalpha / islower / isupper / isdigit knew only ASCII ("café".isalpha()).
CAPITALIZE = ("    return this.charAt (0).toUpperCase () + this.slice (1);",
              "    return this.charAt (0).toUpperCase () + this.slice (1).toLowerCase ();")
ISALPHA = ("    return /^[a-zA-Z]{1,}$/.test(this)", "    return /^\\p{L}+$/u.test(this)")
ISLOWER = ("    return /^[a-z]{1,}$/.test(this)", "    return /\\p{Ll}/u.test(this) && !/[\\p{Lu}\\p{Lt}]/u.test(this)")
ISUPPER = ("    return /^[A-Z]{1,}$/.test(this)", "    return /\\p{Lu}/u.test(this) && !/[\\p{Ll}\\p{Lt}]/u.test(this)")
ISDIGIT = ("    return this.isdecimal()", "    return /^\\p{Nd}+$/u.test(this)")

# Whitespace is CPython's (str.isspace): \x1c-\x1f and \x85 are, U+FEFF is not, unlike JavaScript's \s, for
# strip(), lstrip(), rstrip(), isspace() and split().
WHITESPACE = r"[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
STRIP = ("String.prototype.strip = function () {\n    return this.trim ();\n};",
         "String.prototype.strip = function () {\n    return this.replace (/^" + WHITESPACE + "+|" + WHITESPACE
         + "+$/g, '');\n};")
LSTRIP = (r"    return this.replace (/^\s*/g, '');", "    return this.replace (/^" + WHITESPACE + "*/, '');")
RSTRIP = (r"    return this.replace (/\s*$/g, '');", "    return this.replace (/" + WHITESPACE + "*$/, '');")
ISSPACE = (r"    return /^[\s]{1,}$/.test(this)", "    return /^" + WHITESPACE + "+$/.test(this)")

# s.split() of "" gave [""]; s.split(None, 1) joined the rest with the text "/\s+/". Patched in place: the
# code stays a near copy of rsplit's, which gzip then stores once.
SPLIT_EMPTY = ("String.prototype.py_split = function (sep, maxsplit) {\n    if (sep == undefined || sep == null) {\n"
               "        sep = /\\s+/;\n        var stripped = this.strip ();",
               "String.prototype.py_split = function (sep, maxsplit) {\n    if (sep == undefined || sep == null) {\n"
               "        sep = /" + WHITESPACE + "+/;\n        var stripped = this.strip (); if (!stripped) return [];")
SPLIT_REST = ("            return result.slice (0, maxsplit).concat ([result.slice (maxsplit).join (sep)]);",
              "            return result.slice (0, maxsplit).concat ([typeof sep == 'string' ? result.slice (maxsplit).join "
              "(sep) : this.lstrip ().replace (RegExp ('^(' + sep.source.slice (0, -1) + '*[^' + sep.source.slice (1, -2) "
              "+ ']+' + sep.source + '){' + maxsplit + '}'), '')]);")

# "ab".replace("", "-") gave "a-b" (CPython: "-a-b-"); a count cut the text in the wrong place.
REPLACE = ("""String.prototype.py_replace = function (old, aNew, maxreplace) {
    if (maxreplace === undefined || maxreplace < 0) {
        return this.split(old).join(aNew);
    } else if (maxreplace === 0) {
        return this;
    } else {
        const pre = this.split(old, maxreplace).join(aNew);
        const rest = this.slice(this.split(old, maxreplace).join(old).length + 1)
        return pre.concat(rest.length>0 ? aNew : '', rest);
    }
};""", """String.prototype.py_replace = function (old, aNew, maxreplace) {
    var parts = old === '' ? [''].concat (Array.from (this), ['']) : this.split (old);
    var most = maxreplace == null || maxreplace < 0 ? parts.length : maxreplace + 1;
    return parts.slice (0, most).join (aNew) + (parts.length > most ? old + parts.slice (most).join (old) : '');
};""")

STRING_HELPERS = r"""
function __options__ (args) { var last = args [args.length - 1]; return last && last.hasOwnProperty ('__kwargtrans__') ? last : {}; }
function __order__ (a, b, reverse) { var order = a < b ? -1 : b < a ? 1 : 0; return reverse ? -order : order; }
function __wide__ (text) { return /[\uD800-\uDFFF]/.test (text); }
function __length__ (text) { return __wide__ (text) ? Array.from (text).length : text.length; }
function __part__ (text, start, end) {
    var chars = Array.from (text), n = chars.length;
    start = start == null ? 0 : start < 0 ? Math.max (0, n + start) : Math.min (start, n);
    end = end == null ? n : end < 0 ? Math.max (0, n + end) : Math.min (end, n);
    return [chars.slice (start, Math.max (start, end)).join (''), start];
}
"""

# str() / repr() of a dict: a data key "constructor" made it "[object Object]", keys such as "__proto__" were
# left out and keys that look like numbers lost their quotes.
DICT_REPR = ("                else if (anObject.constructor == Object) {\n                    var result = '{';\n                    var comma = false;\n                    for (var attrib in anObject) {\n                        if (!__specialattrib__ (attrib)) {\n                            if (attrib.isnumeric ()) {\n                                var attribRepr = attrib;\n                            }\n                            else {\n                                var attribRepr = '\\'' + attrib + '\\'';",
             "                else if (Object.getPrototypeOf (anObject) === Object.prototype) {\n                    var result = '{';\n                    var comma = false;\n                    for (var attrib of Object.keys (anObject)) {\n                        if (true) {\n                            if (false) {\n                                var attribRepr = attrib;\n                            }\n                            else {\n                                var attribRepr = repr (attrib);")

# An exception's repr used str.format, which then came on every page (about 250 B of gzip): concatenation.
EXCEPTION_REPR = ("""\t\t\treturn '{}{}'.format (self.__class__.__name__, repr (tuple (self.__args__)));
\t\t}
\t\telse if (len (self.__args__)) {
\t\t\treturn '{}({})'.format (self.__class__.__name__, repr (__k__ (self.__args__, 0)));
\t\t}
\t\telse {
\t\t\treturn '{}()'.format (self.__class__.__name__);""", """\t\t\treturn self.__class__.__name__ + repr (tuple (self.__args__));
\t\t}
\t\telse if (len (self.__args__)) {
\t\t\treturn self.__class__.__name__ + '(' + repr (self.__args__ [0]) + ')';
\t\t}
\t\telse {
\t\t\treturn self.__class__.__name__ + '()';""")

RUNTIME_FIXES = tuple((original, _same_lines(original, fixed)) for original, fixed in
                      (SETPROPERTY, ISINSTANCE, IN, KEYCHECK, CONTAINS, GETDEFAULT, SETDEFAULT, POP, KEYS, ITEMS, VALUES,
                       LEN, MOD, INDEX, GETATTR, ARGS, SORT, SORT_NONE,
                       REVERSED_TEXT, MIN_MAX, ORD, CHR, SLICE_TEXT, FIND,
                       RFIND, CAPITALIZE, ISALPHA, ISLOWER, ISUPPER, ISDIGIT, SPLIT_EMPTY, SPLIT_REST, REPLACE, EXCEPTION_REPR, DICT_REPR,
                       STRIP, LSTRIP, RSTRIP, ISSPACE))

# The runtime has no ZeroDivisionError; the division fixes raise this one, and compiled modules that
# name it import it (EXTRA_EXPORTS).
ZERO = """
export var ZeroDivisionError = __class__ ('ZeroDivisionError', [Exception], {__module__: __name__});
export function __zero__ () { throw ZeroDivisionError ('division by zero', new Error ()); }
export function __divide__ (a, b) { return b === 0 ? __zero__ () : a / b; }
export function __floor__ (a, b) { return b === 0 ? __zero__ () : Math.floor (a / b); }
"""
EXTRA_EXPORTS = ("ZeroDivisionError", "__int__", "__round__", "__divide__", "__floor__")

# Props arrive as JSON: plain objects, without the methods of a Python dict (d.items() threw). The loader
# passes them through __pyjson__ first, which makes every object in them a dict in place.
PYJSON = """
export function __pyjson__ (value) {
    if (Array.isArray (value)) value.forEach (__pyjson__);
    else if (value && typeof value == 'object' && !isinstance (value, dict)) {
        for (var key in value) __pyjson__ (value [key]);
        dict (value);
    }
    return value;
}
"""


KEYCHECKED = "__k__ ("
IMPORT = re.compile(r"^import \{([^}]*)\} from '\./org\.transcrypt\.__runtime__\.js';$", re.M)


def import_extra_exports(module: str) -> str:
    """Add the runtime's extra names (EXTRA_EXPORTS) to a compiled module's import list when it uses them
    (Transcrypt lists only the names its own runtime defines)."""
    found = IMPORT.search(module)
    if found is None:
        return module
    rest = module[:found.start()] + module[found.end():]
    wanted = [name for name in EXTRA_EXPORTS if re.search(rf"\b{name}\b", rest)]
    if not wanted:
        return module
    return module[:found.start(1)] + found.group(1) + ", " + ", ".join(wanted) + module[found.end(1):]


def undo_keycheck(module: str) -> str:
    """Two reads compiled with --keycheck that must stay plain: ``del d[k]`` (``delete __k__ (d, k)`` deletes
    nothing, a Transcrypt bug) and a method called by a quoted name, ``xs["sort"](f)`` (``__k__ (xs, 'sort')
    (f)`` would call it without its `this`). Both become ``d [k]`` again; arguments split at their top-level comma."""
    out, position = [], 0
    while (start := module.find(KEYCHECKED, position)) >= 0:
        comma, end = _arguments(module, start + len(KEYCHECKED))
        keyed, key = module[start + len(KEYCHECKED):comma].strip(), module[comma + 1:end].strip()
        deleted = module[:start].endswith("delete ")
        called = key[:1] in "'\"" and module[end + 1:].lstrip(" ").startswith("(")
        if comma > 0 and (deleted or called):
            out.append(module[position:start] + undo_keycheck(keyed) + " [" + key + "]")
            position = end + 1
        else:
            out.append(module[position:start + len(KEYCHECKED)])
            position = start + len(KEYCHECKED)
    return "".join(out) + module[position:]


def _arguments(text: str, index: int) -> tuple[int, int]:
    """(top-level comma, closing parenthesis) of the call whose arguments start at `index`; -1 if no comma."""
    depth, quote, comma = 0, "", -1
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return comma, index
            depth -= 1
        elif char == "," and depth == 0 and comma < 0:
            comma = index
        index += 1
    return comma, index
