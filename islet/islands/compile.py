"""Compile stage: widget modules → ES modules, with Transcrypt 3.9.5, ahead of time.

Contract of `compile_widgets(widgets_dir, site_root, out_dir, cache_dir, names)`:
  - The modules are the site's ``widgets/`` over islet's built-in ones (sources.py).
  - ONE Transcrypt run compiles a synthetic entry module that imports the widgets `names` (by default
    every ``widgets/*.py`` of the site; others only when imported), into a fresh temporary directory,
    with ``-n`` (no minifier) and with a `java` stub first on PATH, so Java can never run (shared/transcrypt.md).
  - `out_dir` is replaced by a directory of ES modules ready for esbuild:
    ``org.transcrypt.__runtime__.js``, ``copy.js``, ``widgets.<name>.js`` for each module, their
    ``.map`` files (Python sources embedded) and a ``package.json`` saying the files are ES modules.
    No ``.project`` files, no timestamps: the same sources give the same bytes.
  - The runtime is patched so it leaves no enumerable properties on built-in prototypes, and so that
    isinstance on a number or string throws nothing (see ISINSTANCE).
  - Results are cached in ``cache_dir/<key>``; the key hashes the names, every widget source with its
    name, the Transcrypt and Python versions and `COMPILER_VERSION`. A hit copies the cache and runs nothing.
  - Failures raise `CompileError` whose problems read ``widgets/x.py:LINE: message — fix``.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from islet.build import sealed
from islet.errors import IsletError, Problem, ToolMissingError, shown_path

from .check import check_sources
from .rewrite import for_transcrypt
from .runtime_fixes import INT_ROUND, PYJSON, RUNTIME_FIXES, STRING_HELPERS, ZERO, import_extra_exports, undo_keycheck
from .sources import widget_files

COMPILER_VERSION = "7"          # bump whenever this module's output changes for the same inputs
TRANSCRYPT_VERSION = "3.9.5"    # the version whose output format and pitfalls were measured
RUNTIME = "org.transcrypt.__runtime__.js"
ENTRY = "_islet_all_widgets"    # the synthetic module importing every widget
CACHE_KEEP = 4                  # cache entries kept; older ones are deleted
DOCS_HINT = "see the construct list in islet's docs/widgets.md"


class CompileError(IsletError):
    """A widget module could not be compiled to JavaScript."""


@dataclass(frozen=True)
class CompileResult:
    out_dir: Path               # the ES modules
    modules: dict[str, str]     # module stem ("counter") -> its file in out_dir ("widgets.counter.js")
    key: str                    # cache key (sha256 hex)
    cached: bool                # True: copied from cache_dir, Transcrypt did not run
    seconds: float              # wall time of this call


def compile_widgets(widgets_dir: Path, site_root: Path, out_dir: Path, cache_dir: Path,
                    names: list[str] | None = None) -> CompileResult:
    """`names`: the widgets to compile (with every module they import), islet's built-in ones included;
    None: every module of the site's own widgets/."""
    started = time.perf_counter()
    widgets_dir, site_root, out_dir, cache_dir = (Path(p).resolve() for p in (widgets_dir, site_root, out_dir, cache_dir))
    if widgets_dir != site_root / "widgets":   # widgets import each other as `widgets.x`, found via -xp site_root
        raise ValueError(f"{widgets_dir} must be the folder 'widgets' of {site_root}")
    version = transcrypt_version()
    sources = widget_files(site_root)
    stems = sorted(names) if names is not None else \
        [p.stem for p in sorted(widgets_dir.glob("*.py")) if not p.stem.startswith("_")]
    key = cache_key(sources, stems, version)
    cached_dir = cache_dir / key
    cached = sealed.intact(cached_dir)      # (an entry damaged since it was stored is made again)
    if not cached:
        precheck(sources)
        work = Path(tempfile.mkdtemp(prefix="islet-transcrypt-"))   # fresh every time: never an existing dir
        try:
            _store(_transcrypt(stems, sources, work), cached_dir)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    prune_cache(cache_dir, keep=key)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    shutil.copytree(cached_dir, out_dir, ignore=shutil.ignore_patterns(sealed.SEAL))
    modules = {s: f"widgets.{s}.js" for s in stems}
    return CompileResult(out_dir, modules, key, cached, time.perf_counter() - started)


