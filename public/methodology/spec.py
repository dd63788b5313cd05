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

Optional method fields (absent: the behaviour above, so older files keep their meaning):

- ``"day_count"``: ``"ACT/365.25"`` (default, as the snapshot CSV's time to maturity) or
  ``"ACT/365"`` (Deribit's 365-day year) for Black-76 times and the vol shocks' days to expiry;
- ``"grid": "span"`` with ``"span": {"extreme_multiple", "cover_fraction", "vol_scan_range"}``:
  the CME SPAN 16-scenario grid instead of the Deribit table (``span_grid``); ``price_buckets``,
  ``vol_states``, ``vol_shock``, ``extended_moves`` and ``extended_factor`` are then refused;
- a ``price_range`` entry may be a rule that follows the market instead of a number:
  ``{"vol_multiple": z, "horizon_days": h, "floor": f, "cap": c}`` gives the scan range
  ``R = min(cap, max(floor, z x sigma_ref x sqrt(h / 365)))`` with sigma_ref the snapshot's
  reference vol of the underlying (``MarketSnapshot.reference_vol``: 30-day ATM implied vol of an
  option chain, or the EWMA realised vol stated in a marks snapshot); ``ScenarioSpec.scan_range``;
- ``"collateral_in_scenarios": {"BTC": h, ...}``: coin collateral of those underlyings is a spot
  position (instrument ``BTC-SPOT``, attested as a position, not as collateral) whose P&L counts in
  every scenario of its underlying, with the liquidation haircut h (a fraction of spot) as its
  add-on; the risk table then holds one spot record per listed underlying, after the snapshot's
  (``public/methodology/risk_table.py``). Those assets' ``collateral`` entry must have haircut 1:
  attested as collateral they count nothing, so a coin is never valued twice;
- ``"valuation": "coin_margined"`` with ``"coin_margined": {"BTC": {Deribit's pnl_offset,
  max_offsetable_pnl, extended_dampener (USD), annualised_move_risk, min_annualised_move,
  max_delta_shock, delta_total_liq_shock_threshold (USD), m_inc}, ...}``: Deribit S:PM per
  settlement currency (``public/methodology/coin_margin.py``): records valued in coin, the statement
  k x IM_c <= collateral_c in coin for every currency. It needs the Deribit grid with vol_states
  ``["down", "same", "up"]`` (Deribit's vector order), day_count ACT/365, the 1/30/30-day dte
  rule, gain_offset 0, no horizon, no ``add_on`` (the roll shock replaces it) and no
  ``collateral_in_scenarios``; its ``extended_moves`` are multiples of each underlying's price
  range x ``extended_factor`` (Deribit's ``extended_table_factor``), valued at unchanged vol with
  weight 1 (the dampener, not a weight, relieves them).
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

TRADED_KINDS = tuple(k for k in KIND_CODES if k != "spot")  #: add-on rates per kind; spot's is its liquidation haircut

SPEC_FORMAT = "zkmargin-scenario-spec"
VOL_STATES = ("up", "same", "down")  #: vol-state codes 0, 1, 2 in ``ScenarioGrid.vol_state``
OPTIONAL = {"source": "", "description": "", "extended_factor": 1.0, "gain_offset": 0.0, "horizon_days": 0.0,
            "day_count": "ACT/365.25", "grid": "deribit", "span": None, "collateral_in_scenarios": None,
            "valuation": "usd_linear", "coin_margined": None}  # fmt: skip
#: Deribit S:PM parameter names of a coin-margined spec, per underlying (``coin_margined.<u>``)
COIN_FIELDS = ("pnl_offset", "max_offsetable_pnl", "extended_dampener", "annualised_move_risk", "min_annualised_move",
               "max_delta_shock", "delta_total_liq_shock_threshold", "m_inc")  # fmt: skip
COIN_VOL_STATES = ("down", "same", "up")  #: Deribit's vol-scenario order within a price move
REQUIRED = ("spec", "version", "name", "underlyings", "price_range", "price_buckets", "vol_states", "vol_shock",
            "extended_moves", "add_on", "mm_factor", "collateral", "fixed_point")  # fmt: skip
DERIBIT_GRID_ONLY = ("price_buckets", "vol_states", "vol_shock", "extended_moves", "extended_factor")
DAY_COUNTS = {"ACT/365.25": 365.25, "ACT/365": 365.0}  #: day-count name -> days per year
SPAN_FIELDS = ("extreme_multiple", "cover_fraction", "vol_scan_range")
VOL_RANGE_FIELDS = ("vol_multiple", "horizon_days", "floor", "cap")
#: SPAN price moves as fractions of the scan range, with their vol state, in CME scenario order 1..14
SPAN_STANDARD = tuple((frac, vol) for frac in (0, 1 / 3, -1 / 3, 2 / 3, -2 / 3, 1, -1) for vol in ("up", "down"))


@dataclass(frozen=True)
class VolRange:
    """A scan range that follows the market: ``min(cap, max(floor, vol_multiple x sigma x
    sqrt(horizon_days / 365)))`` for a reference vol sigma (fraction per sqrt(year))."""

    vol_multiple: float
    horizon_days: float
    floor: float
    cap: float

    def of(self, sigma: float) -> float:
        return min(self.cap, max(self.floor, self.vol_multiple * sigma * math.sqrt(self.horizon_days / 365.0)))

    def to_json(self) -> dict:
        return {f: getattr(self, f) for f in VOL_RANGE_FIELDS}
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
    price_range: dict[str, float | VolRange]
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
    day_count: str = "ACT/365.25"
    collateral_in_scenarios: dict[str, float] | None = None  #: underlying -> liquidation haircut
    grid: str = "deribit"
    span: dict | None = None  #: SPAN mode: extreme_multiple, cover_fraction, vol_scan_range {u: vol}
    valuation: str = "usd_linear"  #: or "coin_margined" (Deribit S:PM per settlement currency)
    coin_margined: dict | None = None  #: coin mode: underlying -> Deribit's parameters (+ their fixed-point ints)

    @property
    def n_standard(self) -> int:
        """Scenarios of the standard table ((2B + 1) x vol states); the rest are extended."""
        return (2 * self.price_buckets + 1) * len(self.vol_states) if self.grid == "deribit" else len(SPAN_STANDARD)

    @property
    def n_scenarios(self) -> int:
        """Scenarios per underlying: (2B + 1) x vol states + extended moves (35 by default); 16 for SPAN."""
        if self.grid == "span":
            return len(SPAN_STANDARD) + 2
        return (2 * self.price_buckets + 1) * len(self.vol_states) + len(self.extended_moves)

    @property
    def days_per_year(self) -> float:
        """365.25 (ACT/365.25) or 365 (ACT/365)."""
        return DAY_COUNTS[self.day_count]

    @property
    def follows_market(self) -> bool:
        """True if some scan range is a ``VolRange`` (it then depends on the snapshot)."""
        return any(isinstance(r, VolRange) for r in self.price_range.values())

    def scan_range(self, underlying: str, reference_vol: dict[str, float] | None = None) -> float:
        """Price scan range R of ``underlying`` (fraction of the forward).

        A fixed number, or a ``VolRange`` applied to ``reference_vol[underlying]`` (the snapshot's;
        fraction per sqrt(year)). Raises SpecError if the rule needs a reference vol that is missing
        or not positive and finite, or if the range reaches 1 (or, in SPAN mode, the extreme move does).
        """
        r = self.price_range[underlying]
        if isinstance(r, VolRange):
            sigma = (reference_vol or {}).get(underlying)
            if sigma is None or not math.isfinite(sigma) or sigma <= 0:
                raise SpecError(f"spec {self.name}: price_range.{underlying} follows the market, but the snapshot has no reference vol for {underlying}")
            r = r.of(sigma)
        top = r * (self.span["extreme_multiple"] if self.grid == "span" else 1.0)
        if top >= 1.0:
            raise SpecError(f"spec {self.name}: the scan range of {underlying} gives a move of {top:.4g} >= 100 %")
        return r

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
        if path.stat().st_size > 2**20:
            raise SpecError(f"spec {path.name} is larger than 1 MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read spec {path}: {exc.strerror or exc}") from None
    return load_spec_bytes(raw, path.name)


def load_spec_bytes(raw: bytes, source: str) -> ScenarioSpec:
    """``load_spec`` of file bytes already read; ``source`` names them in errors."""
    from public.json_input import json_depth

    try:
        if len(raw) > 2**20:
            raise SpecError(f"spec {source} is larger than 1 MiB")
        if json_depth(raw) > 64:
            raise SpecError(f"spec {source} is nested deeper than 64 levels")
        obj = json.loads(raw, object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise SpecError(f"spec {source} is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise SpecError(f"spec {source}: top level must be a JSON object")
    unknown = sorted(set(obj) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise SpecError(f"spec field {unknown[0]} is unknown (known: {', '.join(REQUIRED + tuple(OPTIONAL))})")
    grid = obj.get("grid", "deribit")
    if grid not in ("deribit", "span"):
        raise SpecError(f"spec field grid: {grid!r} is not 'deribit' or 'span'")
    if (grid == "span") != ("span" in obj):
        raise SpecError("spec field span: required with grid 'span' and only then")
    valuation = obj.get("valuation", OPTIONAL["valuation"])
    if valuation not in ("usd_linear", "coin_margined"):
        raise SpecError(f"spec field valuation: {valuation!r} is not 'usd_linear' or 'coin_margined'")
    coin = valuation == "coin_margined"
    if coin != ("coin_margined" in obj):
        raise SpecError("spec field coin_margined: required with valuation 'coin_margined' and only then")
    if coin and "add_on" in obj:
        raise SpecError("spec field add_on has no meaning with valuation 'coin_margined' (the roll shock replaces it)")
    for field in REQUIRED:
        if field not in obj and not (grid == "span" and field in DERIBIT_GRID_ONLY) and not (coin and field == "add_on"):
            raise SpecError(f"spec field {field} is missing")
    if grid == "span" and any(f in obj for f in DERIBIT_GRID_ONLY):
        raise SpecError(f"spec field {next(f for f in DERIBIT_GRID_ONLY if f in obj)} has no meaning with grid 'span'")
    day_count = obj.get("day_count", OPTIONAL["day_count"])
    if day_count not in DAY_COUNTS:
        raise SpecError(f"spec field day_count: {day_count!r} is not one of {', '.join(DAY_COUNTS)}")
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
    if grid == "span":
        span, vol_states, vol_shock, buckets, moves = _span(obj, unds), ("up", "down"), {}, 3, ()
    else:
        span = None
        vol_states, vol_shock, buckets, moves = _deribit_grid(obj, unds, coin)
    in_scen = obj.get("collateral_in_scenarios")
    if in_scen is not None:
        if not isinstance(in_scen, dict) or not in_scen or any(u not in unds for u in in_scen):
            raise SpecError(f"spec field collateral_in_scenarios: must map some of {list(unds)} to a liquidation haircut")
        in_scen = {u: _num(in_scen[u], f"collateral_in_scenarios.{u}", 0, 1, hi_open=True) for u in unds if u in in_scen}
    collateral = {}
    for asset, c in _typed(obj, "collateral", dict).items():
        if not isinstance(c, dict) or set(c) != {"haircut", "price"}:
            raise SpecError(f"spec field collateral.{asset}: must be an object with haircut and price")
        price = c["price"]
        if price == "spot" and asset not in unds:
            raise SpecError(f"spec field collateral.{asset}.price: 'spot' is only known for {', '.join(unds)}")
        price = "spot" if price == "spot" else _num(price, f"collateral.{asset}.price", 0, lo_open=True)
        spot_only = asset in (in_scen or {})
        haircut = _num(c["haircut"], f"collateral.{asset}.haircut", 0, 1, hi_open=not spot_only)
        if spot_only and haircut != 1:
            raise SpecError(f"spec field collateral.{asset}.haircut: must be 1, since {asset} counts in the scenarios as {asset}-SPOT (collateral_in_scenarios)")
        collateral[asset] = (haircut, price)
    if not collateral:
        raise SpecError("spec field collateral: no asset")
    scales = {"usd_scale": USD_SCALE, "qty_scale": QTY_SCALE, "k_scale": K_SCALE}
    if _typed(obj, "fixed_point", dict) != scales:
        raise SpecError(f"spec field fixed_point: {obj['fixed_point']} differs from public/fixed_point.py {scales}")
    price_range = _price_ranges(obj, unds)
    top_multiple = span["extreme_multiple"] if span else 1.0
    for u, r in price_range.items():
        widest = r.cap if isinstance(r, VolRange) else r
        if widest * top_multiple >= 1.0:
            raise SpecError(f"spec field price_range.{u}: a range of {widest:g} x extreme_multiple {top_multiple:g} moves the price by 100 % or more")
    coin_params = _coin_margined(obj, unds, grid, vol_states, vol_shock, day_count, in_scen, moves, price_range) if coin else None
    digest = hashlib.sha256(raw).digest()
    return ScenarioSpec(
        raw=raw,
        sha256=digest.hex(),
        spec_hash=int.from_bytes(digest[:31], "big"),
        name=name,
        version=1,
        underlyings=unds,
        price_range=price_range,
        price_buckets=buckets,
        vol_states=vol_states,
        vol_shock=vol_shock,
        extended_moves=moves,
        extended_factor=_num(obj.get("extended_factor", OPTIONAL["extended_factor"]), "extended_factor", 0),
        gain_offset=_num(obj.get("gain_offset", OPTIONAL["gain_offset"]), "gain_offset", 0, 1),
        horizon_days=_num(obj.get("horizon_days", OPTIONAL["horizon_days"]), "horizon_days", 0),
        add_on={k: 0.0 for k in TRADED_KINDS} if coin else _per(obj, "add_on", TRADED_KINDS),
        mm_factor=_num(obj["mm_factor"], "mm_factor", 0, 1, lo_open=True),
        collateral=collateral,
        day_count=day_count,
        collateral_in_scenarios=in_scen,
        grid=grid,
        span=span,
        valuation=valuation,
        coin_margined=coin_params,
    )


def _coin_margined(obj: dict, unds, grid, vol_states, vol_shock, day_count, in_scen, moves, price_range) -> dict:
    """The ``coin_margined`` section, validated against the rest of the spec (module docstring):
    underlying -> Deribit's parameters as floats plus the circuit's integers (``*_e6``, ``*_e14``)."""
    from public.errors import RangeError
    from public.fixed_point import LIMIT_BITS, OFFSET_BITS, RATE_BITS, decimal_to_fixed

    if grid != "deribit" or vol_states != COIN_VOL_STATES:
        raise SpecError(f"spec field vol_states: valuation 'coin_margined' needs the Deribit grid with vol_states {list(COIN_VOL_STATES)}")
    if day_count != "ACT/365":
        raise SpecError("spec field day_count: valuation 'coin_margined' needs 'ACT/365' (Deribit's 365-day year)")
    if (vol_shock["dte_floor_days"], vol_shock["dte_ref_days"], vol_shock["dte_break_days"]) != (1.0, 30.0, 30.0):
        raise SpecError("spec field vol_shock: valuation 'coin_margined' needs dte_floor_days 1, dte_ref_days 30, dte_break_days 30 (public/methodology/deribit_pm.py)")
    for field, default in (("gain_offset", 0.0), ("horizon_days", 0.0)):
        if float(obj.get(field, default)) != 0.0:
            raise SpecError(f"spec field {field}: must be 0 with valuation 'coin_margined' (pnl_offset plays the gain offset's part)")
    if in_scen:
        raise SpecError("spec field collateral_in_scenarios: coin collateral of a coin-margined account has no price risk in its own coin")
    factor = _num(obj.get("extended_factor", 1.0), "extended_factor", 0, lo_open=True)
    if not moves:
        raise SpecError("spec field extended_moves: the coin-margined table needs its extended moves (Deribit's: [-1, -1, 1, 1, 1, 1, 1, 1])")
    for u, r in price_range.items():
        widest = (r.cap if isinstance(r, VolRange) else r) * factor * max(abs(m) for m in moves)
        if widest >= 1.0:
            raise SpecError(f"spec field extended_moves: {u}'s widest extended move {widest:g} reaches 100 %")
    section = _typed(obj, "coin_margined", dict)
    if set(section) != set(unds):
        raise SpecError(f"spec field coin_margined: must give parameters for exactly {list(unds)}")
    out = {}
    for u in unds:
        p = section[u]
        where = f"coin_margined.{u}"
        if not isinstance(p, dict) or set(p) != set(COIN_FIELDS):
            raise SpecError(f"spec field {where}: must hold exactly {', '.join(COIN_FIELDS)}")
        vals = {f: _num(p[f], f"{where}.{f}", 0) for f in COIN_FIELDS}
        if vals["max_delta_shock"] > 1:
            raise SpecError(f"spec field {where}.max_delta_shock: {vals['max_delta_shock']:g} is above 1")
        if vals["delta_total_liq_shock_threshold"] > 1e12:
            raise SpecError(f"spec field {where}.delta_total_liq_shock_threshold: above 1e12 USD")
        try:
            fixed = {
                "pnl_offset_e14": decimal_to_fixed(p["pnl_offset"], 10**14, f"{where}.pnl_offset"),
                "extended_dampener_e6": decimal_to_fixed(p["extended_dampener"], USD_SCALE, f"{where}.extended_dampener"),
                "delta_threshold_e6": decimal_to_fixed(p["delta_total_liq_shock_threshold"], USD_SCALE, f"{where}.delta_total_liq_shock_threshold"),
                "max_delta_shock_e6": decimal_to_fixed(p["max_delta_shock"], USD_SCALE, f"{where}.max_delta_shock"),
                "m_inc_e6": decimal_to_fixed(p["m_inc"], USD_SCALE, f"{where}.m_inc"),
            }
            check_unsigned(fixed["pnl_offset_e14"], OFFSET_BITS, f"{where}.pnl_offset x 1e14")
            check_unsigned(fixed["delta_threshold_e6"], LIMIT_BITS, f"{where}.delta_total_liq_shock_threshold x 1e6")
            check_unsigned(fixed["m_inc_e6"], RATE_BITS, f"{where}.m_inc x 1e6")
            check_unsigned(fixed["extended_dampener_e6"], OFFSET_BITS, f"{where}.extended_dampener x 1e6")
        except RangeError as exc:
            raise SpecError(f"spec field {exc}") from None
        out[u] = {**vals, **fixed}
    return out


def _price_ranges(obj: dict, unds) -> dict[str, float | VolRange]:
    """price_range: per underlying a fraction in (0, 1) or a VolRange object (module docstring)."""
    d = _typed(obj, "price_range", dict)
    if set(d) != set(unds):
        raise SpecError(f"spec field price_range: keys {sorted(d)} must be exactly {sorted(unds)}")
    out = {}
    for u in unds:
        where = f"price_range.{u}"
        if not isinstance(d[u], dict):
            out[u] = _num(d[u], where, 0, 1, lo_open=True, hi_open=True)
            continue
        if set(d[u]) != set(VOL_RANGE_FIELDS):
            raise SpecError(f"spec field {where}: keys {sorted(d[u])} must be exactly {sorted(VOL_RANGE_FIELDS)}")
        rule = VolRange(
            vol_multiple=_num(d[u]["vol_multiple"], f"{where}.vol_multiple", 0, lo_open=True),
            horizon_days=_num(d[u]["horizon_days"], f"{where}.horizon_days", 0, 3650, lo_open=True),
            floor=_num(d[u]["floor"], f"{where}.floor", 0, 1, lo_open=True, hi_open=True),
            cap=_num(d[u]["cap"], f"{where}.cap", 0, 1, lo_open=True, hi_open=True),
        )
        if rule.cap < rule.floor:
            raise SpecError(f"spec field {where}.cap: {rule.cap} is below floor {rule.floor}")
        out[u] = rule
    return out


def _deribit_grid(obj: dict, unds, coin: bool = False) -> tuple:
    """(vol_states, vol_shock, price_buckets, extended_moves) of the Deribit table, validated
    (``coin``: extended moves are multiples of the price range, bounded by ``_coin_margined``)."""
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
    moves = tuple(_num(m, f"extended_moves[{i}]", -math.inf if coin else -1, lo_open=True) for i, m in enumerate(_typed(obj, "extended_moves", list)))
    if 0.0 in moves:
        raise SpecError(f"spec field extended_moves[{moves.index(0.0)}]: a move of 0 has no weight R/|m|")
    return vol_states, vol_shock, buckets, moves


def _span(obj: dict, unds) -> dict:
    """The SPAN parameters: extreme_multiple >= 1, cover_fraction in [0, 1], vol_scan_range per
    underlying (absolute vol, fraction per sqrt(year), >= 0)."""
    span = _typed(obj, "span", dict)
    if set(span) != set(SPAN_FIELDS):
        raise SpecError(f"spec field span: keys {sorted(span)} must be exactly {sorted(SPAN_FIELDS)}")
    return {
        "extreme_multiple": _num(span["extreme_multiple"], "span.extreme_multiple", 1),
        "cover_fraction": _num(span["cover_fraction"], "span.cover_fraction", 0, 1),
        "vol_scan_range": _per(span, "vol_scan_range", unds, 0, where="span.", hi=5),
    }


@dataclass(frozen=True)
class ScenarioGrid:
    """Scenarios of one underlying, shape (S,) each: price move m (fraction), vol-state code
    (0 up, 1 same, 2 down), weight (1 standard, extended_factor * R / |m| extended), labels."""

    moves: np.ndarray
    vol_state: np.ndarray
    weight: np.ndarray
    labels: tuple[str, ...]


@dataclass(frozen=True)
class WorstCaseBucket:
    """Where the worst case sits, as Deribit reports it: ``source`` standard|extended, ``side``
    left|right|center, ``bucket`` 1 = outermost move of that side, ``index`` the vol scenario
    (0 down, 1 unchanged, 2 up; on a tie the unchanged one) or the extended entry."""

    source: str
    side: str
    bucket: int
    index: int

    def to_json(self) -> dict:
        return {"bucket": self.bucket, "side": self.side, "source": self.source, "index": self.index}


def scenario_bucket(spec: ScenarioSpec, scenario: int) -> WorstCaseBucket:
    """Where scenario ``scenario`` (0-based, the spec's order) sits, as Deribit reports a worst case.

    Deribit grid: a standard-table scenario is ``standard`` with side left (price down), right
    (up) or center, ``bucket`` 1 for the outermost move of its side (0 at the center) and
    ``index`` Deribit's vol scenario (0 down, 1 unchanged, 2 up); an extended move is
    ``extended`` with ``index`` its position in ``extended_moves``. SPAN grid: scenarios 1-14 are
    ``standard`` (bucket 1 = the full range, 3 = a third), 15-16 ``extended`` (index 0 up, 1 down).
    Raises IndexError outside 0 .. n_scenarios - 1.
    """
    if not 0 <= scenario < spec.n_scenarios:
        raise IndexError(f"scenario {scenario} is not in 0..{spec.n_scenarios - 1}")
    deribit_vol = {"down": 0, "same": 1, "up": 2}
    if spec.grid == "span":
        if scenario >= len(SPAN_STANDARD):
            i = scenario - len(SPAN_STANDARD)
            return WorstCaseBucket("extended", "right" if i == 0 else "left", 0, i)
        frac, vol = SPAN_STANDARD[scenario]
        side = "left" if frac < 0 else "right" if frac > 0 else "center"
        return WorstCaseBucket("standard", side, 0 if frac == 0 else 4 - round(abs(frac) * 3), deribit_vol[vol])
    n_vol, b = len(spec.vol_states), spec.price_buckets
    n_std = (2 * b + 1) * n_vol
    if scenario >= n_std:
        i = scenario - n_std
        return WorstCaseBucket("extended", "left" if spec.extended_moves[i] < 0 else "right", 0, i)
    j = scenario // n_vol - b
    side = "left" if j < 0 else "right" if j > 0 else "center"
    return WorstCaseBucket("standard", side, 0 if j == 0 else b - abs(j) + 1, deribit_vol[spec.vol_states[scenario % n_vol]])


def deribit_worst_scenario(spec: ScenarioSpec, pnl_total) -> int:
    """Index of the scenario with the lowest total, ties broken as Deribit reports a worst case
    (``public/methodology/deribit_pm.py`` ``_worst``): standard before extended, the leftmost price
    move first, within a move the unchanged vol scenario before the others, then scenario order.
    ``pnl_total``: one total per scenario (any unit, offsets already added)."""
    low = min(pnl_total)
    side_order = {"left": 0, "center": 1, "right": 2}

    def key(s):
        b = scenario_bucket(spec, s)
        move = (side_order[b.side], b.bucket if b.side == "left" else -b.bucket)
        return (b.source != "standard", move, abs(b.index - 1) if b.source == "standard" else b.index)

    return min((s for s, p in enumerate(pnl_total) if p == low), key=key)


def _pct(m: float) -> str:
    return "0%" if m == 0 else f"{m * 100:+.4g}%"


def scenario_grid(spec: ScenarioSpec, underlying: str, scan_range: float | None = None) -> ScenarioGrid:
    """The grid of ``underlying`` in the fixed scenario order (module docstring); KeyError if unknown.

    ``scan_range``: R, from ``spec.scan_range(underlying, snapshot.reference_vol)``; it may be
    omitted only when the spec's range of the underlying is a fixed number.
    """
    r = spec.scan_range(underlying) if scan_range is None else scan_range
    if spec.grid == "span":
        return span_grid(spec, underlying, r)
    b = spec.price_buckets
    moves, states, weights, labels = [], [], [], []
    for j in range(-b, b + 1):
        for state in spec.vol_states:
            m = r * j / b
            moves.append(m), states.append(VOL_STATES.index(state)), weights.append(1.0)
            labels.append(f"{underlying} {_pct(m)} vol {state}")
    if spec.valuation == "coin_margined":  # multiples of R x extended_table_factor, unchanged vol, weight 1
        for j, k in enumerate(spec.extended_moves):
            m = r * spec.extended_factor * k
            moves.append(m), states.append(VOL_STATES.index("same")), weights.append(1.0)
            labels.append(f"{underlying} {_pct(m)} extended {j}")
    for m in spec.extended_moves if spec.valuation != "coin_margined" else ():
        w = spec.extended_factor * r / abs(m)
        moves.append(m), states.append(0), weights.append(w)
        labels.append(f"{underlying} {_pct(m)} ext x{w:.4g}")
    return ScenarioGrid(np.array(moves), np.array(states, dtype=np.int64), np.array(weights), tuple(labels))


def span_grid(spec: ScenarioSpec, underlying: str, scan_range: float) -> ScenarioGrid:
    """CME SPAN's 16 scenarios for a price scan range R (source: CME Group, "CME SPAN: Standard
    Portfolio Analysis of Risk", the standard risk-array scenarios):

    1-14: price unchanged, up 1/3, down 1/3, up 2/3, down 2/3, up 3/3, down 3/3 of R, each at vol
    up then vol down (``SPAN_STANDARD``), weight 1;
    15-16: price up / down ``extreme_multiple`` x R at vol unchanged, weight ``cover_fraction``.
    """
    multiple, cover = spec.span["extreme_multiple"], spec.span["cover_fraction"]
    moves, states, weights, labels = [], [], [], []
    for frac, vol in SPAN_STANDARD:
        moves.append(frac * scan_range), states.append(VOL_STATES.index(vol)), weights.append(1.0)
        labels.append(f"{underlying} {_pct(frac * scan_range)} vol {vol}")
    for sign in (1, -1):
        m = sign * multiple * scan_range
        moves.append(m), states.append(VOL_STATES.index("same")), weights.append(cover)
        labels.append(f"{underlying} {_pct(m)} extreme x{cover:.4g}")
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
