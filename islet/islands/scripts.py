"""Scripts stage: the modules in ``widgets/`` → the content-hashed files of ``<output>/widgets/``.

    compile (Transcrypt, one run, cached) → bundle (esbuild, shared runtime chunk) → loader (minified)

The result is a folder of files ready to copy, plus the `Manifest` the hydrate stage uses to
give each page exactly the scripts its widgets need. The whole result is cached under
``<cache>/scripts/<key>``; the key covers the compiled modules (hence every widget source and
the tool versions), the widget names, esbuild's version and the loader, so an unchanged widget
set runs neither Transcrypt nor esbuild.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from islet.build import sealed

from .bundle import ESBUILD_VERSION, bundle, minify
from .compile import compile_widgets, prune_cache
from .hydrate import Asset, Manifest, integrity

SCRIPTS_VERSION = "1"                       # bump when this stage's output changes for the same inputs
LOADER = Path(__file__).with_name("loader.js")
FOLDER = "widgets"                          # where the files go in the output (see islet.output.headers.HASHED)


@dataclass(frozen=True)
class Scripts:
    folder: Path                 # files to copy into <output>/widgets/ (scripts and their unreferenced .map files)
    manifest: Manifest           # paths are output-relative: "widgets/table-3F9A1C.js"
    cached: bool                 # True: nothing was compiled or bundled
    seconds: float


def build_scripts(site_root: Path, names: list[str], cache_dir: Path, node_modules: Path) -> Scripts:
    """Compile and bundle the widgets `names` (modules ``widgets/<name>.py`` of `site_root`, or islet's)."""
    started = time.perf_counter()
    cache_dir = Path(cache_dir)
    with tempfile.TemporaryDirectory(prefix="islet-compiled-") as temp:
        compiled = compile_widgets(site_root / "widgets", site_root, Path(temp) / "js", cache_dir / "compile", names)
        key = _key(compiled.key, names)
        entry = cache_dir / "scripts" / key
        if not sealed.intact(entry):         # (none yet, or damaged since it was stored: made again)
            out = Path(tempfile.mkdtemp(prefix=".staging-", dir=_mkdir(cache_dir / "scripts")))
            try:
                manifest = _bundle(compiled.out_dir, {n: compiled.modules[n] for n in names}, out / "files", node_modules)
                (out / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True), encoding="utf-8")
                sealed.store(out, entry)
            finally:
                shutil.rmtree(out, ignore_errors=True)
            cached = False
        else:
            cached = compiled.cached
    prune_cache(cache_dir / "scripts", keep=key)
    manifest = _load_manifest(entry / "manifest.json")
    return Scripts(entry / "files", manifest, cached, time.perf_counter() - started)


def _bundle(compiled: Path, entries: dict[str, str], out: Path, node_modules: Path) -> Manifest:
    result = bundle(compiled, entries, out, node_modules)
    loader = minify(LOADER, out, node_modules)

    def asset(file) -> Asset:
        return Asset(f"{FOLDER}/{file.path}", integrity((out / file.path).read_bytes()), file.gzip)

    widgets = {name: tuple(asset(f) for f in bundled.files) for name, bundled in result.widgets.items()}
    return Manifest(asset(loader), widgets)


def _key(compile_key: str, names: list[str]) -> str:
    digest = hashlib.sha256(f"islet-scripts {SCRIPTS_VERSION}\0esbuild {ESBUILD_VERSION}\0{compile_key}\0".encode())
    digest.update(",".join(sorted(names)).encode() + b"\0" + LOADER.read_bytes())
    return digest.hexdigest()[:32]


def _load_manifest(path: Path) -> Manifest:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Manifest(Asset(**raw["loader"]), {name: tuple(Asset(**a) for a in assets)
                                             for name, assets in raw["widgets"].items()})


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def copy_into(scripts: Scripts, output: Path) -> None:
    shutil.copytree(scripts.folder, output / FOLDER, dirs_exist_ok=True)
