"""``zkmargin serve`` end to end, as a real process on loopback with a real HTTP client (httpx):
a proof made for an issued challenge is accepted once; racing verifications of one challenge (on
one instance, and on two instances sharing a real PostgreSQL database) have exactly one winner; a
bounded load test (throughput, p50/p99) loses no decision and consumes no challenge twice; the
server killed mid-run and restarted keeps every decision it answered and no half-written row."""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from tests.conftest import IDENTITY, STATEMENTS, demo_trader
from tests.verifier.service.server import Service

pytestmark = pytest.mark.slow
APPLICANT = json.loads(IDENTITY.read_text())["commitment"]
# bounded by default; docs/benchmarks.md's figures: ZKMARGIN_LOAD="40x1,40x2,40x4,40x8" (requests x clients)
LOADS = [tuple(int(v) for v in run.split("x")) for run in os.environ.get("ZKMARGIN_LOAD", "12x4").split(",")]
ENGINE = os.environ.get("ZKMARGIN_ENGINE", "py_ecc")  #: zkmargin serve --engine (ZKMARGIN_ENGINE=native: groth16py's pairing)


def prove_for(challenge: str, market, demo_policy, demo_keys, out):
    """A bundle of the demo book answering ``challenge`` (the venue's, from POST /v1/challenges)."""
    from dataclasses import replace

    from prover.proving.pipeline import prove_bundle
    from prover.venue.attestation import load_statement

    snapshot, spec = market
    statements = [load_statement(p) for p in STATEMENTS]
    prove_bundle(demo_keys[0], snapshot, spec, statements, replace(demo_policy, challenge=int(challenge, 16)), int(challenge, 16), out, identity=demo_trader(), salt=777, at=snapshot.timestamp + timedelta(minutes=2))
    return json.loads(out.read_text())


def at_of(market) -> str:
    return (market[0].timestamp + timedelta(minutes=2)).isoformat()


def failed(d: dict) -> set[str]:
    return {c["name"] for c in d["checks"] if not c["passed"]}


def race(urls, challenge, bundle, n=2) -> list[dict]:
    barrier = threading.Barrier(n)

    def go(url):
        with httpx.Client(base_url=url, timeout=120) as c:
            barrier.wait()
            return c.post("/v1/verify", json={"challenge": challenge, "bundle": bundle}).json()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, [urls[i % len(urls)] for i in range(n)]))


@pytest.fixture(scope="module")
def live(tmp_path_factory, market, demo_policy, demo_keys):
    """(service on SQLite, its db file, a bundle, the challenge it answers)."""
    tmp = tmp_path_factory.mktemp("service")
    db = tmp / "venue.sqlite3"
    svc = Service(f"sqlite:///{db}", at_of(market), tmp / "serve.log", "--engine", ENGINE).start()
    try:
        ch = svc.challenge(APPLICANT)
        bundle = prove_for(ch, market, demo_policy, demo_keys, tmp / "bundle.json")
        yield svc, db, bundle, ch
    finally:
        svc.stop()


def test_a_proof_for_an_issued_challenge_is_accepted_exactly_once(live):
    svc, db, bundle, ch = live
    results = race([svc.url], ch, bundle)
    accepted = [d for d in results if d["accepted"]]
    assert len(accepted) == 1, [failed(d) for d in results]
    loser = next(d for d in results if not d["accepted"])
    assert failed(loser) == {"challenge.single_use"}
    for d in results:
        stored = svc.decision(d["decision_id"]).json()
        assert stored["result"] == d and stored["accepted"] == d["accepted"]
    replay = svc.client().post("/v1/verify", json={"challenge": ch, "bundle": bundle}).json()
    assert failed(replay) == {"challenge.single_use"}


def test_a_bundle_answering_another_challenge_is_refused(live):
    svc, db, bundle, ch = live
    other = svc.challenge(APPLICANT)
    d = svc.client().post("/v1/verify", json={"challenge": other, "bundle": bundle}).json()
    assert failed(d) == {"challenge"}  # every other duty passes: the pairing holds for the bundle's own signals


