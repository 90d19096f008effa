"""The post-compile text fixes: reads that --keycheck must leave plain, and the runtime's extra names
imported where a module uses them. (Each runtime fix is applied by every compile, which fails loudly when
its original text is not there exactly once: tests/islands/test_compile.py; what they give back is
measured in tests/islands/corpus/.)"""
from __future__ import annotations

from islet.islands.runtime_fixes import RUNTIME_FIXES, import_extra_exports, undo_keycheck


def test_delete_and_method_calls_by_quoted_name_read_plainly_other_reads_stay_checked():
    compiled = ("\tdelete __k__ (d, 'b');\n\tdelete __k__ (__k__ (xs, 0), 1);\n"
                "\tvar a = __k__ (found, 'sort') (cmp) + __k__ (d, 'x') + __k__ (__k__ (o, 'a'), 'm') (1);\n"
                "\tvar b = __k__ (d, 'a,)b') + __k__ (xs, f (1, 2));\n")
    assert undo_keycheck(compiled) == (
        "\tdelete d ['b'];\n\tdelete __k__ (xs, 0) [1];\n"
        "\tvar a = found ['sort'] (cmp) + __k__ (d, 'x') + __k__ (o, 'a') ['m'] (1);\n"
        "\tvar b = __k__ (d, 'a,)b') + __k__ (xs, f (1, 2));\n")


def test_extra_names_are_imported_only_by_modules_that_use_them():
    head = "import {A, B} from './org.transcrypt.__runtime__.js';\n"
    assert import_extra_exports(head + "x = __divide__ (a, b);\n") == \
        "import {A, B, __divide__} from './org.transcrypt.__runtime__.js';\nx = __divide__ (a, b);\n"
    assert import_extra_exports(head + "x = a;\n") == head + "x = a;\n"


def test_each_fix_keeps_the_line_count_so_the_runtime_map_stays_right():
    for original, fixed in RUNTIME_FIXES:
        assert original != fixed and original.count("\n") == fixed.count("\n")
