"""prover/trader/bookgen.py and ``zkmargin book generate``: deterministic per seed, exactly n
entries of the snapshot's instruments over the venues asked, near the money, delta-hedged, and a
book `zkmargin risk` reads; bad sizes are named errors."""

import json

import pytest

from prover.trader.bookgen import HEDGE_RATIO, market_maker_book
from prover.trader.portfolio import parse_portfolio
from public.errors import PortfolioError
from public.methodology.snapshot import load_snapshot
from public.methodology.spec import load_spec
from tests.conftest import SNAPSHOT, SPEC
from tests.prover.cli.runner import run

SNAP = load_snapshot(SNAPSHOT)


def test_the_same_seed_gives_the_same_book_and_another_seed_another():
    a, b, c = (market_maker_book(SNAP, 300, 4, seed) for seed in (5, 5, 6))
    assert json.dumps(a) == json.dumps(b) != json.dumps(c)


@pytest.mark.parametrize("n", [2, 100, 2000])
def test_a_book_of_n_entries_over_the_venues(n):
    book = market_maker_book(SNAP, n, 3, 1)
    assert len(book["positions"]) == n and {p["venue"] for p in book["positions"]} <= {"venue-1", "venue-2", "venue-3"}
    parsed = parse_portfolio(book, SNAP, load_spec(SPEC))  # every instrument is the snapshot's
    assert parsed.positions and parsed.collateral_e8["USDC"] >= 10**6 * 10**8


def test_options_near_the_money_and_the_delta_hedged():
    book = market_maker_book(SNAP, 1000, 3, 2)
    delta = {"BTC": [0.0, 0.0], "ETH": [0.0, 0.0]}  # options, hedge
    for p in book["positions"]:
        i = SNAP.index(p["instrument"])
        u, q = SNAP.keys[i].underlying, float(p["quantity"])
        if SNAP.kind[i] == "option":
            assert abs(SNAP.strike[i] / SNAP.forward[i] - 1) < 0.5
            delta[u][0] += q * SNAP.exchange_delta[i]
        else:
            delta[u][1] += q
    for u, (options, hedge) in delta.items():
        assert hedge == pytest.approx(-HEDGE_RATIO * options, abs=0.1)


def test_the_cli_writes_a_book_risk_reads(tmp_path):
    out = tmp_path / "mm.json"
    r = run("book", "generate", "--market", SNAPSHOT, "--positions", 500, "--seed", 3, "--out", out, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["positions"] == 500
    risk = run("risk", "--market", SNAPSHOT, "--portfolio", out, "--json")
    assert risk.exit_code == 0 and float(json.loads(risk.output)["margin"]["initial_margin_usd"]) > 0
    bad = run("book", "generate", "--market", SNAPSHOT, "--positions", 1, "--out", tmp_path / "x.json")
    assert bad.exit_code == 2 and "--positions" in bad.output and "Traceback" not in bad.output and not (tmp_path / "x.json").exists()
    with pytest.raises(PortfolioError, match="at least 2"):
        market_maker_book(SNAP, 1, 1, 0)
