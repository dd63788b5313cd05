"""The venue's verification service (FastAPI): challenges, verification, decisions, risk tables.

Endpoints (OpenAPI schema at ``/openapi.json``; ``X-API-Key`` on the venue's own endpoints):

- ``POST /v1/challenges`` (API key) ``{"applicant": "0x<identity commitment>"}`` -> 201
  ``{"challenge", "applicant", "issued_at", "expires_at"}``: a single-use random challenge (248
  bits) bound to the applicant, stored with its expiry.
- ``POST /v1/verify`` ``{"challenge": "0x...", "bundle": {...}}`` -> 200 with the decision, the
  JSON of ``zkmargin verify --json`` plus ``decision_id`` and three service checks:
  ``challenge.issued`` (this venue issued it), ``challenge.unexpired`` and
  ``challenge.single_use`` (this verification consumed it: a second use, even racing, fails).
  Every duty of SPEC section 6 runs with the venue's own policy, trusted circuits, spec and the
  venue's copy of the snapshot the bundle names (``snapshot.published`` fails for one it does not
  hold); the challenge and the applicant come from the database row, never from the bundle.
- ``GET /v1/decisions/{id}`` (API key): the stored decision (bundle hash, applicant, time, checks).
- ``GET /v1/risk-tables/{snapshot_sha256}``: the published risk table of a snapshot, for provers.
- ``GET /v1/health``.

Limits: request bodies over ``max_body_bytes`` get 413 before they are read; a verification
running past ``verify_timeout_s`` gets 503 and records nothing (the challenge stays unused); at
most ``max_verifications`` run at once. Every error is JSON ``{"error": <code>, "reason": ...}``
with a 4xx status; an unexpected fault is a 500 with no traceback (it goes to the log).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable

import anyio
from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from public.errors import BundleError, PolicyError
from public.fixed_point import CHALLENGE_BITS
from verifier.decision import Decision
from verifier.policy import parse_challenge, parse_identity
from verifier.service.store import Store

log = logging.getLogger("zkmargin.service")
SCHEMA = "zkmargin-verify/1"


@dataclass
class ServiceConfig:
    """What the service trusts: all of it the venue's own files (``verifier/service/cli.py``)."""

    policy: Any
    circuits: list
    spec: Any
    snapshots: dict  #: snapshot sha256 -> MarketSnapshot, the venue's published snapshots
    store: Store
    api_key_sha256: str  #: sha256 hex of the API key of the venue's endpoints
    challenge_ttl_s: int = 900
    max_body_bytes: int = 1 << 20
    verify_timeout_s: float = 120.0
    max_verifications: int = 2
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))


class ChallengeRequest(BaseModel):
    applicant: str = Field(description="The applicant's trader identity commitment, 0x hex (zkmargin identity show).", max_length=80)


class ChallengeResponse(BaseModel):
    challenge: str
    applicant: str
    issued_at: str
    expires_at: str


class VerifyRequest(BaseModel):
    challenge: str = Field(description="The challenge this venue issued (POST /v1/challenges).", max_length=80)
    bundle: dict[str, Any] = Field(description="A zkmargin-proof-bundle/2 object (zkmargin prove --out).")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds")


