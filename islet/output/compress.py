"""Compress stage: brotli and gzip variants next to every text file of the output, for a CDN.

    stats = compress_output(build_dir)      # writes F.br and F.gz beside each compressible F

A CDN or nginx (``brotli_static`` / ``gzip_static``) then sends the variant the browser asks for,
byte for byte, instead of compressing on every request at a weaker level; the S3 publisher uploads
F.gz as F's body with ``Content-Encoding: gzip``. Which files count as text is
`islet.output.headers.compressible` — the one headers policy.

Rules, so the output is safe to publish and to diff:
- a variant is written only when it is smaller than F; otherwise a stale variant from an earlier
  run is removed, so a server never sends an old body for a new file;
- output is deterministic: gzip with mtime 0 and no file name in its header, brotli at a fixed
  quality (both are pure functions of the input bytes), so two runs give identical files and a
  publish uploads only what changed.
- brotli quality 11 costs about 2 s of CPU per MB, 30 times quality 7, for about 10% smaller files.
  It is used only for the content-hashed scripts (few, cached by browsers for a year, compressed
  once); pages, feeds and the rest get quality 7, so a cold build of a large site stays fast.
Compression runs in a thread pool: zlib and brotli release the GIL while they work. With a
``cache`` folder, variants are kept by the SHA-256 of the input, so a rebuild (which rewrites every
file with mostly the same bytes) compresses only what changed.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import brotli

from .headers import compressible, is_hashed

VARIANTS = (".gz", ".br")


@dataclass
class CompressStats:
    """What one `compress_output` run did. Sizes are in bytes; ``*_after`` count the body a browser
    asking for that encoding receives (the variant, or F itself where no variant was smaller)."""
    files: int = 0              # compressible files looked at
    gzip_written: int = 0
    brotli_written: int = 0
    bytes_before: int = 0
    gzip_after: int = 0
    brotli_after: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        def ratio(after: int) -> str:
            return f"{after / self.bytes_before:.0%}" if self.bytes_before else "-"
        return (f"compressed {self.files} files ({self.bytes_before:,} B): "
                f"brotli {self.brotli_written} variants, {self.brotli_after:,} B ({ratio(self.brotli_after)}); "
                f"gzip {self.gzip_written} variants, {self.gzip_after:,} B ({ratio(self.gzip_after)}); "
                f"{self.seconds:.2f} s")


def gzip_bytes(data: bytes) -> bytes:
    """gzip -9 with a fixed header (mtime 0, no file name): the same input always gives the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as stream:
        stream.write(data)
    return buffer.getvalue()


BROTLI_QUALITY = {True: 11, False: 7}   # content-hashed file? -> quality (see the module docstring)


def brotli_bytes(data: bytes, hashed: bool = True) -> bytes:
    return brotli.compress(data, quality=BROTLI_QUALITY[hashed])


def is_variant(path: Path) -> bool:
    return path.suffix in VARIANTS


def plan(output: Path) -> list[Path]:
    """The files that get variants: compressible files of `output`, in a stable order, variants excluded."""
    output = Path(output)
    return sorted(p for p in output.rglob("*")
                  if p.is_file() and not is_variant(p) and compressible(p.relative_to(output).as_posix()))


ENCODERS = {".gz": lambda data, hashed: gzip_bytes(data), ".br": brotli_bytes}
CACHE_VERSION = "2"   # bump when an encoder's settings change, so old cached variants are not reused


def _encode(data: bytes, suffix: str, cache: Path | None, hashed: bool) -> bytes:
    if cache is None:
        return ENCODERS[suffix](data, hashed)
    key = hashlib.sha256(data).hexdigest() + ("-h" if hashed else "")
    entry = cache / f"v{CACHE_VERSION}" / key[:2] / (key + suffix)
    if entry.is_file():
        return entry.read_bytes()
    body = ENCODERS[suffix](data, hashed)
    entry.parent.mkdir(parents=True, exist_ok=True)
    # Another build, or another thread of this one (two identical files), may write the same entry.
    temporary = entry.with_name(f"{entry.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_bytes(body)
    temporary.replace(entry)
    return body


def _compress_one(path: Path, cache: Path | None = None, hashed: bool = False,
                  previous: Path | None = None) -> tuple[int, int | None, int | None]:
    """Write (or remove) the variants of one file. Returns (original size, gzip size, brotli size);
    a size is None when that variant was not smaller and so was not written. `previous` is the same
    file in an earlier output folder written by the same code: when its bytes are equal and it has
    variants, they are hard-linked instead of encoded and written again."""
    data = path.read_bytes()
    # With neither variant there, the earlier build may simply not have been compressed: encode.
    if previous is not None and previous.is_file() and previous.stat().st_size == len(data) \
            and any(previous.with_name(previous.name + suffix).is_file() for suffix in VARIANTS) \
            and previous.read_bytes() == data:
        return (len(data), *(_link_variant(previous, path, suffix) for suffix in VARIANTS))
    sizes = []
    for suffix in VARIANTS:
        variant = path.with_name(path.name + suffix)
        body = _encode(data, suffix, cache, hashed)
        if len(body) < len(data):
            _write_if_changed(variant, body)
            sizes.append(len(body))
        else:
            variant.unlink(missing_ok=True)
            sizes.append(None)
    return len(data), sizes[0], sizes[1]


def _link_variant(previous: Path, path: Path, suffix: str) -> int | None:
    old, new = previous.with_name(previous.name + suffix), path.with_name(path.name + suffix)
    new.unlink(missing_ok=True)
    if not old.is_file():
        return None
    try:
        os.link(old, new)
    except OSError:              # another file system, or no hard links: copy
        shutil.copyfile(old, new)
    return new.stat().st_size


def _write_if_changed(path: Path, body: bytes) -> None:
    # Leaving an identical file alone keeps its mtime, so rsync and friends see nothing to send.
    if path.is_file() and path.stat().st_size == len(body) and path.read_bytes() == body:
        return
    path.unlink(missing_ok=True)     # never write through a hard link (see `previous`)
    path.write_bytes(body)


def compress_output(output: Path, workers: int | None = None, cache: Path | None = None,
                    previous: Path | None = None) -> CompressStats:
    """Write F.gz and F.br next to every compressible file F under `output` when smaller than F.

    Idempotent and deterministic; safe to run again on the same folder. `workers` defaults to the
    number of CPUs (at most 4). `cache` (optional, e.g. ``.cache/compress``) keeps variants by
    content hash between runs; the output is the same with or without it. `previous` (optional) is
    the output folder of an earlier build by this same code, compressed or not: the variants of files
    whose bytes did not change are hard-linked from it (islet.build.incremental).
    """
    started = time.perf_counter()
    files = plan(output)
    stats = CompressStats(files=len(files))
    workers = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        def one(path: Path):
            relative = path.relative_to(output).as_posix()
            return _compress_one(path, cache, is_hashed(relative), previous / relative if previous else None)

        jobs = pool.map(one, files)
        for size, gz, br in jobs:
            stats.bytes_before += size
            stats.gzip_written += gz is not None
            stats.brotli_written += br is not None
            stats.gzip_after += size if gz is None else gz
            stats.brotli_after += size if br is None else br
    stats.seconds = time.perf_counter() - started
    return stats
