"""Bench of the images stage: what ISLET_IMAGES costs a site's first build and its output, against plain Pelican.

    python -m islet.dev.bench_images [--articles 200] [--photos 40]

The corpus is islet.dev.bench's (seeded Markdown articles) with a 1600×1067 JPEG photo (blurred shapes: about
110 KB, as a camera's image scaled for the web) in every fifth article. The same site is built cold three
times, each in a fresh process with empty caches: by plain Pelican (no plugins), by islet with its defaults
(images untouched), and by islet with ``ISLET_IMAGES = True``. The table gives wall seconds and output bytes,
and the two figures the images stage is held to: seconds added to plain Pelican's cold build, and output size
over plain Pelican's.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .bench import generate_corpus

SETTINGS = ('AUTHOR = "A"\nSITENAME = "Photos"\nSITEURL = ""\nPATH = "content"\nTIMEZONE = "UTC"\n'
            'STATIC_PATHS = ["images"]\nARTICLE_PATHS = ["articles"]\nFEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\n')
BUILDS = {                     # name -> (settings added, command before the output folder)
    "plain Pelican": ("PLUGINS = []\n", ["-m", "pelican", "content", "-s", "pelicanconf.py", "-o"]),
    "islet": ('PLUGINS = ["islet"]\n', ["-m", "islet", "build", "--output"]),
    "islet, ISLET_IMAGES": ('PLUGINS = ["islet"]\nISLET_IMAGES = True\n', ["-m", "islet", "build", "--output"]),
}


def make_site(folder: Path, articles: int, photos: int, seed: int = 2026) -> None:
    from PIL import Image, ImageDraw, ImageFilter

    paths = generate_corpus(folder / "content" / "articles", articles, seed)
    rng = random.Random(seed)
    (folder / "content" / "images").mkdir(parents=True)
    for number in range(min(photos, len(paths))):
        image = Image.new("RGB", (1600, 1067))
        draw = ImageDraw.Draw(image)
        for _ in range(300):
            x, y = rng.randrange(1600), rng.randrange(1067)
            draw.ellipse((x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300)),
                         fill=tuple(rng.randrange(256) for _ in range(3)))
        name = f"photo-{number}.jpg"
        image.filter(ImageFilter.GaussianBlur(3)).save(folder / "content" / "images" / name, quality=85)
        article = paths[number * len(paths) // max(photos, 1)]
        text = article.read_text(encoding="utf-8")
        article.write_text(f"{text}\n\n![Photo {number}]({{static}}/images/{name})\n", encoding="utf-8")


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(articles: int = 200, photos: int = 40) -> dict[str, tuple[float, int]]:
    """{build: (seconds, output bytes)}."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="islet-bench-images-") as temp:
        site = Path(temp)
        make_site(site, articles, photos)
        for index, (name, (settings, command)) in enumerate(BUILDS.items()):
            (site / "pelicanconf.py").write_text(SETTINGS + settings, encoding="utf-8")
            output, cache = site / f"out-{index}", site / f"cache-{index}"
            env = {**os.environ, "ISLET_CACHE_DIR": str(cache)}
            started = time.perf_counter()
            done = subprocess.run([sys.executable, *command, str(output)], cwd=site, env=env,
                                  capture_output=True, text=True)
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                raise RuntimeError(f"{name} failed:\n{done.stdout}{done.stderr}")
            results[name] = (seconds, size(output))
            shutil.rmtree(cache, ignore_errors=True)
    return results


def table(results: dict[str, tuple[float, int]]) -> str:
    plain_seconds, plain_bytes = results["plain Pelican"]
    lines = ["| build | cold seconds | output | vs plain Pelican |", "|---|---|---|---|"]
    for name, (seconds, total) in results.items():
        lines.append(f"| {name} | {seconds:.2f} s | {total / 1e6:.2f} MB | "
                     f"{seconds - plain_seconds:+.2f} s, {total / plain_bytes:.2f}x bytes |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--photos", type=int, default=40)
    options = parser.parse_args(argv)
    print(f"{options.articles} articles, {options.photos} photos of 1600×1067, cold builds:\n")
    print(table(run(options.articles, options.photos)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
