"""Deribit standard portfolio margin (S:PM), coin-margined, for one settlement currency.

The exchange's own numbers (issue 10, first slice): P&L in coin under Deribit's risk matrix, the
worst case and its bucket, roll shock, delta shock, risk-matrix margin, IM and MM, with Deribit's
parameter names (``private/pme/simulate`` ``model_params``). docs/methodology.md gives every rule
and says which are Deribit's published ones and which are this project's choice where Deribit
publishes none. Linear inverse instruments (futures, perpetuals) and inverse options (valued in
coin with Black-76 at the shocked index) are covered.

Inputs (``simulate(model_params, currency, positions, index_price, at, options=...)``):

- ``model_params``: Deribit's ``model_params`` object (``currency_pair.<ccy>_usd``,
  ``currency.<ccy>``, ``general``);
- ``positions``: {instrument name: size in coin} (Deribit's ``portfolio.position``; negative = short);
- ``index_price``: USD per coin; ``at``: model time (aware datetime), for times to expiry;
- ``options``: {option name: (forward USD, mark IV fraction)} for every option in ``positions``
  (``simulate_book`` takes them from a MarketSnapshot).

Rules (all amounts in coin):

- standard price moves: ``price_range * k / buckets_count`` for k = -buckets..+buckets, each at
  ``vol_scenarios_count`` vol scenarios (vector index = move * vol_scenarios_count + vol);
- inverse future/perpetual of size N at move m: ``N (1 - 1/(1+m))`` (every vol scenario alike);
- inverse option of size N: ``N (C(F (1+m), sigma_v) / (S (1+m)) - C(F, sigma) / S)``, C the Black-76
  USD value (zero rate, T in 365-day years), S the index; vol scenarios in Deribit's order (down,
  unchanged, up) with dte = max(T x 365, 1) days, p = short_term_vega_power if dte < 30 else
  long_term_vega_power, x = (30 / dte)^p: ``up = max(sigma (1 + volatility_range_up x),
  min_volatility_for_shock_up)``, ``down = sigma (1 - volatility_range_down x)`` (floored at 0);
  extended entries at unchanged vol (our choice);
- net delta (coin): futures and perpetuals N, options N x Black-76 delta (Deribit's N(d1) style);
- aggregated: ``min(sum + pnl_offset, max_offsetable_pnl)`` per scenario;
- extended moves (spec list, multiples of price_range times extended_table_factor), aggregated as
  ``min(sum + extended_dampener / index_price, 0)``;
- worst case: ``max(0, -min`` over standard and extended aggregated``)``;
- roll shock: sum over futures of ``|N| max(min_annualised_move, annualised_move_risk T)``,
  T in 365-day years to expiry (0 for perpetuals);
- delta shock: ``|delta| min(max_delta_shock, m_inc * excess / 1e6)`` with excess the USD net delta
  above ``delta_total_liq_shock_threshold`` (our choice: Deribit publishes no formula);
- risk_matrix_margin = worst_case + roll_shock + delta_shock; maintenance_margin =
  mm_factor x risk_matrix_margin; initial_margin = risk_matrix_margin + mmp_margin +
  open_orders_margin + spot_margin (the last three are account inputs, not modelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from public.errors import PortfolioError, SpecError
from public.methodology.instrument import parse_instrument_name
from public.methodology.spec import WorstCaseBucket

#: extended moves as multiples of price_range x extended_table_factor, in Deribit's vector order
#: (2 down, 6 up), reproducing the documented example (docs/methodology.md: not published)
EXTENDED_MOVES = (-1.0, -1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
DELTA_SHOCK_PER_USD = 1e-6  #: m_inc is read as per 1 million USD of excess net delta (our choice)


@dataclass(frozen=True)
class PmResult:
    """S:PM margins of one settlement currency, every amount in coin."""

    currency: str
    moves: tuple[float, ...]
    initial_risk_vectors: dict[str, dict[str, list[float]]]
    aggregated_standard: list[float]
    aggregated_extended: list[float]
    worst_case: float
    worst_case_bucket: WorstCaseBucket | None
    roll_shock: float
    delta_shock: float
    net_delta_usd: float
    risk_matrix_margin: float
    initial_margin: float
    maintenance_margin: float

    def to_json(self) -> dict:
        """Deribit's ``margins.<ccy>`` shape, plus the vectors."""
        return {
            "currency": self.currency,
            "initial_risk_vectors": self.initial_risk_vectors,
            "aggregated_risk_vectors": {"standard": self.aggregated_standard, "extended": self.aggregated_extended},
            "initial_margin": self.initial_margin,
            "maintenance_margin": self.maintenance_margin,
            "risk_matrix_margin": self.risk_matrix_margin,
            "risk_matrix_margin_details": {
                "worst_case": self.worst_case,
                "worst_case_bucket": self.worst_case_bucket.to_json() if self.worst_case_bucket else None,
                "roll_shock": self.roll_shock,
                "delta_shock": self.delta_shock,
                "net_delta_usd": self.net_delta_usd,
            },
        }


