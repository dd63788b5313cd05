"""public/methodology/calibrate.py: historical and filtered scan ranges by hand, the real Yahoo
histories, the written spec, and named errors."""

import json
import math

import numpy as np
import pytest

from public.errors import SpecError
from public.methodology.calibrate import History, calibrate_range, calibrated_spec, ewma_vols, load_history
from public.methodology.spec import VolRange, load_spec_bytes
from tests.conftest import REPO

HISTORY = REPO / "fixtures/history"
BTC = HISTORY / "yahoo_btc_usd_daily_2018-04-18_2023-04-17.csv"
ETH = HISTORY / "yahoo_eth_usd_daily_2018-04-18_2023-04-17.csv"
DEFAULT = REPO / "fixtures/spec/deribit_pm_v1.json"


def _history(closes):
    return History("synthetic", "0" * 64, tuple(f"d{i:05d}" for i in range(len(closes))), np.array(closes, dtype=float))


def test_historical_range_is_the_quantile_of_absolute_moves():
    rng = np.random.default_rng(7)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, 400)))
    h = _history(closes)
    moves = np.abs(closes[2:] / closes[:-2] - 1)
    assert calibrate_range(h, "historical", 0.99, 2) == pytest.approx(float(np.quantile(moves, 0.99)), rel=1e-15)


def test_filtered_multiple_standardises_by_the_ewma_known_before_each_window():
    rng = np.random.default_rng(8)
    vol = np.where(np.arange(600) < 300, 0.01, 0.05)  # a regime change: calm, then stressed
    closes = 100 * np.exp(np.cumsum(rng.normal(0, vol)))
    h = _history(closes)
    z = calibrate_range(h, "filtered", 0.99, 1)
    logp = np.log(closes)
    r = np.diff(logp)
    sigma = ewma_vols(r)
    ok = np.isfinite(sigma)
    assert z == pytest.approx(float(np.quantile(np.abs(np.expm1(r[ok])) / (sigma[ok] / math.sqrt(365)), 0.99)), rel=1e-12)
    assert 2.0 < z < 5.0  # standardised moves are near-normal even across the regime change
    assert calibrate_range(h, "historical", 0.99, 1) > 0.08  # the unfiltered quantile is dominated by the stressed half


def test_ewma_vol_of_a_window_uses_only_earlier_returns():
    r = np.array([0.01, -0.02, 0.03, 0.0, 0.01, -0.01, 0.02, 0.0, -0.03, 0.01, 0.05, -0.04, 0.0])
    sigma = ewma_vols(r)
    assert np.isnan(sigma[:10]).all()
    v = float(np.mean(r[:10] ** 2))  # seeded with the first ten returns, none of what follows
    assert sigma[10] == pytest.approx(math.sqrt(365 * v))
    v = 0.94 * v + 0.06 * 0.05**2  # then return 10 enters, for window 11 only
    assert sigma[11] == pytest.approx(math.sqrt(365 * v))
    v = 0.94 * v + 0.06 * 0.04**2
    assert sigma[12] == pytest.approx(math.sqrt(365 * v))


def test_flat_prices_cannot_be_standardised():
    with pytest.raises(SpecError, match="flat prices"):
        calibrate_range(_history([100.0] * 60), "filtered", 0.99, 1)


def test_real_histories_give_the_exchanges_order_of_magnitude():
    btc, eth = load_history(BTC), load_history(ETH)
    assert len(btc.closes) == 1825 and btc.dates[-1] == "2023-04-16"  # Yahoo's partial last day dropped
    # 99 % of 2-day moves, 2018-2023: about Deribit's own 16 % (BTC) and 18 % (ETH) scan ranges
    assert calibrate_range(btc, "historical", 0.99, 2) == pytest.approx(0.158, abs=0.002)
    assert calibrate_range(eth, "historical", 0.99, 2) == pytest.approx(0.194, abs=0.002)


def test_the_calibrated_spec_is_deterministic_and_valid():
    hist = {"BTC": load_history(BTC), "ETH": load_history(ETH)}
    raw, values = calibrated_spec(DEFAULT, hist, "filtered", 0.99, 2)
    again, _ = calibrated_spec(DEFAULT, hist, "filtered", 0.99, 2)
    assert raw == again == (REPO / "fixtures/spec/deribit_pm_calibrated_filtered_v1.json").read_bytes()
    spec = load_spec_bytes(raw, "calibrated")
    assert spec.price_range["BTC"] == VolRange(values["BTC"], 2.0, 0.05, 0.5)
    obj = json.loads(raw)
    assert "yahoo_btc_usd_daily_2018-04-18_2023-04-17.csv" in obj["description"] and obj["vol_shock"] == json.loads(DEFAULT.read_text())["vol_shock"]
    raw_h, values_h = calibrated_spec(DEFAULT, hist, "historical", 0.99, 2)
    assert load_spec_bytes(raw_h, "h").price_range == values_h


@pytest.mark.parametrize(("args", "words"), [
    (("bayesian", 0.99, 2), "method 'bayesian'"),
    (("historical", 1.0, 2), "confidence 1.0"),
    (("historical", 0.99, 0), "horizon 0"),
    (("historical", 0.99, 2.5), "horizon 2.5"),
    (("historical", 0.99, 40), "too few"),
])  # fmt: skip
def test_bad_calibrations_are_named(args, words):
    with pytest.raises(SpecError, match=words):
        calibrate_range(_history(np.linspace(100, 130, 50)), *args)


def test_bad_histories_are_named(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("Date,Open\n2020-01-01,1\n")
    with pytest.raises(SpecError, match="needs Date and Close"):
        load_history(p)
    p.write_text("Date,Close,Volume\n" + "".join(f"2020-01-{d:02d},{100 + d},1\n" for d in range(1, 20)))
    with pytest.raises(SpecError, match="18 usable daily closes, need at least 30"):
        load_history(p)
    p.write_text("Date,Close,Volume\n" + "".join(f"2020-{m:02d}-01,100,1\n" for m in (1, 3, 2, 4)))
    with pytest.raises(SpecError, match="line 4: date 2020-02-01 does not follow 2020-03-01"):
        load_history(p)
    with pytest.raises(SpecError, match="cannot read history"):
        load_history(tmp_path / "missing.csv")
    hist = {"BTC": load_history(BTC)}
    with pytest.raises(SpecError, match="base spec's underlyings"):
        calibrated_spec(DEFAULT, hist, "historical", 0.99, 2)
    with pytest.raises(SpecError, match="cannot read spec"):
        calibrated_spec(tmp_path / "missing_spec.json", hist, "historical", 0.99, 2)


def test_a_span_base_refuses_a_cap_whose_extreme_move_passes_100_percent():
    hist = {"BTC": load_history(BTC), "ETH": load_history(ETH)}
    with pytest.raises(SpecError, match="x extreme_multiple 3 moves the price by 100 % or more"):
        calibrated_spec(REPO / "fixtures/spec/span_cme16_v1.json", hist, "filtered", 0.99, 2, cap=0.5)
    raw, _ = calibrated_spec(REPO / "fixtures/spec/span_cme16_v1.json", hist, "filtered", 0.99, 2, cap=0.3)
    assert load_spec_bytes(raw, "span-cal").grid == "span"
