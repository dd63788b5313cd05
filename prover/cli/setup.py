"""``zkmargin setup``: compile a circuit and run its Groth16 setup."""

from __future__ import annotations

from pathlib import Path

import click

from prover.cli.common import circuit_opt, progress
from public.circuit import REPO, circuit_params


@click.command()
@circuit_opt
@click.option("--dev", "mode", flag_value="dev", default=True, help="groth16py single-party setup from the R1CS (seconds; DEV ONLY).")
@click.option("--dev-ptau", "mode", flag_value="dev-ptau", help="snarkjs setup from a locally generated ptau (cached; slow; DEV ONLY).")
@click.option("--ptau", "ptau", type=click.Path(exists=True, dir_okay=False), default=None, help="snarkjs setup from an external ptau file.")
@click.option("--ceremony", "ceremony_dir", type=click.Path(exists=True, file_okay=False), default=None, help="Install the keys of a finalized `zkmargin ceremony` directory.")
@click.option("--recompile", is_flag=True, help="Recompile even if the build is current.")
@click.option("--force", is_flag=True, help="Replace existing keys: every bundle proved under them stops verifying.")
def setup(circuit, mode, ptau, ceremony_dir, recompile, force):
    """Compile a circuit and run its Groth16 setup (dev setups are labelled NOT FOR PRODUCTION).

    Refuses to replace the circuit's existing keys without --force."""
    from prover.toolchain import setup as su
    from prover.toolchain import snarkjs

    params = circuit_params(circuit)
    su.check_replace_keys(params, force, new_vk=Path(ceremony_dir) / "verification_key.json" if ceremony_dir else None)  # before any work
    progress(f"compiling {params.main_path.relative_to(REPO)} with circom2 --O2")
    build = snarkjs.compile_circuit(params, force=recompile)
    click.echo(f"circuit {params.name}: {build['constraints']:,} constraints, r1cs sha256 {build['r1cs_sha256'][:16]}...")
    if ceremony_dir:
        rec = su.ceremony_setup(params, Path(ceremony_dir), force=force)
    elif ptau:
        rec = su.snarkjs_setup(params, Path(ptau), external=True, progress=progress, force=force)
    elif mode == "dev-ptau":
        power = su.ptau_power(build["constraints"], params.n_public)
        rec = su.snarkjs_setup(params, su.dev_ptau(power, progress), external=False, progress=progress, force=force)
    else:
        rec = su.dev_setup(params, force=force)
    click.echo(f"setup: {rec.kind}: {rec.label}")
    click.echo(f"verification key: {rec.verification_key_path} (sha256 {rec.verification_key_sha256[:16]}...)")
