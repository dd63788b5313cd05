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
    ({"BTC-28JUN24-70000-C": 1.0}, "options are not yet valued"),
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
