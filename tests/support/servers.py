"""Real servers on 127.0.0.1 for the publish tests (the fixtures that start them are in publish/conftest.py):
free ports, waiting for a port, stopping a process by PID, and what a test needs to reach each server."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path


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


def wait_until_usable(server: SeaweedFS, process: subprocess.Popen, log: Path) -> None:
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
