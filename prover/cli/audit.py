"""``zkmargin audit`` (anyone: reproduce the fixture cases) and ``zkmargin fixture`` (maintainers:
record a case, export a ceremony's keys as a fixture key directory). Logic: prover/audit/auditor.py,
prover/audit/fixture_case.py; format: docs/fixtures.md."""

from __future__ import annotations

from pathlib import Path

import click

from public.circuit import DEFAULT_CIRCUIT, circuit_params


@click.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--regenerate-keys", is_flag=True, help="Rebuild a zkey (and dev ptau) that is not shipped from its transcript, then `snarkjs zkey verify` it (2^17: about 55 min on 2 cores; cached in build/).")
@click.option("--use-build-cache", is_flag=True, help="Reuse a build/ compile of the same circuit source instead of recompiling.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable rows on stdout.")
def audit(path, regenerate_keys, use_build_cache, as_json):
    """Reproduce every fixture case at or below PATH: artefact hashes, R1CS, keys, spec hash, risk
    root, margin, decisions, public signals, proofs (py_ecc and snarkjs). Exit 1 on any FAIL."""
    from prover.audit.auditor import FAIL, SKIP, Auditor, to_json
    from prover.cli.common import emit_json, progress

    auditor = Auditor(regenerate_keys=regenerate_keys, rebuild=not use_build_cache, progress=progress)
    rows = auditor.run(Path(path))
    if as_json:
        emit_json(to_json(rows))
    else:
        scope = None
        for r in rows:
            if r.scope != scope:
                scope = r.scope
                click.echo(f"\n{scope}")
                click.echo(f"  {'':4}  {'check':<17} {'artefact':<44} {'sha256':<64}  detail")
            click.echo(f"  {r.status:4}  {r.check:<17} {r.artefact:<44} {r.sha256 or '-':<64}  {r.detail}")
        s = to_json(rows)["counts"]
        cases = len({r.scope for r in rows if not r.scope.startswith("keys/")})
        click.echo(f"\n{cases} case(s): {s['PASS']} passed, {s[FAIL]} failed, {s[SKIP]} skipped" + ("" if not s[SKIP] else " (SKIP: not checkable without --regenerate-keys)"))
    raise SystemExit(1 if auditor.failed else 0)


@click.group()
def fixture():
    """Maintainer commands: record audit fixture cases and their keys."""


@fixture.command()
@click.argument("case_dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--backend", type=click.Choice(["snarkjs", "groth16py"]), default="snarkjs", show_default=True, help="Prover of a one-proof case.")
@click.option("--workers", type=click.IntRange(0, 256), default=2, show_default=True, help="Ray workers proving a chunked case's chunks (0: this process).")
def record(case_dirs, backend, workers):
    """Evaluate each case, prove it if the book meets its policy, and (re)write its case.json."""
    from prover.audit.fixture_case import record_case
    from prover.cli.common import progress

    for d in case_dirs:
        data = record_case(Path(d), backend, progress, workers)
        e = data["expected"]
        click.echo(f"{data['name']}: {e['decision']}" + (f" ({', '.join(e['failed_checks'])})" if e["failed_checks"] else "") + f", {len(data['artefacts'])} artefacts recorded")


@fixture.command("keys")
@click.option("--ceremony", "ceremony_dir", required=True, type=click.Path(exists=True, file_okay=False), help="A finalized ceremony directory.")
@click.option("--circuit", default=DEFAULT_CIRCUIT, show_default=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Fixture key directory to write, e.g. fixtures/keys/margin_3x4.")
def keys_cmd(ceremony_dir, circuit, out):
    """Write keys.json, ceremony.json and verification_key.json from a finalized ceremony."""
    from prover.audit.fixture_case import export_keys
    from prover.toolchain import snarkjs

    params = circuit_params(circuit)
    build = snarkjs.compile_circuit(params)
    keys = export_keys(params, build, Path(ceremony_dir), Path(out))
    click.echo(f"{out}: {keys['circuit']}, vk sha256 {keys['verification_key_sha256'][:16]}..., zkey {keys['zkey_bytes'] / 2**20:.1f} MB kept out of git ({keys['label']})")
