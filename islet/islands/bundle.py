"""Bundle stage: compiled widget modules → one small ES module per widget plus shared chunks, with esbuild.

Contract of `bundle(compiled_dir, entries, out_dir, node_modules)`:
  - `entries` maps a widget name to its module file in `compiled_dir` (``{"counter": "widgets.counter.js"}``,
    as `CompileResult.modules` gives). Each widget gets a generated one-line entry that re-exports the
    module's ``mount`` and the runtime's ``__pyjson__``, which is what ``loader.js`` calls (props → dicts).
  - ONE esbuild run (``--bundle --splitting --format=esm --minify``) writes ``<name>-<hash>.js`` per
    widget and ``chunks/<name>-<hash>.js`` for code shared by several widgets; the Transcrypt runtime,
    used by all, lands in one shared chunk the browser caches across pages.
  - Source maps are external ``.map`` files next to each file; no output file references them, so
    production pages never load them (the caller decides whether to publish them).
  - Files are added to `out_dir` (created if needed). The same inputs give the same bytes and names:
    esbuild runs in a fresh temp dir with a fixed layout, so no absolute path reaches the output.
  - Returns each widget's entry and every chunk it imports statically (directly or through another
    chunk, from esbuild's metafile), with raw and gzip -9 sizes.
"""
from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from islet.errors import IsletError, Problem, ToolMissingError


ESBUILD_VERSION = "0.28.2"   # pinned in package.json / package-lock.json
NAME = re.compile(r"^[A-Za-z0-9_]+$")


class BundleError(IsletError):
    """esbuild could not bundle the compiled widgets."""


@dataclass(frozen=True)
class OutputFile:
    path: str    # relative to out_dir, forward slashes: "counter-26YHTSYT.js", "chunks/chunk-DZ34THZU.js"
    raw: int     # bytes
    gzip: int    # bytes after gzip -9


@dataclass(frozen=True)
class BundledWidget:
    entry: OutputFile                  # the file to import; exports `mount`
    chunks: tuple[OutputFile, ...]     # every chunk it imports statically, sorted by path

    @property
    def files(self) -> tuple[OutputFile, ...]:
        return (self.entry, *self.chunks)

    @property
    def gzip(self) -> int:
        """What a page with only this widget downloads for it (gzip bytes, loader not included)."""
        return sum(f.gzip for f in self.files)


@dataclass(frozen=True)
class BundleResult:
    out_dir: Path
    widgets: dict[str, BundledWidget]  # widget name -> its files
    files: dict[str, OutputFile]       # every .js written, by path
    maps: tuple[str, ...]              # every .map written (paths relative to out_dir)
    seconds: float


def esbuild_path(node_modules: Path) -> Path:
    """node_modules/.bin/esbuild, or ToolMissingError saying how to install it."""
    tool = Path(node_modules) / ".bin" / "esbuild"
    if not tool.exists():
        raise ToolMissingError(f"esbuild is not installed ({tool} is missing): run `npm ci` in the site root "
                               f"(package.json pins esbuild {ESBUILD_VERSION}); ./dev build does this")
    return tool


def bundle(compiled_dir: Path, entries: dict[str, str], out_dir: Path, node_modules: Path) -> BundleResult:
    started = time.perf_counter()
    tool = esbuild_path(node_modules)
    compiled_dir, out_dir = Path(compiled_dir).resolve(), Path(out_dir).resolve()
    for name, module in entries.items():
        if not NAME.match(name) or not (compiled_dir / module).is_file():
            raise BundleError(Problem("widgets", 0, f"cannot bundle widget {name!r}: no compiled module {module!r}",
                                      "pass the names and files CompileResult.modules gives"))
    with tempfile.TemporaryDirectory(prefix="islet-esbuild-") as temp:
        work = Path(temp)
        # Fixed layout inside the temp dir: map paths are relative (../compiled/…), hence reproducible.
        shutil.copytree(compiled_dir, work / "compiled")
        (work / "entries").mkdir()
        for name, module in sorted(entries.items()):
            (work / "entries" / f"{name}.js").write_text(f'export {{ mount, __pyjson__ }} from "../compiled/{module}";\n',
                                                         encoding="utf-8")
        command = [str(tool), *(f"entries/{n}.js" for n in sorted(entries)),
                   "--bundle", "--splitting", "--format=esm", "--minify", "--charset=utf8",
                   "--entry-names=[name]-[hash]", "--chunk-names=chunks/[name]-[hash]",
                   "--sourcemap=external", "--outdir=out", "--metafile=meta.json", "--log-level=warning"]
        try:
            run = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=300)
        except OSError as error:   # e.g. a JS shim whose `node` is missing, or a binary for another machine
            raise ToolMissingError(f"cannot run {tool}: {error}; reinstall with `npm ci`") from None
        if run.returncode != 0:
            raise BundleError(esbuild_problems(run.stderr, compiled_dir))
        meta = json.loads((work / "meta.json").read_text(encoding="utf-8"))
        files, maps = _copy_outputs(work / "out", out_dir)
    widgets = {}
    for name in sorted(entries):
        entry = next(p for p, o in meta["outputs"].items() if o.get("entryPoint") == f"entries/{name}.js")
        chunks = sorted(_static_imports(meta["outputs"], entry))
        widgets[name] = BundledWidget(files[_rel(entry)], tuple(files[_rel(c)] for c in chunks))
    return BundleResult(out_dir, widgets, files, maps, time.perf_counter() - started)


