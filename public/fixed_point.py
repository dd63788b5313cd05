"""Fixed-point scales and bit widths shared by the evaluator, the witness and the circuit.

Every value that enters the circuit is an integer at one of the scales below; signed values are
field elements (a negative x is p - |x|). The circuit range-checks each value to the width named
here (circuits/range.circom), and ``check_bounds`` shows that no sum the circuit forms can reach
p/2, so a signed value never wraps modulo p. ``docs/bounds.md`` works the same sums out by hand;
this module raises ``ValueError`` at import if a width is changed so that they no longer hold
(py_ecc checks its curve constants at import in the same spirit).

Rounding: ``to_fixed`` rounds half away from zero in float64: ``y = |x| * scale``, then
``floor(y) + (y - floor(y) >= 0.5)`` with the sign of x; a value at an exact half-unit rounds away
from zero (2.5 -> 3, -2.5 -> -3), and 0.49999999999999994 rounds to 0 (``floor(y + 0.5)`` would not).
"""

from __future__ import annotations

import math

import numpy as np

from public.errors import RangeError

#: BN254 scalar field order r (the circuit's prime p; snarkjs calls it r).
FIELD_P = 21888242871839275222246405745257275088548364400416034343698204186575808495617

USD_SCALE = 10**6  #: USD values (P&L, delta, vega, add-on, mark, prices, limits): micro-USD
QTY_SCALE = 10**8  #: quantities and collateral amounts: 1e-8 coin (1 satoshi for BTC)
K_SCALE = 10**6  #: IM multiplier k: 1.25 -> 1_250_000
AGG_SCALE = USD_SCALE * QTY_SCALE  #: aggregates (qty x per-unit USD): USD x 1e14

QTY_BITS = 44  #: signed: -2^44 <= qty_e8 < 2^44 (|qty| < 175,921 coins)
RECORD_BITS = 42  #: signed risk-record values, USD x 1e6 per coin: |v| < 2^42 (4.39e6 USD/coin)
AMOUNT_BITS = 64  #: unsigned collateral amounts, units x 1e8: < 1.8e11 units
PRICE_BITS = 42  #: unsigned haircut prices, USD x 1e6 per unit: < 4.39e6 USD
LIMIT_BITS = 64  #: unsigned delta / vega limits, USD x 1e6: < 1.8e13 USD
K_BITS = 32  #: unsigned multiplier k x 1e6: < 4294.97
EPOCH_BITS = 64  #: unsigned snapshot epoch, unix seconds
CHALLENGE_BITS = 248  #: unsigned verifier challenge
OFFSET_BITS = 64  #: coin mode: unsigned pnl_offset / extended dampener, coin x 1e14: < 184,467 coin
RATE_BITS = 21  #: coin mode: unsigned max_delta_shock and m_inc x 1e6 (< 2.09); the rate hint < 2^(RATE_BITS + 1)
RATE_DIVISOR = 10**20  #: coin mode: rate_e6 = m_inc_e6 x excess (USD x 1e14) / 1e20 (m_inc per USD 1e6)
MAX_SLOTS = 256  #: largest position-slot count the bound analysis below covers
MAX_ASSETS = 16  #: largest collateral-asset count covered
MAX_VENUES = 64  #: largest venue-statement count covered


def _log2_ceil(n: int) -> int:
    """ceil(log2 n), at least 1 (widths.circom ceil_log2 of max(2, n))."""
    return math.ceil(math.log2(max(2, n)))


def agg_bits(n_slots: int) -> int:
    """Bits of any per-scenario aggregate over ``n_slots``: |sum q * v| < 2^agg_bits (x 1e14 USD)."""
    return QTY_BITS + RECORD_BITS + max(1, math.ceil(math.log2(n_slots)))


def margin_bits(n_slots: int, n_underlyings: int) -> int:
    """Bits of IM = sum_u W_u + add-on: W_u < 2^agg_bits each, add-on < 2^agg_bits."""
    return agg_bits(n_slots) + math.ceil(math.log2(n_underlyings + 1))


def collateral_bits(n_slots: int, n_assets: int, n_venues: int = 1) -> int:
    """Bits of |collateral| = |sum_a (sum_v amount) * price + sum q * mark| (x 1e14 USD)."""
    assets = AMOUNT_BITS + _log2_ceil(n_venues) + PRICE_BITS + _log2_ceil(n_assets)
    return max(assets, agg_bits(n_slots)) + 1


def solvency_bits(n_slots: int, n_underlyings: int, n_assets: int, n_venues: int = 1) -> int:
    """Bits of the solvency slack collateral * K_SCALE - k * IM, checked to be in [0, 2^this)."""
    lhs = collateral_bits(n_slots, n_assets, n_venues) + math.ceil(math.log2(K_SCALE))
    rhs = K_BITS + 1 + margin_bits(n_slots, n_underlyings)  # the circuit checks k - 1e6 < 2^K_BITS
    return max(lhs, rhs) + 1


