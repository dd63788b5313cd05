"""public/methodology/spec.py: the default spec, its hash, validation errors naming the field, the grid."""

import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from public.errors import RangeError, SpecError
from public.methodology.spec import haircut_prices_e6, load_spec, scenario_grid

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO / "fixtures/spec/deribit_pm_v1.json"
BASE = json.loads(SPEC.read_text())


def write(tmp_path, obj, name="spec.json"):
    path = tmp_path / name
    path.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return path


def variant(tmp_path, change):
    obj = copy.deepcopy(BASE)
    change(obj)
    return load_spec(write(tmp_path, obj))


def test_default_spec_fields():
    spec = load_spec(SPEC)
    assert (spec.name, spec.version, spec.underlyings) == ("deribit-style-pm-default", 1, ("BTC", "ETH"))
    assert spec.n_scenarios == 9 * 3 + 8 == 35
    assert spec.assets == ("USDC", "USDT", "BTC", "ETH")
    assert spec.collateral["BTC"] == (0.1, "spot") and spec.collateral["USDC"] == (0.0, 1.0)
    assert spec.vol_shock["a_up"] == {"BTC": 0.5, "ETH": 0.4} and spec.vol_shock["p_short"] == 0.3
    assert spec.extended_moves == (-0.66, -0.33, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0)
    assert (spec.gain_offset, spec.horizon_days, spec.mm_factor, spec.extended_factor) == (0.0, 0.0, 0.8, 1.0)


def test_spec_hash_is_248_bits_of_sha256_of_the_bytes(tmp_path):
    spec = load_spec(SPEC)
    raw = SPEC.read_bytes()
    assert spec.raw == raw and spec.sha256 == hashlib.sha256(raw).hexdigest()
    assert spec.spec_hash == int(spec.sha256[:62], 16) and 0 <= spec.spec_hash < 2**248
    i = raw.index(b'"mm_factor": 0.8')
    one_byte_edits = [
        raw.replace(b'"BTC": 0.16', b'"BTC": 0.17', 1),  # a value: 6 -> 7
        raw[: i - 1] + b"\t" + raw[i:],  # white space before "mm_factor": space -> tab
    ]
    for edited in one_byte_edits:
        assert len(edited) == len(raw) and sum(a != b for a, b in zip(edited, raw)) == 1
        path = tmp_path / "edited.json"
        path.write_bytes(edited)
        other = load_spec(path)
        assert other.spec_hash != spec.spec_hash and other.spec_hash < 2**248
    same_meaning = tmp_path / "spaced.json"
    same_meaning.write_bytes(raw.replace(b'"price_buckets": 4', b'"price_buckets":  4'))
    assert load_spec(same_meaning).spec_hash != spec.spec_hash  # bytes, not meaning, are hashed


def _set(path, value):
    def change(obj):
        *parents, leaf = path
        for p in parents:
            obj = obj[p]
        if value is DELETE:
            del obj[leaf]
        else:
            obj[leaf] = value

    return change


DELETE = object()
BAD_SPECS = [  # (path in the JSON, new value, field the SpecError names)
    (("mm_factor",), DELETE, "mm_factor is missing"),
    (("version",), 2, "version"),
    (("version",), "1", "version: expected int"),
    (("spec",), "other", "spec: 'other'"),
    (("price_range", "BTC"), 0, "price_range.BTC"),
    (("price_range", "ETH"), -0.1, "price_range.ETH"),
    (("price_range", "ETH"), 1.0, "price_range.ETH"),
    (("price_range",), {"BTC": 0.16}, "price_range: keys"),
    (("gain_offset",), 1.5, "gain_offset"),
    (("gain_offset",), -0.1, "gain_offset"),
    (("mm_factor",), 0, "mm_factor"),
    (("mm_factor",), 1.2, "mm_factor"),
    (("collateral", "BTC", "haircut"), 1.0, "collateral.BTC.haircut"),
    (("collateral", "USDT", "haircut"), -0.1, "collateral.USDT.haircut"),
    (("collateral", "USDT", "price"), "par", "collateral.USDT.price"),
    (("collateral", "SOL"), {"haircut": 0.1, "price": "spot"}, "collateral.SOL.price"),
    (("add_on", "option"), -0.005, "add_on.option"),
    (("add_on", "future"), True, "add_on.future"),
    (("vol_states",), ["up", "up", "down"], "vol_states"),
    (("vol_states",), ["up", "same"], "vol_states"),
    (("vol_shock", "p_short"), DELETE, "vol_shock.p_short is missing"),
    (("vol_shock", "a_up", "ETH"), -0.4, "vol_shock.a_up.ETH"),
    (("vol_shock", "dte_floor_days"), 0, "vol_shock.dte_floor_days"),
    (("vol_shock", "smile"), 1, "vol_shock.smile is unknown"),
    (("fixed_point", "usd_scale"), 100000000, "fixed_point"),
    (("underlyings",), ["BTC", "SOL"], "underlyings"),
    (("price_buckets",), "4", "price_buckets: expected int"),
    (("price_buckets",), 0, "price_buckets"),
    (("extended_moves",), [-0.66, 0.0], "extended_moves[1]"),
    (("extended_moves",), [-1.0], "extended_moves[0]"),
    (("horizon_days",), float("nan"), "horizon_days"),
    (("colour",), "blue", "colour is unknown"),
]