def transcrypt_version() -> str:
    """The Transcrypt installed for this interpreter; ToolMissingError when absent or another version."""
    install = f"install it with: {sys.executable} -m pip install transcrypt=={TRANSCRYPT_VERSION} (./dev build does this)"
    if importlib.util.find_spec("transcrypt") is None:
        raise ToolMissingError(f"Transcrypt is not installed for {sys.executable}; {install}")
    version = importlib.metadata.version("transcrypt")
    if version != TRANSCRYPT_VERSION:
        raise ToolMissingError(f"islet needs Transcrypt {TRANSCRYPT_VERSION}, found {version}; {install}")
    return version


def cache_key(sources: dict[str, Path], stems: list[str], version: str) -> str:
    digest = hashlib.sha256(f"islet-compile {COMPILER_VERSION}\0transcrypt {version}\0{sys.version}\0".encode())
    digest.update(",".join(stems).encode() + b"\0")
    for name, path in sources.items():
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def precheck(sources: dict[str, Path]) -> None:
    """CPython's parser plus islet.islands.check's rules for the constructs Transcrypt compiles wrongly
    (often without any error), so the author gets file:line:col and a fix instead. Raises CheckError."""
    check_sources(sources)


def _transcrypt(stems: list[str], sources: dict[str, Path], work: Path) -> Path:
    """Run Transcrypt once inside the empty dir `work`; return the dir of finished (post-processed) modules."""
    entry = work / f"{ENTRY}.py"
    entry.write_text("".join(f"import widgets.{s}\n" for s in stems), encoding="utf-8")
    originals = _rewritten_copy(sources, work / "site" / "widgets")
    out = work / "js"   # does not exist yet: -b would rmtree it anyway, and an existing dir triggers Java
    # -kc: every subscript read goes through the runtime's __k__ (runtime_fixes.KEYCHECK): Python's
    # negative indices, IndexError and KeyError. -da: assert statements are kept.
    command = [sys.executable, "-m", "transcrypt", "-b", "-n", "-m", "-kc", "-da", "-xp", str(work / "site"),
               "-od", str(out), entry.name]
    run = subprocess.run(command, cwd=work, capture_output=True, text=True, env=java_guard(work), timeout=300)
    if (work / JAVA_TRIED).exists():
        raise CompileError("Transcrypt tried to run Java, which islet never allows; this is a bug in islet's "
                           "compile options (-b -n into a fresh directory should avoid it)")
    if run.returncode != 0 or not (out / RUNTIME).is_file():
        raise CompileError(transcrypt_problems(run.stdout + run.stderr, work / "site"))
    for name, text in originals.items():   # the maps' sources show the author's code, not the rewritten copy
        if (out / name).is_file():
            (out / name).write_text(text, encoding="utf-8")
    for stale in {*out.glob("*.project"), *out.glob(f"{ENTRY}.*")}:
        stale.unlink()   # .project holds absolute paths; the entry module is only scaffolding
    for js in sorted(out.glob("*.js")):
        _finish(js)
    runtime = out / RUNTIME
    runtime.write_text(slim_runtime(runtime.read_text(encoding="utf-8"),   # (the loader calls __pyjson__)
                                    [p.read_text(encoding="utf-8") for p in sorted(out.glob("*.js")) if p != runtime]
                                    + ["__pyjson__"]),
                       encoding="utf-8")
    (out / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    return out


def _rewritten_copy(sources: dict[str, Path], target: Path) -> dict[str, str]:
    """Copy the widget modules for Transcrypt, made ready for Transcrypt (rewrite.py); {compiled .py name: original}."""
    originals = {}
    for name, source in sources.items():
        relative = Path(name)
        text = source.read_text(encoding="utf-8")
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_text(for_transcrypt(text), encoding="utf-8")
        originals[".".join(("widgets",) + relative.with_suffix("").parts) + ".py"] = text
    return originals


JAVA_TRIED = "java-was-called"


def java_guard(work: Path) -> dict[str, str]:
    """This environment with a `java` stub first on PATH: it runs no Java, fails, and leaves
    `work/JAVA_TRIED` behind, so an attempt is reported instead of silently taking seconds."""
    (work / "bin").mkdir(exist_ok=True)
    stub = work / "bin" / "java"
    stub.write_text(f"#!/bin/sh\ntouch '{work / JAVA_TRIED}'\necho 'islet: Java is not allowed' >&2\nexit 97\n")
    stub.chmod(0o755)
    return {**os.environ, "PATH": os.pathsep.join([str(stub.parent), os.environ.get("PATH", "")])}


MOUNT = re.compile(r"^export (?:var|function) mount\b", re.M)
TIMESTAMP = re.compile(r"^// Transcrypt'ed from Python, .*$", re.M)
MAP_URL = re.compile(r"\n?//# sourceMappingURL=(\S+)\s*$")

# Line 1 (kept, so source maps stay valid) records which keys each built-in prototype had before the
# runtime ran; the tail makes every key the runtime added non-enumerable, so `for (k in [1, 2])` in any
# script on the page sees only "0" and "1". Done after the fact, whatever way the runtime added a key,
# rather than by rewriting each of its ~70 assignments. The runtime's other fixes: runtime_fixes.py.
RUNTIME_HEAD = ("const __isletProtos__ = [Object, Array, String, Number, Boolean, Function, Uint8Array]"
                ".map ((c) => [c.prototype, new Set (Object.keys (c.prototype))]);")
RUNTIME_TAIL = """
for (const [proto, before] of __isletProtos__) {
    for (const key of Object.keys (proto)) {
        if (!before.has (key)) Object.defineProperty (proto, key, {enumerable: false});
    }
}
"""


def _finish(js: Path) -> None:
    """Deterministic text, a working (or no) map reference, the runtime's fixes and additions (runtime_fixes.py),
    Python inside the map."""
    text = js.read_text(encoding="utf-8")
    head = RUNTIME_HEAD if js.name == RUNTIME else "// Transcrypt'ed from Python"
    text, stamped = TIMESTAMP.subn(head, text, count=1)
    match = MAP_URL.search(text)
    text = text[: match.start()] if match else text
    if js.name == RUNTIME:
        if not stamped or any(text.count(original) != 1 for original, _ in RUNTIME_FIXES):   # the fixes need these
            raise CompileError(f"unexpected Transcrypt runtime layout in {js.name}; islet needs Transcrypt {TRANSCRYPT_VERSION}")
        for original, fixed in RUNTIME_FIXES:
            text = text.replace(original, fixed)
        text = text + "\n" + RUNTIME_TAIL + ZERO + INT_ROUND + STRING_HELPERS + PYJSON
    else:
        text = import_extra_exports(undo_keycheck(text))
        if MOUNT.search(text):   # the loader passes the props through __pyjson__ (runtime_fixes.PYJSON)
            text = text.rstrip("\n") + f"\nexport {{__pyjson__}} from './{RUNTIME}';\n"
    map_file = js.with_name(match.group(1)) if match else None
    if map_file is not None and map_file.is_file():
        source_map = json.loads(map_file.read_text(encoding="utf-8"))
        contents = [(js.parent / s).read_text(encoding="utf-8") if (js.parent / s).is_file() else None
                    for s in source_map["sources"]]
        source_map["sourcesContent"] = contents   # so bundled maps show the Python without the files
        map_file.write_text(json.dumps(source_map, indent=1) + "\n", encoding="utf-8")
        text = text.rstrip("\n") + f"\n//# sourceMappingURL={map_file.name}\n"
    js.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


# The runtime's top level declares ~300 things: functions, classes built by calls (`KeyError =
# __class__ (…)`) and ~90 methods put on built-in prototypes (String.prototype.rsplit …). esbuild must
# keep every call and every prototype assignment (they might have side effects), so the runtime chunk
# would carry all of them on every page. slim_runtime keeps only what the widgets can reach.
DECLARATION = re.compile(r"^(?:export )?(?:function\*? ?|var |let |const |class )([\w$]+)")
METHOD = re.compile(r"^(?:(?:String|Array|Number|Boolean|Function|Uint8Array|Object)\.prototype\.([\w$]+)\s*="
                    r"|__setproperty__ \(\w+\.prototype, '([\w$]+)')")
IMPORT = re.compile(r"^import \{[^}]*\} from [^;]*;", re.M)


def slim_runtime(runtime: str, modules: list[str]) -> str:
    """The runtime without the top-level declarations and prototype methods no widget can reach.

    Reachability by name, from the widget modules (minus their import lists, which name everything)
    and every top-level statement that declares nothing: a declaration is kept once its name appears
    as an identifier (not in quotes: an "input" event does not use the runtime's `input`), a prototype
    method once `.name` or a quoted 'name' appears, in kept code. Conservative (a mention keeps it) and
    needs no parser. Removed statements become blank lines, so the runtime's source map stays valid;
    removed exports stay declared, as `export var name;`. Saves about 1.5 KB of gzip on every page with
    widgets.
    """
    lines = runtime.split("\n")
    starts = [i for i, line in enumerate(lines) if line and not line[0].isspace() and line[0] not in "})]"]
    spans = list(zip(starts, starts[1:] + [len(lines)]))
    wanted = {}   # span -> the pattern that, found in kept code, keeps it
    for a, b in spans:
        if method := METHOD.match(lines[a]):
            wanted[(a, b)] = re.compile(r"[.'\"]" + re.escape(method[1] or method[2]) + r"\b")
        elif declared := DECLARATION.match(lines[a]):
            wanted[(a, b)] = re.compile(r"(?<![\w$.'\"])" + re.escape(declared[1]) + r"(?![\w$'\"])")
    kept_text = "\n".join([IMPORT.sub("", m) for m in modules]
                          + ["\n".join(lines[a:b]) for a, b in spans if (a, b) not in wanted])
    kept: set = set()
    while found := {s for s, pattern in wanted.items() if s not in kept and pattern.search(kept_text)}:
        kept |= found
        kept_text = "\n".join("\n".join(lines[a:b]) for a, b in found)   # only new code can reach more
    for a, b in set(wanted) - kept:
        # An export stays declared (undefined): modules run unbundled (the differential tests) link by name.
        stub = f"export var {DECLARATION.match(lines[a])[1]};" if lines[a].startswith("export ") else ""
        lines[a:b] = [stub] + [""] * (b - a - 1)
    return CLASS_CALL.sub(r"\1/* @__PURE__ */ \2", "\n".join(lines))


# What is left of the class objects built by a call looks like side effects to esbuild; they are
# not, so marking them pure lets it drop the ones no widget imports.
CLASS_CALL = re.compile(r"^(export var \w+ =\s*)(__class__ \(|new )", re.M)


def _store(built: Path, target: Path) -> None:
    """Copy a finished build beside the cache entry, then store it there whole (islet.build.sealed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        shutil.copytree(built, staging / "m")
        sealed.store(staging / "m", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def prune_cache(cache_dir: Path, keep: str, count: int = CACHE_KEEP) -> None:
    """Keep the `count` most recently used entries of a cache folder, `keep` among them."""
    os.utime(cache_dir / keep)   # mark as most recently used
    entries = sorted((p for p in cache_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[count:]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


FRAME = re.compile(r"^\s*File '(?P<where>[^']+)', line (?P<line>\d+), (?P<how>at import of:|namely:)\s*$", re.M)
CANT_IMPORT = re.compile(r"^Can't import (?:from )?module '(?P<module>[^']+)'$")


def transcrypt_problems(output: str, site_root: Path) -> list[Problem]:
    """Turn Transcrypt's report into ``widgets/x.py:LINE`` problems.

    Transcrypt prints a chain of frames, the offending one last, naming each by module
    (``widgets.tabs``) or by path; the message after ``namely:`` is often just
    "Can't import module '<itself>'", which says nothing, so it becomes a hint instead.
    """
    frames = [(m["where"], int(m["line"])) for m in FRAME.finditer(output)]
    tail = output.split("namely:", 1)[1] if "namely:" in output else ""
    message = " ".join(line.strip() for line in tail.split("Aborted")[0].strip().splitlines() if line.strip())
    ours = [(name, line) for name, line in ((_widget_path(w, site_root), n) for w, n in frames) if name]
    if not ours:
        last = "\n".join(output.strip().splitlines()[-12:])
        return [Problem("widgets", 0, f"Transcrypt failed: {last or 'no output'}", "run ./dev build again with a clean cache")]
    path, line = ours[-1]
    innermost = frames[-1][0]
    cant = CANT_IMPORT.match(message)
    if _widget_path(innermost, site_root) is None:   # the failure is in a module outside widgets/
        code = _source_line(site_root / path, line)
        return [Problem(path, line, f"`{code}` imports something Transcrypt cannot compile ({message or innermost})",
                        "widgets can import only widgets/ modules; use browser globals (JSON, Math…) instead of the standard library")]
    if not message or (cant and _widget_path(cant["module"], site_root) == path):
        return [Problem(path, line, "Transcrypt could not translate this line", DOCS_HINT)]
    if "SYNTAX FAULT" in message:
        return [Problem(path, line, "syntax error near: " + message.replace("[<-SYNTAX FAULT]", "").strip())]
    return [Problem(path, line, message, DOCS_HINT)]


def _widget_path(where: str, site_root: Path) -> str | None:
    """``widgets.tabs`` or ``/site/widgets/tabs.py`` → ``widgets/tabs.py``; None for anything else."""
    if where.endswith(".py"):
        shown = shown_path(Path(where), site_root)
        return shown if shown.startswith("widgets/") else None
    if where == "widgets":
        return "widgets/__init__.py"
    if where.startswith("widgets."):
        return where.replace(".", "/") + ".py"
    return None


def _source_line(path: Path, line: int) -> str:
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return lines[line - 1].strip() if 0 < line <= len(lines) else "an import"