def coin_solvency_bits(n_slots: int, n_assets: int, n_venues: int = 1) -> int:
    """Coin mode: bits of collateral_u * K_SCALE - k * IM_u with IM_u = W_u + roll_u + shock_u <
    2^(agg_bits + RATE_BITS + 2) (the shock hint is range-checked to agg_bits + RATE_BITS + 1)."""
    lhs = collateral_bits(n_slots, n_assets, n_venues) + math.ceil(math.log2(K_SCALE))
    rhs = K_BITS + 1 + agg_bits(n_slots) + RATE_BITS + 2
    return max(lhs, rhs) + 1


def check_bounds(n_slots: int = MAX_SLOTS, n_underlyings: int = 2, n_assets: int = MAX_ASSETS, n_venues: int = MAX_VENUES) -> None:
    """Raise ValueError if any value the circuit forms could reach p/2 (and so wrap).

    The largest intermediate values are: W_u + P_u[s] < 2^(agg_bits + 1); the limit checks
    limit * 1e8 +- net < 2^(LIMIT_BITS + 27 + 1); the solvency slack < 2^solvency_bits.
    """
    half = FIELD_P // 2
    widths = {
        "worst_loss_slack": agg_bits(n_slots) + 1,
        "limit_slack": max(LIMIT_BITS + math.ceil(math.log2(QTY_SCALE)), agg_bits(n_slots)) + 1,
        "solvency_slack": solvency_bits(n_slots, n_underlyings, n_assets, n_venues),
        "challenge": CHALLENGE_BITS,
        "coin_worst_loss_slack": agg_bits(n_slots) + 2,  # W + P + offset, offset < 2^OFFSET_BITS <= 2^agg_bits
        "coin_rate_slack": agg_bits(n_slots) + RATE_BITS + 2,  # r 1e20 - m_inc (|D| - T 1e8)
        "coin_shock_slack": agg_bits(n_slots) + RATE_BITS + PRICE_BITS + 2,  # X S - |D| r
        "coin_solvency_slack": coin_solvency_bits(n_slots, n_assets, n_venues),
    }
    if OFFSET_BITS >= agg_bits(1):
        raise ValueError("coin-mode widths: an offset could outgrow the worst-loss slack")
    for name, bits in widths.items():
        if 2**bits >= half:
            raise ValueError(f"fixed-point widths let {name} reach p/2 ({bits} bits)")
        if bits > 252:  # circomlib Num2Bits / comparators are only sound below 2^252
            raise ValueError(f"{name} needs {bits} bits > 252")


check_bounds()


def to_fixed(x, scale: int) -> np.ndarray:
    """Round float(s) ``x`` to integers at ``scale``, half away from zero; returns int64 array.

    Raises RangeError if any value is NaN/inf or would not fit int64.
    """
    a = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise RangeError("non-finite value cannot be put in fixed point")
    scaled = np.abs(a) * scale
    if np.any(scaled >= 2.0**62):
        raise RangeError("value too large for fixed point")
    whole = np.floor(scaled)
    # compare the fraction with 0.5 instead of adding 0.5: floor(x + 0.5) rounds 0.49999999999999994 up
    return (np.sign(a) * (whole + (scaled - whole >= 0.5))).astype(np.int64)


def check_signed(value: int, bits: int, what: str) -> int:
    """Return ``value`` if -2^bits <= value < 2^bits, else raise RangeError naming ``what``."""
    v = int(value)
    if not -(2**bits) <= v < 2**bits:
        raise RangeError(f"{what} = {v} outside the signed {bits}-bit range")
    return v


def check_unsigned(value: int, bits: int, what: str) -> int:
    """Return ``value`` if 0 <= value < 2^bits, else raise RangeError naming ``what``."""
    v = int(value)
    if not 0 <= v < 2**bits:
        raise RangeError(f"{what} = {v} outside the unsigned {bits}-bit range")
    return v


def to_field(v: int) -> int:
    """Signed integer -> BN254 field element (negative x -> p - |x|)."""
    return int(v) % FIELD_P


def from_field(f: int) -> int:
    """Field element -> signed integer (elements above p/2 are negative)."""
    f = int(f) % FIELD_P
    return f - FIELD_P if f > FIELD_P // 2 else f


def decimal_to_fixed(value, scale: int, what: str) -> int:
    """Exact decimal (string, int or float as written in JSON) -> integer at ``scale``.

    Raises RangeError naming ``what`` if it is not a finite number or has more decimals than the
    scale holds (1.123456789 BTC at 1e8 is refused, never rounded silently).
    """
    from decimal import Decimal, InvalidOperation

    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise RangeError(f"{what}: {value!r} is not a number") from None
    if not d.is_finite():
        raise RangeError(f"{what}: {value!r} is not a finite number")
    if d and d.adjusted() > 60:  # no value of this project has 60 digits: refuse before int() costs memory
        raise RangeError(f"{what}: {str(value)[:40]!r} is out of range")
    scaled = d * scale
    if scaled != scaled.to_integral_value():
        raise RangeError(f"{what}: {value!r} has more precision than 1/{scale}")
    return int(scaled)
