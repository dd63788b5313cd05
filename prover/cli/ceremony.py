"""``zkmargin ceremony``: a real multi-party phase-2 ceremony (snarkjs) over a ceremony directory.

init (coordinator) -> contribute (each participant, on their own machine, in turn) -> beacon ->
verify (anyone) -> finalize (exports the verification key). prover/toolchain/ceremony.py holds the logic.
"""

from __future__ import annotations

from pathlib import Path

import click

from public.circuit import DEFAULT_CIRCUIT, circuit_params

dir_opt = click.option("--dir", "ceremony_dir", required=True, type=click.Path(file_okay=False), help="Ceremony directory.")


@click.group()
def ceremony():
    """Multi-party Groth16 phase-2 ceremony with snarkjs, with a transcript."""


@ceremony.command()
@dir_opt
@click.option("--circuit", default=DEFAULT_CIRCUIT, show_default=True)
@click.option("--ptau", type=click.Path(exists=True, dir_okay=False), default=None, help="External phase-1 ptau (e.g. a public Powers of Tau file).")
@click.option("--dev-ptau", "dev_ptau", is_flag=True, help="Generate (or reuse) a local phase-1 ptau: DEV ONLY.")
@click.option("--ptau-power", type=click.IntRange(8, 28), default=None, help="With --dev-ptau: its power (default the smallest the circuit fits), e.g. 17 so one dev ptau serves the chunk and aggregate circuits.")
def init(ceremony_dir, circuit, ptau, dev_ptau, ptau_power):
    """Compile the circuit and start the ceremony from its R1CS and a ptau."""
    from prover.cli.common import progress
    from prover.toolchain import ceremony as cer
    from prover.toolchain import setup as su
    from prover.toolchain import snarkjs
    from public.errors import ToolchainError

    if bool(ptau) == bool(dev_ptau):
        raise ToolchainError("give exactly one of --ptau FILE or --dev-ptau")
    if ptau_power is not None and not dev_ptau:
        raise ToolchainError("--ptau-power goes with --dev-ptau (an external ptau has its own power)")
    params = circuit_params(circuit)
    build = snarkjs.compile_circuit(params)
    need = su.ptau_power(build["constraints"], params.n_public)
    if ptau_power is not None and ptau_power < need:
        raise ToolchainError(f"{params.name} has {build['constraints']:,} constraints: it needs a ptau of power {need} or more, not {ptau_power}")
    if ptau:
        path, source = Path(ptau), "external"
    else:
        path, source = su.dev_ptau(ptau_power or need, progress), "dev (generated locally, NOT FOR PRODUCTION)"
    t = cer.init(Path(ceremony_dir), params.r1cs_path, path, params.name, source)
    click.echo(f"ceremony for {params.name} started in {ceremony_dir} (phase 1: {source}); r1cs sha256 {t['r1cs_sha256'][:16]}...")


@ceremony.command()
@dir_opt
@click.option("--name", required=True, help="Participant name (recorded in the transcript).")
@click.option("--entropy", default=None, help="Extra entropy (default: 32 random bytes from the OS).")
def contribute(ceremony_dir, name, entropy):
    """Add one contribution to the latest zkey."""
    from prover.toolchain import ceremony as cer

    t = cer.contribute(Path(ceremony_dir), name, entropy)
    step = t["steps"][-1]
    click.echo(f"contribution {len(t['steps']) - 1} by {name}: {step['zkey']}, contribution hash {step['contribution_hash'][:32]}...")


@ceremony.command()
@dir_opt
@click.option("--hash", "beacon_hex", required=True, help="Public random beacon (hex), e.g. a future block hash.")
@click.option("--iterations", default=10, show_default=True, help="2^N hash iterations.")
def beacon(ceremony_dir, beacon_hex, iterations):
    """Close the ceremony with a public random beacon."""
    from prover.toolchain import ceremony as cer

    t = cer.beacon(Path(ceremony_dir), beacon_hex, iterations)
    click.echo(f"beacon applied: {t['steps'][-1]['zkey']}")


@ceremony.command("verify")
@dir_opt
def verify_cmd(ceremony_dir):
    """Check the transcript chain and every contribution (snarkjs zkey verify)."""
    from prover.toolchain import ceremony as cer

    checks = cer.verify(Path(ceremony_dir))
    for name, ok, why in checks:
        click.echo(f"  {'PASS' if ok else 'FAIL'}  {name:<12} {why}")
    raise SystemExit(0 if all(ok for _, ok, _ in checks) else 1)


@ceremony.command()
@dir_opt
@click.option("--beacon-only", is_flag=True, help="Accept a chain with no contribution (reproducible by anyone; DEV ONLY).")
def finalize(ceremony_dir, beacon_only):
    """Verify the ceremony and export its verification key."""
    from prover.toolchain import ceremony as cer

    click.echo(f"verification key: {cer.finalize(Path(ceremony_dir), beacon_only)}")
