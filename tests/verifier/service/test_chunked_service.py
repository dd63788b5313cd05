"""The venue's service (verifier/service/app.py, in process) on a chunked bundle
(``zkmargin-proof-bundle/3``, issue 11): the trader proves a book in chunks for the challenge the
service issued (the small test circuits of tests/prover/proving/test_chunked_pipeline.py, their keys
in the venue's policy); the service accepts it once, with the chunk checks among its decision's, and
rejects a bundle whose chunks were dropped or reordered, recording each decision."""

import copy
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from prover.proving.chunked_pipeline import prove_chunked_bundle
from tests.conftest import POLICY, SNAPSHOT
from tests.prover.proving.test_chunked_pipeline import TRADER, chunked_statements, circuits  # noqa: F401 (fixture)
from verifier.policy import parse_policy
from verifier.service.app import create_app
from verifier.service.cli import load_config

pytestmark = pytest.mark.slow
KEY = "venue-api-key-0123456789"
H = {"X-API-Key": KEY}


@pytest.fixture
def service(tmp_path, market, circuits):  # noqa: F811
    snapshot, _ = market
    obj = json.loads(POLICY.read_text())
    obj.update(challenge="issued", spec=str((POLICY.parent / obj["spec"]).resolve()), circuits=[{"keys": str(p.keys_dir)} for p in circuits])
    path = tmp_path / "chunked_policy.json"
    path.write_text(json.dumps(obj))
    at = snapshot.timestamp + timedelta(minutes=2)
    cfg = load_config(path, [SNAPSHOT], f"sqlite:///{tmp_path / 's.sqlite3'}", KEY, at=at)
    return cfg, TestClient(create_app(cfg), raise_server_exceptions=False), parse_policy(obj, path.parent, source="test"), at


def test_a_chunked_bundle_for_an_issued_challenge_is_accepted_once_and_forgeries_are_not(tmp_path, market, circuits, service):  # noqa: F811
    cfg, c, policy, at = service
    snapshot, spec = market
    r = c.post("/v1/challenges", json={"applicant": hex(TRADER.commitment)}, headers=H)
    assert r.status_code == 201, r.text
    ch = r.json()["challenge"]
    out = tmp_path / "bundle.json"
    prove_chunked_bundle(*circuits, snapshot, spec, chunked_statements(), policy, int(ch, 16), out, identity=TRADER, at=at, workers=0)
    bundle = json.loads(out.read_text())
    assert bundle["format"] == "zkmargin-proof-bundle/3" and len(bundle["chunks"]) == 5
    d = c.post("/v1/verify", json={"challenge": ch, "bundle": bundle}).json()
    names = {x["name"]: x["passed"] for x in d["checks"]}
    assert d["accepted"], [x for x in d["checks"] if not x["passed"]]
    assert names["chunk_links"] and names["chunk_circuit"] and names["challenge.single_use"]
    again = c.post("/v1/verify", json={"challenge": ch, "bundle": bundle}).json()
    assert not again["accepted"] and {x["name"]: x["passed"] for x in again["checks"]}["challenge.single_use"] is False
    for change in (lambda b: b["chunks"].pop(1), lambda b: b["chunks"].reverse()):
        fresh = c.post("/v1/challenges", json={"applicant": hex(TRADER.commitment)}, headers=H).json()["challenge"]
        forged = copy.deepcopy(bundle)
        change(forged)
        d = c.post("/v1/verify", json={"challenge": fresh, "bundle": forged}).json()
        failed = {x["name"] for x in d["checks"] if not x["passed"]}
        assert not d["accepted"] and "chunk_links" in failed
    assert cfg.store.count()["decisions"] == 4
