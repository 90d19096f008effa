"""The rsync target (islet.publish.rsync): a real sshd on 127.0.0.1, assets first, deletes last."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

from support.publish import publish_cli
from support.servers import free_ports


def folder_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_rsync_target_mirrors_the_build_with_variants_and_deletes_last(production_copy, sshd, tmp_path):
    root = production_copy.root
    build = root / "build"
    (build / "index.html.gz").write_bytes(gzip.compress((build / "index.html").read_bytes()))
    served = tmp_path / "www"
    served.mkdir()
    (served / "stale.html").write_text("old")
    target = f"ssh://{sshd.user}@127.0.0.1:{sshd.port}{served}"

    dry = publish_cli(root, "--target", target, "--no-build", "--dry-run", env=sshd.env())
    assert dry.returncode == 0, dry.stderr
    assert "upload  index.html  new" in dry.stdout and "delete  stale.html" in dry.stdout
    assert folder_files(served) == {"stale.html": b"old"}                     # a dry run changes nothing

    fenced = publish_cli(root, "--target", target, "--no-build", "--max-deletes", "0", env=sshd.env())
    assert fenced.returncode == 1 and "--max-deletes" in fenced.stderr
    assert (served / "stale.html").exists() and (served / "index.html").exists()

    done = publish_cli(root, "--target", target, "--no-build", env=sshd.env())
    assert done.returncode == 0, done.stderr
    assert folder_files(served) == folder_files(build)                        # .gz variants included
    again = publish_cli(root, "--target", target, "--no-build", env=sshd.env())
    assert again.returncode == 0 and "no changes required" in again.stdout


def test_rsync_target_reports_a_refused_connection(production_copy, tmp_path):
    port = free_ports(1)[0]
    done = publish_cli(production_copy.root, "--target", f"ssh://127.0.0.1:{port}{tmp_path}", "--no-build",
                       env={**os.environ, "RSYNC_RSH": "ssh -o BatchMode=yes -o StrictHostKeyChecking=no"})
    assert done.returncode == 1 and "rsync failed" in done.stderr and "ssh" in done.stderr


def test_rsync_refuses_a_gutted_build_before_any_change(production_copy, sshd, tmp_path):
    root = production_copy.root
    build = root / "build"
    served = tmp_path / "www"
    served.mkdir()
    target = f"ssh://{sshd.user}@127.0.0.1:{sshd.port}{served}"
    assert publish_cli(root, "--target", target, "--no-build", env=sshd.env()).returncode == 0
    live = folder_files(served)
    pages = sorted(p for p in build.rglob("*.html") if p.name != "index.html")
    for page in pages[: len(pages) * 3 // 4]:
        page.unlink()
    dry = publish_cli(root, "--target", target, "--no-build", "--dry-run", env=sshd.env())
    assert dry.returncode == 0 and "Live site: " in dry.stdout and "warning: refused before any change" in dry.stdout
    gutted = publish_cli(root, "--target", target, "--no-build", env=sshd.env())
    assert gutted.returncode == 1 and "refused before any change" in gutted.stderr
    assert "--max-delete-share" in gutted.stderr
    assert folder_files(served) == live                                       # nothing sent, nothing deleted
    meant = publish_cli(root, "--target", target, "--no-build", "--max-delete-share", "-1", "--max-deletes", "-1",
                        env=sshd.env())
    assert meant.returncode == 0, meant.stderr
    assert folder_files(served) == folder_files(build)
