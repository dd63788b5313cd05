"""Deribit S:PM coin-margined slice (public/methodology/deribit_pm.py) against Deribit's own
documented ``private/pme/simulate`` example (fixtures/deribit/, vendor documentation)."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from public.errors import PortfolioError, SpecError
from public.methodology.deribit_pm import simulate

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = json.loads((REPO / "fixtures" / "deribit" / "deribit_pme_simulate_docs_example_btc.json").read_text())["deribit_docs_btc"]["result"]
MARGINS = EXAMPLE["margins"]["btc"]
DETAILS = MARGINS["initial_margin_details"]
RISK = DETAILS["risk_matrix_margin_details"]
AT = datetime.fromtimestamp(EXAMPLE["model_params"]["general"]["timestamp"] / 1000, timezone.utc)


def run(positions=None, params=None, **kw):
    return simulate(params or EXAMPLE["model_params"], "btc", positions or EXAMPLE["portfolio"]["position"], EXAMPLE["index_price"]["btc_usd"], AT,
                    mmp_margin=DETAILS["mmp_margin"], open_orders_margin=DETAILS["open_orders_margin"], spot_margin=DETAILS["spot_margin"], **kw)


def rel(got, want):
    return abs(got - want) / abs(want)


def test_every_risk_vector_of_the_example():
    r = run()
    for name, vec in EXAMPLE["initial_risk_vectors"].items():
        for source in ("standard", "extended"):
            assert r.initial_risk_vectors[name][source] == pytest.approx(vec[source], rel=1e-9, abs=1e-15), (name, source)
    agg = EXAMPLE["aggregated_risk_vectors"]["btc_btc"]
    assert r.aggregated_standard == pytest.approx(agg["standard"], rel=1e-9, abs=1e-15)
    assert r.aggregated_extended == pytest.approx(agg["extended"], rel=1e-9, abs=1e-15)


def test_worst_case_bucket_roll_and_delta_shock_of_the_example():
    r = run()
    assert rel(r.worst_case, RISK["worst_case"]) < 1e-9
    assert r.worst_case_bucket.to_json() == RISK["worst_case_bucket"]
    assert rel(r.roll_shock, RISK["roll_shock"]) < 1e-9
    assert r.delta_shock == RISK["delta_shock"] == 0


def test_im_and_mm_of_the_example():
    """Deribit's risk_matrix_margin (0.06284313098) is 3.8e-10 BTC below its own worst_case +
    roll_shock (6e-9 relative): its inputs are printed rounded. IM and MM follow from it, so these
    three match to 1e-8 relative; MM = mm_factor x RMM holds exactly on Deribit's numbers."""
    r = run()
    assert rel(r.risk_matrix_margin, DETAILS["risk_matrix_margin"]) < 1e-8
    assert rel(r.initial_margin, MARGINS["initial_margin"]) < 1e-8
    assert rel(r.maintenance_margin, MARGINS["maintenance_margin"]) < 1e-8
    assert EXAMPLE["model_params"]["general"]["mm_factor"] * DETAILS["risk_matrix_margin"] == pytest.approx(MARGINS["maintenance_margin"], rel=1e-15)
    assert rel(r.risk_matrix_margin, r.worst_case + r.roll_shock + r.delta_shock) < 1e-15


def test_roll_shock_grows_with_time_to_expiry():
    """A future a year out: |N| x annualised_move_risk x T (365-day year) once above the floor."""
    r = run({"BTC-17JUN25": 2.0})
    t = (datetime(2025, 6, 17, 8, tzinfo=timezone.utc) - AT).total_seconds() / (365 * 86400)
    assert r.roll_shock == pytest.approx(2.0 * 0.075 * t, rel=1e-12)
    assert run({"BTC-PERPETUAL": 2.0}).roll_shock == pytest.approx(2.0 * 0.01)


def test_delta_shock_above_the_threshold_is_capped():
    big = run({"BTC-PERPETUAL": 400.0})  # 26.3M USD of delta: 6.3M above the 20M threshold
    excess = 400.0 * EXAMPLE["index_price"]["btc_usd"] - 20_000_000
    assert big.delta_shock == pytest.approx(400.0 * 5e-05 * excess / 1e6, rel=1e-12)
    huge = run({"BTC-PERPETUAL": 1e7})
    assert huge.delta_shock == pytest.approx(1e7 * 0.1)


def test_gains_do_not_offset_and_short_loses_on_the_right():
    r = run({"BTC-PERPETUAL": -1.0})
    assert max(r.aggregated_standard) == 0
    assert r.worst_case == pytest.approx(-(1 - 1 / 1.16) * -1.0)
    assert r.worst_case_bucket.side == "right" and r.worst_case_bucket.bucket == 1


@pytest.mark.parametrize(("positions", "words"), [
    ({"BTC-28JUN24-70000-C": 1.0}, "an option needs its forward and mark IV"),
    ({"ETH-PERPETUAL": 1.0}, "settles in ETH"),
])
def test_refused_positions(positions, words):
    with pytest.raises(PortfolioError, match=words):
        run(positions)


def test_missing_or_bad_model_parameter_is_a_spec_error():
    params = json.loads(json.dumps(EXAMPLE["model_params"]))
    params["currency_pair"]["btc_usd"]["price_range"] = "0.16"
    with pytest.raises(SpecError, match="price_range"):
        run(params=params)
    del params["currency"]["btc"]
    with pytest.raises(SpecError, match="currency.btc"):
        run(params=params)


