"""``zkmargin prove``: the trader's proof that an attested book meets a venue's policy."""

from __future__ import annotations

import click

from prover.cli.common import at_opt, circuit_opt, emit_json, json_opt, load_market, market_opt, parse_at, progress, spec_opt
from public.circuit import circuit_for_spec


@click.command()
@market_opt
@click.option("--statement", "statements", required=True, multiple=True, type=click.Path(dir_okay=False), help="Signed venue statement (repeat per venue).")
@click.option("--policy", "policy_path", required=True, type=click.Path(dir_okay=False), help="The venue's policy JSON.")
@click.option("--challenge", required=True, help="The venue's challenge (hex): its policy's, or, if the policy says \"issued\", the one it issued (POST /v1/challenges).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Proof bundle to write.")
@click.option("--identity", "identity_path", required=True, type=click.Path(dir_okay=False), help="The trader's identity file (`zkmargin identity new`); the statements must carry its commitment.")
@click.option("--salt", default=None, help="Commitment salt ('0x' hex); random if omitted. Keep it to reproduce the commitment.")
@spec_opt
@circuit_opt
@click.option("--backend", type=click.Choice(["auto", "snarkjs", "groth16py"]), default="auto", show_default=True)
@at_opt
@json_opt
def prove(market, statements, policy_path, challenge, out, identity_path, salt, spec_path, circuit, backend, at, as_json):
    """Prove the attested book meets the policy; write a verified proof bundle (nothing on failure).

    Exit code 0 when the bundle is written, 1 when the book does not meet the policy (the failed
    checks are listed; under --json as ``failed_checks``), 2 on bad input."""
    from prover.cli.report import render_proved
    from prover.files import check_out_path
    from prover.proving.pipeline import prove_bundle
    from prover.trader.identity import load_identity
    from prover.venue.attestation import load_statement
    from verifier.policy import load_policy, parse_challenge

    check_out_path(out, "proof bundle")
    when = parse_at(at)
    nonce = parse_challenge(challenge)
    blinding = parse_challenge(salt, "salt") if salt else None
    policy = load_policy(policy_path)  # its challenge: a fixed one, or "issued" (any issued one is taken)
    trader = load_identity(identity_path)
    snapshot, spec = load_market(market, spec_path, policy)
    sts = [load_statement(p) for p in statements]
    outcome = prove_bundle(circuit_for_spec(circuit, spec), snapshot, spec, sts, policy, nonce, out, identity=trader,
                           salt=blinding, backend=backend, at=when, progress=progress)
    if as_json:
        emit_json({"schema": "zkmargin-prove/1", "ok": True, "exit_code": 0, "bundle": str(out), "statement": outcome.bundle["statement"],
                   "margin": outcome.report.to_json(), "timings_s": outcome.timings})
    else:
        click.echo(render_proved(outcome, out))