@pytest.mark.parametrize("path, value, message", BAD_SPECS)
def test_bad_spec_names_the_field(tmp_path, path, value, message):
    with pytest.raises(SpecError, match="spec field " + message.replace("[", r"\[").replace("(", r"\(")):
        variant(tmp_path, _set(path, value))


def test_unreadable_or_ambiguous_spec_files(tmp_path):
    with pytest.raises(SpecError, match="cannot read spec"):
        load_spec(tmp_path / "missing.json")
    with pytest.raises(SpecError, match="not valid JSON"):
        load_spec(write(tmp_path, "{"))
    dup = SPEC.read_text().replace('"mm_factor": 0.8,', '"mm_factor": 0.8, "mm_factor": 0.5,')
    with pytest.raises(SpecError, match="mm_factor appears twice"):
        load_spec(write(tmp_path, dup))


def test_optional_fields_take_spec_defaults(tmp_path):
    spec = variant(tmp_path, lambda o: [o.pop(k) for k in ("extended_factor", "gain_offset", "horizon_days", "source")])
    assert (spec.extended_factor, spec.gain_offset, spec.horizon_days) == (1.0, 0.0, 0.0)
    scalar = variant(tmp_path, _set(("vol_shock", "a_up"), 0.45))
    assert scalar.vol_shock["a_up"] == {"BTC": 0.45, "ETH": 0.45}


# --- scenario grid -----------------------------------------------------------------------------


def test_grid_order_moves_and_labels():
    spec = load_spec(SPEC)
    g = scenario_grid(spec, "BTC")
    assert len(g.moves) == len(g.labels) == spec.n_scenarios
    for j in range(-4, 5):  # price-major: index 3 (j + 4) + v, vol states in file order
        for v, state in enumerate(("up", "same", "down")):
            s = 3 * (j + 4) + v
            assert g.moves[s] == 0.16 * j / 4 and g.vol_state[s] == v and g.weight[s] == 1.0
    assert g.labels[:4] == ("BTC -16% vol up", "BTC -16% vol same", "BTC -16% vol down", "BTC -12% vol up")
    assert g.labels[13] == "BTC 0% vol same" and g.labels[26] == "BTC +16% vol down"
    assert g.labels[27:] == ("BTC -66% ext x0.2424", "BTC -33% ext x0.4848", "BTC +50% ext x0.32", "BTC +100% ext x0.16",
                             "BTC +200% ext x0.08", "BTC +300% ext x0.05333", "BTC +400% ext x0.04", "BTC +500% ext x0.032")  # fmt: skip
    assert scenario_grid(spec, "ETH").labels[3] == "ETH -13.5% vol up"


def test_extended_weights_are_factor_times_range_over_move(tmp_path):
    ext = np.array(BASE["extended_moves"])
    g = scenario_grid(load_spec(SPEC), "ETH")
    np.testing.assert_array_equal(g.moves[27:], ext)
    np.testing.assert_array_equal(g.vol_state[27:], 0)  # vol up
    np.testing.assert_allclose(g.weight[27:], 0.18 / np.abs(ext), rtol=1e-15)
    doubled = scenario_grid(variant(tmp_path, _set(("extended_factor",), 2.0)), "ETH")
    np.testing.assert_allclose(doubled.weight[27:], 2 * 0.18 / np.abs(ext), rtol=1e-15)


def test_vol_state_codes_are_by_name_not_file_order(tmp_path):
    spec = variant(tmp_path, _set(("vol_states",), ["down", "same", "up"]))
    g = scenario_grid(spec, "BTC")
    assert list(g.vol_state[:3]) == [2, 1, 0] and g.labels[0] == "BTC -16% vol down"
    assert list(g.vol_state[27:]) == [0] * 8  # extended moves stay at vol up


def test_haircut_prices(tmp_path):
    prices = haircut_prices_e6(load_spec(SPEC), {"BTC": 77062.83, "ETH": 2411.73})
    assert prices == {"USDC": 1_000_000, "USDT": 1_000_000, "BTC": 69_356_547_000, "ETH": 2_170_557_000}
    # a half unit rounds away from zero: 1.0000005 x 1e6 = 1000000.5000000001 in float64 -> 1000001
    half = variant(tmp_path, lambda o: o["collateral"].update(USDC={"haircut": 0.0, "price": 1.0000005}))
    assert haircut_prices_e6(half, {"BTC": 1.0, "ETH": 1.0})["USDC"] == 1_000_001
    with pytest.raises(SpecError, match="no ETH spot"):
        haircut_prices_e6(load_spec(SPEC), {"BTC": 77062.83})
    with pytest.raises(RangeError, match="haircut price of BTC"):
        haircut_prices_e6(load_spec(SPEC), {"BTC": 5e6, "ETH": 1.0})


def test_deeply_nested_spec_is_a_named_error(tmp_path):
    from public.errors import SpecError
    from public.methodology.spec import load_spec

    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SpecError, match="nested deeper"):
        load_spec(p)
