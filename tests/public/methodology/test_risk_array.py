"""public/methodology/risk_array.py: linear instruments, vol shocks, weights, rounding, the scalar reference twin."""

import copy
import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from public.errors import SnapshotError, SpecError
from public.fixed_point import to_fixed
from public.methodology import black76
from public.methodology.risk_array import risk_arrays, shocked_vols
from public.methodology.snapshot import load_snapshot
from public.methodology.spec import load_spec, scenario_grid
from tests.reference import black76_ref as ref

REPO = Path(__file__).resolve().parents[3]
SNAPSHOT = REPO / "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
SPEC = REPO / "fixtures/spec/deribit_pm_v1.json"
E6 = 10**6


@pytest.fixture(scope="module")
def snap():
    return load_snapshot(SNAPSHOT)


@pytest.fixture(scope="module")
def spec():
    return load_spec(SPEC)


@pytest.fixture(scope="module")
def arrays(snap, spec):
    return risk_arrays(snap, spec)


def spec_variant(tmp_path, **changes):
    obj = copy.deepcopy(json.loads(SPEC.read_text()))
    obj.update(changes)
    path = tmp_path / "variant.json"
    path.write_text(json.dumps(obj))
    return load_spec(path)


def test_shapes_dtypes_and_labels(snap, spec, arrays):
    assert arrays.pnl_e6.shape == (len(snap), 35) and arrays.pnl_e6.dtype == np.int64
    for a in (arrays.delta_e6, arrays.vega_e6, arrays.add_on_e6, arrays.mark_e6):
        assert a.shape == (len(snap),) and a.dtype == np.int64
    assert arrays.labels == {u: scenario_grid(spec, u).labels for u in ("BTC", "ETH")}
    np.testing.assert_array_equal(arrays.pnl_e6, to_fixed(arrays.pnl_usd, E6))  # rounded once, from pnl_usd


def test_linear_pnl_is_exactly_f_times_m_times_weight(snap, spec, arrays):
    for u in spec.underlyings:
        g = scenario_grid(spec, u)
        rows = np.flatnonzero((snap.kind != "option") & (snap.underlying == u))
        assert len(rows) == 13  # 12 dated futures + the perpetual
        for i in rows:
            f = snap.forward[i]
            expected = [int(to_fixed(f * m * w, E6)) for m, w in zip(g.moves, g.weight)]
            assert arrays.pnl_e6[i].tolist() == expected  # every scenario, vol state ignored
            assert arrays.pnl_e6[i, 12] == arrays.pnl_e6[i, 13] == arrays.pnl_e6[i, 14] == 0  # m = 0
            down = [3 * (j + 4) + v for j in range(-4, 0) for v in range(3)]
            up = [3 * (4 - j) + v for j in range(-4, 0) for v in range(3)]
            np.testing.assert_array_equal(arrays.pnl_e6[i, down], -arrays.pnl_e6[i, up])  # pnl(-m) = -pnl(m)
            # extended: F m x R / |m| = sign(m) F R, the same size in every extended scenario
            r = spec.price_range[u]
            assert all(abs(arrays.pnl_e6[i, s] - math.copysign(1, g.moves[s]) * f * r * E6) <= 1 for s in range(27, 35))
            kind = snap.kind[i]
            assert (arrays.delta_e6[i], arrays.vega_e6[i], arrays.mark_e6[i]) == (to_fixed(f, E6), 0, 0)
            assert arrays.add_on_e6[i] == to_fixed(spec.add_on[kind] * f, E6)


def test_scale_invariance(snap, spec, arrays):
    """Doubling every forward, strike and spot doubles every float P&L bit for bit (Black-76 is
    homogeneous of degree 1 and x2 is exact in binary), so each integer is 2x the old one +-1."""
    doubled = dataclasses.replace(snap, forward=snap.forward * 2, strike=snap.strike * 2, spot={u: 2 * v for u, v in snap.spot.items()})
    twice = risk_arrays(doubled, spec)
    np.testing.assert_array_equal(twice.pnl_usd, 2 * arrays.pnl_usd)
    assert np.abs(twice.pnl_e6 - 2 * arrays.pnl_e6).max() <= 1
    assert np.abs(twice.delta_e6 - 2 * arrays.delta_e6).max() <= 1
    tripled = dataclasses.replace(snap, forward=snap.forward * 3, strike=snap.strike * 3, spot={u: 3 * v for u, v in snap.spot.items()})
    np.testing.assert_allclose(risk_arrays(tripled, spec).pnl_usd, 3 * arrays.pnl_usd, rtol=1e-9, atol=1e-9)