def _param(obj: dict, name: str, where: str) -> float:
    v = obj.get(name) if isinstance(obj, dict) else None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf")):
        raise SpecError(f"model_params.{where}.{name}: a finite number is required, got {v!r}")
    return float(v)


def _years_to_expiry(key, at: datetime) -> float:
    if key.expiry is None:
        return 0.0
    expiry = datetime(key.expiry.year, key.expiry.month, key.expiry.day, 8, tzinfo=at.tzinfo)  # Deribit expiries: 08:00 UTC
    return max((expiry - at).total_seconds(), 0.0) / (365 * 86400)


def deribit_vols(sigma: float, t_years: float, pair: dict, ccy: str) -> tuple[float, float, float]:
    """(down, unchanged, up) vol of an option with mark vol ``sigma`` and ``t_years`` (365-day) to
    expiry under ``currency_pair.<ccy>_usd``'s shock parameters (module docstring)."""
    where = f"currency_pair.{ccy}_usd"
    dte = max(t_years * 365.0, 1.0)
    power = _param(pair, "short_term_vega_power" if dte < 30.0 else "long_term_vega_power", where)
    x = (30.0 / dte) ** power
    up = max(sigma * (1.0 + _param(pair, "volatility_range_up", where) * x), _param(pair, "min_volatility_for_shock_up", where))
    down = max(sigma * (1.0 - _param(pair, "volatility_range_down", where) * x), 0.0)
    return down, sigma, up


def _option_vectors(name, key, n, t, market, index, moves, ext_moves, n_vol, pair, ccy) -> tuple[dict, float]:
    """(risk vectors in coin, coin delta) of ``n`` options ``name`` (module docstring)."""
    from public.methodology import black76

    if n_vol != 3:
        raise SpecError(f"model_params.general.vol_scenarios_count = {n_vol}: options need Deribit's 3 vol scenarios")
    try:
        forward, sigma = (float(v) for v in market)
    except (TypeError, ValueError):
        raise PortfolioError(f"{name}: an option needs its forward and mark IV (options={{name: (forward, iv)}})") from None
    if not (forward > 0 and 0 < sigma < 10 and forward < 1e12):
        raise PortfolioError(f"{name}: forward {forward!r} and IV {sigma!r} must be positive and finite")
    call = key.option_type == "call"
    now = float(black76.price(forward, key.strike, t, sigma, call)) / index

    def coin(m, vol):
        return n * (float(black76.price(forward * (1 + m), key.strike, t, vol, call)) / (index * (1 + m)) - now)

    vols = deribit_vols(sigma, t, pair, ccy)
    return {
        "standard": [coin(m, v) for m in moves for v in vols],
        "extended": [coin(m, sigma) for m in ext_moves],
    }, n * float(black76.delta(forward, key.strike, t, sigma, call))