OPT = "BTC-27SEP24-70000-C"
PUT = "BTC-27SEP24-70000-P"
MARKET = {OPT: (67500.0, 0.5), PUT: (67500.0, 0.5)}


def test_an_option_is_valued_in_coin_at_the_shocked_index():
    from public.methodology import black76
    from public.methodology.deribit_pm import deribit_vols

    r = run({OPT: 2.0}, options=MARKET)
    s = EXAMPLE["index_price"]["btc_usd"]
    expiry = datetime(2024, 9, 27, 8, tzinfo=timezone.utc)
    t = (expiry - AT).total_seconds() / (365 * 86400)
    pair = EXAMPLE["model_params"]["currency_pair"]["btc_usd"]
    vols = deribit_vols(0.5, t, pair, "btc")
    assert vols[1] == 0.5 and vols[0] < 0.5 < vols[2]
    dte = t * 365
    x = (30 / dte) ** pair["long_term_vega_power"]  # 102 days: the long-term power
    assert vols[2] == pytest.approx(max(0.5 * (1 + 0.5 * x), 0.5)) and vols[0] == pytest.approx(0.5 * (1 - 0.25 * x))
    now = black76.price(67500.0, 70000.0, t, 0.5, True) / s
    for k, m in enumerate(r.moves):
        for v in range(3):
            want = 2.0 * (black76.price(67500.0 * (1 + m), 70000.0, t, vols[v], True) / (s * (1 + m)) - now)
            assert r.initial_risk_vectors[OPT]["standard"][3 * k + v] == pytest.approx(float(want), rel=1e-12, abs=1e-15)
    assert r.roll_shock == 0  # options carry no roll shock
    assert r.net_delta_usd == pytest.approx(2.0 * float(black76.delta(67500.0, 70000.0, t, 0.5, True)) * s)


def test_inverse_put_call_parity_holds_in_every_scenario():
    s = EXAMPLE["index_price"]["btc_usd"]
    call = run({OPT: 1.0}, options=MARKET).initial_risk_vectors[OPT]["standard"]
    put = run({PUT: 1.0}, options=MARKET).initial_risk_vectors[PUT]["standard"]
    moves = [0.16 * k / 4 for k in range(-4, 5)]
    for k, m in enumerate(moves):
        forward_coin = (67500.0 * (1 + m) - 70000.0) / (s * (1 + m)) - (67500.0 - 70000.0) / s
        for v in range(3):  # vol drops out of call - put
            assert call[3 * k + v] - put[3 * k + v] == pytest.approx(forward_coin, abs=1e-12)


def test_a_short_call_loses_most_on_the_right_at_vol_up():
    r = run({OPT: -5.0}, options=MARKET)
    assert r.worst_case_bucket.to_json() == {"source": "standard", "side": "right", "bucket": 1, "index": 2}
    long = run({OPT: 5.0}, options=MARKET).initial_risk_vectors[OPT]["standard"]
    assert all(long[3 * k] < long[3 * k + 1] < long[3 * k + 2] for k in range(9))  # down < unchanged < up vol


@pytest.mark.parametrize(("market", "words"), [({OPT: (0.0, 0.5)}, "must be positive"), ({OPT: (67500.0, "x")}, "needs its forward"), ({OPT: (67500.0, float("nan"))}, "must be positive")])
def test_an_option_with_a_bad_market_is_refused(market, words):
    with pytest.raises(PortfolioError, match=words):
        run({OPT: 1.0}, options=market)


def test_the_demo_book_on_the_real_snapshot():
    from prover.trader.portfolio import load_portfolio
    from public.methodology.deribit_pm import simulate_book
    from public.methodology.snapshot import load_snapshot
    from public.methodology.spec import load_spec

    snap = load_snapshot(REPO / "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv")
    book = load_portfolio(REPO / "fixtures/portfolios/demo_hedged_book.json", snap, load_spec(REPO / "fixtures/spec/deribit_pm_v1.json"))
    params = json.loads((REPO / "fixtures/deribit/deribit_pm_model_params_btc_eth.json").read_text())["model_params"]
    res = simulate_book(params, snap, book)
    assert set(res) == {"btc", "eth"}
    for ccy, r in res.items():
        assert r.initial_margin == pytest.approx(r.worst_case + r.roll_shock + r.delta_shock)
        assert r.maintenance_margin == pytest.approx(0.8 * r.risk_matrix_margin)
        n = sum(len(v["standard"]) for v in r.initial_risk_vectors.values())
        assert n == 27 * len(r.initial_risk_vectors)
    assert res["btc"].roll_shock == pytest.approx(16 * max(0.01, 0.075 * ((datetime(2026, 12, 25, 8, tzinfo=timezone.utc) - snap.timestamp).total_seconds() / (365 * 86400))))


@pytest.mark.parametrize(("value", "factor"), [(1.0, 1), (0.6, 2), (0.0, 1), (-0.16, 1)])
def test_a_price_range_that_moves_the_price_to_zero_or_nowhere_is_refused(value, factor):
    params = json.loads(json.dumps(EXAMPLE["model_params"]))
    params["currency_pair"]["btc_usd"].update(price_range=value, extended_table_factor=factor)
    with pytest.raises(SpecError, match="price_range .* must be in \\(0, 1\\)"):
        run(params=params)
