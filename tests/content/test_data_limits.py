"""islet.content.data against untrusted data files: ISLET_LIMITS (data_bytes, data_depth, data_values), numbers
that are not finite, special files and symlinks. Each is refused with the file and line, at once (no hang, no
RecursionError, nothing outside the site read); then the same through the real build: exit 1, one line, no
traceback, the previous build/ kept."""
from __future__ import annotations

import json
import os
import socket
import stat
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islet.content.data import load_data, read_data_file
from islet.errors import DataError, Problem, time_limit
from islet.settings import Limits
from support.site import make_site

SMALL = Limits(data_bytes=4096, data_depth=4, data_values=50)


def write(tmp_path: Path, files: dict) -> Path:
    root = tmp_path / "site"
    (root / "content" / "data").mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        path = root / "content" / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
    return root


def load_site(root, limits: Limits = SMALL):
    return load_data(root / "content" / "data", root, limits, content=root / "content")


def problems_of(root, limits: Limits = SMALL) -> list[Problem]:
    """The problems loading the site's data gives: at once (a hang or a blow-up fails the test, not the run)."""
    started = time.monotonic()
    with time_limit(10):
        with pytest.raises(DataError) as caught:
            load_site(root, limits)
    assert time.monotonic() - started < 5, "refused at once (an expanded alias bomb takes 20 s and more)"
    assert all(p.fix for p in caught.value.problems), "every problem says what to do"
    return caught.value.problems


def refused(tmp_path, files: dict, limits: Limits = SMALL) -> Problem:
    [problem] = problems_of(write(tmp_path, files), limits)
    return problem


def loads(tmp_path, files: dict, limits: Limits = SMALL):
    with time_limit(10):
        return load_site(write(tmp_path, files), limits)


# ---------------------------------------------------------------- data_bytes

def test_a_file_over_data_bytes_is_refused_from_its_size_before_it_is_read(tmp_path):
    # Not UTF-8 either: reading it would give a second problem.
    problem = refused(tmp_path, {"big.json": b"\xff" * 4097})
    assert str(problem) == ("content/data/big.json: the file has 4,097 bytes, more than the limit of 4,096 — split "
                            "the file, or raise the limit: ISLET_LIMITS = {'data_bytes': 4097} in pelicanconf.py")


def test_a_file_of_exactly_data_bytes_loads(tmp_path):
    body = '{"a": 1}'
    assert loads(tmp_path, {"ok.json": body + " " * (4096 - len(body))}).ok == {"a": 1}


def test_reading_stops_at_data_bytes_even_if_the_file_grew_after_it_was_listed(tmp_path):
    path = tmp_path / "grown.json"
    path.write_text("[" + "1," * 4000 + "1]")
    with pytest.raises(DataError, match="more than the limit of 4,096"):
        read_data_file(path, "content/data/grown.json", SMALL)


# ---------------------------------------------------------------- data_depth: the line where it is exceeded

DEEP = [   # (name, body, line): 5 deep where at most 4 are allowed; the line of the 5th level
    ("x.json", '{"a": [\n [\n  [\n   [1]\n  ]\n ]\n]}', 4),
    ("x.json", '[1,\n [2, [3, {"k":\n  [4]}]]]', 3),
    ("x.yaml", "a:\n  b:\n    c:\n      d:\n        e: 1\n", 5),
    ("x.yaml", "a: 1\nx: [[[[1]]]]\n", 2),
    ("x.yaml", "a: 1\nx:\n- - - - 1\n", 3),
    ("x.yaml", "a: &a [[1]]\nb: &b [[*a]]\n", 2),           # deep once the alias is expanded: the alias's line
    ("x.toml", "a = 1\nb = [[[[1]]]]\n", 2),
    ("x.toml", "a = 1\nb = [\n  [\n    [[1], {c = 2}],\n  ],\n]\n", 4),
    ("x.toml", "a = 1\n[x.y.z.w]\nv = 1\n", 2),
    ("x.toml", "a = 1\n[[x.y.z]]\nv = 1\n", 2),
    ("x.toml", 'a = 1\n[x.y]\nz.w = [1]\n', 3),
]


@pytest.mark.parametrize("name, body, line", DEEP)
def test_nesting_deeper_than_data_depth_is_refused_at_its_line(tmp_path, name, body, line):
    problem = refused(tmp_path, {name: body})
    assert (problem.path, problem.line) == (f"content/data/{name}", line), str(problem)
    assert problem.what == "lists and mappings nested more than 4 deep"
    assert "ISLET_LIMITS = {'data_depth': " in problem.fix


