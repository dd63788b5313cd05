"""Canonical instrument naming: venue-independent ids and names, and the parser for Deribit names.

An instrument is identified by an ``InstrumentKey``: underlying, kind (option, future, perpetual,
spot: a coin held as collateral, counted in the scenarios under a spec that says so),
expiry date, strike (USD) and option type. Its canonical id is venue independent, so the same
contract on two venues nets: the decimal digits ``und_code kind_code yyyymmdd(8) strike_e2(14) cp``
read as one integer, with und_code from ``UNDERLYING_CODES`` (BTC 1, ETH 2), kind_code from
``KIND_CODES`` (option 1, future 2, perpetual 3, spot 4), strike_e2 = strike in USD cents and cp = 1
call, 2 put, 0 linear; a perpetual or spot has date 0 and strike 0. At most 25 digits (< 2^84). Examples:

=========================  =========================  ===================================
Deribit name               canonical name             canonical id
=========================  =========================  ===================================
``BTC-25JUN27-150000-P``   ``BTC-20270625-150000-P``  ``1 1 20270625 00000015000000 2``
``ETH-4SEP26-2412d5-C``    ``ETH-20260904-2412.5-C``  ``2 1 20260904 00000000241250 1``
``BTC-25SEP26``            ``BTC-20260925-F``         ``1 2 20260925 00000000000000 0``
``BTC-PERPETUAL``          ``BTC-PERP``               ``1 3 00000000 00000000000000 0``
``BTC-SPOT``               ``BTC-SPOT``               ``1 4 00000000 00000000000000 0``
=========================  =========================  ===================================

``parse_instrument_name`` reads either form. Errors: every function here raises ValueError, naming
the value, for an unknown underlying, kind or option type, an expiry on a perpetual (or none on an
option or future), a strike and option type on a linear instrument (or none on an option), a strike
that is not a positive whole number of USD cents below 1e12, and a name that matches neither form
or has an invalid date. Not handled: strikes finer than one cent, underlyings beyond BTC and ETH.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

UNDERLYING_CODES = {"BTC": 1, "ETH": 2}
KIND_CODES = {"option": 1, "future": 2, "perpetual": 3, "spot": 4}
UNDATED = ("perpetual", "spot")  #: kinds without an expiry
OPTION_TYPE_CODES = {"call": 1, "put": 2}

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DMY = r"(\d{1,2})([A-Z]{3})(\d{2})"
_NAME_PATTERNS = (  # (kind, date style, regex); strike "1500.5" or Deribit's "1500d5"
    ("option", "dmy", re.compile(rf"([A-Z]+)-{_DMY}-(\d+(?:[.d]\d+)?)-([CP])")),
    ("future", "dmy", re.compile(rf"([A-Z]+)-{_DMY}")),
    ("option", "ymd", re.compile(r"([A-Z]+)-(\d{8})-(\d+(?:\.\d+)?)-([CP])")),
    ("future", "ymd", re.compile(r"([A-Z]+)-(\d{8})-F")),
    ("perpetual", "", re.compile(r"([A-Z]+)-(?:PERPETUAL|PERP)")),
    ("spot", "", re.compile(r"([A-Z]+)-SPOT")),
)


def _strike_e2(strike: float) -> int:
    cents = float(strike) * 100
    e2 = round(cents)
    if not math.isfinite(cents) or e2 <= 0 or abs(cents - e2) > 1e-6 or e2 >= 10**14:
        raise ValueError(f"strike {strike!r} must be a positive whole number of USD cents below 1e12")
    return e2


def _check_fields(underlying, kind, expiry, strike, option_type) -> None:
    if underlying not in UNDERLYING_CODES:
        raise ValueError(f"unknown underlying {underlying!r} (known: {', '.join(UNDERLYING_CODES)})")
    if kind not in KIND_CODES:
        raise ValueError(f"unknown instrument kind {kind!r} (known: {', '.join(KIND_CODES)})")
    if (expiry is None) != (kind in UNDATED):
        raise ValueError(f"a {kind} {'has no' if kind in UNDATED else 'needs an'} expiry")
    if (strike is None or option_type is None) != (kind != "option") or (strike is None) != (option_type is None):
        raise ValueError(f"a {kind} {'needs' if kind == 'option' else 'has no'} strike and option type")
    if kind == "option":
        _strike_e2(strike)
        if option_type not in OPTION_TYPE_CODES:
            raise ValueError(f"option type {option_type!r} is not 'call' or 'put'")


def canonical_id(underlying, kind, expiry, strike, option_type) -> int:
    """Venue-independent instrument id (module docstring); raises ValueError on inconsistent fields."""
    _check_fields(underlying, kind, expiry, strike, option_type)
    ymd = 0 if expiry is None else expiry.year * 10000 + expiry.month * 100 + expiry.day
    e2 = 0 if strike is None else _strike_e2(strike)
    cp = OPTION_TYPE_CODES.get(option_type, 0)
    return int(f"{UNDERLYING_CODES[underlying]}{KIND_CODES[kind]}{ymd:08d}{e2:014d}{cp}")


def canonical_name(underlying, kind, expiry, strike, option_type) -> str:
    """``BTC-20270625-150000-P`` / ``BTC-20260925-F`` / ``BTC-PERP`` / ``BTC-SPOT``; strike to the cent, no ``.0``."""
    _check_fields(underlying, kind, expiry, strike, option_type)
    if kind == "perpetual":
        return f"{underlying}-PERP"
    if kind == "spot":
        return f"{underlying}-SPOT"
    if kind == "future":
        return f"{underlying}-{expiry:%Y%m%d}-F"
    whole, cents = divmod(_strike_e2(strike), 100)
    text = str(whole) if cents == 0 else f"{whole}.{cents:02d}".rstrip("0")
    return f"{underlying}-{expiry:%Y%m%d}-{text}-{option_type[0].upper()}"


@dataclass(frozen=True)
class InstrumentKey:
    """What identifies an instrument: underlying, kind, expiry (date, None for a perpetual), strike
    (USD, None if linear), option_type ("call"/"put", None if linear). Validated on construction."""

    underlying: str
    kind: str
    expiry: date | None
    strike: float | None
    option_type: str | None

    def __post_init__(self):
        _check_fields(self.underlying, self.kind, self.expiry, self.strike, self.option_type)

    @property
    def instrument_id(self) -> int:
        return canonical_id(self.underlying, self.kind, self.expiry, self.strike, self.option_type)

    @property
    def canonical_name(self) -> str:
        return canonical_name(self.underlying, self.kind, self.expiry, self.strike, self.option_type)


def parse_instrument_name(name: str) -> InstrumentKey:
    """Deribit (``BTC-25JUN27-150000-P``, ``BTC-25SEP26``, ``BTC-PERPETUAL``) or canonical name -> key.

    Raises
    ------
    ValueError
        The name matches no pattern, has an invalid date or strike, or an unknown underlying.
    """
    for kind, style, pattern in _NAME_PATTERNS:
        m = pattern.fullmatch(name) if isinstance(name, str) else None
        if m is None:
            continue
        g = m.groups()
        try:
            if style == "dmy":
                if g[2] not in _MONTHS:
                    raise ValueError(f"unknown month {g[2]!r}")
                expiry = date(2000 + int(g[3]), _MONTHS.index(g[2]) + 1, int(g[1]))
                rest = g[4:]
            elif style == "ymd":
                expiry = datetime.strptime(g[1], "%Y%m%d").date()
                rest = g[2:]
            else:
                expiry, rest = None, ()
            strike = float(rest[0].replace("d", ".")) if kind == "option" else None
            option_type = {"C": "call", "P": "put"}[rest[1]] if kind == "option" else None
            return InstrumentKey(g[0], kind, expiry, strike, option_type)
        except ValueError as exc:
            raise ValueError(f"instrument name {name!r}: {exc}") from None
    raise ValueError(
        f"instrument name {name!r} is not a Deribit name (BTC-25JUN27-150000-P, BTC-25SEP26, BTC-PERPETUAL) "
        "or a canonical one (BTC-20270625-150000-P, BTC-20260925-F, BTC-PERP, BTC-SPOT)"
    )