def minify(source: Path, out_dir: Path, node_modules: Path) -> OutputFile:
    """One standalone script (the loader) → ``out_dir/<stem>-<hash>.js``, minified ES module, no map."""
    tool = esbuild_path(node_modules)
    with tempfile.TemporaryDirectory(prefix="islet-esbuild-") as temp:
        work = Path(temp)
        shutil.copyfile(source, work / source.name)
        command = [str(tool), source.name, "--minify", "--format=esm", "--charset=utf8",
                   "--entry-names=[name]-[hash]", "--outdir=out", "--log-level=warning"]
        run = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            raise BundleError(Problem(source.name, 0, f"esbuild: {run.stderr.strip()[-400:]}"))
        files, _ = _copy_outputs(work / "out", out_dir)
    return next(iter(files.values()))


def _copy_outputs(built: Path, out_dir: Path) -> tuple[dict[str, OutputFile], tuple[str, ...]]:
    files, maps = {}, []
    for path in sorted(p for p in built.rglob("*") if p.is_file()):
        rel = path.relative_to(built).as_posix()
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        body = path.read_bytes()
        target.write_bytes(body)
        if rel.endswith(".map"):
            maps.append(rel)
        else:
            files[rel] = OutputFile(rel, len(body), len(gzip.compress(body, compresslevel=9, mtime=0)))
    return files, tuple(maps)


def _static_imports(outputs: dict, start: str) -> set[str]:
    """Every output `start` loads before it runs: its static imports, transitively (metafile paths)."""
    seen, todo = set(), [start]
    while todo:
        for item in outputs[todo.pop()].get("imports", []):
            if item["kind"] == "import-statement" and item["path"] not in seen and item["path"] in outputs:
                seen.add(item["path"])
                todo.append(item["path"])
    return seen


def _rel(metafile_path: str) -> str:
    return metafile_path.removeprefix("out/")


def esbuild_problems(stderr: str, compiled_dir: Path | None = None) -> list[Problem]:
    """esbuild's ``[ERROR]`` blocks, each attributed to the first widget module it mentions, at the Python line
    the compiled module's source map gives for the JavaScript line esbuild names."""
    blocks = stderr.split("[ERROR]")[1:] or [stderr.strip()[-800:] or "esbuild failed"]
    problems = []
    for block in blocks:
        message = block.strip().splitlines()[0] if block.strip() else "esbuild failed"
        found = re.search(r"compiled/widgets\.([A-Za-z0-9_.]+)\.js(?::(\d+))?|entries/([A-Za-z0-9_]+)\.js", block)
        module = (found[1] or found[3]) if found else None
        path = f"widgets/{module.replace('.', '/')}.py" if module else "widgets"
        line = 0
        if found and found[2] and compiled_dir is not None:
            map_file = Path(compiled_dir) / f"widgets.{found[1]}.map"
            line = source_line(map_file.read_text(encoding="utf-8"), int(found[2])) if map_file.is_file() else 0
        fix = "a widget needs def mount(root, props)" if '"mount"' in message else \
            "this line compiled to JavaScript esbuild cannot read: write it another way (islet's docs/widgets.md)"
        problems.append(Problem(path, line, f"esbuild: {message}", fix))
    return problems


BASE64 = {char: value for value, char in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def source_line(source_map: str, generated: int) -> int:
    """The 1-based source line a v3 source map gives for 1-based `generated` line (its first segment's), or 0."""
    line = 0
    for number, segments in enumerate(json.loads(source_map).get("mappings", "").split(";"), 1):
        first = None
        for segment in filter(None, segments.split(",")):
            fields = _vlq(segment)
            if len(fields) >= 4:                  # source line fields are deltas over the whole map
                line += fields[2]
                first = line if first is None else first
        if number == generated:
            return first + 1 if first is not None else 0
    return 0


def _vlq(segment: str) -> list[int]:
    values, value, shift = [], 0, 0
    for char in segment:
        digit = BASE64[char]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
        else:
            values.append(-(value >> 1) if value & 1 else value >> 1)
            value, shift = 0, 0
    return values
