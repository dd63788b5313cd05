"""The large-book job (issue 11): a seeded market-maker book of N positions on the shipped real
Deribit snapshot (prover/trader/bookgen.py), split over 1 to 8 venue statements (default 3: one
per demo venue; more are further accounts at the same venues), each part signed as a chunked
statement (format 3, over its positions root) with its venue's DEMO key (fixtures/venues/), proved in chunks on Ray (prover/proving/chunked_pipeline.py) against the
market-maker venue's policy (fixtures/policies/market_maker_venue.json), and verified as the venue
would: py_ecc, every proof as one batch, and natively (groth16py).

Keys are the chunk and aggregate circuits' (DEFAULT_CHUNK_CIRCUIT, DEFAULT_AGGREGATE_CIRCUIT);
where none exist a DEV single-party setup (groth16py, NOT FOR PRODUCTION) is run once, as the demo
does. Used by ``zkmargin demo --positions N`` and the benchmark prover/proving/chunk_bench.py.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from public.circuit import DEFAULT_AGGREGATE_CIRCUIT, DEFAULT_CHUNK_CIRCUIT, REPO, CircuitParams, circuit_params

FIXTURES = REPO / "fixtures"
SNAPSHOT = FIXTURES / "snapshots" / "deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
MM_POLICY = FIXTURES / "policies" / "market_maker_venue.json"
TRADER = FIXTURES / "traders" / "demo_trader.identity.json"  #: public DEMO secret: the policy's applicant
VENUES = ("deribit", "okx", "bybit")  #: the demo venues whose DEMO keys sign the book's statements


def statement_names(n_statements: int) -> list[tuple[str, str]]:
    """(venue, suffix) of each of the generated book's ``n_statements`` statements: round-robin over
    the demo VENUES, so statement k is signed by VENUES[k % 3]; a venue's second and later accounts
    get the suffix "-2", "-3", ... (one statement per venue key and account, MarginAggregate step 5)."""
    return [(VENUES[k % len(VENUES)], "" if k < len(VENUES) else f"-{k // len(VENUES) + 1}") for k in range(n_statements)]


def book_statements(snapshot, spec, n_positions: int, seed: int, identity: int, epoch: int, n_statements: int = len(VENUES)) -> list:
    """The generated book's ``n_statements`` chunked venue statements (format 3), signed with the demo
    venue keys (statement_names: round-robin over the three demo venues, several accounts at a venue
    when more than three).

    The book's positions go to the statement bookgen drew for them, in order; its USDC collateral is
    split evenly (rounded up). Raises PortfolioError (bookgen; n_statements < 1) and the attest errors."""
    from prover.trader.bookgen import market_maker_book
    from prover.venue.attestation import attest, read_key

    book = market_maker_book(snapshot, n_positions, n_venues=n_statements, seed=seed)
    parts = {f"venue-{k + 1}": [] for k in range(n_statements)}
    for p in book["positions"]:
        parts[p["venue"]].append((p["instrument"], p["quantity"]))
    usdc = str(-(-Decimal(book["collateral"]["USDC"]) // n_statements))
    return [attest(read_key(FIXTURES / "venues" / f"{venue}.key.json"), venue, f"{book['account']}-{venue}{suffix}", identity, epoch, positions,
                   {"USDC": usdc}, None, spec.assets)
            for (venue, suffix), positions in zip(statement_names(n_statements), parts.values())]  # fmt: skip


def run_large_book(n_positions: int, out_dir: Path, *, seed: int = 7, workers: int | None = 2, ray_address: str | None = None,
                   pad_to: int | None = None, at=None, progress=lambda msg: None, chunk_progress=lambda done, total: None,
                   circuits: tuple[CircuitParams, CircuitParams] | None = None, policy=None, n_statements: int = len(VENUES)) -> dict:  # fmt: skip
    """Prove the generated book of ``n_positions`` and verify it as the venue; returns the summary.

    Writes ``out_dir``/bundle.json (only once it verifies) and ``out_dir``/statements/<venue>.json.
    Summary: positions, chunks, bundle path and bytes, both circuits (constraints, setup label), the
    margin report (JSON), the natively checked decision (and, not JSON, ``_outcome``: the
    ChunkedOutcome; ``_decision``: the native Decision), timings (s): compile/setup, the pipeline's
    (risk table, chunks, key loads, aggregate, py_ecc batch verify), native verify; and the chunk
    workers' peak memory (MiB). ``circuits`` (chunk, aggregate) and ``policy`` (a Policy whose circuits
    are theirs) replace the defaults (tests use small circuits). Raises what prove_chunked_bundle raises."""
    from prover.files import atomic_write_text
    from prover.toolchain.setup import ensure_keys
    from prover.proving.chunked_pipeline import prove_chunked_bundle
    from prover.trader.identity import load_identity
    from public.methodology.snapshot import load_snapshot
    from public.methodology.spec import load_spec
    from verifier.policy import load_policy
    from verifier.trusted import policy_circuits
    from verifier.verify import verify_bundle

    chunk, aggregate = circuits or (circuit_params(DEFAULT_CHUNK_CIRCUIT), circuit_params(DEFAULT_AGGREGATE_CIRCUIT))
    builds = {p.kind: ensure_keys(p, progress) for p in (chunk, aggregate)}
    policy = policy or load_policy(MM_POLICY)
    snapshot, spec = load_snapshot(SNAPSHOT), load_spec(policy.spec_path)
    trader = load_identity(TRADER)
    at = at or snapshot.timestamp + timedelta(minutes=2)
    progress(f"generating a {n_positions}-position market-maker book (seed {seed}) and signing it as {n_statements} chunked venue statements")
    t = time.perf_counter()
    statements = book_statements(snapshot, spec, n_positions, seed, trader.commitment, snapshot.epoch, n_statements)
    attest_s = time.perf_counter() - t
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "statements").mkdir(exist_ok=True)
    for st, (venue, suffix) in zip(statements, statement_names(n_statements)):
        atomic_write_text(out_dir / "statements" / f"{venue}{suffix}.json", json.dumps(st.to_json(), indent=1), "statement")
    bundle_path = out_dir / "bundle.json"
    bundle_path.unlink(missing_ok=True)  # a rerun replaces the job's own bundle
    outcome = prove_chunked_bundle(chunk, aggregate, snapshot, spec, statements, policy, policy.challenge, bundle_path, identity=trader, at=at,
                                   workers=workers, ray_address=ray_address, pad_to=pad_to, progress=progress,
                                   chunk_progress=chunk_progress)  # fmt: skip
    progress("venue side: verifying the bundle natively (groth16py) as well")
    trusted = policy_circuits(policy)
    t = time.perf_counter()
    decision = verify_bundle(json.loads(bundle_path.read_text()), policy, trusted, spec=spec, snapshot=snapshot, at=at, engine="native")
    native_s = time.perf_counter() - t
    timings = {"attest_s": attest_s, **{f"{k}_{n}": v for k, b in builds.items() for n, v in b.items() if n != "constraints" and v is not None}}
    timings.update(outcome.timings, verify_native_s=native_s)
    return {
        "positions": n_positions,
        "statements": n_statements,
        "seed": seed,
        "chunks": outcome.n_chunks,
        "bundle": str(bundle_path),
        "bundle_bytes": bundle_path.stat().st_size,
        "as_of": at.isoformat(),
        "circuits": {tc.params.kind: {"name": tc.name, "constraints": builds[tc.params.kind]["constraints"], "setup": tc.provenance.label} for tc in trusted},
        "statement": outcome.bundle["statement"],
        "margin": outcome.report.to_json(),
        "decision": decision.to_json(),
        "timings_s": timings,
        "_outcome": outcome,
        "_decision": decision,
    }
