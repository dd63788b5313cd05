"""Scenario spec: the versioned JSON file that fixes the risk-array method, its hash, and its grid.

The spec (SPEC section 3; default ``fixtures/spec/deribit_pm_v1.json``) is data, not code: per
underlying the price range R (scan range, a fraction of the forward) and buckets, the vol shocks,
the extended moves and their weight factor, gain offset, horizon, add-on rates, MM factor,
collateral haircuts and the fixed-point scales. Its identity is the public input
``spec_hash = int.from_bytes(sha256(file bytes)[:31], "big")`` (248 bits, below the BN254 field
order), so a venue that holds the same file bytes gets the same hash; re-formatting the file
changes it.

Scenario order (fixed; the circuit and the risk table index scenarios this way), with B buckets:

1. the standard table, price-major: for j in -B..B, for each vol state in the file's
   ``vol_states`` order: index ``len(vol_states) * (j + B) + v``, move m = R * j / B, weight 1;
   B = 4 gives 27 scenarios;
2. then the extended moves in file order, each at vol up, weight ``extended_factor * R / |m|``.

The default spec has 27 + 8 = 35 scenarios per underlying. Vol-state codes in ``ScenarioGrid``
are by name (0 up, 1 same, 2 down) whatever the file order.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from public.errors import SpecError
from public.fixed_point import K_SCALE, PRICE_BITS, QTY_SCALE, USD_SCALE, check_unsigned, to_fixed
from public.methodology.instrument import KIND_CODES, UNDERLYING_CODES

SPEC_FORMAT = "zkmargin-scenario-spec"
VOL_STATES = ("up", "same", "down")  #: vol-state codes 0, 1, 2 in ``ScenarioGrid.vol_state``
OPTIONAL = {"source": "", "description": "", "extended_factor": 1.0, "gain_offset": 0.0, "horizon_days": 0.0}
REQUIRED = ("spec", "version", "name", "underlyings", "price_range", "price_buckets", "vol_states", "vol_shock",
            "extended_moves", "add_on", "mm_factor", "collateral", "fixed_point")  # fmt: skip
VOL_SHOCK_FIELDS = ("a_up", "a_down", "sigma_min_up", "dte_floor_days", "dte_ref_days", "dte_break_days", "p_short", "p_long")


@dataclass(frozen=True)
class ScenarioSpec:
    """A validated scenario spec; fields mirror the JSON file (module docstring).

    ``price_range``, ``add_on`` and haircuts are fractions; ``horizon_days`` days; ``vol_shock``
    holds ``a_up`` as a per-underlying dict and the other shock parameters as floats;
    ``collateral`` maps asset -> (haircut, USD price or "spot").
    """

    raw: bytes
    sha256: str
    spec_hash: int
    name: str
    version: int
    underlyings: tuple[str, ...]
    price_range: dict[str, float]
    price_buckets: int
    vol_states: tuple[str, ...]
    vol_shock: dict
    extended_moves: tuple[float, ...]
    extended_factor: float
    gain_offset: float
    horizon_days: float
    add_on: dict[str, float]
    mm_factor: float
    collateral: dict[str, tuple[float, float | str]]

    @property
    def n_scenarios(self) -> int:
        """Scenarios per underlying: (2B + 1) x vol states + extended moves (35 by default)."""
        return (2 * self.price_buckets + 1) * len(self.vol_states) + len(self.extended_moves)

    @property
    def assets(self) -> tuple[str, ...]:
        """Collateral assets in file order."""
        return tuple(self.collateral)


def _num(value, field: str, lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False) -> float:
    """``value`` as a finite float within [lo, hi] (open ends as flagged); SpecError names ``field``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SpecError(f"spec field {field}: {value!r} is not a finite number")
    if value < lo or value > hi or (lo_open and value == lo) or (hi_open and value == hi):
        interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise SpecError(f"spec field {field}: {value!r} is outside {interval}")
    return float(value)


