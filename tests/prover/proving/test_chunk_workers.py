"""prover/proving/chunk_workers.py on Ray: chunks proved by Ray actors that load the chunk key once,
a worker killed mid-book has its chunk retried on a replacement, and a two-node Ray cluster started
on this machine (``ray start --head``, then a second ``ray start --address``) proves the book
through ``--ray-address``; each bundle is accepted by the venue (test circuits of
test_chunked_pipeline.py)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from prover.proving.chunked_pipeline import prove_chunked_bundle
from tests.prover.proving.test_chunked_pipeline import TRADER, chunked_statements, circuits, venue_policy  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
RAY = Path(sys.executable).parent / "ray"


def prove(tmp_path, market, circuits, **kw):  # noqa: F811
    snapshot, spec = market
    policy = venue_policy(circuits)
    out = tmp_path / "bundle.json"
    outcome = prove_chunked_bundle(*circuits, snapshot, spec, chunked_statements(), policy, policy.challenge, out, identity=TRADER,
                                   at=snapshot.timestamp + timedelta(minutes=2), **kw)  # fmt: skip
    assert outcome.decision.accepted and json.loads(out.read_text())["format"] == "zkmargin-proof-bundle/3"
    return outcome


def test_two_local_ray_workers_prove_the_book_and_a_killed_one_is_replaced(tmp_path, market, circuits):  # noqa: F811
    import ray

    started = []

    def kill_the_first(actor):
        started.append(actor)
        if len(started) == 1:
            ray.kill(actor)  # dies before its first chunk: that chunk must be retried elsewhere

    outcome = prove(tmp_path, market, circuits, workers=2, on_worker=kill_the_first)
    assert outcome.timings["chunk_retries"] >= 1 and len(started) >= 3
    assert outcome.timings["chunk_workers"] == 2 and len(outcome.timings["chunk_key_load_s"]) >= 2  # each live worker loaded the key once
    assert not ray.is_initialized()  # the local instance the command started is shut down


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_two_node_ray_cluster_on_this_machine_proves_the_book(tmp_path, market, circuits):  # noqa: F811
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    temp = tempfile.mkdtemp(prefix="zr", dir="/tmp")  # short: Ray's Unix socket paths must fit 107 bytes
    head = ["--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=false", "--node-ip-address=127.0.0.1", f"--temp-dir={temp}"]
    try:
        subprocess.run([RAY, "start", *head], check=True, capture_output=True, timeout=120, env=env)
        subprocess.run([RAY, "start", f"--address=127.0.0.1:{port}", "--num-cpus=1", "--node-ip-address=127.0.0.1"], check=True, capture_output=True, timeout=120, env=env)
        outcome = prove(tmp_path, market, circuits, workers=2, ray_address=f"127.0.0.1:{port}")
        assert outcome.n_chunks == 5 and outcome.timings["chunk_retries"] == 0
        assert len(outcome.timings["chunk_nodes"]) == 2  # one actor on each node (one CPU each), not both on the head
    finally:
        subprocess.run([RAY, "stop", "--force"], capture_output=True, timeout=120, env=env)
        shutil.rmtree(temp, ignore_errors=True)
