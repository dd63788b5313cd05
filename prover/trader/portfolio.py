"""The trader's private portfolio: positions (instrument, signed quantity, venue) and collateral.

File format (JSON, ``zkmargin-portfolio/1``)::

    {"format": "zkmargin-portfolio/1", "account": "desk-7", "salt": "0x3f...",
     "positions": [{"instrument": "BTC-25SEP26-80000-C", "quantity": "-12.5", "venue": "deribit"}],
     "collateral": {"USDC": "1500000", "BTC": "10"}}

Quantities are coins of underlying notional (signed: negative = short), exact decimals with at
most 8 places (qty_e8 = quantity x 1e8); collateral amounts are asset units, >= 0, at most 8
places. Instruments are Deribit names or canonical names (public/methodology/snapshot.py) and must be in the
snapshot. Positions in the same canonical instrument net into one slot, whatever their venue.
The salt (< 2^248) blinds the portfolio commitment; it must be kept with the portfolio so that an
auditor can reproduce the commitment.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from public.errors import PortfolioError, RangeError
from public.fixed_point import AMOUNT_BITS, CHALLENGE_BITS, QTY_BITS, QTY_SCALE, decimal_to_fixed
from public.json_input import read_json_file
from public.methodology.instrument import InstrumentKey, parse_instrument_name

FORMAT = "zkmargin-portfolio/1"


@dataclass(frozen=True)
class Position:
    """One netted position: snapshot row, canonical id and name, signed qty (coins x 1e8), venues
    and, aligned with them, each venue entry's own quantity (coins x 1e8; empty when not known)."""

    row: int
    instrument_id: int
    name: str
    qty_e8: int
    venues: tuple[str, ...]
    venue_qty_e8: tuple[int, ...] = ()


@dataclass(frozen=True)
class Portfolio:
    """Positions netted per instrument (snapshot order), collateral per asset (units x 1e8), salt."""

    account: str
    positions: tuple[Position, ...]
    collateral_e8: dict[str, int]
    salt: int
    source: str = ""


def _parse_salt(raw, where: str) -> int:
    if raw is None:
        return secrets.randbits(CHALLENGE_BITS)
    try:
        salt = int(str(raw), 16) if str(raw).startswith("0x") else int(str(raw))
    except ValueError:
        raise PortfolioError(f"{where}: salt {raw!r} is not a hex or decimal integer") from None
    if not 0 <= salt < 2**CHALLENGE_BITS:
        raise PortfolioError(f"{where}: salt must be below 2^{CHALLENGE_BITS}")
    return salt


def parse_collateral(raw: dict, assets, where: str = "") -> dict[str, int]:
    """{asset: amount as an exact decimal} -> {asset: units x 1e8} for every asset of ``assets``
    (absent ones 0). Raises PortfolioError (prefixed ``where``) for an asset not in ``assets`` or an
    amount that is negative, too precise or >= 2^64 / 1e8."""
    out = {a: 0 for a in assets}
    for asset, amount in raw.items():
        if asset not in out:
            raise PortfolioError(f"{where}collateral asset {asset!r} not one of {', '.join(assets)}")
        try:
            v = decimal_to_fixed(amount, QTY_SCALE, f"{where}collateral {asset}")
        except RangeError as exc:
            raise PortfolioError(str(exc)) from None
        if not 0 <= v < 2**AMOUNT_BITS:
            raise PortfolioError(f"{where}collateral {asset} = {amount} must be >= 0 and < {2**AMOUNT_BITS / QTY_SCALE:,.0f}")
        out[asset] = v
    return out


def _spot_keys(spec) -> list[InstrumentKey]:
    """The spot instruments of ``spec.collateral_in_scenarios``, in the risk table's order."""
    return [InstrumentKey(u, "spot", None, None, None) for u in spec.collateral_in_scenarios or {}]


def _row_of(name: str, snapshot, spec, where: str) -> int:
    """Risk-table row of an instrument: its snapshot row, or for a spot of
    ``collateral_in_scenarios`` len(snapshot) + its place there. PortfolioError if neither."""
    try:
        return snapshot.index(name)
    except KeyError:
        pass
    spots = [k.instrument_id for k in _spot_keys(spec)]
    try:
        key = parse_instrument_name(name)
    except ValueError:
        key = None
    if key is not None and key.instrument_id in spots:
        return len(snapshot) + spots.index(key.instrument_id)
    if key is not None and key.kind == "spot":
        raise PortfolioError(f"{where}: {name} is a spot holding: it counts only under a spec with collateral_in_scenarios for {key.underlying} (spec {spec.name} has none)")
    raise PortfolioError(f"{where}: unknown instrument {name!r} (not in snapshot {snapshot.source})")


def parse_portfolio(obj: dict, snapshot, spec, source: str = "portfolio") -> Portfolio:
    """Validate a portfolio object against the snapshot and spec; raises PortfolioError naming the entry."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise PortfolioError(f"{source}: not a {FORMAT} file (missing or wrong 'format')")
    raw_positions = obj.get("positions")
    if not isinstance(raw_positions, list) or not raw_positions:
        raise PortfolioError(f"{source}: 'positions' must be a non-empty list")
    netted: dict[int, list] = {}
    for n, p in enumerate(raw_positions, start=1):
        where = f"{source}: position {n}"
        if not isinstance(p, dict) or "instrument" not in p or "quantity" not in p:
            raise PortfolioError(f"{where}: needs 'instrument' and 'quantity'")
        row = _row_of(str(p["instrument"]), snapshot, spec, where)
        try:
            qty = decimal_to_fixed(p["quantity"], QTY_SCALE, f"{where} quantity")
        except RangeError as exc:
            raise PortfolioError(str(exc)) from None
        if not -(2**QTY_BITS) < qty < 2**QTY_BITS:
            raise PortfolioError(f"{where}: quantity {p['quantity']} out of range (|quantity| < {2**QTY_BITS / QTY_SCALE:,.0f} coins)")
        entry = netted.setdefault(row, [0, [], []])
        entry[0] += qty
        entry[1].append(str(p.get("venue", "")))
        entry[2].append(qty)
    positions = []
    for row in sorted(netted):
        qty, venues, venue_qty = netted[row]
        key = snapshot.keys[row] if row < len(snapshot) else _spot_keys(spec)[row - len(snapshot)]
        if not -(2**QTY_BITS) < qty < 2**QTY_BITS:
            raise PortfolioError(f"{source}: net quantity of {key.canonical_name} out of range")
        positions.append(Position(row, key.instrument_id, key.canonical_name, qty, tuple(venues), tuple(venue_qty)))
    raw_coll = obj.get("collateral", {})
    if not isinstance(raw_coll, dict):
        raise PortfolioError(f"{source}: 'collateral' must map asset -> amount")
    collateral = parse_collateral(raw_coll, spec.assets, f"{source}: ")
    for asset in spec.collateral_in_scenarios or {}:
        if collateral.get(asset):
            raise PortfolioError(f"{source}: collateral {asset} counts in the scenarios under spec {spec.name}: list it as a position {asset}-SPOT instead")
    return Portfolio(str(obj.get("account", "")), tuple(positions), collateral, _parse_salt(obj.get("salt"), source), source)


def load_portfolio(path, snapshot, spec) -> Portfolio:
    """Read and validate a portfolio file; PortfolioError on unreadable JSON or any bad entry."""
    path = Path(path)
    obj = read_json_file(path, PortfolioError, "portfolio file")
    return parse_portfolio(obj, snapshot, spec, path.name)
