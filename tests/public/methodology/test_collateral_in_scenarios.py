"""Coin collateral inside the scenarios (spec collateral_in_scenarios): the spot records, the spec
rules that keep a coin from counting twice, and the short-put book whose collateral falls with it."""

import json

import pytest

from prover.trader.portfolio import load_portfolio
from public.errors import PortfolioError, SpecError
from public.methodology.margin import compute_margin
from public.methodology.risk_table import build_risk_table
from public.methodology.snapshot import load_snapshot
from public.methodology.spec import haircut_prices_e6, load_spec, scenario_grid
from tests.conftest import REPO

CHAIN = REPO / "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
DEFAULT = REPO / "fixtures/spec/deribit_pm_v1.json"
COIN = REPO / "fixtures/spec/deribit_pm_coin_collateral_v1.json"
SPOT_BOOK = REPO / "fixtures/portfolios/short_puts_btc_spot.json"
PLAIN_BOOK = REPO / "fixtures/portfolios/short_puts_btc_collateral.json"


@pytest.fixture(scope="module")
def snap():
    return load_snapshot(CHAIN)


def _margin(snap, spec_path, book_path):
    spec = load_spec(spec_path)
    table = build_risk_table(snap, spec, 6)
    book = load_portfolio(book_path, snap, spec)
    return compute_margin(book, table, spec, haircut_prices_e6(spec, snap.spot)), table, spec


def test_spot_records_follow_the_snapshots_and_move_with_the_index(snap):
    spec = load_spec(COIN)
    table = build_risk_table(snap, spec, 6)
    default = build_risk_table(snap, load_spec(DEFAULT), 6)
    assert len(table) == len(snap) + 2 == len(default) + 2
    assert table.records[: len(snap)] == default.records  # every snapshot instrument keeps its leaf
    btc, eth = table.records[len(snap):]
    assert (btc.name, eth.name) == ("BTC-SPOT", "ETH-SPOT")
    s = snap.spot["BTC"]
    g = scenario_grid(spec, "BTC")
    assert list(btc.pnl_e6) == [round(v) for v in s * g.moves * g.weight * 1e6]
    assert (btc.delta_e6, btc.vega_e6, btc.mark_e6, btc.add_on_e6) == (round(s * 1e6), 0, round(s * 1e6), round(0.02 * s * 1e6))
    assert eth.add_on_e6 == round(0.03 * snap.spot["ETH"] * 1e6)


def test_short_puts_lose_with_their_btc_collateral(snap):
    plain, _, _ = _margin(snap, DEFAULT, PLAIN_BOOK)
    inside, _, spec = _margin(snap, COIN, SPOT_BOOK)
    s = snap.spot["BTC"]
    um_p, um_i = plain.underlyings[0], inside.underlyings[0]
    # the default spec values 4 BTC at 90 % of spot and never moves them; inside the scenarios they
    # are worth 100 % of spot now and move in every scenario: the worst case grows by the coin's loss there
    assert plain.asset_value_e14["BTC"] == 4 * 10**8 * round(0.9 * s * 1e6)
    assert inside.asset_value_e14["BTC"] == 0 and inside.mark_value_e14 - plain.mark_value_e14 == 4 * 10**8 * round(s * 1e6)
    g = scenario_grid(spec, "BTC")
    coin_loss = -4 * s * g.moves[um_i.worst_scenario] * g.weight[um_i.worst_scenario]
    assert um_i.worst_loss_e14 / 1e14 == pytest.approx(um_p.pnl_total_e14[um_i.worst_scenario] * -1 / 1e14 + coin_loss, rel=1e-9)
    assert um_i.worst_loss_e14 > um_p.worst_loss_e14
    assert um_i.net_delta_e14 - um_p.net_delta_e14 == 4 * 10**8 * round(s * 1e6)  # the coin's delta counts too
    assert inside.add_on_e14 - plain.add_on_e14 == 4 * 10**8 * round(0.02 * s * 1e6)


def test_a_coin_is_never_counted_twice(snap, tmp_path):
    with pytest.raises(PortfolioError, match="collateral BTC counts in the scenarios.*BTC-SPOT"):
        load_portfolio(PLAIN_BOOK, snap, load_spec(COIN))
    with pytest.raises(PortfolioError, match="BTC-SPOT is a spot holding: it counts only under a spec with collateral_in_scenarios"):
        load_portfolio(SPOT_BOOK, snap, load_spec(DEFAULT))
    assert haircut_prices_e6(load_spec(COIN), snap.spot)["BTC"] == 0


@pytest.mark.parametrize(("edit", "words"), [
    (lambda o: o["collateral"]["BTC"].update(haircut=0.1), "collateral.BTC.haircut: must be 1"),
    (lambda o: o.update(collateral_in_scenarios={"SOL": 0.02}), "collateral_in_scenarios: must map some of"),
    (lambda o: o.update(collateral_in_scenarios={}), "collateral_in_scenarios: must map"),
    (lambda o: o["collateral_in_scenarios"].update(BTC=1.0), "collateral_in_scenarios.BTC"),
    (lambda o: o.pop("collateral_in_scenarios"), "collateral.BTC.haircut: 1.0 is outside"),
])  # fmt: skip
def test_bad_coin_collateral_specs_name_the_field(tmp_path, edit, words):
    obj = json.loads(COIN.read_text())
    edit(obj)
    p = tmp_path / "spec.json"
    p.write_text(json.dumps(obj))
    with pytest.raises(SpecError, match=words.replace("(", r"\(")):
        load_spec(p)


def test_the_default_table_has_no_spot_record(snap):
    assert not any(r.name.endswith("-SPOT") for r in build_risk_table(snap, load_spec(DEFAULT), 6).records)


def test_a_venue_attested_coin_counts_only_as_its_spot_position(snap):
    from prover.venue.attestation import attest, portfolio_from_statements
    from public.crypto.eddsa import PrivateKey
    from tests.conftest import demo_trader

    spec = load_spec(COIN)
    table = build_risk_table(snap, spec, 6)
    prices = haircut_prices_e6(spec, snap.spot)
    key = PrivateKey(b"\x07" * 32)
    both = attest(key, "v", "a", demo_trader().commitment, 1787412600, [("BTC-SPOT", "2")], {"BTC": "5", "USDC": "100"}, 4, spec.assets)
    report = compute_margin(portfolio_from_statements([both], table, 0), table, spec, prices)
    s = round(snap.spot["BTC"] * 1e6)
    assert report.asset_value_e14 == {"USDC": 100 * 10**14, "USDT": 0, "BTC": 0, "ETH": 0}  # the 5 BTC as collateral: nothing
    assert report.mark_value_e14 == 2 * 10**8 * s  # the 2 BTC as BTC-SPOT: at spot


def test_a_net_spot_quantity_out_of_range_is_named(snap):
    obj = {"format": "zkmargin-portfolio/1", "positions": [{"instrument": "BTC-SPOT", "quantity": "175000"}] * 2, "collateral": {}}
    from prover.trader.portfolio import parse_portfolio

    with pytest.raises(PortfolioError, match="net quantity of BTC-SPOT out of range"):
        parse_portfolio(obj, snap, load_spec(COIN))
