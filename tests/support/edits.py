"""Random edits of a site's content, for the differential tests of incremental builds (tests/build/test_differential*).

Each edit takes the site and a random.Random, changes the sources, and returns what it did (for a failure
message). They edit the Markdown articles of content/articles/ with Pelican's own front matter.
`assert_builds_equal_clean_builds` makes them one after another and compares each build with a clean one.
"""
from __future__ import annotations

import random

from .site import Site, clean_output, tree

WORDS = "island harbour tide lantern ferry gull reef shell pier sail cove dune".split()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).capitalize() + "."


def article(rng: random.Random, number: int, **meta: str) -> str:
    head = {"Title": f"Note {number} on {rng.choice(WORDS)}", "Date": f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            "Category": rng.choice(["Sea", "Land"]), "Tags": ", ".join(rng.sample(WORDS, rng.randint(0, 2))), **meta}
    lines = [f"{k}: {v}" for k, v in head.items() if v]
    return "\n".join(lines) + f"\n\n{sentence(rng)}\n\n{sentence(rng)}\n"


def articles(site: Site) -> list:
    """The Markdown articles whose front matter is Pelican's `Key: value` lines (not YAML between dashes)."""
    return [p for p in sorted(site.path("content/articles").glob("*.md"))
            if not p.read_text(encoding="utf-8").startswith("---")]


def set_meta(path, key: str, value: str | None) -> None:
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    lines = [line for line in head.splitlines() if not line.startswith(f"{key}:")]
    if value is not None:
        lines.append(f"{key}: {value}")
    path.write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")


# Each edit: (site, rng) -> what it did, for the failure message.
def edit_body(site, rng):
    path = rng.choice(articles(site))
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    path.write_text(f"{head}\n\n{sentence(rng)}\n\n{body}", encoding="utf-8")
    return f"body of {path.name}"


# Front matter edits: key -> its new value (None: the line goes).
META = {
    "Summary": lambda rng, path: rng.choice([None, sentence(rng), f"{sentence(rng)} [Here]({{filename}}{path.name}).",
                                             f"{sentence(rng)} [Notes]({{attach}}../files/notes.txt)."]),
    "Title": lambda rng, path: f"Retitled {rng.choice(WORDS)} {rng.randint(1, 99)}",
    "Date": lambda rng, path: f"2025-1{rng.randint(0, 2)}-0{rng.randint(1, 9)}",
    "Tags": lambda rng, path: ", ".join(rng.sample(WORDS, rng.randint(0, 3))) or None,
    "Slug": lambda rng, path: f"moved-{rng.randint(1, 999)}-{path.stem}",
    "Category": lambda rng, path: rng.choice(["Sea", "Land", "Sky"]),
    "Author": lambda rng, path: rng.choice([None, "Ann Example", "Bo Other"]),
    "Modified": lambda rng, path: rng.choice([None, f"2026-11-0{rng.randint(1, 9)}"]),
    "Series": lambda rng, path: rng.choice([None, "Voyage", "Tides"]),
}


def edit_meta(site, rng):
    path, key = rng.choice(articles(site)), rng.choice(list(META))
    set_meta(path, key, META[key](rng, path))
    return f"{key} of {path.name}"


def edit_status(site, rng):
    path = rng.choice(articles(site))
    draft = "Status: draft" in path.read_text(encoding="utf-8")
    set_meta(path, "Status", None if draft else "draft")
    return f"status of {path.name}"


def new_article(site, rng):
    number = 100 + len(articles(site)) + rng.randint(0, 10_000)
    site.path(f"content/articles/n{number}.md").write_text(article(rng, number), encoding="utf-8")
    return f"new article n{number}"


def new_translation(site, rng):
    """A French translation of an article (Pelican pairs them by slug): both pages link to each other."""
    originals = [p for p in articles(site) if "Lang: fr" not in p.read_text(encoding="utf-8")]
    path = rng.choice(originals)
    slug = f"paired-{path.stem}"
    for other in articles(site):         # its translation of an earlier step, maybe renamed since: one is enough
        text = other.read_text(encoding="utf-8")
        if "Lang: fr" in text and f"Slug: {slug}\n" in text:
            other.unlink()
    set_meta(path, "Slug", slug)
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    french = path.with_name(f"{path.stem}-fr.md")
    french.write_text(f"{head}\nLang: fr\n\nTraduction. {body}", encoding="utf-8")
    set_meta(french, "Title", f"Traduction {rng.randint(1, 99)}")
    set_meta(french, "Slug", slug)
    return f"translation {french.name} of {path.name}"


def rename_article(site, rng):
    path = rng.choice(articles(site))
    moved = path.with_name(f"r{rng.randint(1, 9999)}-{path.name}")
    path.rename(moved)
    return f"renamed {path.name} to {moved.name}"


def delete_article(site, rng):
    published = [p for p in articles(site) if "Status: draft" not in p.read_text(encoding="utf-8")]
    if len(published) <= 3:
        return new_article(site, rng)
    path = rng.choice(published)
    path.unlink()
    return f"deleted {path.name}"


def link_file(site, rng):
    """A file (named with '&' at times), written anew, and linked from an article's body with {attach} (then
    beside the article) or {static}."""
    path, name, how = rng.choice(articles(site)), rng.choice(["notes.txt", "Q&A.txt"]), rng.choice(["attach", "static"])
    site.path("content/files").mkdir(exist_ok=True)
    site.path(f"content/files/{name}").write_text(sentence(rng), encoding="utf-8")
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    path.write_text(f"{head}\n\n[{name}]({{{how}}}../files/{name})\n\n{body}", encoding="utf-8")
    return f"{{{how}}} link to {name} in {path.name}"


CONTENT_EDITS = [edit_body, edit_body, *[edit_meta] * 5, edit_status, new_article, new_translation, rename_article,
                 delete_article, link_file]


def assert_builds_equal_clean_builds(site: Site, rng: random.Random, edits: list, steps: int, scratch, what: str):
    """Make `steps` random `edits` to the built `site`, building after each; every incremental build must equal a
    clean build of the same sources (made in `scratch`), byte for byte. `what` names the run in a failure."""
    done = []
    for step in range(steps):
        done.append(rng.choice(edits)(site, rng))
        built = site.build()
        assert built.code == 0, f"{what}, after {done}: {built.stderr}"
        expected, got = clean_output(site, scratch / f"clean-{step}"), tree(site)
        assert "index.html" in expected and "index.html" in got      # (not two empty folders)
        wrong = sorted(n for n in expected.keys() | got.keys() if expected.get(n) != got.get(n))
        assert wrong == [], f"{what}, after {done}: {len(wrong)} files differ from a clean build: {wrong[:10]}"
