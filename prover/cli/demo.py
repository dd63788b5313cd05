"""``zkmargin demo``: the main job end to end on the shipped real Deribit snapshot.

Compiles the 3-venue x 4-position circuit and runs a DEV single-party setup when no keys exist,
publishes the risk table of the real snapshot, proves the shipped hedged book, attested by three
venues' signed statements (fixtures/statements/), against the demo venue's policy,
verifies the bundle as the venue would (py_ecc, every SPEC section 6 duty, the published table
compared record by record) and prints the statement, IM/MM, the worst scenarios and timings.

The snapshot is historical (2026-08-22 15:33:51 UTC), so freshness is evaluated "as of" two
minutes after it (``--at`` to change), and the output says so.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import click

from public.circuit import DEFAULT_CIRCUIT, REPO, circuit_params

FIXTURES = REPO / "fixtures"
DEMO_SNAPSHOT = FIXTURES / "snapshots" / "deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
DEMO_STATEMENTS = tuple(FIXTURES / "statements" / f"{v}.json" for v in ("deribit", "okx", "bybit"))
DEMO_SALT = 0x1D2C3B4A5968778695A4B3C2D1E0F0E1D2C3B4A5968778695A4B3C2D1E0F1  #: fixed so auditors reproduce the commitment
DEMO_POLICY = FIXTURES / "policies" / "demo_venue.json"
DEMO_IDENTITY = FIXTURES / "traders" / "demo_trader.identity.json"  #: public DEMO secret: the policy's applicant


def run_demo(out_dir: Path, at=None, backend: str = "auto", progress=print) -> dict:
    """Run the demo; returns a summary dict (statement, margin, decision, timings, paths)."""
    from prover.proving.bundle import staged_write
    from prover.proving.pipeline import prove_bundle
    from prover.toolchain.setup import ensure_keys
    from prover.trader.identity import load_identity
    from prover.venue.attestation import load_statement, portfolio_from_statements
    from public.methodology.snapshot import load_snapshot
    from public.methodology.spec import load_spec
    from verifier.policy import load_policy
    from verifier.trusted import policy_circuits
    from verifier.verify import verify_bundle

    timings = {}
    params = circuit_params(DEFAULT_CIRCUIT)
    progress(f"compiling {params.main_path.relative_to(REPO)} (circom2 --O2; cached after the first run)")
    build = ensure_keys(params, progress)
    timings.update({k: v for k, v in build.items() if k != "constraints" and v is not None})
    policy = load_policy(DEMO_POLICY)
    t = time.perf_counter()
    snapshot = load_snapshot(DEMO_SNAPSHOT)
    spec = load_spec(policy.spec_path)
    statements = [load_statement(p) for p in DEMO_STATEMENTS]
    timings["load_s"] = time.perf_counter() - t
    at = at or snapshot.timestamp + timedelta(minutes=2)
    out_dir.mkdir(parents=True, exist_ok=True)
    bundle_path, table_path = out_dir / "bundle.json", out_dir / "risk_table.json"
    outcome = prove_bundle(params, snapshot, spec, statements, policy, policy.challenge, bundle_path, identity=load_identity(DEMO_IDENTITY),
                           salt=DEMO_SALT, backend=backend, at=at, progress=progress)
    book = portfolio_from_statements(statements, outcome.table, DEMO_SALT)
    timings.update(outcome.timings)
    with staged_write(table_path, outcome.table.to_json()):
        pass
    progress("venue side: verifying the bundle against the published risk table (py_ecc)")
    trusted = policy_circuits(policy)
    t = time.perf_counter()
    decision = verify_bundle(
        json.loads(bundle_path.read_text()), policy, trusted, spec=spec, snapshot=snapshot,
        risk_table=json.loads(table_path.read_text()), at=at,
    )
    timings["venue_verify_s"] = time.perf_counter() - t
    return {
        "bundle": str(bundle_path),
        "risk_table": str(table_path),
        "bundle_bytes": bundle_path.stat().st_size,
        "as_of": at.isoformat(),
        "circuit": {"name": params.name, "constraints": build["constraints"], "setup": trusted[0].provenance.label},
        "statement": outcome.bundle["statement"],
        "margin": outcome.report.to_json(),
        "decision": decision.to_json(),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "_report": outcome.report,
        "_decision": decision,
        "_inputs": (snapshot, spec, book, policy),
    }


@click.command()
@click.option("--out", "out_dir", default="out/demo", show_default=True, type=click.Path(file_okay=False), help="Where to write the bundle and the published risk table.")
@click.option("--backend", type=click.Choice(["auto", "snarkjs", "groth16py"]), default="auto", show_default=True)
@click.option("--at", "at", default=None, help="Freshness evaluated at this ISO time (default: 2 minutes after the snapshot).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary on stdout.")
@click.option("--positions", "n_positions", type=click.IntRange(2, 6000), default=None,
              help="The large-book job instead: a seeded market-maker book of this many positions, proved in chunks on Ray (prover/proving/large_book.py).")
@click.option("--seed", default=7, show_default=True, type=click.IntRange(0, 2**32 - 1), help="With --positions: the book generator's seed.")
@click.option("--workers", type=click.IntRange(0, 256), default=None, help="With --positions: Ray actors proving chunks [default: 2; with --ray-address, the cluster's CPUs].")
@click.option("--ray-address", default=None, help="With --positions: join this Ray cluster instead of starting a local one.")
@click.option("--pad-to", type=click.IntRange(1, 512), default=None, help="With --positions: prove this many chunks (empty ones added).")
@click.option("--statements", "n_statements", type=click.IntRange(1, 8), default=None,
              help="With --positions: split the book over this many venue statements [default: 3, one per demo venue; more are further accounts at them].")
def demo(out_dir, backend, at, as_json, n_positions, seed, workers, ray_address, pad_to, n_statements):
    """Prove and verify margin solvency of the shipped hedged book on the real Deribit snapshot.

    With --positions N: a market-maker book of N positions over the three demo venues, split into
    --statements chunked statements (1 to 8; the aggregate's unused statement slots are empty), proved in chunks of 28 positions on Ray workers and verified as one
    batch (py_ecc) and natively, against fixtures/policies/market_maker_venue.json."""
    from prover.cli.common import parse_at, progress
    from prover.cli.report import render_margin
    from verifier.report import render_decision

    if n_positions is not None:
        return _large_book(n_positions, Path(out_dir if out_dir != "out/demo" else f"out/mm_book_{n_positions}"), parse_at(at), seed, workers,
                           ray_address, pad_to, as_json, n_statements or 3)  # fmt: skip
    given = [name for name, v in (("--workers", workers), ("--ray-address", ray_address), ("--pad-to", pad_to), ("--statements", n_statements)) if v is not None]
    if given:
        raise click.UsageError(f"{', '.join(given)}: only with --positions (the large-book job)")
    summary = run_demo(Path(out_dir), parse_at(at), backend, progress)
    report, decision = summary.pop("_report"), summary.pop("_decision")
    snapshot, spec, book, policy = summary.pop("_inputs")
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo("")
        click.echo(f"== zkmargin demo: {summary['circuit']['name']} ({summary['circuit']['constraints']:,} constraints)")
        click.echo(f"== setup: {summary['circuit']['setup']}")
        click.echo(f"== freshness evaluated as of {summary['as_of']} (historical snapshot replayed)\n")
        click.echo(render_margin(report, snapshot, spec, book, report.policy_checks(policy)))
        click.echo("\nstatement (public signals, named):")
        for k, v in summary["statement"]["public"].items():
            if isinstance(v, dict):
                shown = ", ".join(f"{a} {x}" for a, x in v.items())
            elif isinstance(v, list):  # venue keys: name them as the policy does
                names = [policy.accepted_venues.get((int(k["x"], 16), int(k["y"], 16)), "unlisted") for k in v]
                shown = ", ".join(f"{n} ({k['x'][:12]}...)" for n, k in zip(names, v))
            else:
                shown = v
            click.echo(f"  {k:<30} {shown}")
        click.echo(f"\nvenue decision ({policy.venue}):")
        click.echo(render_decision(decision))
        click.echo("\ntimings (s): " + ", ".join(f"{k} {v}" for k, v in summary["timings_s"].items()))
        click.echo(f"bundle: {summary['bundle']} ({summary['bundle_bytes']:,} bytes); risk table: {summary['risk_table']}")
    raise SystemExit(0 if decision.accepted else 1)


def _large_book(n_positions, out_dir, at, seed, workers, ray_address, pad_to, as_json, n_statements):
    """``zkmargin demo --positions N``: the large-book job with a progress bar of chunks."""
    from prover.cli.common import ChunkProgress, progress
    from prover.cli.report import render_chunked_proved
    from prover.proving.large_book import run_large_book
    from verifier.report import render_decision

    with ChunkProgress() as chunk_progress:
        summary = run_large_book(n_positions, out_dir, seed=seed, workers=workers, ray_address=ray_address, pad_to=pad_to, at=at, progress=progress,
                                 chunk_progress=chunk_progress, n_statements=n_statements)  # fmt: skip
    outcome, decision = summary.pop("_outcome"), summary.pop("_decision")
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
    else:
        c = summary["circuits"]
        click.echo("")
        click.echo(f"== zkmargin demo: {n_positions}-position market-maker book (seed {seed}), {n_statements} venue statements, {summary['chunks']} chunks")
        click.echo(f"== circuits: {c['chunk']['name']} ({c['chunk']['constraints']:,} constraints) x {summary['chunks']}, "
                   f"{c['aggregate']['name']} ({c['aggregate']['constraints']:,} constraints); setup: {c['aggregate']['setup']}")
        click.echo(f"== freshness evaluated as of {summary['as_of']} (historical snapshot replayed)\n")
        click.echo(render_chunked_proved(outcome, summary["bundle"]))
        click.echo(f"\nvenue decision (native groth16py, {summary['timings_s']['verify_native_s'] * 1000:.0f} ms; py_ecc batch "
                   f"{summary['timings_s']['verify_s']:.2f} s):")
        click.echo(render_decision(decision))
        click.echo(f"bundle: {summary['bundle']} ({summary['bundle_bytes']:,} bytes)")
    raise SystemExit(0 if decision.accepted else 1)
