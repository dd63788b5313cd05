"""prover/trader/derisk.py: the least-cost trades (HiGHS LP) re-evaluated exactly, never dearer than
the greedy rule and strictly cheaper on real books, the shortfall, and infeasible cases named."""

import json

import numpy as np
import pytest

from prover.trader.derisk import LINEAR_COST_RATE, DeriskInfeasible, greedy, shortfall_usd, solve
from prover.trader.portfolio import load_portfolio, parse_portfolio
from prover.venue.attestation import load_statement, portfolio_from_statements
from public.errors import PortfolioError
from public.methodology.margin import compute_margin
from public.methodology.risk_table import build_risk_table
from public.methodology.snapshot import load_snapshot
from public.methodology.spec import haircut_prices_e6, load_spec
from tests.conftest import POLICY, REPO
from verifier.policy import parse_policy

CHAIN = REPO / "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
SPEC = REPO / "fixtures/spec/deribit_pm_v1.json"
BOOK = REPO / "fixtures/portfolios/demo_hedged_book.json"


@pytest.fixture(scope="module")
def market():
    snap, spec = load_snapshot(CHAIN), load_spec(SPEC)
    return snap, spec, build_risk_table(snap, spec, 6), haircut_prices_e6(spec, snap.spot)


def policy(**changes):
    obj = json.loads(POLICY.read_text())
    for k, v in changes.items():
        if isinstance(v, dict):
            obj[k] = {**obj[k], **v}
        else:
            obj[k] = v
    return parse_policy(obj, POLICY.parent)


def _passes_with_margin(report, pol, margin):
    k = pol.multiplier_k_e6 / 1e6
    ok = k * report.im_e14 <= (1 - margin) * report.collateral_e14 * (1 + 1e-9)
    for um in report.underlyings:
        ok &= abs(um.net_delta_e14) <= (1 - margin) * pol.delta_limit_e6[um.underlying] * 1e8 * (1 + 1e-9)
        ok &= abs(um.net_vega_e14) <= (1 - margin) * pol.vega_limit_e6[um.underlying] * 1e8 * (1 + 1e-9)
    return ok


def test_an_insolvent_book_is_fixed_at_least_cost_and_passes_when_re_evaluated(market):
    snap, spec, table, prices = market
    book = load_portfolio(BOOK, snap, spec)
    pol = policy(multiplier_k="1.8")
    before = compute_margin(book, table, spec, prices)
    assert shortfall_usd(before, pol) == pytest.approx(1.8 * before.im_e14 / 1e14 - before.collateral_e14 / 1e14)
    plan = solve(book, table, spec, snap, prices, pol, 0.05)
    # re-evaluated independently of the LP: the traded book as a what-if portfolio file
    traded = parse_portfolio({"format": "zkmargin-portfolio/1", "positions": [{"instrument": p.name, "quantity": f"{p.qty_e8 / 1e8:.8f}"} for p in plan.portfolio.positions],
                              "collateral": {a: f"{v / 1e8:.8f}" for a, v in plan.portfolio.collateral_e8.items() if v}}, snap, spec)  # fmt: skip
    again = compute_margin(traded, table, spec, prices)
    assert all(ok for _, ok, _ in again.policy_checks(pol)) and plan.passes
    assert _passes_with_margin(again, pol, 0.05 - 1e-6)
    # the collateral falls by exactly the cost (a position's mark value is swapped for its cash)
    assert (before.collateral_e14 - again.collateral_e14) / 1e14 == pytest.approx(plan.cost_usd, abs=0.01)
    base = greedy(book, table, spec, snap, prices, pol, 0.05)
    assert base is not None and all(ok for _, ok, _ in base.checks)
    assert plan.cost_usd < 0.5 * base.cost_usd  # partial reductions and a hedge beat closing whole positions
    assert 0 < plan.cost_usd


def test_a_delta_limit_is_fixed_with_a_future_hedge(market):
    snap, spec, table, prices = market
    sts = [load_statement(REPO / f"fixtures/delta_limit_fail/statements/{v}.json") for v in ("deribit", "okx", "bybit")]
    book = portfolio_from_statements(sts, table, 0)
    pol = policy()
    assert not all(ok for _, ok, _ in compute_margin(book, table, spec, prices).policy_checks(pol))
    plan = solve(book, table, spec, snap, prices, pol, 0.05)
    assert plan.passes
    # the cheapest fix sells BTC futures (a partial reduction of the held December future costs the
    # same fee as a hedge in another one); greedy closes the whole future
    assert plan.trades and all(t.qty < 0 and t.instrument.startswith("BTC-") and t.instrument.endswith("-F") for t in plan.trades)
    assert plan.cost_usd == pytest.approx(sum(abs(t.qty) * LINEAR_COST_RATE * t.price_usd for t in plan.trades))
    base = greedy(book, table, spec, snap, prices, pol, 0.05)
    assert base is not None and plan.cost_usd < base.cost_usd


@pytest.mark.parametrize("k", ["1.25", "1.6", "2.0"])
def test_the_lp_is_never_dearer_than_greedy(market, k):
    snap, spec, table, prices = market
    book = load_portfolio(BOOK, snap, spec)
    pol = policy(multiplier_k=k)
    plan = solve(book, table, spec, snap, prices, pol, 0.05)
    base = greedy(book, table, spec, snap, prices, pol, 0.05)
    assert plan.passes
    if base is not None:
        assert plan.cost_usd <= base.cost_usd + 1e-6


def test_a_book_that_passes_needs_no_trade(market):
    snap, spec, table, prices = market
    plan = solve(load_portfolio(BOOK, snap, spec), table, spec, snap, prices, policy(), 0.0)
    assert plan.trades == () and plan.cost_usd == 0 and plan.passes


def test_no_listed_trade_can_fix_a_vega_limit_on_an_option_without_a_bid(market):
    snap, spec, table, prices = market
    name = next(snap.names[i] for i in range(len(snap)) if snap.kind[i] == "option" and snap.underlying[i] == "ETH" and np.isnan(snap.bid_coin[i]) and snap.ttm_years[i] > 0.05)
    book = parse_portfolio({"format": "zkmargin-portfolio/1", "positions": [{"instrument": name, "quantity": "5000"}], "collateral": {"USDC": "1000000"}}, snap, spec)
    with pytest.raises(DeriskInfeasible, match=rf"no trade list restores the policy.*vega_limit.ETH.*without a quote to trade at: {name.split('-')[0]}"):
        solve(book, table, spec, snap, prices, policy(vega_limit_usd={"ETH": "0"}), 0.05)


def test_a_bad_safety_margin_is_named(market):
    snap, spec, table, prices = market
    with pytest.raises(PortfolioError, match="safety margin 0.7"):
        solve(load_portfolio(BOOK, snap, spec), table, spec, snap, prices, policy(), 0.7)
