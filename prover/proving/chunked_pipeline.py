"""The trader's pipeline for a large book (issue 11): chunked venue statements (format 3) -> chunk
proofs on Ray -> aggregate proof -> ``zkmargin-proof-bundle/3``, verified before it is written.

Two fixed-size circuits serve every book size: a chunk circuit (MarginChunk, C position slots) and
an aggregate circuit (MarginAggregate), each with its own keys (one setup, or ceremony, per
circuit). The book's statements are cut into chunks of C positions (prover/proving/chunks.py
plan_chunks; ``pad_to`` adds empty chunks so the bundle's chunk count shows only a bucket of the
size); the chunks are proved in parallel (prover/proving/chunk_workers.py), the aggregate here.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from public.bundle_format import FORMAT_CHUNKED
from public.circuit import CircuitParams
from public.errors import BundleError, PolicyNotMet, PortfolioError
from public.fixed_point import CHALLENGE_BITS


@dataclass
class ChunkedOutcome:
    """What ``prove_chunked_bundle`` produced: the bundle (as written), margin report, decision,
    the chunk count and timings (s) and worker figures."""

    bundle: dict
    report: object
    decision: object
    n_chunks: int
    timings: dict = field(default_factory=dict)


def check_chunked_statements(statements, aggregate: CircuitParams, identity) -> None:
    """Refuse a statement set the aggregate circuit would reject, before any work: not format 3,
    none or more than the circuit's statement slots, a signature that does not verify, a venue key
    outside the subgroup, more positions than the circuit's count range (PortfolioError). Fewer
    statements than the circuit's slots are fine: the rest are empty slots (chunks.aggregate_inputs)."""
    if not 1 <= len(statements) <= aggregate.n_venues:
        raise PortfolioError(f"{len(statements)} venue statements given, the aggregate circuit {aggregate.name} takes 1 to {aggregate.n_venues}")
    per_statement = 2 ** (aggregate.slot_bits - max(1, (aggregate.n_venues - 1).bit_length())) - 1
    for st in statements:
        name = st.source or st.venue
        if not st.chunked:
            raise PortfolioError(f"{name}: a chunked proof needs statements signed over their positions root (format 3: `zkmargin venue attest --chunked`)")
        if not st.public_key.is_valid():
            raise PortfolioError(f"{name}: venue key is not a valid BabyJubJub key (off curve or outside the prime-order subgroup)")
        if not st.signature_valid():
            raise PortfolioError(f"{name}: the venue signature does not verify (statement altered or forged)")
        if st.identity != identity.commitment:
            raise PortfolioError(f"{name}: the statement was issued to another trader identity (statements serve only the trader they were signed for)")
        if len(st.positions) > per_statement:
            raise PortfolioError(f"{name}: {len(st.positions)} positions, the aggregate circuit counts at most {per_statement} a statement")


def public_names(params: CircuitParams) -> list[str]:
    """The main file's public input names of ``params``, in order."""
    return [n.strip() for n in params.public_inputs.split(",")]


def make_chunked_bundle(aggregate_tc, chunk_tc, aggregate_proof, aggregate_signals, chunk_proofs, risk_root: int, snapshot, spec) -> dict:
    """The ``zkmargin-proof-bundle/3`` dict (public/bundle_format.py)."""
    from public.statement import named_signals, statement

    named = {"risk_root": risk_root, **named_signals(aggregate_signals, aggregate_tc.public_signal_names())}
    return {
        "format": FORMAT_CHUNKED,
        "statement": statement(named, spec.underlyings, spec.assets),
        "public_signals": aggregate_signals,
        "proof": aggregate_proof,
        "circuit": aggregate_tc.bundle_section(),
        "market": {"snapshot_sha256": snapshot.sha256, "snapshot_epoch": snapshot.epoch, "spec": spec.name, "spec_sha256": spec.sha256,
                   "underlyings": list(spec.underlyings), "assets": list(spec.assets)},  # fmt: skip
        "chunks": [{"public_signals": s, "proof": p} for p, s in chunk_proofs],
        "chunk_circuit": chunk_tc.bundle_section(),
    }