def test_vol_shocks_by_hand(spec):
    """SPEC section 3 with the default spec (a_up BTC 0.5 / ETH 0.4, a_down 0.25, floor 0.5):
    1 day: dte = 1 < 30 so p = 0.3; x = 30^0.3 = exp(0.3 x 3.401197) = exp(1.020359) = 2.774191
        BTC sigma 0.5: up = 0.5 (1 + 0.5 x 2.774191) = 0.5 x 2.387096 = 1.193548
                       down = 0.5 (1 - 0.25 x 2.774191) = 0.5 x 0.306452 = 0.153226
        ETH sigma 0.5: up = 0.5 (1 + 0.4 x 2.774191) = 0.5 x 2.109676 = 1.054838
    90 days: p = 0.13; x = (30/90)^0.13 = exp(-0.13 x 1.098612) = exp(-0.142820) = 0.866910
        BTC sigma 0.5: up = 0.5 x 1.433455 = 0.716728, down = 0.5 x (1 - 0.216728) = 0.391636
        BTC sigma 0.2: up = 0.2 x 1.433455 = 0.286691 < 0.5, so the floor: 0.5
    1 hour: dte is floored at 1 day, so the 1-day numbers."""
    day = 1 / 365.25
    btc = shocked_vols([0.5, 0.5, 0.2, 0.5], [day, 90 * day, 90 * day, day / 24], spec, "BTC")
    np.testing.assert_allclose(btc[:, 0], [1.193548, 0.716728, 0.5, 1.193548], rtol=1e-6)
    np.testing.assert_allclose(btc[:, 1], [0.5, 0.5, 0.2, 0.5], rtol=0)
    np.testing.assert_allclose(btc[:, 2], [0.153226, 0.391636, 0.2 * (1 - 0.216728), 0.153226], rtol=1e-6)
    np.testing.assert_allclose(shocked_vols([0.5], [day], spec, "ETH")[0], [1.054838, 0.5, 0.153226], rtol=1e-6)


def test_shocked_vol_reaches_the_pnl(snap, spec, arrays):
    """BTC-23AUG26-77000-C: T = 0.68 days, floored to dte 1, so vol up = sigma (1 + 0.5 x 30^0.3)."""
    i = snap.index("BTC-23AUG26-77000-C")
    f, k, t, sigma = snap.forward[i], snap.strike[i], snap.ttm_years[i], snap.mark_iv[i]
    up = max(sigma * (1 + 0.5 * 30**0.3), 0.5)
    now = black76.price(f, k, t, sigma, True)
    assert arrays.pnl_e6[i, 12] == to_fixed(black76.price(f, k, t, up, True) - now, E6)  # 0%, vol up
    assert arrays.mark_e6[i] == to_fixed(now, E6)
    assert arrays.pnl_e6[i, 13] == 0  # 0%, vol same


def test_rounding_is_once_after_weighting(snap, spec, arrays):
    g = scenario_grid(spec, "BTC")
    opt = np.flatnonzero((snap.kind == "option") & (snap.underlying == "BTC"))
    unweighted = arrays.pnl_usd[opt, 27:] / g.weight[27:]
    rounded_first = to_fixed(to_fixed(unweighted, E6) * g.weight[27:], 1)
    assert (rounded_first != arrays.pnl_e6[opt, 27:]).any()  # the other order gives other integers


def test_fixed_point_rounding_half_away_from_zero():
    """public.fixed_point.to_fixed: sign(x) floor(|x| scale + 0.5); 2.5e-6 x 1e6 is exactly 2.5 in float64."""
    assert to_fixed([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.4, -0.4], 1).tolist() == [1, 2, 3, -1, -2, -3, 0, 0]
    assert to_fixed([2.5e-6, -2.5e-6, 1.5e-6, -1e-7, 3.4999e-6, -3.5001e-6], E6).tolist() == [3, -3, 2, 0, 3, -4]


@settings(max_examples=300, deadline=None)
@given(st.floats(-4e6, 4e6, allow_nan=False))
def test_to_fixed_matches_exact_decimal_rounding(x):
    ours, exact = int(to_fixed(x, E6)), ref.round_half_away(x, E6)
    assert ours == -int(to_fixed(-x, E6))  # symmetric in sign
    near_half = abs(abs(x) * E6 % 1 - 0.5) < 1e-6
    assert ours == exact or (near_half and abs(ours - exact) == 1)


