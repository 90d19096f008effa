"""Image variants: an image's size, and its responsive variants planned, encoded and chosen.

A local raster image (PNG, JPEG, WebP) is read into a `Picture` (its bytes' hash and its size after EXIF
rotation); `plan_variants` names every variant it needs (each width in its own format and in each modern
format: ``img/<stem>-<hash>-<width>.<ext>``, the hash covering the source bytes and the encoder recipe);
`encode` writes them into the cache folder in a small process pool; `choose` drops a modern format that is
not smaller. The images stage (islet.output.images) decides where they go in the pages.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

VERSION = "1"                                   # bump when encoding changes: new names, new cache keys
WIDTHS = (480, 800, 1200, 1600)                 # 1600 covers the ~42rem column on a 2x screen
WORKERS = 2

RASTER = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


@dataclass(frozen=True)
class Encoding:
    pillow: str          # Pillow's format name
    ext: str
    mime: str
    options: tuple       # Pillow save options, as sorted (name, value) pairs so they hash the same each time


ENCODINGS = {
    "avif": Encoding("AVIF", "avif", "image/avif", (("max_threads", 1), ("quality", 50), ("speed", 8))),
    "webp": Encoding("WEBP", "webp", "image/webp", (("method", 6), ("quality", 75))),
    "jpeg": Encoding("JPEG", "jpg", "image/jpeg", (("optimize", True), ("progressive", True), ("quality", 80))),
    "png": Encoding("PNG", "png", "image/png", (("optimize", True),)),
}


def modern_formats() -> list[str]:
    """Formats offered as <source>, best first: AVIF only where this Pillow can write it."""
    from PIL import features

    return (["avif"] if features.check("avif") else []) + (["webp"] if features.check("webp") else [])


@dataclass(frozen=True)
class Picture:
    """A local raster image: its bytes' hash and its size as displayed (after EXIF rotation)."""
    path: Path
    digest: str
    width: int
    height: int
    kind: str            # "jpeg", "png" or "webp": the fallback format of its srcset


@dataclass(frozen=True)
class Variant:
    picture: Picture
    width: int
    height: int
    fmt: str
    name: str            # output-relative: img/<stem>-<hash12>-<width>.<ext>
    key: str             # cache file name

    @property
    def encoding(self) -> Encoding:
        return ENCODINGS[self.fmt]


# --- reading images -------------------------------------------------------------------------------

def inspect(path: Path) -> Picture | tuple[int, int] | None | str:
    """A raster image → Picture; an SVG → (width, height) or None if it states no size; unreadable → reason."""
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return svg_size(path)
    if suffix not in RASTER:
        return None
    from PIL import Image

    data = path.read_bytes()
    try:
        with Image.open(path) as image:       # verify() checks the data without decoding it, then is spent
            image.verify()
        with Image.open(path) as image:
            width, height = image.size
            if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):     # EXIF says: rotated by 90°
                width, height = height, width
    except Exception as error:  # Pillow raises many types for a damaged or unknown file
        return f"{type(error).__name__}: {error}".rstrip(": ")
    return Picture(path, hashlib.sha256(data).hexdigest(), width, height, RASTER[suffix])


def svg_size(path: Path) -> tuple[int, int] | str | None:
    """(width, height) in CSS pixels from the root element's width/height (px or unitless) or viewBox."""
    try:
        _, root = next(ET.iterparse(path, events=("start",)))
    except (ET.ParseError, StopIteration, OSError) as error:
        return f"not a valid SVG file: {error}"
    number = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")
    given = [number.match(root.get(name) or "") for name in ("width", "height")]
    box = (root.get("viewBox") or "").replace(",", " ").split()
    ratio = None
    if len(box) == 4:
        try:
            box_w, box_h = float(box[2]), float(box[3])
            ratio = box_h / box_w if box_w > 0 and box_h > 0 else None
        except ValueError:
            pass
    w, h = (float(m.group(1)) if m else None for m in given)
    if w and h:
        return round(w), round(h)
    if ratio and (w or h):
        return (round(w), round(w * ratio)) if w else (round(h / ratio), round(h))
    if ratio:
        return round(float(box[2])), round(float(box[3]))
    return None


