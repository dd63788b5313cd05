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

Limits: request bodies over ``max_body_bytes`` get 413 before they are read, and a body is parsed
once as strict bounded JSON (``public.json_input``) before any endpoint; a request not decided
within ``verify_timeout_s`` of its arrival gets 503 and its transaction is rolled back (nothing
recorded, the challenge unused); at most ``max_verifications`` run at once, none abandoned. An
unknown, used or expired challenge gets its decision without a pairing being spent on the proof. Every error is JSON ``{"error": <code>, "reason": ...}``
with a 4xx status; an unexpected fault is a 500 with no traceback (it goes to the log).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable

import anyio
from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from pydantic import BaseModel, Field

from public.bundle_format import check_structure
from public.errors import BundleError, PolicyError
from public.json_input import parse_json_text
from public.fixed_point import CHALLENGE_BITS
from verifier.decision import Decision
from verifier.policy import parse_challenge, parse_identity
from verifier.report import decision_json, trusted_circuit_of
from verifier.service.store import Store

log = logging.getLogger("zkmargin.service")


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
    engine: str = "py_ecc"  #: the pairing's engine (verifier.verify.ENGINES)


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
    clean = str(reason).encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate from a hostile key
    return JSONResponse({"error": code, "reason": clean}, status_code=status)


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` bytes, by Content-Length or while streaming;
    422 ``invalid_json`` for a body that is not strict, bounded JSON (``public.json_input``: nesting
    over 64 levels, numbers over 100 digits, NaN, duplicate keys), before any endpoint parses it
    (py_ecc raises the recursion limit, so a deep body would otherwise crash the parser)."""

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
        if body:
            try:
                parse_json_text(body, BundleError, "request body", max_bytes=self.limit)
            except BundleError as exc:
                return await _error(422, "invalid_json", str(exc))(scope, receive, send)

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class _Late(Exception):
    """The verification finished after its deadline: the transaction is rolled back."""


def create_app(cfg: ServiceConfig) -> FastAPI:
    """The FastAPI application over ``cfg`` (module docstring)."""
    from public.methodology.risk_table import cached_risk_table
    from verifier import verify as verify_module  # looked up per call

    # the risk trees the venue's circuits open (an aggregate opens none: its chunks do; found when a
    # chunked policy crashed the start-up with a depth-0 tree)
    depths = sorted({c.params.depth for c in cfg.circuits if c.params.kind != "aggregate"})
    for snap in cfg.snapshots.values():  # the venue's own evaluation, once, before the first applicant waits for it
        for depth in depths:
            _ = cached_risk_table(snap, cfg.spec, depth).root  # the Poseidon tree too (built lazily otherwise)
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

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request, exc: StarletteHTTPException):
        plain = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}.get(exc.status_code, "http_error")
        code, reason = exc.detail if isinstance(exc.detail, tuple) else (plain, str(exc.detail))
        return _error(exc.status_code, code, reason)

    @app.exception_handler(Exception)
    async def _fault(_request, exc: Exception):
        log.exception("unexpected fault")
        return _error(500, "internal_error", "unexpected fault; see the service log")

    def is_venue(x_api_key: str | None) -> bool:
        """The venue's API key (sha256 compared in constant time)."""
        return bool(x_api_key) and hmac.compare_digest(hashlib.sha256(x_api_key.encode()).hexdigest(), cfg.api_key_sha256)

    def venue_only(x_api_key: str | None = Header(default=None)):
        if not is_venue(x_api_key):
            raise HTTPException(401, ("unauthorized", "missing or wrong X-API-Key"))

    @app.get("/v1/health")
    def health(x_api_key: str | None = Header(default=None)):
        out = {"status": "ok", "venue": cfg.policy.venue, "database": cfg.store.url.split(":")[0].split("+")[0]}
        if is_venue(x_api_key):
            out.update(cfg.store.count())  # row counts: the venue's own business
        return out

    @app.post("/v1/challenges", status_code=201, response_model=ChallengeResponse, dependencies=[Depends(venue_only)])
    def challenges(req: ChallengeRequest):
        try:
            applicant = hex(parse_identity(req.applicant))
        except PolicyError as exc:
            raise HTTPException(422, ("invalid_applicant", str(exc))) from None
        now_ms = int(cfg.clock().timestamp() * 1000)
        row = cfg.store.issue_challenge(applicant, now_ms, cfg.challenge_ttl_s, CHALLENGE_BITS)
        return ChallengeResponse(challenge=row.challenge, applicant=row.applicant, issued_at=_iso(row.issued_at_ms), expires_at=_iso(row.expires_at_ms))

    def run_verification(challenge: int, bundle: dict, deadline: float) -> dict | None:
        """The decision for ``bundle`` answering ``challenge``, recorded; None if not committed by ``deadline``."""
        now = cfg.clock()
        now_ms = int(now.timestamp() * 1000)
        key = hex(challenge)
        row = cfg.store.challenge(key)
        unexpired = row is not None and row.expires_at_ms > now_ms
        usable = unexpired and row.used_at_ms is None
        market = bundle.get("market") if isinstance(bundle.get("market"), dict) else {}
        sha = market.get("snapshot_sha256")
        snapshot = cfg.snapshots.get(sha) if isinstance(sha, str) else None
        t = time.perf_counter()
        if usable:
            policy = replace(cfg.policy, challenge=challenge, applicant_identity=int(row.applicant, 16))
            decision = verify_module.verify_bundle(bundle, policy, cfg.circuits, spec=cfg.spec, snapshot=snapshot, at=now, engine=cfg.engine)
        else:  # a challenge that cannot be consumed: no pairing is spent on it (the decision is still kept)
            check_structure(bundle)
            decision = Decision()
        elapsed = time.perf_counter() - t
        decision.add("snapshot.published", snapshot is not None,
                     "the venue publishes the snapshot the bundle names" if snapshot else "not a snapshot this venue publishes")  # fmt: skip
        decision.add("challenge.issued", row is not None, f"issued to {row.applicant[:18]}... at {_iso(row.issued_at_ms)}" if row else "not a challenge this venue issued")
        decision.add("challenge.unexpired", unexpired, f"expires {_iso(row.expires_at_ms)}" if row else "no such challenge")
        digest = hashlib.sha256(json.dumps(bundle, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        unverified = "" if usable else "; the proof was not verified"

        def finish(consumed: bool, used_by: str | None) -> dict:
            if time.monotonic() > deadline:
                raise _Late
            final = Decision(list(decision.checks))
            reason = ("consumed by this verification" if consumed else f"already used by decision {used_by}{unverified}" if used_by
                      else f"{'not issued' if row is None else 'expired'}{unverified}")  # fmt: skip
            final.add("challenge.single_use", consumed, reason)
            return {**decision_json(final, trusted_circuit_of(bundle, cfg.circuits), elapsed), "bundle_sha256": digest, "verified_at": now.isoformat(timespec="seconds")}

        try:
            _, result = cfg.store.record_decision(key, row.applicant if row else None, digest, now_ms, finish)
        except _Late:
            return None
        return result

    @app.post("/v1/verify")
    async def verify(req: VerifyRequest):
        deadline = time.monotonic() + cfg.verify_timeout_s  # from arrival: the wait for a slot counts
        try:
            challenge = parse_challenge(req.challenge)
        except PolicyError as exc:
            raise HTTPException(422, ("invalid_challenge", str(exc))) from None
        try:
            result = await anyio.to_thread.run_sync(run_verification, challenge, req.bundle, deadline, limiter=limiter)
        except BundleError as exc:
            raise HTTPException(422, ("malformed_bundle", str(exc))) from None
        if result is None:
            raise HTTPException(503, ("verification_timeout", f"not decided within {cfg.verify_timeout_s:g} s; nothing was recorded, the challenge is unused"))
        return result

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
        if snap is None or not depths:
            raise HTTPException(404, ("unknown_snapshot", "not a snapshot this venue publishes"))
        return cached_risk_table(snap, cfg.spec, depths[0]).to_json()

    app.add_middleware(BodyLimit, limit=cfg.max_body_bytes)
    return app
