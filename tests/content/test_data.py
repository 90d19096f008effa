"""islet.content.data: loading content/data/ into a read-only mapping, and its error messages."""
import pickle

import pytest

from islet.content.data import FrozenDict, load_data
from islet.errors import DataError


def write(tmp_path, files):
    root = tmp_path / "site"
    for name, body in files.items():
        path = root / "content" / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
    return root


def load(tmp_path, files):
    root = write(tmp_path, files)
    return load_data(root / "content" / "data", root)


def test_every_format_lands_under_its_file_name_nested_by_folder(tmp_path):
    data = load(tmp_path, {
        "frameworks.csv": "name,stars,score\nFastAPI,80000,9.5\nDjango,81000,9\n",
        "payloads.json": '[{"approach": "Pyodide", "kb": 6400}]',
        "budgets.yaml": "article:\n  js_kb: 0\n",
        "site.toml": "[survey]\npython_share = 46\n",
        "surveys/so2025.yml": "python: 46\n",
    })
    assert data.frameworks[0] == {"name": "FastAPI", "stars": 80000, "score": 9.5}
    assert data.frameworks[1]["score"] == 9.0 and isinstance(data.frameworks[1]["stars"], int)
    assert data.payloads[0]["kb"] == 6400
    assert data.budgets["article"]["js_kb"] == 0
    assert data.site.survey.python_share == 46
    assert data.surveys.so2025.python == 46


@pytest.mark.parametrize("cells, expected", [
    (["1", "22", "-3"], [1, 22, -3]),
    (["1.5", "2", ".5", "1e3"], [1.5, 2.0, 0.5, 1000.0]),
    (["1", "", "3"], [1, None, 3]),
    (["1", "two"], ["1", "two"]),
    (["inf", "nan"], ["inf", "nan"]),          # words stay words
    (["1_000", "0x10"], ["1_000", "0x10"]),    # Python-only number syntax stays text
    (["", ""], ["", ""]),
])
def test_csv_columns_become_numbers_only_when_every_cell_is_one(tmp_path, cells, expected):
    body = "value,label\n" + "".join(f"{c},x\n" for c in cells)
    data = load(tmp_path, {"t.csv": body})
    assert [row["value"] for row in data.t] == expected


def test_data_is_read_only_but_still_a_plain_mapping(tmp_path):
    data = load(tmp_path, {"t.json": '{"a": {"b": [1, 2]}}'})
    with pytest.raises(TypeError, match="read-only"):
        data.t["a"]["c"] = 1
    with pytest.raises(TypeError):
        data.t["a"].update(c=1)
    assert data.t["a"]["b"] == (1, 2)
    assert isinstance(data.t, dict) and isinstance(data, FrozenDict)
    assert pickle.loads(pickle.dumps(data)) == data


@pytest.mark.parametrize("name, body, line, fragment", [
    ("bad.csv", "a,b\n1,2\n3,4,5\n", 3, "row has 3 fields but the header has 2"),
    ("bad.csv", 'a,b\n1,"unterminated\n', 2, "malformed CSV"),
    ("bad.csv", "a,a\n1,2\n", 1, "duplicate column 'a'"),
    ("bad.json", '{\n  "a": 1,\n  "b": \n}\n', 4, "invalid JSON"),
    ("bad.json", '[1, 2,]', 1, "invalid JSON"),
    ("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n", 3, "invalid YAML"),
    ("bad.yaml", "a:\n  - 1\n - 2\n", 3, "invalid YAML"),
    ("bad.toml", "[x]\na = 1\nb = \n", 3, "invalid TOML"),
    ("nul.yaml", "a: 1\nb: x\0y\n", 2, "invalid YAML: character 0x0000 is not allowed"),
    ("half.json", '{"a": 1,\n "b": "x\\udc00"}', 2, "the escape \\udc00 is half of a surrogate pair"),
    ("half.yaml", 'a: "\\ud83d\\ude00"\nb: "\\ud800"\n', 2, "the escape \\ud800 is half of a surrogate pair"),
    ("half.yaml", 'a:\n  - "\\U0000DC00"\n', 2, "the escape \\U0000DC00 is half of a surrogate pair"),
    ("nul.json", '{"a":\n "x\0y"}', 2, "invalid JSON"),
    ("nul.toml", 'a = 1\nb = "x\0y"\n', 2, "invalid TOML"),
    ("bad.csv", b"a,b\n1,caf\xe9\n", 2, "not valid UTF-8"),
    ("empty.json", "", 0, "the file is empty"),
    ("blank.yaml", "   \n\n", 0, "the file is empty"),
    ("my-data.json", "{}", 0, "cannot be used as data.my-data"),
    ("notes.txt", "hello", 0, "unsupported data file type"),
])
def test_malformed_files_name_the_file_and_line(tmp_path, name, body, line, fragment):
    with pytest.raises(DataError) as caught:
        load(tmp_path, {name: body})
    [problem] = caught.value.problems
    assert problem.path == f"content/data/{name}"
    assert problem.line == line
    assert fragment in problem.what
    assert problem.fix, "every problem says how to fix it"
    assert str(problem).startswith(f"content/data/{name}" + (f":{line}: " if line else ": "))


def test_all_broken_files_are_reported_at_once(tmp_path):
    with pytest.raises(DataError) as caught:
        load(tmp_path, {"a.json": "{", "b.yaml": "[", "c.csv": "x\n1\n"})
    assert [p.path for p in caught.value.problems] == ["content/data/a.json", "content/data/b.yaml"]


def test_two_files_with_the_same_name_are_an_error(tmp_path):
    with pytest.raises(DataError, match="defined twice"):
        load(tmp_path, {"x.json": "1", "x.yaml": "2"})


def test_missing_folder_gives_empty_mapping(tmp_path):
    assert load_data(tmp_path / "nope", tmp_path) == {}


def test_a_character_written_as_a_surrogate_pair_is_that_character(tmp_path):
    """As json.dumps writes it (ensure_ascii): JSON joins the pair, PyYAML alone would keep two halves."""
    data = load(tmp_path, {"a.json": '{"e": "\\ud83d\\ude00"}', "b.yaml": 'e: "\\ud83d\\ude00"\n"\\ud83d\\ude00": [1]\n'})
    assert data.a["e"] == data.b["e"] == "\U0001F600" and data.b["\U0001F600"] == (1,)
