"""Risk arrays: every instrument's P&L per unit in every scenario of a spec, plus delta, vega,
add-on and mark, in fixed point (USD x 1e6 per 1 coin of underlying notional).

Method (SPEC section 3). Per underlying u with scan range R (``public/methodology/spec.py`` fixes the
scenario order and the weights):

- price move m: every forward of u becomes F (1 + m);
- times in years of the spec's day count (Y = 365.25 days, ACT/365.25, by default, or 365): T is
  the snapshot's ACT/365.25 time to maturity x 365.25 / Y;
- vol shocks, multiplicative and expiry dependent, with dte = max(T x Y, dte_floor_days) days
  and p = p_short if dte < dte_break_days else p_long, x = (dte_ref_days / dte)^p:
  ``up = max(sigma (1 + a_up[u] x), sigma_min_up)``, ``same = sigma``,
  ``down = max(sigma (1 - a_down x), 0)``; in SPAN mode additive instead:
  ``up = sigma + vol_scan_range[u]``, ``down = max(sigma - vol_scan_range[u], 0)``;
- options are valued with Black-76 (``public/methodology/black76.py``, zero rate) on the shocked forward and
  vol at T' = max(T - horizon_days / Y, 0); value(now) uses the unshocked F, sigma and T;
- futures and perpetuals are linear: value change = F m, whatever the vol state;
- pnl[s] = weight[s] x (value(scenario s) - value(now)); weight 1 on the standard table and
  extended_factor x R / |m| on the extended moves. A loss is negative.

The scan range R of an underlying is ``spec.scan_range(u, snapshot.reference_vol)`` (fixed, or
following the snapshot's reference vol).

Per-unit record values: ``delta_e6`` the cash delta (Black-76 forward delta x F for options, F for
linear instruments; USD per unit relative move of the underlying, SPEC's delta_spot x S at zero
rate), ``vega_e6`` USD per vol point (0 for linear), ``add_on_e6`` = add_on[kind] x (F for futures
and perpetuals, spot for options), ``mark_e6`` the Black-76 value for options and 0 for linear
instruments (futures are marked to market daily, so they carry no value). ``gamma_usd`` (float,
not committed in the risk table) is the cash gamma: the change of cash delta for a 1 % move of
the underlying, Black-76 gamma x F^2 / 100, USD per 1 coin notional (0 for linear instruments).

Coin-margined spec (``"valuation": "coin_margined"``; Deribit S:PM, public/methodology/coin_margin.py):
values per 1 coin notional in coin x 1e6, S the snapshot's index of u: a future or perpetual
``1 - 1 / (1 + m)``; an option ``C(F (1 + m), sigma_s) / (S (1 + m)) - C(F, sigma) / S``; ``mark_e6`` the
option's coin value C / S (0 for linear); ``add_on_e6`` the roll-shock rate (futures
``max(min_annualised_move, annualised_move_risk T)``, perpetuals ``min_annualised_move``, options 0);
``delta_e6`` the USD delta, coin delta x S (Deribit's net delta in USD; 1 coin for linear); vega as
above, USD per vol point (the policy's limit is in USD).

Rounding: each output is computed in float64 and rounded once, after weighting, with
``public.fixed_point.to_fixed`` (half away from zero). Cross-underlying offsets are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from public.errors import SnapshotError, SpecError
from public.fixed_point import RECORD_BITS, USD_SCALE, to_fixed
from public.methodology import black76
from public.methodology.instrument import InstrumentKey
from public.methodology.spec import ScenarioSpec, scenario_grid

SNAPSHOT_DAYS_PER_YEAR = 365.25  #: the snapshot's time to maturity is ACT/365.25


@dataclass(frozen=True, eq=False)
class RiskArrays:
    """Fixed-point risk arrays of n instruments (snapshot order) under S scenarios.

    ``pnl_e6`` int64 (n, S), ``delta_e6``, ``vega_e6``, ``add_on_e6``, ``mark_e6`` int64 (n,), all
    USD x 1e6 per 1 coin notional (vega per vol point); ``pnl_usd`` float64 (n, S) is ``pnl_e6``
    before rounding, in USD; ``gamma_usd`` float64 (n,) cash gamma, USD per 1 % move; ``labels``
    maps each underlying to its S scenario labels; ``scan_range`` each underlying's R (fraction).
    """

    pnl_e6: np.ndarray
    delta_e6: np.ndarray
    vega_e6: np.ndarray
    add_on_e6: np.ndarray
    mark_e6: np.ndarray
    pnl_usd: np.ndarray
    labels: dict[str, tuple[str, ...]]
    gamma_usd: np.ndarray | None = None
    scan_range: dict[str, float] | None = None


def shocked_vols(sigma, ttm_years, spec: ScenarioSpec, underlying: str) -> np.ndarray:
    """Vol after the up, same and down shocks (module docstring).

    Parameters
    ----------
    sigma : array_like, shape (n,), fraction per sqrt(year)
    ttm_years : array_like, shape (n,), years of the spec's day count (``spec.days_per_year``)
    spec, underlying : the shock parameters (a_up, vol_scan_range are per underlying)

    Returns
    -------
    np.ndarray[float64], shape (n, 3)
        Columns by vol-state code: 0 up, 1 same, 2 down.
    """
    sigma = np.asarray(sigma, dtype=np.float64)
    if spec.grid == "span":
        shift = spec.span["vol_scan_range"][underlying]
        return np.stack([sigma + shift, sigma, np.maximum(sigma - shift, 0.0)], axis=1)
    vs = spec.vol_shock
    dte = np.maximum(np.asarray(ttm_years, dtype=np.float64) * spec.days_per_year, vs["dte_floor_days"])
    p = np.where(dte < vs["dte_break_days"], vs["p_short"], vs["p_long"])
    x = (vs["dte_ref_days"] / dte) ** p
    up = np.maximum(sigma * (1.0 + vs["a_up"][underlying] * x), vs["sigma_min_up"])
    down = np.maximum(sigma * (1.0 - vs["a_down"] * x), 0.0)
    return np.stack([up, sigma, down], axis=1)


def _fixed(values: np.ndarray, what: str, names) -> np.ndarray:
    """Round to USD x 1e6; SnapshotError naming the first instrument outside RECORD_BITS."""
    bad = ~np.isfinite(values) | (np.abs(values) * USD_SCALE >= 2.0**RECORD_BITS - 0.5)
    if bad.any():
        row = np.argwhere(bad)[0]
        where = f"{what}[{row[1]}]" if values.ndim == 2 else what
        raise SnapshotError(
            f"instrument {names[row[0]]}: {where} = {float(values[tuple(row)]):.9g} USD does not fit {RECORD_BITS} bits at 1e6"
        )
    return to_fixed(values, USD_SCALE)


def risk_arrays(snapshot, spec: ScenarioSpec) -> RiskArrays:
    """Evaluate every instrument of ``snapshot`` in every scenario of ``spec``.

    Parameters
    ----------
    snapshot : MarketSnapshot
        n instruments (public/methodology/snapshot.py): forward in USD, mark IV as a fraction, T in years.
    spec : ScenarioSpec
        S = spec.n_scenarios scenarios per underlying, in the order of public/methodology/spec.py.

    Returns
    -------
    RiskArrays
        int64 arrays at USD x 1e6 per 1 coin notional, rounded half away from zero once, after
        weighting: pnl_e6 (n, S), delta_e6, vega_e6, add_on_e6, mark_e6 (n,).

    Raises
    ------
    SnapshotError
        A value is not finite or |value| x 1e6 rounds to 2**RECORD_BITS or more; names the
        instrument and the output.
    SpecError
        The snapshot holds an underlying the spec does not list.
    """
    n, n_scen = len(snapshot), spec.n_scenarios
    extra = sorted(set(snapshot.underlying.tolist()) - set(spec.underlyings))
    if extra:
        raise SpecError(f"spec {spec.name} has no scenarios for underlying {extra[0]} of snapshot {snapshot.source}")
    is_option = snapshot.kind == "option"
    forward = snapshot.forward
    pnl = np.zeros((n, n_scen))
    delta, vega, mark = forward.copy(), np.zeros(n), np.zeros(n)
    rate = np.zeros(n)
    for kind, r in spec.add_on.items():  # 3 kinds; options are replaced below (rate x spot)
        rate[snapshot.kind == kind] = r
    add_on = rate * forward
    gamma = np.zeros(n)
    horizon = spec.horizon_days / spec.days_per_year
    ttm = snapshot.ttm_years * (SNAPSHOT_DAYS_PER_YEAR / spec.days_per_year)
    coin = spec.valuation == "coin_margined"
    if coin:  # roll-shock rates per coin instead of add-on rates (module docstring)
        rate[:] = 0.0
        for u, p in spec.coin_margined.items():
            of_u = snapshot.underlying == u
            rate[of_u & (snapshot.kind == "perpetual")] = p["min_annualised_move"]
            fut = of_u & (snapshot.kind == "future")
            rate[fut] = np.maximum(p["min_annualised_move"], p["annualised_move_risk"] * ttm[fut])
        add_on = rate.copy()
    labels, ranges = {}, {}
    for u in spec.underlyings:
        ranges[u] = spec.scan_range(u, snapshot.reference_vol)
        grid = scenario_grid(spec, u, ranges[u])
        labels[u] = grid.labels
        of_u = snapshot.underlying == u
        lin = np.flatnonzero(of_u & ~is_option)
        pnl[lin] = (1.0 - 1.0 / (1.0 + grid.moves)) * grid.weight if coin else forward[lin, None] * grid.moves * grid.weight
        if coin:
            delta[lin] = snapshot.spot[u]
        opt = np.flatnonzero(of_u & is_option)
        if opt.size == 0:
            continue
        f, k, t, sigma = forward[opt], snapshot.strike[opt], ttm[opt], snapshot.mark_iv[opt]
        call = snapshot.is_call[opt]
        now = black76.price(f, k, t, sigma, call)
        sigma_s = shocked_vols(sigma, t, spec, u)[:, grid.vol_state]
        later = black76.price(f[:, None] * (1.0 + grid.moves), k[:, None], np.maximum(t - horizon, 0.0)[:, None], sigma_s, call[:, None])
        vega[opt] = black76.vega(f, k, t, sigma)
        gamma[opt] = black76.gamma(f, k, t, sigma) * f * f / 100.0
        if coin:
            spot = snapshot.spot[u]
            pnl[opt] = (later / (spot * (1.0 + grid.moves)) - (now / spot)[:, None]) * grid.weight
            mark[opt] = now / spot
            delta[opt] = black76.delta(f, k, t, sigma, call) * spot
            continue
        pnl[opt] = (later - now[:, None]) * grid.weight
        mark[opt] = now
        delta[opt] = black76.delta(f, k, t, sigma, call) * f
        add_on[opt] = spec.add_on["option"] * snapshot.spot[u]
    names = snapshot.names
    return RiskArrays(
        pnl_e6=_fixed(pnl, "pnl", names),
        delta_e6=_fixed(delta, "delta", names),
        vega_e6=_fixed(vega, "vega", names),
        add_on_e6=_fixed(add_on, "add_on", names),
        mark_e6=_fixed(mark, "mark", names),
        pnl_usd=pnl,
        labels=labels,
        gamma_usd=gamma,
        scan_range=ranges,
    )



@dataclass(frozen=True)
class SpotRisk:
    """The risk record values of 1 coin of ``underlying`` held as collateral (spec
    ``collateral_in_scenarios``): ``pnl_e6`` (S,) = S m weight, ``delta_e6`` = S, ``add_on_e6`` = the
    liquidation haircut x S, ``mark_e6`` = S; USD x 1e6, S the snapshot's spot index; no vega."""

    key: InstrumentKey
    pnl_e6: np.ndarray
    delta_e6: int
    add_on_e6: int
    mark_e6: int


def spot_risk(snapshot, spec: ScenarioSpec) -> list[SpotRisk]:
    """One SpotRisk per underlying of ``spec.collateral_in_scenarios`` (spec order); [] without it.

    The spot is a linear instrument at the index: in each scenario of its underlying it moves by
    S m (weighted like every record), the same as a perpetual at the index, and it is worth S now.
    Raises SpecError if the snapshot has no spot for a listed underlying; SnapshotError as risk_arrays.
    """
    out = []
    for u, haircut in (spec.collateral_in_scenarios or {}).items():
        if u not in snapshot.spot:
            raise SpecError(f"spec {spec.name} counts {u} collateral in the scenarios, but snapshot {snapshot.source} has no {u} spot")
        s = snapshot.spot[u]
        grid = scenario_grid(spec, u, spec.scan_range(u, snapshot.reference_vol))
        key = InstrumentKey(u, "spot", None, None, None)
        values = _fixed(np.array([s * grid.moves * grid.weight]), "pnl", [key.canonical_name])[0]
        delta, add_on, mark = (int(v) for v in _fixed(np.array([s, haircut * s, s]), "spot record", [key.canonical_name] * 3))
        out.append(SpotRisk(key, values, delta, add_on, mark))
    return out
