"""``zkmargin verify``: the venue's check of a proof bundle, a decision with one reason per duty.

Exit code 0 only when every check passes; 1 on a rejection; 2 on unreadable or malformed input.
``--json`` prints one object (schema ``zkmargin-verify/1``) on stdout: the decision, the trusted
circuit and its setup provenance as the venue's own files record them, and the time taken. What is
printed about the setup comes from the venue's key directory, never from the bundle.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import click

from public.errors import BundleError
from public.json_input import read_json_file

TABLE_MAX_BYTES = 64 * 2**20  #: a published risk table of a few thousand records is a few MB


def parse_time(value: str | None) -> datetime | None:
    """ISO-8601 time (naive = UTC) for --at; None means now."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def load_venue_inputs(policy_path, keys, spec_path, market, risk_table):
    """The venue's own configuration: policy, trusted circuits (the policy's, or --keys DIR),
    spec, snapshot, published table. Raises PolicyError/ConfigError/SpecError/SnapshotError."""
    from public.methodology.snapshot import load_snapshot
    from public.methodology.spec import load_spec
    from verifier.policy import load_policy
    from verifier.trusted import load_trusted_circuit, policy_circuits

    policy = load_policy(policy_path)
    circuits = [load_trusted_circuit(k) for k in keys] if keys else policy_circuits(policy)
    spec_file = spec_path or policy.spec_path
    spec = load_spec(spec_file) if spec_file else None
    snapshot = load_snapshot(market) if market else None
    table = read_json_file(risk_table, BundleError, "published risk table", max_bytes=TABLE_MAX_BYTES) if risk_table else None
    return policy, circuits, spec, snapshot, table


@click.command()
@click.argument("bundle", type=click.Path(dir_okay=False))
@click.option("--policy", "policy_path", required=True, type=click.Path(dir_okay=False), help="The venue's policy JSON.")
@click.option("--market", default=None, type=click.Path(dir_okay=False), help="The public snapshot the proof claims (needed to recompute the risk root).")
@click.option("--spec", "spec_path", default=None, type=click.Path(dir_okay=False), help="Scenario spec (default: the policy's).")
@click.option("--keys", "keys", multiple=True, type=click.Path(file_okay=False), help="Trusted key directory (repeatable; default: the policy's circuits).")
@click.option("--applicant", default=None, help="The applicant's trader identity commitment (hex; default: the policy's applicant_identity).")
@click.option("--risk-table", default=None, type=click.Path(dir_okay=False), help="Published risk table to compare record by record.")
@click.option("--challenge", "challenge", default=None, help="The challenge issued for this application (hex; default: the policy's).")
@click.option("--at", "at", default=None, help="Check freshness at this ISO time instead of now.")
@click.option("--engine", type=click.Choice(["py_ecc", "native"]), default="py_ecc", show_default=True,
              help="Pairing engine: pure Python, or groth16py's native verifier (milliseconds; the same checks and verdicts).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable decision on stdout.")
def verify(bundle, policy_path, market, spec_path, keys, applicant, risk_table, challenge, at, engine, as_json):
    """Check a proof bundle against the venue's policy; print a decision with reasons."""
    import time

    from public.bundle_format import read_bundle
    from verifier.policy import parse_identity
    from verifier.report import decision_json, render_decision, trusted_circuit_of
    from verifier.verify import verify_bundle

    when = parse_time(at)
    who = parse_identity(applicant) if applicant else None
    policy, circuits, spec, snapshot, table = load_venue_inputs(policy_path, keys, spec_path, market, risk_table)
    if challenge is not None:
        from dataclasses import replace

        from verifier.policy import parse_challenge

        policy = replace(policy, challenge=parse_challenge(challenge))
    obj = read_bundle(bundle)
    t = time.perf_counter()
    decision = verify_bundle(obj, policy, circuits, spec=spec, snapshot=snapshot, risk_table=table, at=when, applicant=who, engine=engine)
    elapsed = time.perf_counter() - t
    tc = trusted_circuit_of(obj, circuits)
    if as_json:
        click.echo(json.dumps({**decision_json(decision, tc, elapsed), "bundle": bundle}, indent=2))
    else:
        header = f"circuit {tc.name} (trusted key {tc.vk_sha256[:16]}...), setup: {tc.provenance.label}" if tc else "no trusted circuit for this bundle's key"
        click.echo(f"bundle {bundle}: {header}")
        click.echo(render_decision(decision))
    raise SystemExit(0 if decision.accepted else 1)
