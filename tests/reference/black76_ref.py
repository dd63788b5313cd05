"""Scalar reference twin of public/methodology/black76.py and public/methodology/risk_array.py: math module, no numpy.

Written from SPEC section 3 and the textbook formulas, without importing the code it checks (as
py_vollib checks its fast path against ``ref_python/``). It reads the scenario spec JSON itself.

Black-76 at zero rate (Black 1976; Hull, "Options, Futures, and Other Derivatives", section on
Black's model), with N(x) = erfc(-x / sqrt 2) / 2 and phi(x) = exp(-x^2 / 2) / sqrt(2 pi):
    d1 = (ln(F/K) + sigma^2 T / 2) / (sigma sqrt T),  d2 = d1 - sigma sqrt T
    call = F N(d1) - K N(d2),  put = K N(-d2) - F N(-d1)
    delta = N(d1) (call), N(d1) - 1 (put);  vega = F phi(d1) sqrt(T) / 100 (USD per vol point)

Fixed point: ``round_half_away`` rounds the exact binary value of x * scale with ``decimal``
(ROUND_HALF_UP is half away from zero), so it can differ by 1 unit from the float formula
floor(|x| * scale + 0.5) only where x * scale lies within float rounding of a half-integer.
"""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_UP, Decimal


def norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def price(f: float, k: float, t: float, sigma: float, is_call: bool) -> float:
    """USD per 1 coin; intrinsic value when sigma sqrt(T) is 0 (or T <= 0)."""
    if t <= 0 or sigma <= 0:
        return max(f - k, 0.0) if is_call else max(k - f, 0.0)
    s = sigma * math.sqrt(t)
    d1 = (math.log(f / k) + s * s / 2) / s
    d2 = d1 - s
    if is_call:
        return max(f * norm_cdf(d1) - k * norm_cdf(d2), 0.0)
    return max(k * norm_cdf(-d2) - f * norm_cdf(-d1), 0.0)


def delta(f: float, k: float, t: float, sigma: float, is_call: bool) -> float:
    if t <= 0 or sigma <= 0:
        call = 1.0 if f > k else (0.5 if f == k else 0.0)
    else:
        s = sigma * math.sqrt(t)
        call = norm_cdf((math.log(f / k) + s * s / 2) / s)
    return call if is_call else call - 1.0


def vega(f: float, k: float, t: float, sigma: float) -> float:
    if t <= 0 or sigma <= 0:
        return 0.0
    s = sigma * math.sqrt(t)
    return f * norm_pdf((math.log(f / k) + s * s / 2) / s) * math.sqrt(t) / 100.0


def round_half_away(x: float, scale: int) -> int:
    """Exact round half away from zero of x * scale."""
    return int((Decimal(x) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def load_spec_json(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def shocked_vol(sigma: float, t: float, state: str, spec: dict, underlying: str) -> float:
    """SPEC section 3 vol shock of one option in vol state "up", "same" or "down"."""
    vs = spec["vol_shock"]
    if state == "same":
        return sigma
    dte = max(t * 365.25, vs["dte_floor_days"])
    p = vs["p_short"] if dte < vs["dte_break_days"] else vs["p_long"]
    x = (vs["dte_ref_days"] / dte) ** p
    if state == "up":
        a_up = vs["a_up"][underlying] if isinstance(vs["a_up"], dict) else vs["a_up"]
        return max(sigma * (1 + a_up * x), vs["sigma_min_up"])
    return max(sigma * (1 - vs["a_down"] * x), 0.0)


def scenarios(spec: dict, underlying: str) -> list[tuple[float, str, float]]:
    """(move, vol state, weight) in the fixed order: price-major standard table, then extended."""
    r, b = spec["price_range"][underlying], spec["price_buckets"]
    out = [(r * j / b, state, 1.0) for j in range(-b, b + 1) for state in spec["vol_states"]]
    factor = spec.get("extended_factor", 1.0)
    return out + [(m, "up", factor * r / abs(m)) for m in spec["extended_moves"]]


def risk_record(inst: dict, spec: dict, spot: float) -> dict:
    """One instrument's risk array: ints at USD x 1e6 per coin, and the pnl floats before rounding.

    ``inst``: underlying, kind ("option"/"future"/"perpetual"), forward, and for options strike,
    ttm (years), sigma, is_call.
    """
    u, kind, f = inst["underlying"], inst["kind"], inst["forward"]
    horizon = spec.get("horizon_days", 0.0) / 365.25
    pnl = []
    for m, state, w in scenarios(spec, u):
        if kind == "option":
            k, t, sig, call = inst["strike"], inst["ttm"], inst["sigma"], inst["is_call"]
            shocked = price(f * (1 + m), k, max(t - horizon, 0.0), shocked_vol(sig, t, state, spec, u), call)
            pnl.append(w * (shocked - price(f, k, t, sig, call)))
        else:
            pnl.append(f * m * w)
    if kind == "option":
        k, t, sig, call = inst["strike"], inst["ttm"], inst["sigma"], inst["is_call"]
        d, v, mark = delta(f, k, t, sig, call) * f, vega(f, k, t, sig), price(f, k, t, sig, call)
        add_on = spec["add_on"]["option"] * spot
    else:
        d, v, mark, add_on = f, 0.0, 0.0, spec["add_on"][kind] * f
    e6 = lambda x: round_half_away(x, 10**6)  # noqa: E731
    return {
        "pnl_usd": pnl,
        "pnl_e6": [e6(x) for x in pnl],
        "delta_e6": e6(d),
        "vega_e6": e6(v),
        "add_on_e6": e6(add_on),
        "mark_e6": e6(mark),
    }