def test_against_scalar_reference_twin(snap, spec, arrays):
    """200 instruments (all 26 linear + 174 options, seed 20260822) against tests/reference.

    Integers must be equal, except a difference of 1 where the reference's float lies within 1e-3
    units of a half-integer: the twin uses math.erfc and rounds the exact binary value with
    ``decimal``, the evaluator uses scipy's ndtr and floor(|x| 1e6 + 0.5). Measured over the whole
    snapshot (69,860 P&L values): 0 differences, float P&L within 5.8e-11 USD.
    """
    raw = ref.load_spec_json(SPEC)
    linear = np.flatnonzero(snap.kind != "option")
    options = np.random.default_rng(20260822).choice(np.flatnonzero(snap.kind == "option"), 200 - len(linear), replace=False)
    off_by_one = 0
    for i in np.concatenate([linear, options]):
        inst = {"underlying": str(snap.underlying[i]), "kind": str(snap.kind[i]), "forward": float(snap.forward[i]),
                "strike": float(snap.strike[i]), "ttm": float(snap.ttm_years[i]), "sigma": float(snap.mark_iv[i]),
                "is_call": bool(snap.is_call[i])}  # fmt: skip
        twin = ref.risk_record(inst, raw, snap.spot[inst["underlying"]])
        np.testing.assert_allclose(arrays.pnl_usd[i], twin["pnl_usd"], rtol=1e-12, atol=1e-9)
        diff = arrays.pnl_e6[i] - np.array(twin["pnl_e6"])
        near_half = np.abs(np.abs(np.array(twin["pnl_usd"])) * E6 % 1 - 0.5) < 1e-3
        assert ((diff == 0) | ((np.abs(diff) == 1) & near_half)).all(), snap.names[i]
        off_by_one += int(np.count_nonzero(diff))
        for field in ("delta_e6", "vega_e6", "add_on_e6", "mark_e6"):
            assert abs(int(getattr(arrays, field)[i]) - twin[field]) <= 1, (snap.names[i], field)
    assert off_by_one <= 2  # measured 0


def test_option_records(snap, spec, arrays):
    opt = snap.kind == "option"
    calls, puts = opt & snap.is_call, opt & ~snap.is_call
    assert (arrays.delta_e6[calls] >= 0).all() and (arrays.delta_e6[puts] <= 0).all()
    assert (arrays.vega_e6[opt] >= 0).all() and (arrays.mark_e6[opt] >= 0).all()
    spot = np.array([snap.spot[u] for u in snap.underlying[opt]])
    np.testing.assert_array_equal(arrays.add_on_e6[opt], to_fixed(0.005 * spot, E6))


def test_horizon_decays_time(snap, tmp_path):
    arrays = risk_arrays(snap, spec_variant(tmp_path, horizon_days=1.0))
    opt = snap.kind == "option"
    flat = arrays.pnl_e6[:, 13]  # 0 % move, vol same: theta only
    assert (flat[opt] <= 0).all() and (flat[opt] < 0).sum() > 1000 and (flat[~opt] == 0).all()
    i = snap.index("BTC-23AUG26-77000-C")  # expires in 0.68 days: valued at intrinsic after 1 day
    f, k = snap.forward[i], snap.strike[i]
    assert arrays.pnl_e6[i, 13] == to_fixed(max(f - k, 0.0) - black76.price(f, k, snap.ttm_years[i], snap.mark_iv[i], True), E6)


def test_value_beyond_record_bits_names_the_instrument(snap, tmp_path):
    # extended weight 400 x 0.16 / |m|: a perpetual moves F x 0.16 x 400 = 4.9e6 USD > 2^42 / 1e6 USD
    with pytest.raises(SnapshotError, match=r"instrument BTC-23AUG26-57000-C: pnl\[29\] = 4933925.76 USD does not fit 42 bits"):
        risk_arrays(snap, spec_variant(tmp_path, extended_factor=400.0))


def test_spec_must_cover_every_underlying(snap, tmp_path):
    obj = json.loads(SPEC.read_text())
    btc_only = spec_variant(tmp_path, underlyings=["BTC"], price_range={"BTC": 0.16}, vol_shock={**obj["vol_shock"], "a_up": {"BTC": 0.5}},
                            collateral={"USDC": {"haircut": 0.0, "price": 1.0}})  # fmt: skip
    with pytest.raises(SpecError, match="no scenarios for underlying ETH"):
        risk_arrays(snap, btc_only)