@pytest.mark.parametrize("name, body", [
    ("x.json", '{"a": [[[1]]], "b": "[[[[[[[[[[[[", "c": "]]]]]]]]]]]]]]]]]]", "d": "\\"[[[[[["}'),
    ("x.json", '["[", "[", "[", "[", "[", "{", "{"]'),      # unbalanced brackets in strings do not count
    ("x.yaml", 'a: "[[[[[[[["\nb: [[[1]]]\n'),
    ("x.toml", 'a = "[[[[[[[["\nb = [[[1]]]\nc = """\n[[[[[[\n"""\n# [[[[[[[[\n'),
])
def test_brackets_in_strings_and_comments_do_not_count(tmp_path, name, body):
    assert loads(tmp_path, {name: body}).x


@pytest.mark.parametrize("name, body, line", [
    ("x.json", "[" * 600 + "]" * 600, 1),
    ("x.json", "[" * 100_000 + "]" * 100_000, 1),
    ("x.json", '{"a":' * 5000 + "1" + "}" * 5000, 1),
    ("x.yaml", "[" * 5000 + "]" * 5000, 1),
    ("x.yaml", "".join(" " * i + f"k{i}:\n" for i in range(2000)) + " " * 2000 + "v: 1\n", 65),
    ("x.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n", 1),
    ("x.toml", "[" + ".".join(["a"] * 5000) + "]\nx = 1\n", 1),
])
def test_no_recursion_error_at_the_default_limit(tmp_path, name, body, line):
    problem = refused(tmp_path, {name: body}, Limits())
    assert (problem.path, problem.line) == (f"content/data/{name}", line)
    assert problem.what == "lists and mappings nested more than 64 deep"


@pytest.mark.parametrize("name, body", [
    ("x.json", "[" * 100_000 + "]" * 100_000),
    ("x.yaml", "[" * 5000 + "]" * 5000),
    ("x.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n"),
])
def test_no_recursion_error_when_the_limit_is_raised_past_what_python_can_parse(tmp_path, name, body):
    problem = refused(tmp_path, {name: body}, Limits(data_depth=1_000_000))
    assert problem.path == f"content/data/{name}" and "nested" in problem.what


@settings(max_examples=60, deadline=None)
@given(depth=st.integers(1, 120), most=st.integers(1, 100), kind=st.sampled_from(["json", "yaml", "toml"]),
       noise=st.text("[]{}\"'#\\ ab", max_size=12))
def test_generated_nesting_is_refused_exactly_past_the_limit_at_the_right_line(tmp_path_factory, depth, most,
                                                                               kind, noise):
    """One list per line, text with brackets and quotes inside: loaded up to `most` deep, refused past it at the
    line of the first list too deep."""
    body = "[\n" * depth + json.dumps(noise) + "\n" + "]\n" * depth
    deepest, line_past = depth, most + 1      # line k opens the list k deep
    if kind == "toml":                        # a TOML file is a table: the lists are in it, one deeper
        body, deepest, line_past = "v = " + body, depth + 1, most
    root = write(tmp_path_factory.mktemp("deep"), {f"x.{kind}": body})
    limits = Limits(data_depth=most, data_values=10_000)
    if deepest <= most:
        with time_limit(10):
            assert load_site(root, limits).x is not None
    else:
        [problem] = problems_of(root, limits)
        assert (problem.line, problem.what) == (line_past, f"lists and mappings nested more than {most} deep")


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children,
                                                                                       max_size=4), max_leaves=30))
def test_json_of_any_shape_loads_exactly_up_to_its_depth(tmp_path_factory, value):
    def depth(v) -> int:
        kids = list(v.values()) if isinstance(v, dict) else v if isinstance(v, list) else None
        return 0 if kids is None else 1 + max(map(depth, kids), default=0)

    deepest = depth(value) + 1            # inside {"v": …}
    root = write(tmp_path_factory.mktemp("shape"), {"x.json": json.dumps({"v": value}, indent=1)})
    assert "v" in load_site(root, Limits(data_depth=deepest, data_values=10_000)).x
    [problem] = problems_of(root, Limits(data_depth=deepest - 1, data_values=10_000))
    assert problem.what == f"lists and mappings nested more than {deepest - 1} deep" and problem.line > 0