def prove_chunked_bundle(chunk: CircuitParams, aggregate: CircuitParams, snapshot, spec, statements, policy, challenge: int, out, *, identity,
                         salt: int | None = None, at: datetime | None = None, workers: int | None = 2, ray_address: str | None = None,
                         pad_to: int | None = None, progress=lambda msg: None, chunk_progress=lambda done, total: None,
                         on_worker=lambda actor: None) -> ChunkedOutcome:  # fmt: skip
    """Prove the book of the chunked ``statements`` meets ``policy``; write a verified bundle to ``out``.

    ``chunk``/``aggregate``: the two circuits (compiled here if needed; their keys from ``zkmargin
    setup``); ``workers``/``ray_address``: prover/proving/chunk_workers.py; ``pad_to``: prove that
    many chunks (empty ones added). Nothing is written unless the venue-side verifier accepts the
    bundle under the prover's own key directories.

    Raises OutputPathError, StaleSnapshotError, PolicyNotMet (insolvent, over a limit, a venue key
    the policy does not accept, stale statements, another challenge), PortfolioError (statements
    the circuits would reject; an unknown instrument; more chunks than ``pad_to``), ToolchainError
    (no build or keys, Ray, a worker lost too often), BundleError (failed its own verification).
    """
    from prover.files import atomic_write_text, check_out_path
    from prover.proving import chunks as ch
    from prover.proving.chunk_workers import KeyedProver, prove_all
    from prover.proving.pipeline import refuse_unless_met, refuse_unlisted_venues
    from prover.toolchain import snarkjs
    from prover.toolchain.setup import load_setup
    from prover.venue.attestation import portfolio_from_statements
    from public.methodology.margin import compute_margin
    from public.methodology.risk_table import cached_risk_table
    from public.methodology.snapshot import check_fresh
    from public.methodology.spec import haircut_prices_e6
    from verifier.trusted import load_trusted_circuit
    from verifier.verify import verify_bundle

    out = check_out_path(out, "proof bundle")
    at = at or datetime.now(timezone.utc)
    timings = {}
    check_fresh(snapshot, policy.max_snapshot_age_s, at)
    if policy.challenge is None:
        policy = dataclasses.replace(policy, challenge=challenge)
    if challenge != policy.challenge:
        raise PolicyNotMet(f"challenge {hex(challenge)} is not the one in the policy ({hex(policy.challenge)}): the venue would reject the proof")
    check_chunked_statements(statements, aggregate, identity)
    for params in (chunk, aggregate):
        snarkjs.compile_circuit(params)
    setups = {p.kind: load_setup(p) for p in (chunk, aggregate)}
    trusted = {p.kind: load_trusted_circuit(p.keys_dir) for p in (chunk, aggregate)}
    progress("risk table: evaluating the snapshot and committing the records")
    t = time.perf_counter()
    table = cached_risk_table(snapshot, spec, chunk.depth)
    root = table.root
    timings["risk_table_s"] = time.perf_counter() - t
    prices = haircut_prices_e6(spec, snapshot.spot)
    salt = secrets.randbits(CHALLENGE_BITS) if salt is None else salt
    report = compute_margin(portfolio_from_statements(statements, table, salt), table, spec, prices)
    refuse_unless_met(report, policy)
    refuse_unlisted_venues(statements, policy, at)
    inputs_list, agg = ch.book_inputs(chunk, aggregate, table, statements, spec, prices, policy, challenge, snapshot.epoch, salt, identity, pad_to)
    where = f"Ray at {ray_address}" if ray_address else "this process" if workers == 0 else f"{workers or 2} local Ray worker(s)"
    progress(f"proving {len(inputs_list)} chunks of {chunk.n_pos} slots with circuit {chunk.name} on {where}")
    t = time.perf_counter()
    chunk_proofs, figures = prove_all(chunk, setups["chunk"].proving_key_path, public_names(chunk), inputs_list, workers=workers,
                                      ray_address=ray_address, progress=chunk_progress, on_worker=on_worker)  # fmt: skip
    timings["chunks_s"] = time.perf_counter() - t
    timings.update({f"chunk_{k}": v for k, v in figures.items()})
    progress(f"proving the aggregate with circuit {aggregate.name} ({trusted['aggregate'].provenance.label})")
    t = time.perf_counter()
    agg_prover = KeyedProver(aggregate, str(setups["aggregate"].proving_key_path), public_names(aggregate))
    agg_proof, agg_signals, agg_t = agg_prover.prove(agg)
    timings.update(aggregate_key_load_s=agg_prover.key_load_s, aggregate_witness_s=agg_t["witness_s"], aggregate_prove_s=agg_t["prove_s"],
                   aggregate_s=time.perf_counter() - t)  # fmt: skip
    text = json.dumps(make_chunked_bundle(trusted["aggregate"], trusted["chunk"], agg_proof, agg_signals, chunk_proofs, root, snapshot, spec), indent=1)
    progress(f"verifying the bundle ({len(inputs_list) + 1} proofs, one batch) as the venue will, before writing it")
    t = time.perf_counter()
    bundle = json.loads(text)
    decision = verify_bundle(bundle, policy, [trusted["aggregate"], trusted["chunk"]], spec=spec, snapshot=snapshot, at=at, applicant=identity.commitment)
    timings["verify_s"] = time.perf_counter() - t
    if not decision.accepted:
        reasons = "; ".join(f"{c.name}: {c.reason}" for c in decision.failed)
        raise BundleError(f"the proof bundle failed its own verification, nothing written: {reasons}")
    atomic_write_text(out, text)
    return ChunkedOutcome(bundle, report, decision, len(inputs_list), timings)
