"""SPAN mode (public/methodology/spec.py span_grid, risk_array.py additive vol shifts): CME's 16
scenarios and SPAN's identities on the real snapshot, and the spec fields it refuses."""

import copy
import json
import math

import numpy as np
import pytest

from public.errors import SpecError
from public.methodology import black76
from public.methodology.risk_array import risk_arrays
from public.methodology.snapshot import load_snapshot
from public.methodology.spec import SPAN_STANDARD, load_spec, scenario_bucket, scenario_grid
from tests.conftest import REPO

SPAN = REPO / "fixtures/spec/span_cme16_v1.json"
SNAPSHOT = REPO / "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
BASE = json.loads(SPAN.read_text())
#: CME's scenario table: (price move as a fraction of the scan range, vol), scenarios 1..16
CME_TABLE = [(0, "up"), (0, "down"), (1 / 3, "up"), (1 / 3, "down"), (-1 / 3, "up"), (-1 / 3, "down"),
             (2 / 3, "up"), (2 / 3, "down"), (-2 / 3, "up"), (-2 / 3, "down"), (1, "up"), (1, "down"),
             (-1, "up"), (-1, "down"), (3, "same"), (-3, "same")]  # fmt: skip


@pytest.fixture(scope="module")
def spec():
    return load_spec(SPAN)


@pytest.fixture(scope="module")
def arrays(spec):
    snap = load_snapshot(SNAPSHOT)
    return snap, risk_arrays(snap, spec)


def test_the_grid_is_cmes_16_scenarios_in_cme_order(spec):
    assert spec.n_scenarios == 16 and spec.grid == "span" and spec.day_count == "ACT/365"
    g = scenario_grid(spec, "BTC")
    r = spec.price_range["BTC"]
    expected_moves = [f * r for f, _ in CME_TABLE]
    assert np.allclose(g.moves, expected_moves, rtol=0, atol=1e-15)
    assert [("up", "same", "down")[v] for v in g.vol_state] == [v for _, v in CME_TABLE]
    assert list(g.weight) == [1.0] * 14 + [0.35, 0.35]
    assert g.labels[14] == "BTC +48% extreme x0.35" and g.labels[15] == "BTC -48% extreme x0.35"
    assert len(SPAN_STANDARD) == 14


def test_a_long_future_array_is_the_range_times_the_move_fractions(spec, arrays):
    snap, ra = arrays
    for u in ("BTC", "ETH"):
        i = snap.index(f"{u}-PERPETUAL")
        f, r = snap.forward[i], spec.price_range[u]
        expected = [f * r * frac for frac, _ in CME_TABLE[:14]]
        assert np.allclose(ra.pnl_usd[i, :14], expected, rtol=1e-14, atol=1e-9)
        # extremes: cover x multiple x range x F, up and down
        assert ra.pnl_usd[i, 14] == pytest.approx(0.35 * 3 * r * f, rel=1e-14)
        assert ra.pnl_usd[i, 15] == pytest.approx(-0.35 * 3 * r * f, rel=1e-14)
        # vol never moves a future: each price move's vol-up and vol-down entries are equal
        assert np.array_equal(ra.pnl_usd[i, 0::2][:7], ra.pnl_usd[i, 1::2][:7])


def test_options_take_the_absolute_vol_scan_range(spec, arrays):
    snap, ra = arrays
    i = snap.index("BTC-25SEP26-80000-C")
    f, k, sigma = snap.forward[i], snap.strike[i], snap.mark_iv[i]
    t = snap.ttm_years[i] * 365.25 / 365  # ACT/365 in this spec
    vsr = spec.span["vol_scan_range"]["BTC"]
    now = black76.price(f, k, t, sigma, True)
    assert ra.pnl_usd[i, 0] == pytest.approx(float(black76.price(f, k, t, sigma + vsr, True) - now), rel=1e-13)
    assert ra.pnl_usd[i, 1] == pytest.approx(float(black76.price(f, k, t, sigma - vsr, True) - now), rel=1e-13)
    up3 = f * (1 + 3 * spec.price_range["BTC"])
    assert ra.pnl_usd[i, 14] == pytest.approx(0.35 * float(black76.price(up3, k, t, sigma, True) - now), rel=1e-13)
    assert ra.pnl_usd[i, 0] > 0 > ra.pnl_usd[i, 1]  # a long call gains on vol up, loses on vol down


def test_worst_case_buckets_of_span_scenarios(spec):
    assert scenario_bucket(spec, 0).to_json() == {"source": "standard", "side": "center", "bucket": 0, "index": 2}
    assert scenario_bucket(spec, 13).to_json() == {"source": "standard", "side": "left", "bucket": 1, "index": 0}
    assert scenario_bucket(spec, 3).to_json() == {"source": "standard", "side": "right", "bucket": 3, "index": 0}
    assert scenario_bucket(spec, 15).to_json() == {"source": "extended", "side": "left", "bucket": 0, "index": 1}
    with pytest.raises(IndexError):
        scenario_bucket(spec, 16)


def _write(tmp_path, obj):
    p = tmp_path / "span.json"
    p.write_text(json.dumps(obj))
    return p


@pytest.mark.parametrize(("edit", "words"), [
    (lambda o: o.pop("span"), "span: required with grid 'span'"),
    (lambda o: o.update(price_buckets=4), "price_buckets has no meaning with grid 'span'"),
    (lambda o: o.update(vol_states=["up", "same", "down"]), "vol_states has no meaning"),
    (lambda o: o.update(grid="cme"), "grid: 'cme'"),
    (lambda o: o["span"].pop("cover_fraction"), "span: keys"),
    (lambda o: o["span"].update(cover_fraction=1.5), "span.cover_fraction"),
    (lambda o: o["span"].update(extreme_multiple=0.5), "span.extreme_multiple"),
    (lambda o: o["span"]["vol_scan_range"].pop("ETH"), "span.vol_scan_range: keys"),
    (lambda o: o["span"]["vol_scan_range"].update(BTC=-0.1), "span.vol_scan_range.BTC"),
    (lambda o: o.update(day_count="30/360"), "day_count: '30/360'"),
])  # fmt: skip
def test_bad_span_specs_name_the_field(tmp_path, edit, words):
    obj = copy.deepcopy(BASE)
    edit(obj)
    with pytest.raises(SpecError, match=words.replace("(", r"\(")):
        load_spec(_write(tmp_path, obj))


def test_an_extreme_move_past_minus_100_percent_is_refused_at_load(tmp_path):
    obj = copy.deepcopy(BASE)
    obj["price_range"]["BTC"] = 0.4  # 3 x 40 % = 120 %: the price would go negative
    with pytest.raises(SpecError, match="price_range.BTC: a range of 0.4 x extreme_multiple 3"):
        load_spec(_write(tmp_path, obj))
    obj["price_range"]["BTC"] = {"vol_multiple": 4.0, "horizon_days": 2.0, "floor": 0.05, "cap": 0.34}
    with pytest.raises(SpecError, match="price_range.BTC: a range of 0.34 x extreme_multiple 3"):
        load_spec(_write(tmp_path, obj))
    obj["price_range"]["BTC"]["cap"] = 0.3
    spec = load_spec(_write(tmp_path, obj))
    assert scenario_grid(spec, "BTC", spec.scan_range("BTC", {"BTC": 5.0})).moves[-1] == pytest.approx(-0.9)
    assert math.isclose(scenario_grid(spec, "ETH").moves[-1], -0.54)