def _typed(obj: dict, field: str, kind: type, where: str = ""):
    if field not in obj:
        raise SpecError(f"spec field {where}{field} is missing")
    value = obj[field]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SpecError(f"spec field {where}{field}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _per(obj: dict, field: str, names, lo=0.0, where: str = "", **bounds) -> dict[str, float]:
    """A {name: number} object with exactly the keys ``names``."""
    d = _typed(obj, field, dict, where)
    if set(d) != set(names):
        raise SpecError(f"spec field {where}{field}: keys {sorted(d)} must be exactly {sorted(names)}")
    return {k: _num(d[k], f"{where}{field}.{k}", lo, **bounds) for k in names}


def _no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise SpecError(f"spec field {dup[0]} appears twice in one object")
    return dict(pairs)


def load_spec(path) -> ScenarioSpec:
    """Read and validate a scenario spec JSON file.

    Raises
    ------
    SpecError
        Unreadable file or JSON; naming the field: missing, unknown or wrongly typed, version != 1,
        price range not in (0, 1), gain_offset not in [0, 1], mm_factor not in (0, 1], haircut not
        in [0, 1), negative add-on, vol_states not a permutation of up/same/down, an underlying not
        in UNDERLYING_CODES, fixed_point scales unlike public/fixed_point.py.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if len(raw) > 2**20:
            raise SpecError(f"spec {path.name} is larger than 1 MiB")
        from public.json_input import json_depth

        if json_depth(raw) > 64:
            raise SpecError(f"spec {path.name} is nested deeper than 64 levels")
        obj = json.loads(raw, object_pairs_hook=_no_duplicate_keys)
    except OSError as exc:
        raise SpecError(f"cannot read spec {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise SpecError(f"spec {path.name} is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise SpecError(f"spec {path.name}: top level must be a JSON object")
    unknown = sorted(set(obj) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise SpecError(f"spec field {unknown[0]} is unknown (known: {', '.join(REQUIRED + tuple(OPTIONAL))})")
    for field in REQUIRED:
        if field not in obj:
            raise SpecError(f"spec field {field} is missing")
    if obj["spec"] != SPEC_FORMAT:
        raise SpecError(f"spec field spec: {obj['spec']!r} is not {SPEC_FORMAT!r}")
    if _typed(obj, "version", int) != 1:
        raise SpecError(f"spec field version: {obj['version']} is not supported (only 1)")
    for field in ("source", "description"):
        if field in obj:
            _typed(obj, field, str)
    name = _typed(obj, "name", str)
    unds = tuple(_typed(obj, "underlyings", list))
    if not unds or len(set(unds)) != len(unds) or any(u not in UNDERLYING_CODES for u in unds):
        raise SpecError(f"spec field underlyings: {list(unds)} must be distinct names from {sorted(UNDERLYING_CODES)}")
    vol_states = tuple(_typed(obj, "vol_states", list))
    if sorted(map(str, vol_states)) != sorted(VOL_STATES) or len(vol_states) != 3:
        raise SpecError(f"spec field vol_states: {list(vol_states)} is not a permutation of {list(VOL_STATES)}")
    shock = _typed(obj, "vol_shock", dict)
    extra = sorted(set(shock) - set(VOL_SHOCK_FIELDS))
    if extra:
        raise SpecError(f"spec field vol_shock.{extra[0]} is unknown")
    for field in VOL_SHOCK_FIELDS:
        if field not in shock:
            raise SpecError(f"spec field vol_shock.{field} is missing")
    a_up = shock["a_up"]  # one number for all underlyings, or one per underlying
    vol_shock = {"a_up": _per(shock, "a_up", unds, where="vol_shock.") if isinstance(a_up, dict)
                 else {u: _num(a_up, "vol_shock.a_up", 0) for u in unds}}  # fmt: skip
    for field in VOL_SHOCK_FIELDS[1:]:
        positive = field in ("dte_floor_days", "dte_ref_days")
        vol_shock[field] = _num(shock[field], f"vol_shock.{field}", 0, lo_open=positive)
    buckets = _typed(obj, "price_buckets", int)
    if buckets < 1:
        raise SpecError(f"spec field price_buckets: {buckets} must be >= 1")
    moves = tuple(_num(m, f"extended_moves[{i}]", -1, lo_open=True) for i, m in enumerate(_typed(obj, "extended_moves", list)))
    if 0.0 in moves:
        raise SpecError(f"spec field extended_moves[{moves.index(0.0)}]: a move of 0 has no weight R/|m|")
    collateral = {}
    for asset, c in _typed(obj, "collateral", dict).items():
        if not isinstance(c, dict) or set(c) != {"haircut", "price"}:
            raise SpecError(f"spec field collateral.{asset}: must be an object with haircut and price")
        price = c["price"]
        if price == "spot" and asset not in unds:
            raise SpecError(f"spec field collateral.{asset}.price: 'spot' is only known for {', '.join(unds)}")
        price = "spot" if price == "spot" else _num(price, f"collateral.{asset}.price", 0, lo_open=True)
        collateral[asset] = (_num(c["haircut"], f"collateral.{asset}.haircut", 0, 1, hi_open=True), price)
    if not collateral:
        raise SpecError("spec field collateral: no asset")
    scales = {"usd_scale": USD_SCALE, "qty_scale": QTY_SCALE, "k_scale": K_SCALE}
    if _typed(obj, "fixed_point", dict) != scales:
        raise SpecError(f"spec field fixed_point: {obj['fixed_point']} differs from public/fixed_point.py {scales}")
    digest = hashlib.sha256(raw).digest()
    return ScenarioSpec(
        raw=raw,
        sha256=digest.hex(),
        spec_hash=int.from_bytes(digest[:31], "big"),
        name=name,
        version=1,
        underlyings=unds,
        price_range=_per(obj, "price_range", unds, 0, hi=1, lo_open=True, hi_open=True),
        price_buckets=buckets,
        vol_states=vol_states,
        vol_shock=vol_shock,
        extended_moves=moves,
        extended_factor=_num(obj.get("extended_factor", OPTIONAL["extended_factor"]), "extended_factor", 0),
        gain_offset=_num(obj.get("gain_offset", OPTIONAL["gain_offset"]), "gain_offset", 0, 1),
        horizon_days=_num(obj.get("horizon_days", OPTIONAL["horizon_days"]), "horizon_days", 0),
        add_on=_per(obj, "add_on", tuple(KIND_CODES)),
        mm_factor=_num(obj["mm_factor"], "mm_factor", 0, 1, lo_open=True),
        collateral=collateral,
    )


@dataclass(frozen=True)
class ScenarioGrid:
    """Scenarios of one underlying, shape (S,) each: price move m (fraction), vol-state code
    (0 up, 1 same, 2 down), weight (1 standard, extended_factor * R / |m| extended), labels."""

    moves: np.ndarray
    vol_state: np.ndarray
    weight: np.ndarray
    labels: tuple[str, ...]


def _pct(m: float) -> str:
    return "0%" if m == 0 else f"{m * 100:+.4g}%"


def scenario_grid(spec: ScenarioSpec, underlying: str) -> ScenarioGrid:
    """The grid of ``underlying`` in the fixed scenario order (module docstring); KeyError if unknown."""
    r, b = spec.price_range[underlying], spec.price_buckets
    moves, states, weights, labels = [], [], [], []
    for j in range(-b, b + 1):
        for state in spec.vol_states:
            m = r * j / b
            moves.append(m), states.append(VOL_STATES.index(state)), weights.append(1.0)
            labels.append(f"{underlying} {_pct(m)} vol {state}")
    for m in spec.extended_moves:
        w = spec.extended_factor * r / abs(m)
        moves.append(m), states.append(0), weights.append(w)
        labels.append(f"{underlying} {_pct(m)} ext x{w:.4g}")
    return ScenarioGrid(np.array(moves), np.array(states, dtype=np.int64), np.array(weights), tuple(labels))


def haircut_prices_e6(spec: ScenarioSpec, spot: dict[str, float]) -> dict[str, int]:
    """Collateral price after haircut per asset, USD x 1e6 per unit, rounded half away from zero.

    ``price * (1 - haircut)``; a "spot" price is ``spot[asset]`` (the snapshot's index, USD).
    Raises SpecError if a "spot" asset has no spot; RangeError if a price reaches 2**PRICE_BITS.
    """
    out = {}
    for asset, (haircut, price) in spec.collateral.items():
        if price == "spot":
            if asset not in spot:
                raise SpecError(f"spec collateral {asset} is priced at spot, but the snapshot has no {asset} spot")
            price = spot[asset]
        value = int(to_fixed(price * (1.0 - haircut), USD_SCALE))
        out[asset] = check_unsigned(value, PRICE_BITS, f"haircut price of {asset} (USD x 1e6)")
    return out
