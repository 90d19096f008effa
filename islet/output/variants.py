"""Image variants: an image's size, and its responsive variants planned, encoded and chosen.

A local raster image (PNG, JPEG, WebP) is read into a `Picture` (its bytes' hash and its size after EXIF
rotation); `plan_variants` names every variant it needs (each width in each modern format of
ISLET_IMAGE_FORMATS: ``img/<stem>-<hash>-<width>.<ext>``, the hash covering the source bytes and the encoder
recipe); `encode` writes them into the cache folder in a process pool; `choose` drops a format that is not
smaller. The original file stays the fallback for a browser without those formats: it is never re-encoded,
which keeps a cold build and the output small. The images stage (islet.output.images) decides where they go.
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

VERSION = "2"                                   # bump when encoding changes: new names, new cache keys
WIDTHS = (480, 800, 1200, 1600)                 # 1600 covers the ~42rem column on a 2x screen
WORKERS = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
FORMATS = ("avif", "webp")                      # what ISLET_IMAGE_FORMATS may name, best first

RASTER = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


@dataclass(frozen=True)
class Encoding:
    pillow: str          # Pillow's format name
    ext: str
    mime: str
    options: tuple       # Pillow save options, as sorted (name, value) pairs so they hash the same each time


ENCODINGS = {
    "avif": Encoding("AVIF", "avif", "image/avif", (("max_threads", 1), ("quality", 50), ("speed", 8))),
    # method 2: a third of method 4's time for 8% more bytes (6: ten times the time, for 10% fewer bytes).
    "webp": Encoding("WEBP", "webp", "image/webp", (("method", 2), ("quality", 75))),
    "jpeg": Encoding("JPEG", "jpg", "image/jpeg", (("optimize", True), ("progressive", True), ("quality", 80))),
    "png": Encoding("PNG", "png", "image/png", (("optimize", True),)),
}


def modern_formats(wanted=FORMATS) -> list[str]:
    """The formats of `wanted` (ISLET_IMAGE_FORMATS) this Pillow can write, best first."""
    from PIL import features

    return [fmt for fmt in FORMATS if fmt in wanted and features.check(fmt)]


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
    """Every variant the picture needs: each width in each modern format but its own (a WebP source gets
    AVIF only). None without one."""
    formats = [fmt for fmt in formats if fmt != picture.kind]
    recipe = repr(sorted((f, ENCODINGS[f].options) for f in formats))
    tag = hashlib.sha256(f"{picture.digest}|{recipe}|{VERSION}".encode()).hexdigest()[:12]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", picture.path.stem).strip("-.") or "image"
    variants = []
    for fmt in formats:
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
    # One job per source: decoded once, then resized step by step down its widths, each saved in every format.
    jobs: dict[str, dict[tuple, list]] = {}
    for v in variants:
        jobs.setdefault(str(v.picture.path), {}).setdefault((v.width, v.height), []).append(
            (v.encoding.pillow, dict(v.encoding.options), str(cache / v.key)))
    # Largest first, for a better balance across workers.
    work = [(path, sorted(sizes.items(), reverse=True)) for path, sizes in
            sorted(jobs.items(), key=lambda job: (-max(job[1])[0] * max(job[1])[1], job[0]))]
    if workers <= 1 or len(work) == 1:
        results = [_encode_job(job) for job in work]
    else:
        # spawn, not fork: the build may run inside a threaded process (livereload), and forking threads is unsafe.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(work)), mp_context=context) as pool:
            results = list(pool.map(_encode_job, work))
    failures = {}
    for (_, sizes), error in zip(work, results):
        if error:
            failures.update({Path(dest).name: error for _, outputs in sizes for _, _, dest in outputs})
    return failures


def _encode_job(job) -> str | None:
    """Worker: decode one source, rotate as EXIF says, then for each size (largest first) resize from the one
    before and save every requested format. Error text or None."""
    path, sizes = job
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            icc = image.info.get("icc_profile")
            image = ImageOps.exif_transpose(image)
            alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
            image = image.convert("RGBA" if alpha else "RGB")
            for (width, height), outputs in sizes:
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
    """Keep a format only when its largest variant is smaller than the original file (scaled to that width's
    share of the pixels) and than the largest variant of the next format kept: a format is offered only
    where it saves bytes."""
    by_format: dict[str, list[Variant]] = {}
    for v in variants:
        by_format.setdefault(v.fmt, []).append(v)
    kept: list[str] = []
    for fmt in reversed(list(by_format)):        # the last (WebP) first: AVIF must beat what is kept
        top = by_format[fmt][-1]
        size = (cache / top.key).stat().st_size
        original = top.picture.path.stat().st_size * (top.width * top.height) / (top.picture.width * top.picture.height)
        if size < original and (not kept or size < (cache / by_format[kept[0]][-1].key).stat().st_size):
            kept.insert(0, fmt)
    return [v for fmt in kept for v in by_format[fmt]]
