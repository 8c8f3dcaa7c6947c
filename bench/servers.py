"""Start an HTTP service as a subprocess on 127.0.0.1, wait until it answers, watch its memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import psutil


def service_env(data_dir: Path, port: int) -> dict[str, str]:
    """A docqa service's settings for a bench: local, on ``port``, the query-embedding cache off
    (a load generator cycles through one question list: cached passes would flatter it)."""
    return {
        "DOCQA_DATA_DIR": str(data_dir),
        "DOCQA_PORT": str(port),
        "DOCQA_HOST": "127.0.0.1",
        "DOCQA_QUERY_CACHE_SIZE": "0",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One service process; ``rss_mb`` counts it and its children."""

    def __init__(
        self, name: str, argv: list[str], port: int, env: dict[str, str], log: Path, cwd: Path | None = None
    ):
        self.name, self.argv, self.port, self.env, self.log, self.cwd = name, argv, port, env, log, cwd
        self.proc: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 300.0) -> float:
        """Start and wait for /healthz; returns seconds to ready."""
        t0 = time.perf_counter()
        self._log_file = open(self.log, "w")
        self.proc = subprocess.Popen(
            self.argv,
            env={**os.environ, **self.env},
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.cwd,
        )
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(self.base + "/healthz", timeout=2, trust_env=False).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s; see {self.log}")

    def rss_mb(self) -> float:
        proc = psutil.Process(self.proc.pid)
        procs = [proc, *proc.children(recursive=True)]
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: only what it started
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if getattr(self, "_log_file", None):
            self._log_file.close()


class PeakRss:
    """Samples a server's RSS in a thread while a block runs: ``with PeakRss(server) as peak: ...``."""

    def __init__(self, server: Server, every: float = 0.2):
        self.server, self.every, self.peak = server, every, 0.0
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss_mb())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.rss_mb())