# ---------------------------------------------------------------- data_values: aliases expanded, before expanding

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))


def test_a_yaml_alias_bomb_is_refused_at_the_alias_before_anything_is_expanded(tmp_path):
    assert len(LAUGHS) < 500          # 387,420,489 values once expanded
    root = write(tmp_path, {"bomb.yaml": LAUGHS})
    tracemalloc.start()
    try:
        [problem] = problems_of(root, Limits())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(problem).startswith("content/data/bomb.yaml:7: alias *f takes the file past 1,000,000 values once "
                                   "expanded — repeat less with aliases, split the file, or raise the limit: "
                                   "ISLET_LIMITS = {'data_values': 10000000} in pelicanconf.py")
    assert peak < 20 * 1024 * 1024, f"{peak:,} bytes at the peak"


MANY = [   # (name, body, line): more than 50 values (every scalar, list, mapping and key)
    ("x.yaml", "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b]\n", 2),
    ("x.yaml", "".join(f"- {i}\n" for i in range(60)), 50),
    ("x.json", "[\n" + "".join(f"{i},\n" for i in range(60)) + "0]", 50),
    ("x.json", '{"a": "' + "," * 100 + '",\n' + "".join(f'"k{i}": {i},\n' for i in range(30)) + '"z": 0}', 25),
    ("x.csv", "a,b\n" + "".join(f"{i},{i}\n" for i in range(30)), 11),
    ("x.toml", "a = [" + "1, " * 60 + "]\n", 0),
]


@pytest.mark.parametrize("name, body, line", MANY)
def test_more_values_than_data_values_are_refused(tmp_path, name, body, line):
    problem = refused(tmp_path, {name: body})
    assert (problem.path, problem.line) == (f"content/data/{name}", line), str(problem)
    assert "past 50 values" in problem.what or problem.what == "more than 50 values in one file"
    assert "ISLET_LIMITS = {'data_values': " in problem.fix


def test_aliases_within_the_limit_load_expanded_and_frozen(tmp_path):
    data = loads(tmp_path, {"x.yaml": "base: &b {k: 1}\nuse: [*b, *b]\n"})
    assert data.x["use"] == ({"k": 1}, {"k": 1})


def test_an_alias_inside_the_value_it_names_is_refused(tmp_path):
    problem = refused(tmp_path, {"loop.yaml": "a: 1\nb: &b [1, {c: *b}]\n"}, Limits())
    assert (problem.line, problem.what) == (2, "alias *b is inside the value it repeats (a loop)")


# ---------------------------------------------------------------- numbers that are not finite

NOT_FINITE = [   # (name, body, line, token)
    ("x.json", '{"a": "NaN",\n "b": NaN}', 2, "NaN"),
    ("x.json", '[1,\n2,\nInfinity]', 3, "Infinity"),
    ("x.json", '[1,\n-Infinity]', 2, "-Infinity"),
    ("x.json", '["1e999",\n1e999]', 2, "1e999"),
    ("x.json", '[0,\n\n-1E+400]', 3, "-1E+400"),
    ("x.json", '[1,\n' + "9" * 400 + "]", 2, "999999999999…9999 (400 characters)"),
    ("x.json", '[1,\n' + "9" * 5000 + "]", 2, "999999999999…9999 (5000 characters)"),
    ("x.yaml", "a: '.inf'\nb: .inf\n", 2, ".inf"),
    ("x.yaml", "a: 1\nb: [1, -.Inf]\n", 2, "-.Inf"),
    ("x.yaml", "a: 1\nb:\n  c: .NaN\n", 3, ".NaN"),
    ("x.yaml", "a: 1\nb: 1.0e+999\n", 2, "1.0e+999"),
    ("x.yaml", "a: 1\nb: !!float 1e999\n", 2, "1e999"),
    ("x.yaml", "a: 1\nb: " + "9" * 400 + "\n", 2, "999999999999…9999 (400 characters)"),
    ("x.toml", 'a = "inf"\nb = inf\n', 2, "inf"),
    ("x.toml", "a = 1\nb = [1, -nan]\n", 2, "-nan"),
    ("x.toml", "a = 1\n[t]\nb = +inf\n", 3, "+inf"),
    ("x.toml", "a = 1\nb = 1e999\n", 2, "1e999"),
    ("x.toml", "a = 1\nb = " + "9" * 5000 + "\n", 2, "999999999999…9999 (5000 characters)"),
    ("x.csv", 'a,b\n1,"two\nlines"\n1e999,z\n', 4, "1e999"),
    ("x.csv", "a,b\n1,x\n-" + "9" * 400 + ",y\n", 3, "-99999999999…9999 (401 characters)"),
]


