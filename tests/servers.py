"""Running graphsvc as real processes for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from typing import Iterator

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphsvc", *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout
    )


@contextmanager
def running(args: list[str], env: dict[str, str], port: int, timeout: float = 60, command: list[str] | None = None) -> Iterator[str]:
    """Start ``graphsvc <args>`` (or ``command``) and yield its base URL once /healthz answers."""
    # Output goes to a file, not a pipe: a pipe nobody reads fills up and blocks the server.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        command or [sys.executable, "-m", "graphsvc", *args], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"graphsvc exited early ({process.returncode}):\n{log.read()[-5000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("graphsvc did not become healthy in time")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
