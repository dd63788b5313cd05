"""The coin-margined spec and its records (public/methodology/spec.py ``coin_margined``,
risk_array.py coin mode, coin_margin.py): the loader refuses every inconsistent file with a named
SpecError; records are Deribit's inverse values; the fixed-point margin agrees with
deribit_pm.py's floats (the rules that reproduce Deribit's documented example) on the real
snapshot, to the rounding of records at 1e-6 coin per coin."""

import json

import pytest

from prover.trader.portfolio import load_portfolio
from public.errors import SpecError
from public.fixed_point import AGG_SCALE
from public.methodology.coin_margin import compute_coin_margin, deribit_model_params, delta_shock
from public.methodology.deribit_pm import simulate_book
from public.methodology.risk_table import cached_risk_table
from public.methodology.spec import load_spec, load_spec_bytes
from tests.conftest import PORTFOLIO, REPO

COIN = REPO / "fixtures/spec/deribit_spm_coin_v1.json"
PERP = REPO / "fixtures/portfolios/perpetual_book.json"


def _variant(**edits) -> bytes:
    obj = json.loads(COIN.read_text())
    for path, value in edits.items():
        node, *keys = path.split("__")
        target = obj
        for k in [node, *keys][:-1]:
            target = target[k]
        last = [node, *keys][-1]
        if value is KeyError:
            target.pop(last)
        else:
            target[last] = value
    return json.dumps(obj).encode()


def test_the_shipped_coin_spec():
    spec = load_spec(COIN)
    assert spec.valuation == "coin_margined" and spec.n_scenarios == 35 and spec.n_standard == 27
    assert spec.coin_margined["BTC"]["extended_dampener_e6"] == 100_000 * 10**6 and spec.coin_margined["ETH"]["m_inc_e6"] == 50
    assert set(spec.add_on.values()) == {0.0}


@pytest.mark.parametrize("edits, message", [
    ({"add_on": {"option": 0.005, "future": 0.01, "perpetual": 0.01}}, "add_on has no meaning"),
    ({"coin_margined": KeyError}, "coin_margined: required"),
    ({"valuation": "inverse"}, "valuation"),
    ({"vol_states": ["up", "same", "down"]}, "vol_states"),
    ({"day_count": "ACT/365.25"}, "day_count"),
    ({"gain_offset": 0.5}, "gain_offset"),
    ({"coin_margined__ETH": KeyError}, "exactly"),
    ({"coin_margined__BTC__m_inc": KeyError}, "must hold exactly"),
    ({"coin_margined__BTC__max_delta_shock": 1.5}, "above 1"),
    ({"coin_margined__BTC__m_inc": 1.5e-7}, "precision"),
    ({"coin_margined__BTC__max_offsetable_pnl": -1}, "max_offsetable_pnl"),
    ({"coin_margined__BTC__extended_dampener": -5}, "extended_dampener"),
    ({"coin_margined__BTC__delta_total_liq_shock_threshold": 2e12}, "1e12"),
    ({"extended_factor": 7}, "reaches 100 %"),
    ({"extended_factor": 0}, "extended_factor"),
    ({"extended_moves": []}, "extended moves"),
    ({"collateral_in_scenarios": {"BTC": 0.02}}, "collateral_in_scenarios"),
])  # fmt: skip
def test_inconsistent_coin_specs_are_named_errors(edits, message):
    with pytest.raises(SpecError, match=message):
        load_spec_bytes(_variant(**edits), "coin variant")


def test_a_dampener_beyond_the_circuits_range_is_named(market):
    snapshot, _ = market
    from public.methodology.coin_margin import coin_params

    spec = load_spec_bytes(_variant(coin_margined__BTC__extended_dampener=1e11), "huge dampener")
    with pytest.raises(SpecError, match="64-bit"):
        coin_params(spec, snapshot)


def test_records_are_inverse_values(market):
    snapshot, _ = market
    spec = load_spec(COIN)
    table = cached_risk_table(snapshot, spec)
    i = next(j for j, n in enumerate(snapshot.names) if n == "BTC-PERPETUAL")
    rec = table.records[table.index_of(int(snapshot.instrument_ids[i]))]
    moves = [0.16 * k / 4 for k in range(-4, 5) for _ in range(3)] + [0.16 * m for m in (-1, -1, 1, 1, 1, 1, 1, 1)]
    assert list(rec.pnl_e6) == [round((1 - 1 / (1 + m)) * 10**6) for m in moves]
    assert rec.add_on_e6 == 10_000 and rec.mark_e6 == 0  # min_annualised_move 0.01; no value
    assert rec.delta_e6 == round(snapshot.spot["BTC"] * 10**6)  # 1 coin of delta at the index, in USD
    assert table.coin.index_e6[0] == rec.delta_e6 and table.coin.dampener_e14[0] == 100_000 * 10**20 // rec.delta_e6


@pytest.mark.parametrize("book", [PORTFOLIO, PERP])
def test_fixed_point_margin_is_deribits_rule(market, book):
    snapshot, _ = market
    spec = load_spec(COIN)
    table = cached_risk_table(snapshot, spec)
    portfolio = load_portfolio(book, snapshot, spec)
    report = compute_coin_margin(portfolio, table, spec)
    sim = simulate_book(deribit_model_params(spec, snapshot), snapshot, portfolio)
    gross = {u: sum(abs(p.qty_e8) for p in portfolio.positions if table.records[table.index_of(p.instrument_id)].underlying == i) / 1e8
             for i, u in enumerate(spec.underlyings)}  # fmt: skip
    for um in report.underlyings:
        s = sim[um.underlying.lower()]
        tol = 0.5e-6 * gross[um.underlying] + 1e-12  # each record rounded to 1e-6 coin per coin
        assert abs(um.worst_loss_e14 / AGG_SCALE - s.worst_case) <= tol
        assert abs(um.roll_shock_e14 / AGG_SCALE - s.roll_shock) <= tol
        assert abs(um.im_e14 / AGG_SCALE - s.risk_matrix_margin) <= 2 * tol
        assert abs(um.net_delta_e14 / AGG_SCALE - s.net_delta_usd) <= 1e-6 * gross[um.underlying] * 1e3
        assert spec.n_standard > um.worst_scenario  # the dampener absorbs the extended moves of these books
        assert um.im_e14 >= um.worst_loss_e14 + um.roll_shock_e14


def test_delta_shock_branches():
    from tests.circuits.coin_cases import COIN as P

    d = 69_000 * 10**14  # USD 69,000 of net delta, 19,000 above the BTC threshold of the test parameters
    assert delta_shock(d, P, 0) == (38_000, 0, 38 * 10**11)
    assert delta_shock(-d, P, 0) == (38_000, 0, 38 * 10**11)  # |D|
    assert delta_shock(2 * d, P, 0) == (100_000, 1, 2 * 10**13)  # capped at max_delta_shock
    assert delta_shock(10**14, P, 0) == (0, 0, 0)  # under the threshold