def simulate(model_params: dict, currency: str, positions: dict, index_price: float, at: datetime,
             mmp_margin: float = 0.0, open_orders_margin: float = 0.0, spot_margin: float = 0.0,
             options: dict | None = None) -> PmResult:  # fmt: skip
    """Deribit S:PM margins of ``positions`` (coin sizes) settled in ``currency`` (e.g. "btc").

    ``options``: {option name: (forward USD, mark IV)} for every option in ``positions``.
    Raises SpecError on a missing or non-numeric model parameter, PortfolioError on an unknown
    instrument, an option without its market, or an instrument of another currency."""
    ccy = currency.lower()
    try:
        pair = model_params["currency_pair"][f"{ccy}_usd"]
        cur = model_params["currency"][ccy]
        general = model_params["general"]
    except (KeyError, TypeError):
        raise SpecError(f"model_params lacks currency_pair.{ccy}_usd, currency.{ccy} or general") from None
    if cur.get("correlation_set"):
        raise SpecError(f"currency.{ccy}.correlation_set: correlation contingency is not modelled")
    price_range = _param(pair, "price_range", f"currency_pair.{ccy}_usd")
    ext_factor = _param(pair, "extended_table_factor", f"currency_pair.{ccy}_usd")
    buckets = int(_param(general, "buckets_count", "general"))
    n_vol = int(_param(general, "vol_scenarios_count", "general"))
    if buckets < 1 or n_vol < 1:
        raise SpecError("model_params.general: buckets_count and vol_scenarios_count must be >= 1")
    if not (0 < price_range and price_range * max(ext_factor, 1.0) < 1):
        raise SpecError(f"model_params.currency_pair.{ccy}_usd: price_range {price_range:g} (x extended_table_factor {ext_factor:g}) must be in (0, 1)")
    if not index_price > 0:
        raise PortfolioError(f"index_price must be > 0, got {index_price!r}")
    moves = tuple(price_range * k / buckets for k in range(-buckets, buckets + 1))
    ext_moves = tuple(price_range * ext_factor * m for m in EXTENDED_MOVES)

    if not isinstance(positions, dict):
        raise PortfolioError("positions must be an object {instrument name: size in coin}")
    vectors: dict[str, dict[str, list[float]]] = {}
    roll = delta_coin = 0.0
    for name, size in positions.items():
        if isinstance(size, bool) or not isinstance(size, (int, float)) or not abs(size) < 1e12:
            raise PortfolioError(f"{name}: size {size!r} is not a finite number of coin below 1e12")
        try:
            key = parse_instrument_name(name)
        except ValueError as exc:
            raise PortfolioError(str(exc)) from None
        if key.underlying.lower() != ccy:
            raise PortfolioError(f"{name}: settles in {key.underlying}, not {ccy.upper()}")
        n = float(size)
        t = _years_to_expiry(key, at)
        if key.kind == "option":
            vectors[name], delta = _option_vectors(name, key, n, t, (options or {}).get(name), index_price, moves, ext_moves, n_vol, pair, ccy)
            delta_coin += delta
            continue
        vectors[name] = {
            "standard": [n * (1 - 1 / (1 + m)) for m in moves for _ in range(n_vol)],
            "extended": [n * (1 - 1 / (1 + m)) for m in ext_moves],
        }
        roll += abs(n) * max(_param(cur, "min_annualised_move", f"currency.{ccy}"), _param(cur, "annualised_move_risk", f"currency.{ccy}") * t)
        delta_coin += n

    def total(source: str, i: int) -> float:
        return sum(v[source][i] for v in vectors.values())

    offset, cap = _param(cur, "pnl_offset", f"currency.{ccy}"), _param(cur, "max_offsetable_pnl", f"currency.{ccy}")
    agg_std = [min(total("standard", i) + offset, cap) for i in range(len(moves) * n_vol)]
    damp = _param(cur, "extended_dampener", f"currency.{ccy}") / index_price
    agg_ext = [min(total("extended", i) + damp, 0.0) for i in range(len(ext_moves))]
    worst, where = _worst(agg_std, agg_ext, moves, n_vol, buckets)

    delta_usd = delta_coin * index_price
    excess = max(abs(delta_usd) - _param(pair, "delta_total_liq_shock_threshold", f"currency_pair.{ccy}_usd"), 0.0)
    shock = min(_param(pair, "max_delta_shock", f"currency_pair.{ccy}_usd"), _param(pair, "m_inc", f"currency_pair.{ccy}_usd") * excess * DELTA_SHOCK_PER_USD)
    delta_shock = abs(delta_coin) * shock
    rmm = worst + roll + delta_shock
    return PmResult(
        currency=ccy, moves=moves, initial_risk_vectors=vectors, aggregated_standard=agg_std, aggregated_extended=agg_ext,
        worst_case=worst, worst_case_bucket=where, roll_shock=roll, delta_shock=delta_shock, net_delta_usd=delta_usd,
        risk_matrix_margin=rmm, initial_margin=rmm + mmp_margin + open_orders_margin + spot_margin,
        maintenance_margin=_param(general, "mm_factor", "general") * rmm,
    )


def _worst(agg_std, agg_ext, moves, n_vol, buckets) -> tuple[float, WorstCaseBucket | None]:
    """max(0, -min) over both tables and where it sits (standard wins ties; within a move, the
    unchanged vol scenario, index n_vol // 2, wins ties)."""
    low = min(agg_std + agg_ext)
    if low >= 0:
        return 0.0, None
    for j in sorted(range(len(agg_std)), key=lambda j: (j // n_vol, abs(j % n_vol - n_vol // 2))):
        if agg_std[j] == low:
            k, vol = j // n_vol, j % n_vol
            side = "left" if moves[k] < 0 else "right" if moves[k] > 0 else "center"
            bucket = k + 1 if side == "left" else len(moves) - k if side == "right" else 0
            return -low, WorstCaseBucket("standard", side, bucket, vol)
    i = agg_ext.index(low)
    return -low, WorstCaseBucket("extended", "left" if EXTENDED_MOVES[i] < 0 else "right", 0, i)


def simulate_book(model_params: dict, snapshot, portfolio) -> dict[str, PmResult]:
    """S:PM margins of a portfolio (prover/trader/portfolio.py positions) on a MarketSnapshot, one
    ``PmResult`` per settlement currency that the book holds (key: lower-case currency).

    Sizes are qty_e8 / 1e8 coin; the index is ``snapshot.spot``; options take the snapshot's
    forward and mark IV; the model time is the snapshot's timestamp. Collateral is not an input
    of S:PM margin (Deribit nets it in the account's equity, not in the risk matrix).
    Raises SpecError if ``model_params`` lacks a currency the book holds.
    """
    by_ccy: dict[str, dict] = {}
    options: dict[str, tuple[float, float]] = {}
    for pos in portfolio.positions:
        if pos.row >= len(snapshot):
            raise PortfolioError(f"{pos.name}: a spot holding is collateral, not a position of the S:PM risk matrix")
        i = snapshot.index(pos.instrument_id)
        name = snapshot.names[i]
        by_ccy.setdefault(str(snapshot.underlying[i]).lower(), {})[name] = pos.qty_e8 / 1e8
        if snapshot.kind[i] == "option":
            options[name] = (float(snapshot.forward[i]), float(snapshot.mark_iv[i]))
    return {ccy: simulate(model_params, ccy, pos, snapshot.spot[ccy.upper()], snapshot.timestamp, options=options)
            for ccy, pos in sorted(by_ccy.items())}  # fmt: skip