@pytest.mark.parametrize("name, body, line, token", NOT_FINITE)
def test_numbers_that_are_not_finite_are_refused_with_file_and_line(tmp_path, name, body, line, token):
    problem = refused(tmp_path, {name: body}, Limits())
    assert (problem.path, problem.line) == (f"content/data/{name}", line), str(problem)
    assert problem.what.startswith(token + " is "), problem.what
    assert problem.fix == "write a finite number, or leave the value empty if it is unknown"


def test_the_largest_and_smallest_floats_and_words_that_look_like_numbers_load(tmp_path):
    data = loads(tmp_path, {
        "j.json": '[1.7976931348623157e308, -5e-324, 1e-999, "NaN", "Infinity"]',
        "y.yaml": "a: 1e999\nb: '.inf'\nc: 1.7976931348623157e+308\n",     # YAML 1.1: 1e999 (no dot) is text
        "t.toml": 'a = "inf"\nb = 1.7976931348623157e308\n',
        "c.csv": "a,b\ninf,1.7976931348623157e308\nnan,0\n",
    }, Limits())
    assert data.j == (1.7976931348623157e308, -5e-324, 0.0, "NaN", "Infinity")
    assert data.y == {"a": "1e999", "b": ".inf", "c": 1.7976931348623157e308}
    assert data.t == {"a": "inf", "b": 1.7976931348623157e308}
    assert data.c[0] == {"a": "inf", "b": 1.7976931348623157e308}


# ---------------------------------------------------------------- special files: refused without being opened

def test_a_fifo_is_refused_without_being_opened(tmp_path):
    root = write(tmp_path, {"ok.json": "1"})
    os.mkfifo(root / "content" / "data" / "pipe.json")          # opening it to read would block for ever
    os.mkfifo(root / "content" / "data" / ".hidden")             # hidden: skipped, as hidden files are
    [problem] = problems_of(root)
    assert str(problem) == ("content/data/pipe.json: is a named pipe (FIFO), not a regular file (not opened) — "
                            "delete it: only regular files are read")


def test_a_socket_is_refused(tmp_path, monkeypatch):
    root = write(tmp_path, {"ok.json": "1"})
    monkeypatch.chdir(root / "content" / "data")          # a socket's path must be short: bind it relative
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind("sock.yaml")
        [problem] = problems_of(root)
    assert (problem.path, problem.what) == ("content/data/sock.yaml", "is a socket, not a regular file (not opened)")


