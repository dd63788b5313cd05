"""Black-76 option value, forward delta, gamma and vega at zero rate, vectorised over numpy arrays.

For a forward F, strike K (USD), time to expiry T (years) and volatility sigma (a fraction,
0.55 = 55 %), with s = sigma * sqrt(T), d1 = (ln(F / K) + s^2 / 2) / s, d2 = d1 - s:

    call = F N(d1) - K N(d2)          put = K N(-d2) - F N(-d1)
    delta_call = N(d1)                delta_put = N(d1) - 1
    vega = F phi(d1) sqrt(T) / 100    (USD per 1 vol point, i.e. per 0.01 of sigma)
    gamma = phi(d1) / (F s)           (per USD, calls and puts alike)

Source: F. Black, "The pricing of commodity contracts", J. Financial Economics 3 (1976); the same
formulas as py_vollib's ``black`` module with r = 0 (discount factor 1). Units: values in USD per
1 coin of underlying notional (a Deribit option is on 1 coin; its coin premium is value / F).
Delta is the forward delta dV/dF (dimensionless); at zero rate it equals the spot delta.

Where s = 0 (sigma = 0 or T <= 0, an expired option) the value is intrinsic, max(F - K, 0) for a
call and max(K - F, 0) for a put; delta takes its limit (call 1 if F > K, 0.5 at F == K, else 0;
put = call - 1); vega is 0. The put is computed from N(-d2), N(-d1) directly rather than by parity,
which keeps deep out-of-the-money puts accurate. No rates, dividends, or early exercise.

All functions broadcast their arguments (numpy rules) and return float64 arrays.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

_INV_SQRT_2PI = 0.3989422804014327  # 1 / sqrt(2 pi)


def _d1(forward, strike, ttm, sigma):
    """(F, K, T, s, d1, live) broadcast; ``live`` marks s > 0, where d1 is defined (else d1 = 0)."""
    f, k, t, sig = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (forward, strike, ttm, sigma)))
    s = sig * np.sqrt(np.maximum(t, 0.0))
    live = s > 0
    safe_s = np.where(live, s, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.where(live, (np.log(f / k) + 0.5 * s * s) / safe_s, 0.0)
    return f, k, t, s, d1, live


def _call_limit(f, k):
    """Delta of a call at s = 0: 1 in the money, 0.5 at the money, 0 out of the money."""
    return np.where(f > k, 1.0, np.where(f == k, 0.5, 0.0))


def price(forward, strike, ttm, sigma, is_call) -> np.ndarray:
    """Black-76 value of an option at zero rate.

    Parameters
    ----------
    forward : array_like, USD, > 0
    strike : array_like, USD, > 0
    ttm : array_like, years (ACT/365.25); <= 0 means expired (intrinsic value)
    sigma : array_like, fraction per sqrt(year), >= 0
    is_call : array_like of bool; False means put

    Returns
    -------
    np.ndarray[float64], broadcast shape
        USD per 1 coin of underlying notional, >= 0.
    """
    f, k, _, s, d1, live = _d1(forward, strike, ttm, sigma)
    d2 = d1 - s
    call = np.asarray(is_call, dtype=bool)
    live_value = np.where(call, f * ndtr(d1) - k * ndtr(d2), k * ndtr(-d2) - f * ndtr(-d1))
    intrinsic = np.where(call, np.maximum(f - k, 0.0), np.maximum(k - f, 0.0))
    return np.maximum(np.where(live, live_value, intrinsic), 0.0)


def delta(forward, strike, ttm, sigma, is_call) -> np.ndarray:
    """Black-76 forward delta dV/dF: N(d1) for a call, N(d1) - 1 for a put (dimensionless).

    Arguments as ``price``. Multiply by F for the cash delta (USD per unit relative move).
    """
    f, k, _, _, d1, live = _d1(forward, strike, ttm, sigma)
    call_delta = np.where(live, ndtr(d1), _call_limit(f, k))
    return np.where(np.asarray(is_call, dtype=bool), call_delta, call_delta - 1.0)


def vega(forward, strike, ttm, sigma, is_call=True) -> np.ndarray:
    """Black-76 vega, USD per 1 vol point (dV/dsigma / 100), the same for calls and puts.

    Arguments as ``price`` (``is_call`` is accepted for a uniform signature and ignored).
    Returns 0 where sigma * sqrt(T) == 0.
    """
    f, _, t, _, d1, live = _d1(forward, strike, ttm, sigma)
    phi = _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
    out = np.where(live, f * phi * np.sqrt(np.maximum(t, 0.0)) / 100.0, 0.0)
    return out + np.zeros(np.shape(is_call))  # broadcast like the other functions


def gamma(forward, strike, ttm, sigma) -> np.ndarray:
    """Black-76 gamma d^2V/dF^2 = phi(d1) / (F s), s = sigma sqrt(T), per USD (same for calls and puts).

    Arguments as ``price``; 0 where s = 0 (the limit is a point mass at F = K, not a number).
    Multiply by F^2 / 100 for the cash gamma (change of the cash delta for a 1 % move, USD).
    """
    f, _, _, s, d1, live = _d1(forward, strike, ttm, sigma)
    safe = np.where(live, f * s, 1.0)
    return np.where(live, _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1) / safe, 0.0)
