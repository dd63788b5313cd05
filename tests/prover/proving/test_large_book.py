"""prover/proving/large_book.py (``zkmargin demo --positions N``): a seeded market-maker book split
over the three demo venues as chunked statements, proved in chunks and accepted by the venue both
by py_ecc's batch (before writing) and natively; the statements are written beside the bundle and
hold the book exactly. Small test circuits of test_chunked_pipeline.py stand in for chunk_28x8."""

import json
from decimal import Decimal

import pytest

from prover.proving.large_book import MM_POLICY, SNAPSHOT, book_statements, run_large_book
from prover.trader.bookgen import market_maker_book
from prover.venue.attestation import load_statement
from public.methodology.snapshot import load_snapshot
from tests.prover.proving.test_chunked_pipeline import TRADER, circuits  # noqa: F401 (fixture)
from verifier.policy import parse_policy

pytestmark = pytest.mark.slow


def test_the_large_book_job_proves_and_the_venue_accepts_it(tmp_path, circuits):  # noqa: F811
    obj = json.loads(MM_POLICY.read_text())
    obj["circuits"] = [{"keys": str(p.keys_dir)} for p in circuits]
    policy = parse_policy(obj, MM_POLICY.parent, source="test policy")
    seen = []
    s = run_large_book(12, tmp_path / "job", seed=3, workers=0, circuits=tuple(circuits), policy=policy, chunk_progress=lambda d, t: seen.append((d, t)))
    assert s["_decision"].accepted and s["_outcome"].decision.accepted
    assert s["chunks"] == seen[-1][1] == len(json.loads((tmp_path / "job" / "bundle.json").read_text())["chunks"])
    assert set(s["circuits"]) == {"chunk", "aggregate"} and s["timings_s"]["verify_native_s"] < s["timings_s"]["verify_s"]
    sts = [load_statement(tmp_path / "job" / "statements" / f"{v}.json") for v in ("deribit", "okx", "bybit")]
    assert all(st.chunked for st in sts)
    book = market_maker_book(load_snapshot(SNAPSHOT), 12, 3, 3)
    assert sum(len(st.positions) for st in sts) == 12 == len(book["positions"])


def test_book_statements_split_the_book_by_venue_in_order(market):
    snapshot, spec = market
    sts = book_statements(snapshot, spec, 30, 5, TRADER.commitment, snapshot.epoch)
    book = market_maker_book(snapshot, 30, 3, 5)
    for k, st in enumerate(sts):
        want = [int(Decimal(p["quantity"]) * 10**8) for p in book["positions"] if p["venue"] == f"venue-{k + 1}"]
        assert [e.qty_e8 for e in st.positions] == want and st.chunked and st.signature_valid()


def test_book_statements_over_more_accounts_than_venues(market):
    """--statements 5: round-robin over the three demo venues, a venue's second account its own
    statement (another account, so not "two statements of one account"); the book split exactly."""
    snapshot, spec = market
    sts = book_statements(snapshot, spec, 40, 5, TRADER.commitment, snapshot.epoch, n_statements=5)
    assert [st.venue for st in sts] == ["deribit", "okx", "bybit", "deribit", "okx"]
    assert len({(st.venue, st.account) for st in sts}) == 5 and sts[3].account.endswith("-deribit-2")
    assert sum(len(st.positions) for st in sts) == 40 and all(st.chunked and st.signature_valid() for st in sts)