def test_a_device_is_refused(tmp_path):
    root = write(tmp_path, {})
    try:
        os.mknod(root / "content" / "data" / "zero.csv", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("creating a device needs CAP_MKNOD")
    [problem] = problems_of(root)
    assert (problem.path, problem.what) == ("content/data/zero.csv",
                                            "is a character device, not a regular file (not opened)")


# ---------------------------------------------------------------- symlinks: never read from outside the site

def link(root, name: str, target) -> None:
    path = root / "content" / "data" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def test_a_symlink_to_a_file_outside_the_content_folder_is_refused_and_not_read(tmp_path):
    outside = tmp_path / "secret.json"
    outside.write_text("{ not json, so reading it would be a second problem")
    root = write(tmp_path, {"ok.json": "1"})
    link(root, "secret.json", outside)
    link(root, "passwd.yaml", "/etc/passwd")
    link(root, "via.json", "secret.json")              # inside, then out: the real path decides
    problems = problems_of(root)
    assert [(p.path, p.line) for p in problems] == [("content/data/passwd.yaml", 0), ("content/data/secret.json", 0),
                                                    ("content/data/via.json", 0)]
    assert str(problems[1]) == (f"content/data/secret.json: is a symlink to {outside.resolve()}, outside content/ "
                                "(not read) — copy the file into content/data/ instead of linking to it")
    assert "/etc/passwd" in problems[0].what


def test_a_symlink_to_a_file_inside_the_content_folder_loads(tmp_path):
    root = write(tmp_path, {})
    (root / "content" / "shared").mkdir()
    (root / "content" / "shared" / "x.json").write_text('{"a": 1}')
    link(root, "x.json", "../shared/x.json")
    link(root, "sub/y.json", "../x.json")                 # a link to a link, both inside
    data = load_site(root)
    assert data.x == {"a": 1} and data.sub.y == {"a": 1}


def test_symlink_loops_and_dangling_links_are_refused_without_hanging(tmp_path):
    root = write(tmp_path, {"ok.json": "1"})
    link(root, "a.json", "b.json")
    link(root, "b.json", "a.json")
    link(root, "self.json", "self.json")
    link(root, "gone.json", "missing.json")
    link(root, "up", ".")                                 # a folder that contains itself
    link(root, "sub/top", "../..")
    problems = problems_of(root)
    assert [(p.path, p.what) for p in problems] == [
        ("content/data/a.json", "is a symlink loop"), ("content/data/b.json", "is a symlink loop"),
        ("content/data/gone.json", "is a symlink to nothing"), ("content/data/self.json", "is a symlink loop"),
        ("content/data/sub/top", "is a symlink to a folder (not followed)"),
        ("content/data/up", "is a symlink to a folder (not followed)")]


def test_a_symlinked_folder_outside_the_content_folder_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.json").write_text("1")
    root = write(tmp_path, {"ok.json": "1"})
    link(root, "more", outside)
    [problem] = problems_of(root)
    assert problem.path == "content/data/more" and problem.what.endswith(", outside content/ (not read)")


def test_a_data_folder_that_is_a_symlink_out_of_the_site_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.json").write_text("1")
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    (root / "content" / "data").symlink_to(outside)
    [problem] = problems_of(root)
    assert problem.path == "content/data" and problem.what.startswith(f"is a symlink to {outside.resolve()}")


# ---------------------------------------------------------------- the real build

ARTICLE = "Title: A\nDate: 2026-01-01\nSummary: s\n\nFine.\n"


def outside_secret(site, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"token": "s3cr3t-token"}')
    site.path("content/data/secret.json").symlink_to(secret)
    return "secret.json", 0, "outside content/"


def fifo(site, tmp_path):
    os.mkfifo(site.path("content/data/pipe.json"))
    return "pipe.json", 0, "named pipe (FIFO)"


def alias_bomb(site, tmp_path):
    site.path("content/data/bomb.yaml").write_text(LAUGHS)
    return "bomb.yaml", 7, "alias *f takes the file past 1,000,000 values"


def nan_in_json(site, tmp_path):
    site.path("content/data/n.json").write_text('{\n  "a": 1,\n  "b": NaN\n}\n')
    return "n.json", 3, "NaN is not a number"


BREAKS = [alias_bomb, fifo, outside_secret, nan_in_json]


@pytest.mark.parametrize("breaks", BREAKS, ids=[b.__name__ for b in BREAKS])
def test_a_hostile_data_file_fails_the_build_clearly_and_keeps_the_previous_build(tmp_path, breaks):
    site = make_site(tmp_path / "site", {"content/articles/a.md": ARTICLE, "content/data/ok.json": '{"a": 1}'})
    assert site.build().code == 0
    before = site.output_digest()
    name, line, fragment = breaks(site, tmp_path)
    started = time.monotonic()
    built = site.build()
    assert time.monotonic() - started < 60
    assert built.code == 1
    assert "Traceback" not in built.stderr + built.stdout and "s3cr3t" not in built.stderr + built.stdout
    where = f"content/data/{name}:{line}: " if line else f"content/data/{name}: "
    naming = [text for text in built.lines if text.startswith(f"content/data/{name}")]
    assert len(naming) == 1 and naming[0].startswith(where) and fragment in naming[0], built.stderr
    assert " — " in naming[0], "the message says what to do"
    assert built.lines[-1].startswith("Build failed:") and "left as it was" in built.lines[-1]
    assert site.output_digest() == before


def test_brackets_inside_json_strings_do_not_hide_the_depth(tmp_path):
    """Found by Hypothesis: keys "]" and "[" shifted the pre-scan's bracket pairs, so one level went uncounted."""
    root = write(tmp_path, {"x.json": json.dumps({"v": {"]": [], "[": None}}, indent=1)})
    [problem] = problems_of(root, Limits(data_depth=2, data_values=10_000))
    assert problem.what == "lists and mappings nested more than 2 deep" and problem.line > 0
