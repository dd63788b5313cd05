"""``zkmargin export solidity``: the venue's on-chain verifier and MarginCredit contract (verifier/onchain.py)."""

from __future__ import annotations

from pathlib import Path

import click

from prover.cli.common import emit_json, json_opt


def _decimal_strings(obj):
    """Integers as decimal strings (a uint256 does not survive a JavaScript number)."""
    if isinstance(obj, bool) or not isinstance(obj, (int, dict, list)):
        return obj
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _decimal_strings(v) for k, v in obj.items()}
    return [_decimal_strings(v) for v in obj]


@click.group()
def export():
    """Export the venue's checks for other platforms."""


@export.command("solidity")
@click.option("--policy", "policy_path", required=True, type=click.Path(dir_okay=False), help="The venue's policy JSON (its spec, limits, venues, circuit).")
@click.option("--keys", "keys", default=None, type=click.Path(file_okay=False), help="Trusted key directory (default: the policy's first circuit).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Existing directory for the .sol files and deployment.json.")
@click.option("--compile", "do_compile", is_flag=True, help="Also compile with the pinned solc-js (needs Node): contracts.json with ABI and bytecode.")
@click.option("--credit-ttl", default=86_400, show_default=True, type=click.IntRange(60, 365 * 86_400), help="Seconds an accepted proof's credit lasts.")
@click.option("--challenge-ttl", default=900, show_default=True, type=click.IntRange(10, 86_400), help="Seconds an issued challenge stays valid.")
@json_opt
def solidity(policy_path, keys, out_dir, do_compile, credit_ttl, challenge_ttl, as_json):
    """Groth16Verifier.sol (groth16py's exporter) for the trusted key, MarginCredit.sol holding the
    policy, and deployment.json: MarginCredit's constructor arguments from the venue's own files."""
    import json

    from prover.files import atomic_write_text, check_out_path
    from public.methodology.spec import load_spec
    from verifier.onchain import deployment, margin_credit_solidity, verifier_solidity
    from verifier.policy import load_policy
    from verifier.trusted import ConfigError, load_trusted_circuit, policy_circuits

    out = Path(out_dir)
    names = ["Groth16Verifier.sol", "MarginCredit.sol", "deployment.json"] + (["contracts.json"] if do_compile else [])
    for n in names:
        check_out_path(out / n, n)
    policy = load_policy(policy_path)
    if policy.spec_path is None:
        raise ConfigError(f"policy {policy_path} names no spec")
    circuit = load_trusted_circuit(keys) if keys else policy_circuits(policy)[0]
    spec = load_spec(policy.spec_path)
    if circuit.params.coin_margined:
        raise ConfigError(f"circuit {circuit.name} proves the coin-margined statement; MarginCredit.sol checks the USD-linear one only "
                          "(its coin parameters come from the snapshot's index, which the contract does not hold)")  # fmt: skip
    files = {"Groth16Verifier.sol": verifier_solidity(circuit.verification_key),
             "MarginCredit.sol": margin_credit_solidity(circuit.public_signal_names())}  # fmt: skip
    dep = {"format": "zkmargin-margin-credit-deployment/1", **deployment(policy, spec, circuit, credit_ttl, challenge_ttl),
           "public_signals": circuit.public_signal_names(),
           "constructor": ["verifier", "spec_hash", "multiplier_k_e6", "delta_limit_e6", "vega_limit_e6", "venue_keys",
                           "max_snapshot_age_s", "max_attestation_age_s", "challenge_ttl_s", "credit_ttl_s"]}  # fmt: skip
    files["deployment.json"] = json.dumps(_decimal_strings(dep), indent=1)
    if do_compile:
        from prover.toolchain.snarkjs import solc_compile

        compiled = solc_compile({k: v for k, v in files.items() if k.endswith(".sol")})
        files["contracts.json"] = json.dumps({k: compiled[k] for k in ("Groth16Verifier", "MarginCredit")})
    for n in names:
        atomic_write_text(out / n, files[n], n)
    if as_json:
        emit_json({"schema": "zkmargin-export-solidity/1", "out": str(out), "files": names, "circuit": circuit.name, "verification_key_sha256": circuit.vk_sha256})
    else:
        click.echo(f"circuit {circuit.name} (key {circuit.vk_sha256[:16]}..., {len(circuit.public_signal_names())} public signals) -> " + ", ".join(str(out / n) for n in names))
