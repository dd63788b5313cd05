"""``zkmargin verify``: the venue's check of a proof bundle, a decision with one reason per duty.

Exit code 0 only when every check passes; 1 on a rejection; 2 on unreadable input.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from prover.errors import BundleError, PolicyError, read_json_file


def load_venue_inputs(policy_path, vkey, spec_path, market, risk_table):
    """Policy, verification key (+ its setup.json when beside it), spec, snapshot, published table."""
    from prover.snapshot import load_snapshot
    from prover.spec import load_spec
    from verifier.policy import load_policy

    policy = load_policy(policy_path)
    vk_path = Path(vkey) if vkey else policy.verification_key_path
    if vk_path is None:
        raise PolicyError("no verification key: pass --vkey or set 'verification_key' in the policy")
    vk = read_json_file(vk_path, BundleError, "verification key (run `zkmargin setup`)")
    setup_path = vk_path.parent / "setup.json"
    setup = read_json_file(setup_path, BundleError, "setup record") if setup_path.exists() else None
    spec_file = spec_path or policy.spec_path
    spec = load_spec(spec_file) if spec_file else None
    snapshot = load_snapshot(market) if market else None
    table = None
    if risk_table:
        table = read_json_file(risk_table, BundleError, "published risk table")
    return policy, vk, setup, spec, snapshot, table


@click.command()
@click.argument("bundle", type=click.Path(dir_okay=False))
@click.option("--policy", "policy_path", required=True, type=click.Path(dir_okay=False), help="The venue's policy JSON.")
@click.option("--market", default=None, type=click.Path(dir_okay=False), help="The public snapshot the proof claims (needed to recompute the risk root).")
@click.option("--spec", "spec_path", default=None, type=click.Path(dir_okay=False), help="Scenario spec (default: the policy's).")
@click.option("--vkey", default=None, type=click.Path(dir_okay=False), help="Trusted verification key (default: the policy's).")
@click.option("--risk-table", default=None, type=click.Path(dir_okay=False), help="Published risk table to compare record by record.")
@click.option("--at", "at", default=None, help="Check freshness at this ISO time instead of now.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable decision on stdout.")
def verify(bundle, policy_path, market, spec_path, vkey, risk_table, at, as_json):
    """Check a proof bundle against the venue's policy; print a decision with reasons."""
    import time

    from prover.bundle import read_bundle
    from prover.cli import parse_at
    from prover.report import render_decision
    from verifier.verify import verify_bundle

    policy, vk, setup, spec, snapshot, table = load_venue_inputs(policy_path, vkey, spec_path, market, risk_table)
    obj = read_bundle(bundle)
    t = time.perf_counter()
    decision = verify_bundle(obj, policy, vk, spec=spec, snapshot=snapshot, risk_table=table, setup_record=setup, at=parse_at(at))
    elapsed = time.perf_counter() - t
    if as_json:
        click.echo(json.dumps({**decision.to_json(), "bundle": bundle, "verify_s": elapsed}, indent=2))
    else:
        click.echo(f"bundle {bundle}: {obj['circuit']['name']}, setup: {obj['circuit']['setup']['label']}")
        click.echo(render_decision(decision))
    raise SystemExit(0 if decision.accepted else 1)