def _error(status: int, code: str, reason: str) -> JSONResponse:
    return JSONResponse({"error": code, "reason": reason}, status_code=status)


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` bytes, by Content-Length or while streaming."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        too_big = _error(413, "body_too_large", f"request body over {self.limit:,} bytes")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await too_big(scope, receive, send)
        chunks, seen, more = [], 0, True
        while more:  # read the whole body first (it is at most ``limit`` bytes), then hand it on
            msg = await receive()
            if msg["type"] != "http.request":
                return
            chunks.append(msg.get("body", b""))
            seen += len(chunks[-1])
            more = msg.get("more_body", False)
            if seen > self.limit:
                return await too_big(scope, receive, send)
        body, sent = b"".join(chunks), False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)




def _decision_json(decision: Decision, circuits, bundle: dict, elapsed: float) -> dict:
    """``zkmargin verify --json``'s object for ``decision`` (verifier/cli.py)."""
    vk = (bundle.get("circuit") or {}).get("verification_key_sha256") if isinstance(bundle.get("circuit"), dict) else None
    tc = next((c for c in circuits if c.vk_sha256 == vk), None)
    trusted = {"circuit": tc.name, "verification_key_sha256": tc.vk_sha256, "setup": tc.provenance.to_json()} if tc else None
    return {"schema": SCHEMA, **decision.to_json(), "exit_code": 0 if decision.accepted else 1, "trusted_circuit": trusted, "verify_s": elapsed}


def create_app(cfg: ServiceConfig) -> FastAPI:
    """The FastAPI application over ``cfg`` (module docstring)."""
    from public.methodology.risk_table import cached_risk_table
    from verifier.verify import verify_bundle

    for snap in cfg.snapshots.values():  # the venue's own evaluation, once, before the first applicant waits for it
        for depth in {c.params.depth for c in cfg.circuits}:
            cached_risk_table(snap, cfg.spec, depth)
    app = FastAPI(title="zkmargin venue verification service", version="1", description=__doc__.split("\n\n")[0])
    app.state.cfg = cfg
    limiter = anyio.CapacityLimiter(cfg.max_verifications)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            return _error(422, "invalid_json", f"request body is not JSON: {first.get('ctx', {}).get('error', 'malformed')}")
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return _error(422, "invalid_request", f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(HTTPException)
    async def _http(_request, exc: HTTPException):
        code, reason = exc.detail if isinstance(exc.detail, tuple) else ("http_error", str(exc.detail))
        return _error(exc.status_code, code, reason)

    @app.exception_handler(Exception)
    async def _fault(_request, exc: Exception):
        log.exception("unexpected fault")
        return _error(500, "internal_error", "unexpected fault; see the service log")

    def venue_only(x_api_key: str | None = Header(default=None)):
        got = hashlib.sha256((x_api_key or "").encode()).hexdigest()
        if not x_api_key or not hmac.compare_digest(got, cfg.api_key_sha256):
            raise HTTPException(401, ("unauthorized", "missing or wrong X-API-Key"))

    @app.get("/v1/health")
    def health():
        return {"status": "ok", "venue": cfg.policy.venue, "database": cfg.store.url.split(":")[0].split("+")[0], **cfg.store.count()}

    @app.post("/v1/challenges", status_code=201, response_model=ChallengeResponse, dependencies=[Depends(venue_only)])
    def challenges(req: ChallengeRequest):
        try:
            applicant = hex(parse_identity(req.applicant))
        except PolicyError as exc:
            raise HTTPException(422, ("invalid_applicant", str(exc))) from None
        now_ms = int(cfg.clock().timestamp() * 1000)
        row = cfg.store.issue_challenge(applicant, now_ms, cfg.challenge_ttl_s, CHALLENGE_BITS)
        return ChallengeResponse(challenge=row.challenge, applicant=row.applicant, issued_at=_iso(row.issued_at_ms), expires_at=_iso(row.expires_at_ms))

    def run_verification(challenge: int, bundle: dict, abandoned: threading.Event) -> dict | None:
        now = cfg.clock()
        now_ms = int(now.timestamp() * 1000)
        key = hex(challenge)
        row = cfg.store.challenge(key)
        market = bundle.get("market") if isinstance(bundle.get("market"), dict) else {}
        snapshot = cfg.snapshots.get(market.get("snapshot_sha256"))
        policy = replace(cfg.policy, challenge=challenge, applicant_identity=int(row.applicant, 16) if row else None)
        t = time.perf_counter()
        decision = verify_bundle(bundle, policy, cfg.circuits, spec=cfg.spec, snapshot=snapshot, at=now)
        elapsed = time.perf_counter() - t
        decision.add("snapshot.published", snapshot is not None,
                     "the venue publishes the snapshot the bundle names" if snapshot else "not a snapshot this venue publishes")  # fmt: skip
        decision.add("challenge.issued", row is not None, f"issued to {row.applicant[:18]}... at {_iso(row.issued_at_ms)}" if row else "not a challenge this venue issued")
        fresh = row is not None and row.expires_at_ms > now_ms
        decision.add("challenge.unexpired", fresh, f"expires {_iso(row.expires_at_ms)}" if row else "no such challenge")
        digest = hashlib.sha256(json.dumps(bundle, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

        def finish(consumed: bool) -> dict:
            final = Decision(list(decision.checks))
            final.add("challenge.single_use", consumed, "consumed by this verification" if consumed else
                      ("already used by decision " + str(cfg.store.challenge(key).decision_id) if row and fresh else "not consumable"))  # fmt: skip
            return {**_decision_json(final, cfg.circuits, bundle, elapsed), "bundle_sha256": digest, "verified_at": now.isoformat(timespec="seconds")}

        if abandoned.is_set():  # the request timed out: record nothing, leave the challenge unused
            return None
        _, result = cfg.store.record_decision(key, row.applicant if row else None, digest, now_ms, finish)
        return result

    @app.post("/v1/verify")
    async def verify(req: VerifyRequest):
        try:
            challenge = parse_challenge(req.challenge)
        except PolicyError as exc:
            raise HTTPException(422, ("invalid_challenge", str(exc))) from None
        abandoned = threading.Event()
        try:
            with anyio.fail_after(cfg.verify_timeout_s):
                return await anyio.to_thread.run_sync(run_verification, challenge, req.bundle, abandoned, limiter=limiter, abandon_on_cancel=True)
        except BundleError as exc:
            raise HTTPException(422, ("malformed_bundle", str(exc))) from None
        except TimeoutError:
            abandoned.set()
            raise HTTPException(503, ("verification_timeout", f"verification took over {cfg.verify_timeout_s:g} s; nothing was recorded")) from None

    @app.get("/v1/decisions/{decision_id}", dependencies=[Depends(venue_only)])
    def decision(decision_id: str):
        if not (len(decision_id) == 32 and all(c in "0123456789abcdef" for c in decision_id)):
            raise HTTPException(422, ("invalid_decision_id", "a decision id is 32 lowercase hex digits"))
        row = cfg.store.decision(decision_id)
        if row is None:
            raise HTTPException(404, ("unknown_decision", f"no decision {decision_id}"))
        return {**row, "created_at": _iso(row["created_at_ms"])}

    @app.get("/v1/risk-tables/{snapshot_sha256}")
    def risk_table(snapshot_sha256: str):
        snap = cfg.snapshots.get(snapshot_sha256)
        if snap is None:
            raise HTTPException(404, ("unknown_snapshot", "not a snapshot this venue publishes"))
        return cached_risk_table(snap, cfg.spec, cfg.circuits[0].params.depth).to_json()

    app.add_middleware(BodyLimit, limit=cfg.max_body_bytes)
    return app
