"""``zkmargin serve``: the venue's verification service on uvicorn (verifier/service/app.py)."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone

import click

from verifier.trusted import ConfigError

API_KEY_ENV = "ZKMARGIN_API_KEY"


def load_config(policy_path, markets, db_url, api_key, *, at=None, ttl_s=900, max_body=1 << 20, timeout_s=120.0, max_verifications=2, engine="py_ecc"):
    """A ServiceConfig from the venue's own files. Raises PolicyError/ConfigError/SpecError/SnapshotError."""
    from public.methodology.snapshot import load_snapshot
    from public.methodology.spec import load_spec
    from verifier.policy import load_policy
    from verifier.service.app import ServiceConfig
    from verifier.service.store import Store
    from verifier.trusted import policy_circuits

    if not api_key or len(api_key) < 16:
        raise ConfigError(f"an API key of at least 16 characters is required (--api-key-file FILE or ${API_KEY_ENV})")
    policy = load_policy(policy_path)
    if policy.spec_path is None:
        raise ConfigError(f"policy {policy_path} names no spec: the service verifies under the policy's own spec")
    snapshots = {s.sha256: s for s in (load_snapshot(m) for m in markets)}
    clock = (lambda: datetime.now(timezone.utc))
    if at is not None:  # replay: a clock that starts at ``at`` and runs at real speed
        start = datetime.now(timezone.utc)
        clock = (lambda: at + (datetime.now(timezone.utc) - start))  # noqa: E731
    return ServiceConfig(policy=policy, circuits=policy_circuits(policy), spec=load_spec(policy.spec_path), snapshots=snapshots, store=Store(db_url),
                         api_key_sha256=hashlib.sha256(api_key.encode()).hexdigest(), challenge_ttl_s=ttl_s, max_body_bytes=max_body,
                         verify_timeout_s=timeout_s, max_verifications=max_verifications, clock=clock, engine=engine)  # fmt: skip


@click.command()
@click.option("--policy", "policy_path", required=True, type=click.Path(dir_okay=False), help="The venue's policy JSON (its spec and trusted circuits).")
@click.option("--market", "markets", multiple=True, required=True, type=click.Path(dir_okay=False), help="A snapshot the venue publishes (repeat).")
@click.option("--db", "db_url", default="sqlite:///venue_service.sqlite3", show_default=True, help="sqlite:///FILE, or postgresql+psycopg://USER@HOST/DB for several instances.")
@click.option("--api-key-file", default=None, type=click.Path(dir_okay=False, exists=True), help=f"File holding the API key of the venue's endpoints (default: ${API_KEY_ENV}).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--challenge-ttl", "ttl_s", default=900, show_default=True, type=click.IntRange(10, 86400), help="Seconds a challenge stays valid.")
@click.option("--max-body", default=1 << 20, show_default=True, type=click.IntRange(1024, 64 << 20), help="Largest request body, bytes.")
@click.option("--verify-timeout", "timeout_s", default=120.0, show_default=True, type=click.FloatRange(1, 3600), help="Seconds one verification may take.")
@click.option("--max-verifications", default=2, show_default=True, type=click.IntRange(1, 64), help="Verifications running at once.")
@click.option("--engine", type=click.Choice(["py_ecc", "native"]), default="py_ecc", show_default=True,
              help="Pairing engine: pure Python, or groth16py's native verifier (the same checks, in milliseconds).")
@click.option("--at", "at", default=None, help="Replay: the service clock starts at this ISO time (historical snapshots; demos and audits only).")
def serve(policy_path, markets, db_url, api_key_file, host, port, ttl_s, max_body, timeout_s, max_verifications, engine, at):
    """Run the venue's verification service (FastAPI on uvicorn): challenges, verify, decisions."""
    import uvicorn

    from verifier.cli import parse_time
    from verifier.service.app import create_app

    try:
        key = open(api_key_file, encoding="utf-8").read().strip() if api_key_file else os.environ.get(API_KEY_ENV, "")
    except OSError as exc:
        raise ConfigError(f"cannot read API key file {api_key_file}: {exc.strerror or exc}") from None
    cfg = load_config(policy_path, markets, db_url, key, at=parse_time(at), ttl_s=ttl_s, max_body=max_body, timeout_s=timeout_s, max_verifications=max_verifications, engine=engine)
    click.echo(f"zkmargin service: venue {cfg.policy.venue}, {len(cfg.snapshots)} snapshot(s), {len(cfg.circuits)} trusted circuit(s), database {db_url.split('@')[-1]}", err=True)
    uvicorn.run(create_app(cfg), host=host, port=port, log_level="warning", timeout_keep_alive=5, limit_concurrency=256)
