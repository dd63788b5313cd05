"""verifier/service/app.py in process (no proof needed): the venue's endpoints need the API key,
bad requests get a 4xx with a named reason and never a 500, the published risk table is the
venue's own, and a verification records a decision that consumes the challenge."""

import json
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from public.methodology.risk_table import cached_risk_table
from tests.conftest import IDENTITY, POLICY, REPO, SNAPSHOT
from verifier.service.app import create_app
from verifier.service.cli import load_config
from verifier.trusted import ConfigError

KEY = "venue-api-key-0123456789"
H = {"X-API-Key": KEY}
AT = datetime(2026, 8, 22, 15, 35, 51, tzinfo=timezone.utc)
APPLICANT = json.loads(IDENTITY.read_text())["commitment"]
BUNDLE = json.loads((REPO / "fixtures/demo_3venue/bundle.json").read_text())


@pytest.fixture
def service(tmp_path, demo_keys):
    cfg = load_config(POLICY, [SNAPSHOT], f"sqlite:///{tmp_path / 's.sqlite3'}", KEY, at=AT, max_body=64 * 1024)
    return cfg, TestClient(create_app(cfg), raise_server_exceptions=False)


def challenge(client):
    r = client.post("/v1/challenges", json={"applicant": APPLICANT}, headers=H)
    assert r.status_code == 201, r.text
    return r.json()


def test_challenges_are_random_single_use_and_bound_to_the_applicant(service):
    cfg, c = service
    a, b = challenge(c), challenge(c)
    assert a["challenge"] != b["challenge"] and a["applicant"] == hex(int(APPLICANT, 16))
    issued, expires = (datetime.fromisoformat(a[k]) for k in ("issued_at", "expires_at"))
    assert 0 <= (issued - AT).total_seconds() < 120 and (expires - issued).total_seconds() == 900  # the replay clock runs from AT
    r = c.post("/v1/verify", json={"challenge": a["challenge"], "bundle": BUNDLE})
    assert r.status_code == 200
    d = r.json()
    assert d["schema"] == "zkmargin-verify/1" and d["exit_code"] == (0 if d["accepted"] else 1)
    assert d["checks"][-1] == {"name": "challenge.single_use", "passed": True, "reason": "consumed by this verification"}
    names = {x["name"]: x["passed"] for x in d["checks"]}
    assert names["challenge.issued"] and names["challenge.unexpired"] and names["snapshot.published"]
    again = c.post("/v1/verify", json={"challenge": a["challenge"], "bundle": BUNDLE}).json()
    assert {x["name"]: x["passed"] for x in again["checks"]}["challenge.single_use"] is False
    stored = c.get(f"/v1/decisions/{d['decision_id']}", headers=H).json()
    assert stored["result"] == d and stored["applicant"] == a["applicant"] and stored["bundle_sha256"] == d["bundle_sha256"]
    assert cfg.store.count() == {"challenges": 2, "challenges_used": 1, "decisions": 2}


def test_an_unknown_challenge_is_a_failed_check_and_recorded(service):
    cfg, c = service
    d = c.post("/v1/verify", json={"challenge": "0x" + "5" * 60, "bundle": BUNDLE}).json()
    failed = {x["name"] for x in d["checks"] if not x["passed"]}
    assert {"challenge.issued", "challenge.unexpired", "challenge.single_use"} <= failed and not d["accepted"]
    assert cfg.store.count()["decisions"] == 1


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "invalid_json"),
        ({"json": {"challenge": 5, "bundle": {}}}, 422, "invalid_request"),
        ({"json": {"bundle": {}}}, 422, "invalid_request"),
        ({"json": {"challenge": "0x12", "bundle": []}}, 422, "invalid_request"),
        ({"json": {"challenge": "12", "bundle": {}}}, 422, "invalid_challenge"),
        ({"json": {"challenge": "0x12", "bundle": {"format": "nope"}}}, 422, "malformed_bundle"),
        ({"content": b"[" * 100_000, "headers": {"content-type": "application/json"}}, 413, "body_too_large"),
        ({"content": b'{"challenge": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", "headers": {"content-type": "application/json"}}, 422, "invalid_json"),
        ({"content": b'{"challenge": ' + b"9" * 5000 + b', "bundle": {}}', "headers": {"content-type": "application/json"}}, 422, "invalid_json"),
        ({"content": b'{"challenge": "0x12", "challenge": "0x13", "bundle": {}}', "headers": {"content-type": "application/json"}}, 422, "invalid_json"),
        ({"json": {"challenge": "0x12", "bundle": {"market": {"snapshot_sha256": ["x"]}}}}, 422, "malformed_bundle"),
        ({"content": b'{"challenge": "0x12", "bundle": {"\\ud800": 1}}', "headers": {"content-type": "application/json"}}, 422, "malformed_bundle"),
        ({"content": b"{" + b" " * 70_000 + b"}", "headers": {"content-type": "application/json", "content-length": "10"}}, 413, "body_too_large"),
    ],
    ids=["malformed-json", "wrong-type", "missing-field", "bundle-not-object", "bad-challenge", "bad-bundle", "oversized", "deep",
         "huge-number", "duplicate-key", "unhashable-snapshot", "lone-surrogate", "lying-length"],
)
def test_bad_requests_get_a_named_4xx(service, kwargs, status, code):
    cfg, c = service
    r = c.post("/v1/verify", **kwargs)
    assert r.status_code == status and r.json()["error"] == code, r.text
    assert "Traceback" not in r.text and cfg.store.count()["decisions"] == 0


