"""``zkmargin serve`` as a real process on loopback for the end-to-end and load tests: started by
the test, waited for (bounded), stopped (SIGTERM, then SIGKILL) or killed on purpose."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import POLICY, SNAPSHOT
from tests.verifier.service.pg import free_port

KEY = "venue-api-key-0123456789"
ZKMARGIN = str(Path(sys.executable).parent / "zkmargin")


class Service:
    """One ``zkmargin serve`` process on a free port; ``url``, ``client`` (httpx), ``kill()``."""

    def __init__(self, db_url: str, at: str, log: Path, *extra: str):
        self.db_url, self.at, self.log, self.extra = db_url, at, log, extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, timeout: float = 60.0) -> Service:
        env = {**os.environ, "ZKMARGIN_API_KEY": KEY}
        args = [ZKMARGIN, "serve", "--policy", str(POLICY), "--market", str(SNAPSHOT), "--db", self.db_url, "--port", str(self.port), "--at", self.at, *self.extra]
        self.proc = subprocess.Popen(args, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"zkmargin serve exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"zkmargin serve did not answer in {timeout} s: {self.log.read_text()[-2000:]}")

    def client(self, timeout: float = 120.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def challenge(self, applicant: str) -> str:
        r = httpx.post(self.url + "/v1/challenges", json={"applicant": applicant}, headers={"X-API-Key": KEY}, timeout=30)
        r.raise_for_status()
        return r.json()["challenge"]

    def decision(self, decision_id: str) -> httpx.Response:
        return httpx.get(f"{self.url}/v1/decisions/{decision_id}", headers={"X-API-Key": KEY}, timeout=30)

    def health(self) -> dict:
        """/v1/health with the API key: row counts included."""
        return httpx.get(self.url + "/v1/health", headers={"X-API-Key": KEY}, timeout=30).json()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