# --- planning and encoding ------------------------------------------------------------------------

def variant_widths(width: int) -> list[int]:
    """WIDTHS below the image's own width (skipping ones within 10% of the top), then the top width."""
    top = min(width, WIDTHS[-1])
    return [w for w in WIDTHS if w < top * 0.9] + [top]


def plan_variants(picture: Picture, formats: list[str]) -> list[Variant]:
    """Every variant the picture needs: each width in its own format and in each modern format."""
    recipe = repr(sorted((f, ENCODINGS[f].options) for f in {picture.kind, *formats}))
    tag = hashlib.sha256(f"{picture.digest}|{recipe}|{VERSION}".encode()).hexdigest()[:12]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", picture.path.stem).strip("-.") or "image"
    variants = []
    for fmt in dict.fromkeys([*formats, picture.kind]):       # picture.kind last, and only once (webp sources)
        encoding = ENCODINGS[fmt]
        for width in variant_widths(picture.width):
            height = max(1, round(picture.height * width / picture.width))
            key = hashlib.sha256(f"{picture.digest}|{width}|{fmt}|{encoding.options}|{VERSION}".encode())
            variants.append(Variant(picture, width, height, fmt, f"img/{stem}-{tag}-{width}.{encoding.ext}",
                                    f"{key.hexdigest()[:32]}.{encoding.ext}"))
    return variants


def encode(variants: list[Variant], cache: Path, workers: int = WORKERS) -> dict[str, str]:
    """Encode `variants` into `cache` (in a process pool); returns {cache key: reason} for failures."""
    if not variants:
        return {}
    cache.mkdir(parents=True, exist_ok=True)
    jobs: dict[tuple, list] = {}           # one job per (source, width): decode and resize once, save each format
    for v in variants:
        jobs.setdefault((str(v.picture.path), v.width, v.height), []).append(
            (v.encoding.pillow, dict(v.encoding.options), str(cache / v.key)))
    # Largest first, for a better balance across workers.
    work = [(*size, outs) for size, outs in sorted(jobs.items(), key=lambda job: (-job[0][1], job[0][0]))]
    if workers <= 1 or len(work) == 1:
        results = [_encode_job(job) for job in work]
    else:
        # spawn, not fork: the build may run inside a threaded process (livereload), and forking threads is unsafe.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(work)), mp_context=context) as pool:
            results = list(pool.map(_encode_job, work))
    failures = {}
    for job, error in zip(work, results):
        if error:
            failures.update({Path(dest).name: error for _, _, dest in job[3]})
    return failures


def _encode_job(job) -> str | None:
    """Worker: decode one source, rotate as EXIF says, resize, save every requested format. Error text or None."""
    path, width, height, outputs = job
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            icc = image.info.get("icc_profile")
            image = ImageOps.exif_transpose(image)
            alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
            image = image.convert("RGBA" if alpha else "RGB")
            if image.size != (width, height):
                image = image.resize((width, height), Image.Resampling.LANCZOS)
            for pillow, options, destination in outputs:
                frame = image.convert("RGB") if pillow == "JPEG" and alpha else image
                temporary = f"{destination}.{os.getpid()}.tmp"
                # No EXIF or other metadata (camera, GPS), only the colour profile.
                frame.save(temporary, pillow, **options, **({"icc_profile": icc} if icc else {}))
                os.replace(temporary, destination)
    except Exception as error:  # a file that decodes partly; reported against the page, not raised
        return f"{type(error).__name__}: {error}"
    return None


def choose(variants: list[Variant], cache: Path) -> list[Variant]:
    """Drop a modern format whose variants are in total not smaller than those of the next format kept."""
    by_format: dict[str, list[Variant]] = {}
    for v in variants:
        by_format.setdefault(v.fmt, []).append(v)
    order = list(by_format)                      # modern formats first, the picture's own format last
    kept = [order[-1]]
    for fmt in reversed(order[:-1]):
        size = sum((cache / v.key).stat().st_size for v in by_format[fmt])
        if size < sum((cache / v.key).stat().st_size for v in by_format[kept[0]]):
            kept.insert(0, fmt)
    return [v for fmt in kept for v in by_format[fmt]]
