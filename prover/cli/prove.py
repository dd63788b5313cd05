"""``zkmargin prove``: the trader's proof that an attested book meets a venue's policy."""

from __future__ import annotations

import click

from prover.cli.common import ChunkProgress, at_opt, circuit_opt, emit_json, json_opt, load_market, market_opt, parse_at, progress, spec_opt
from public.circuit import DEFAULT_AGGREGATE_CIRCUIT, DEFAULT_CHUNK_CIRCUIT, DEFAULT_CIRCUIT, circuit_for_spec


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
@click.option("--chunk-circuit", default=None, help=f"Chunked statements: the chunk circuit in circuits/main/ [default: {DEFAULT_CHUNK_CIRCUIT}].")
@click.option("--aggregate-circuit", default=None, help=f"Chunked statements: the aggregate circuit in circuits/main/ [default: {DEFAULT_AGGREGATE_CIRCUIT}].")
@click.option("--workers", type=click.IntRange(0, 256), default=None,
              help="Chunked statements: Ray actors proving chunks (0: in this process) [default: 2; with --ray-address, the cluster's CPUs].")
@click.option("--ray-address", default=None, help="Chunked statements: join this Ray cluster (e.g. 127.0.0.1:6379) instead of starting a local one.")
@click.option("--pad-to", type=click.IntRange(1, 512), default=None, help="Chunked statements: prove this many chunks (empty ones added), so the bundle shows only the bucket.")
@at_opt
@json_opt
def prove(market, statements, policy_path, challenge, out, identity_path, salt, spec_path, circuit, backend, chunk_circuit, aggregate_circuit, workers,
          ray_address, pad_to, at, as_json):  # fmt: skip
    """Prove the attested book meets the policy; write a verified proof bundle (nothing on failure).

    Statements signed over their positions root (`zkmargin venue attest --chunked`) are proved in
    chunks (a book of thousands of positions): chunk proofs on Ray workers that load the chunk key
    once, then one aggregate proof; the bundle is zkmargin-proof-bundle/3. Otherwise one proof
    (--circuit) covers the book.

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
    chunked_opts = {"--chunk-circuit": chunk_circuit, "--aggregate-circuit": aggregate_circuit, "--workers": workers, "--ray-address": ray_address,
                    "--pad-to": pad_to}  # fmt: skip
    if any(st.chunked for st in sts):
        if not all(st.chunked for st in sts):
            flat = ", ".join(str(p) for p, st in zip(statements, sts) if not st.chunked)
            raise click.UsageError(f"chunked and one-proof statements mixed: {flat} not signed over a positions root (`zkmargin venue attest --chunked`)")
        if circuit != DEFAULT_CIRCUIT or backend != "auto":
            raise click.UsageError("chunked statements are proved by --chunk-circuit and --aggregate-circuit with groth16py, not --circuit/--backend")
        return _prove_chunked(snapshot, spec, sts, policy, nonce, out, trader, blinding, when, chunk_circuit, aggregate_circuit, workers, ray_address,
                              pad_to, as_json)  # fmt: skip
    given = [k for k, v in chunked_opts.items() if v is not None]
    if given:
        raise click.UsageError(f"{', '.join(given)}: only for chunked statements (`zkmargin venue attest --chunked`)")
    outcome = prove_bundle(circuit_for_spec(circuit, spec), snapshot, spec, sts, policy, nonce, out, identity=trader,
                           salt=blinding, backend=backend, at=when, progress=progress)
    if as_json:
        emit_json({"schema": "zkmargin-prove/1", "ok": True, "exit_code": 0, "bundle": str(out), "statement": outcome.bundle["statement"],
                   "margin": outcome.report.to_json(), "timings_s": outcome.timings})
    else:
        click.echo(render_proved(outcome, out))


def _prove_chunked(snapshot, spec, sts, policy, nonce, out, trader, salt, when, chunk_circuit, aggregate_circuit, workers, ray_address, pad_to, as_json):
    """The chunked path of ``prove``: a progress bar of chunks proved, then the summary or JSON."""
    from prover.cli.report import render_chunked_proved
    from prover.proving.chunked_pipeline import prove_chunked_bundle
    from public.circuit import circuit_params

    chunk = circuit_params(chunk_circuit or DEFAULT_CHUNK_CIRCUIT)
    aggregate = circuit_params(aggregate_circuit or DEFAULT_AGGREGATE_CIRCUIT)
    if (chunk.kind, aggregate.kind) != ("chunk", "aggregate"):
        raise click.UsageError(f"--chunk-circuit must name a chunk circuit and --aggregate-circuit an aggregate one ({chunk.name}: {chunk.kind}, {aggregate.name}: {aggregate.kind})")
    with ChunkProgress() as chunk_progress:
        outcome = prove_chunked_bundle(chunk, aggregate, snapshot, spec, sts, policy, nonce, out, identity=trader, salt=salt, at=when,
                                       workers=workers, ray_address=ray_address, pad_to=pad_to, progress=progress,
                                       chunk_progress=chunk_progress)  # fmt: skip
    if as_json:
        emit_json({"schema": "zkmargin-prove/1", "ok": True, "exit_code": 0, "bundle": str(out), "format": outcome.bundle["format"],
                   "chunks": outcome.n_chunks, "statement": outcome.bundle["statement"], "margin": outcome.report.to_json(),
                   "timings_s": outcome.timings})  # fmt: skip
    else:
        click.echo(render_chunked_proved(outcome, out))