def test_unknown_paths_and_methods_get_the_named_shape(service):
    cfg, c = service
    assert c.get("/nope").json()["error"] == "not_found"
    r = c.get("/v1/verify")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_an_unusable_challenge_costs_no_pairing(service, monkeypatch):
    cfg, c = service
    import verifier.verify

    monkeypatch.setattr(verifier.verify, "verify_bundle", lambda *a, **k: pytest.fail("verified with an unusable challenge"))
    d = c.post("/v1/verify", json={"challenge": "0x" + "7" * 60, "bundle": BUNDLE}).json()
    assert not d["accepted"] and d["checks"][-1]["reason"] == "not issued; the proof was not verified"


def test_a_verification_past_its_deadline_records_nothing(tmp_path, demo_keys):
    cfg = load_config(POLICY, [SNAPSHOT], f"sqlite:///{tmp_path / 't.sqlite3'}", KEY, at=AT, timeout_s=1)
    c = TestClient(create_app(cfg), raise_server_exceptions=False)
    ch = challenge(c)["challenge"]
    import time as _time

    import verifier.verify

    real = verifier.verify.verify_bundle

    def slow(*a, **k):
        _time.sleep(1.5)
        return real(*a, **k)

    verifier.verify.verify_bundle, saved = slow, real
    try:
        r = c.post("/v1/verify", json={"challenge": ch, "bundle": BUNDLE})
    finally:
        verifier.verify.verify_bundle = saved
    assert r.status_code == 503 and r.json()["error"] == "verification_timeout"
    assert cfg.store.count()["decisions"] == 0 and cfg.store.challenge(ch).used_at_ms is None


def test_a_chunked_body_over_the_limit_is_refused_while_streaming(service):
    cfg, c = service

    def chunks():
        for _ in range(100):
            yield b" " * 1024

    r = c.post("/v1/verify", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"


def test_the_venue_endpoints_need_the_api_key(service):
    cfg, c = service
    for headers in ({}, {"X-API-Key": "wrong-key-wrong-key"}):
        r = c.post("/v1/challenges", json={"applicant": APPLICANT}, headers=headers)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
        assert c.get("/v1/decisions/" + "0" * 32, headers=headers).status_code == 401
    assert c.post("/v1/challenges", json={"applicant": "0x00"}, headers=H).json()["error"] == "invalid_applicant"
    assert c.get("/v1/decisions/" + "0" * 32, headers=H).json()["error"] == "unknown_decision"
    assert c.get("/v1/decisions/nothex", headers=H).json()["error"] == "invalid_decision_id"
    assert cfg.store.count()["challenges"] == 0


def test_the_published_risk_table_and_the_openapi_schema(service):
    cfg, c = service
    snap = next(iter(cfg.snapshots.values()))
    t = c.get(f"/v1/risk-tables/{snap.sha256}").json()
    assert t == json.loads(json.dumps(cached_risk_table(snap, cfg.spec, cfg.circuits[0].params.depth).to_json()))
    assert c.get("/v1/risk-tables/" + "0" * 64).json()["error"] == "unknown_snapshot"
    paths = c.get("/openapi.json").json()["paths"]
    assert {"/v1/challenges", "/v1/verify", "/v1/decisions/{decision_id}", "/v1/risk-tables/{snapshot_sha256}", "/v1/health"} <= set(paths)
    assert c.get("/v1/health").json() == {"status": "ok", "venue": "demo-venue", "database": "sqlite"}  # counts: venue only
    assert set(c.get("/v1/health", headers=H).json()) >= {"challenges", "challenges_used", "decisions"}


def test_the_service_refuses_to_start_without_a_key_or_a_spec(tmp_path):
    with pytest.raises(ConfigError, match="API key"):
        load_config(POLICY, [SNAPSHOT], f"sqlite:///{tmp_path / 's.sqlite3'}", "short")


def test_the_venues_risk_tables_are_committed_at_start_up(service, market):
    """The Poseidon tree is built lazily elsewhere; the service builds it before the first applicant
    waits for it (the first request took 5 s otherwise)."""
    cfg, _ = service
    snapshot, _ = market
    table = cached_risk_table(snapshot, cfg.spec, cfg.circuits[0].params.depth)
    assert "levels" in table.__dict__