@pytest.mark.parametrize(("requests", "clients"), LOADS, ids=[f"{r}x{c}" for r, c in LOADS])
def test_load_no_decision_lost_no_challenge_consumed_twice(live, capsys, requests, clients):
    svc, db, bundle, _ = live
    challenges = [svc.challenge(APPLICANT) for _ in range(requests)]
    before = svc.health()
    latencies = []

    def one(ch):
        with svc.client() as c:
            t = time.perf_counter()
            r = c.post("/v1/verify", json={"challenge": ch, "bundle": bundle})
            latencies.append(time.perf_counter() - t)
            return r.status_code, r.json()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        out = list(pool.map(one, challenges))
    wall = time.perf_counter() - t0
    assert all(status == 200 for status, _ in out)
    assert all(failed(d) == {"challenge"} for _, d in out)  # full verification ran; only the binding differs
    after = svc.health()
    assert after["decisions"] - before["decisions"] == requests
    assert after["challenges_used"] - before["challenges_used"] == requests
    assert len({d["decision_id"] for _, d in out}) == requests
    assert all(svc.decision(d["decision_id"]).status_code == 200 for _, d in out)
    q = statistics.quantiles(latencies, n=100)
    with capsys.disabled():
        print(f"\n/v1/verify load: {requests} requests, {clients} clients: {requests / wall:.2f} verifications/s, "
              f"p50 {statistics.median(latencies):.2f} s, p99 {q[98]:.2f} s, wall {wall:.1f} s")  # fmt: skip


def test_killed_mid_run_and_restarted_loses_no_decision(live):
    svc, db, bundle, _ = live
    challenges = [svc.challenge(APPLICANT) for _ in range(6)]
    answered, first = [], threading.Event()

    def one(ch):
        try:
            with svc.client() as c:
                r = c.post("/v1/verify", json={"challenge": ch, "bundle": bundle})
            answered.append(r.json())
            first.set()
        except httpx.HTTPError:
            pass  # the server died under this request

    threads = [threading.Thread(target=one, args=(ch,)) for ch in challenges]
    [t.start() for t in threads]
    assert first.wait(120)
    svc.kill()
    [t.join(120) for t in threads]
    assert 1 <= len(answered) <= len(challenges)
    svc.start()
    for d in answered:  # every decision the service answered is kept
        assert svc.decision(d["decision_id"]).json()["result"] == d
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = con.execute("SELECT id, result FROM decisions").fetchall()
        assert all(json.loads(r)["decision_id"] == i for i, r in rows)  # no half-written row
        used = con.execute("SELECT challenge, decision_id FROM challenges WHERE used_at_ms IS NOT NULL").fetchall()
        ids = {i for i, _ in rows}
        assert all(did in ids for _, did in used)  # no challenge consumed without its decision
    finally:
        con.close()


def test_two_instances_on_one_postgresql_database(tmp_path, postgres_url, market, demo_policy, demo_keys):
    from sqlalchemy import create_engine, text

    with create_engine(postgres_url).begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS challenges, decisions"))
    with Service(postgres_url, at_of(market), tmp_path / "a.log") as a, Service(postgres_url, at_of(market), tmp_path / "b.log") as b:
        ch = a.challenge(APPLICANT)
        bundle = prove_for(ch, market, demo_policy, demo_keys, tmp_path / "bundle.json")
        results = race([a.url, b.url], ch, bundle, n=4)
        assert sum(d["accepted"] for d in results) == 1
        assert all(failed(d) == {"challenge.single_use"} for d in results if not d["accepted"])
        for d in results:  # either instance reads every decision
            assert b.decision(d["decision_id"]).json()["result"] == d
        assert a.client().get("/v1/health").json()["database"] == "postgresql"
