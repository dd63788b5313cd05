"""prover/trader/efficiency.py: per-venue books hold exactly the book, the three IMs are what their
rules say (recomputed here by hand), greeks per venue add up to the book's, and the worst
scenario's contributors sum to its P&L."""

import json

import pytest

from prover.trader.efficiency import capital_efficiency, greeks, standard_margin, venue_books, worst_contributors
from prover.trader.portfolio import load_portfolio, parse_portfolio
from prover.venue.attestation import load_statement, portfolio_from_statements
from public.methodology.margin import compute_margin
from public.methodology.risk_table import build_risk_table
from public.methodology.snapshot import load_snapshot
from public.methodology.spec import haircut_prices_e6, load_spec
from tests.conftest import REPO

CHAIN = REPO / "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
BOOK = REPO / "fixtures/portfolios/demo_hedged_book.json"
VEGA = REPO / "fixtures/vega_limit_fail/statements"


@pytest.fixture(scope="module")
def market():
    snap, spec = load_snapshot(CHAIN), load_spec(REPO / "fixtures/spec/deribit_pm_v1.json")
    return snap, spec, build_risk_table(snap, spec, 6), haircut_prices_e6(spec, snap.spot)


def _im(book, market):
    snap, spec, table, prices = market
    return compute_margin(book, table, spec, prices).im_e14 / 1e14


def test_venue_books_split_the_book_exactly(market):
    snap, spec, table, prices = market
    book = load_portfolio(BOOK, snap, spec)
    books = venue_books(book)
    assert set(books) == {p for pos in book.positions for p in pos.venues}
    total = {}
    for b in books.values():
        for p in b.positions:
            total[p.instrument_id] = total.get(p.instrument_id, 0) + p.qty_e8
    assert total == {p.instrument_id: p.qty_e8 for p in book.positions}


def test_one_instrument_on_two_venues_nets_across_but_not_per_venue(market):
    snap, spec, table, prices = market
    name = next(n for n in snap.names if n.endswith("-C"))
    obj = {"format": "zkmargin-portfolio/1", "positions": [{"instrument": name, "quantity": "-10", "venue": "a"}, {"instrument": name, "quantity": "10", "venue": "b"}],
           "collateral": {"USDC": "1000000"}}  # fmt: skip
    book = parse_portfolio(obj, snap, spec)
    assert book.positions[0].qty_e8 == 0 and book.positions[0].venue_qty_e8 == (-10 * 10**8, 10 * 10**8)
    ce = capital_efficiency(book, table, spec, snap, prices)
    assert ce["total"]["cross_im_usd"] == 0
    books = venue_books(book)
    assert ce["per_venue_im_usd"] == pytest.approx({v: _im(b, market) for v, b in books.items()})
    assert ce["total"]["per_venue_im_usd"] > 0 and ce["total"]["saving_vs_per_venue_pct"] == 100


def test_standard_margin_follows_deribit_standard_rules(market):
    snap, spec, table, prices = market
    i = next(j for j, n in enumerate(snap.names) if n.endswith("-C") and snap.strike[j] > snap.forward[j] * 1.1)
    f, k = snap.forward[i], snap.strike[i]
    short = parse_portfolio({"format": "zkmargin-portfolio/1", "positions": [{"instrument": snap.names[i], "quantity": "-2"}]}, snap, spec).positions[0]
    assert standard_margin(short, table, spec, snap) == pytest.approx(max(0.15 - (k - f) / f, 0.10) * f * 2)
    long = parse_portfolio({"format": "zkmargin-portfolio/1", "positions": [{"instrument": snap.names[i], "quantity": "2"}]}, snap, spec).positions[0]
    assert standard_margin(long, table, spec, snap) == pytest.approx(2 * table.records[i].mark_e6 / 1e6)
    j = next(j for j, n in enumerate(snap.names) if snap.kind[j] != "option")
    fut = parse_portfolio({"format": "zkmargin-portfolio/1", "positions": [{"instrument": snap.names[j], "quantity": "-300"}]}, snap, spec).positions[0]
    assert standard_margin(fut, table, spec, snap) == pytest.approx((0.02 + 0.005 * 3) * snap.forward[j] * 300)


def test_statements_per_venue_margin_and_greeks_add_up(market):
    snap, spec, table, prices = market
    sts = [load_statement(VEGA / f"{v}.json") for v in ("deribit", "okx", "bybit")]
    book = portfolio_from_statements(sts, table, 0)
    ce = capital_efficiency(book, table, spec, snap, prices)
    assert ce["total"]["cross_im_usd"] == pytest.approx(_im(book, market), abs=1e-6)
    for st in sts:  # each venue margins exactly its own statement
        alone = portfolio_from_statements([st], table, 0)
        assert ce["per_venue_im_usd"][st.venue] == pytest.approx(_im(alone, market), abs=1e-6)
    assert ce["total"]["cross_im_usd"] <= ce["total"]["per_venue_im_usd"]  # netting never costs: max is subadditive
    g = greeks(book, table, spec, snap, prices)
    for u, row in enumerate(g["book"]):
        for key in ("delta_usd", "gamma_usd_per_1pct", "vega_usd_per_vol_point"):
            assert row[key] == pytest.approx(sum(rows[u][key] for rows in g["per_venue"].values()), abs=1e-4)


def test_worst_contributors_sum_to_the_worst_scenario(market):
    snap, spec, table, prices = market
    book = load_portfolio(BOOK, snap, spec)
    report = compute_margin(book, table, spec, prices)
    out = worst_contributors(book, table, spec, report, top=100)
    assert [c["underlying"] for c in out] == [um.underlying for um in report.underlyings if um.worst_scenario is not None]
    for c, um in zip(out, report.underlyings):
        assert c["scenario"] == um.worst_scenario
        assert sum(p["pnl_usd"] for p in c["positions"]) == pytest.approx(um.pnl_total_e14[um.worst_scenario] / 1e14, abs=1e-6)
        assert sum(p["share_pct"] for p in c["positions"]) == pytest.approx(100)
        assert [p["pnl_usd"] for p in c["positions"]] == sorted(p["pnl_usd"] for p in c["positions"])
    assert len(worst_contributors(book, table, spec, report, top=2)[0]["positions"]) == 2


def test_a_book_that_never_loses_has_no_contributors(market):
    snap, spec, table, prices = market
    name = next(n for n in snap.names if n.endswith("-C"))
    book = parse_portfolio({"format": "zkmargin-portfolio/1", "positions": [{"instrument": name, "quantity": "0"}]}, snap, spec)
    assert worst_contributors(book, table, spec, compute_margin(book, table, spec, prices)) == []
    assert json.dumps(capital_efficiency(book, table, spec, snap, prices))  # zero columns: percentages are None, not a division error
