"""Public market snapshot: the loader for Deribit option-chain CSVs and ``MarketSnapshot``.

A snapshot (SPEC section 2) is, at one timestamp, per underlying the spot index and per instrument
its kind, underlying, expiry, strike, call/put, forward and mark IV. ``load_snapshot`` reads the
Deribit chain format of ``fixtures/snapshots/`` (columns in ``fixtures/snapshots/README.md``) and
builds the instrument universe:

- every option row (forward = the row's ``underlying`` column, USD; IV = ``implied_volatility``
  as a fraction; time to maturity = ``time_to_maturity``, years ACT/365.25);
- one dated future per distinct real ``futures_instrument_name`` (``underlying_name`` not ``SYN.``):
  forward = median of its ``futures_price`` values, expiry 08:00 UTC;
- one perpetual per currency, forward = spot (the file has no perpetual row; data README).

Spot = median of ``index_price`` over the currency's rows (USD). The reference vol of a currency
(``reference_vol``, used by scan ranges that follow the market) is its 30-day ATM implied vol
(``atm_reference_vol``). A futures-and-perpetuals marks snapshot (``public/methodology/marks.py``,
written by ``zkmargin snapshot marks``) is read by the same ``load_snapshot``: its perpetual at
its own mark and its reference vol as stated in the file. Instruments are ordered by
canonical id ascending, independent of CSV row order. Instrument names, keys and canonical ids
are ``public.methodology.instrument``'s.

Not handled: inverse-future coin P&L, non-USD quote currencies, strikes finer than one cent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from public.errors import SnapshotError, StaleSnapshotError
from public.methodology.instrument import OPTION_TYPE_CODES, UNDERLYING_CODES, InstrumentKey, parse_instrument_name

EXPIRY_HOUR_UTC = 8  #: Deribit options and futures expire at 08:00 UTC
YEAR = timedelta(days=365.25)  #: ACT/365.25, as the CSV's time_to_maturity
MAX_IV = 5.0  #: 500 % vol; the real chain's highest is 168 %
MAX_FORWARD_RATIO = 2.0  #: forward or futures price within [spot / 2, 2 spot]; real: 0.9999 .. 1.04
MAX_STRIKE_RATIO = 100.0  #: strike within [spot / 100, 100 spot]; real: 0.33 .. 4.2 x spot
TTM_TOLERANCE_S = 60.0  #: time_to_maturity may differ from expiry_datetime - timestamp by this
MARKS_COLUMNS = ("timestamp", "instrument_name", "currency", "mark_price", "index_price", "reference_vol")
REFERENCE_TENOR_DAYS = 30.0  #: the reference vol's tenor, as Deribit's DVOL
REQUIRED_COLUMNS = (
    "timestamp", "instrument_name", "underlying", "underlying_name", "option_type", "strike",
    "expiry_datetime", "time_to_maturity", "mark_price", "futures_price", "futures_instrument_name",
    "implied_volatility", "delta", "vega", "currency", "index_price",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class MarketSnapshot:
    """One snapshot's instruments in canonical-id order; per-instrument arrays have shape (n,).

    USD amounts are per 1 coin of underlying; ``mark_iv`` is a fraction; ``ttm_years`` ACT/365.25.
    ``strike``, ``mark_iv``, ``mark_price_coin`` (coin per option), ``exchange_delta`` and
    ``exchange_vega`` (USD per vol point, Deribit's) are NaN for futures and perpetuals.
    """

    timestamp: datetime
    epoch: int
    source: str
    sha256: str
    spot: dict[str, float]
    names: tuple[str, ...]
    keys: tuple[InstrumentKey, ...]
    instrument_ids: tuple[int, ...]
    underlying: np.ndarray
    kind: np.ndarray
    is_call: np.ndarray
    strike: np.ndarray
    ttm_years: np.ndarray
    forward: np.ndarray
    mark_iv: np.ndarray
    mark_price_coin: np.ndarray
    exchange_delta: np.ndarray
    exchange_vega: np.ndarray
    reference_vol: dict[str, float] = field(default_factory=dict)  #: currency -> fraction per sqrt(year)
    bid_coin: np.ndarray | None = None  #: best bid, coin per option (NaN: no bid, or not an option)
    ask_coin: np.ndarray | None = None  #: best ask, coin per option (NaN: no ask, or not an option)
    _rows: dict = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self):
        for a in vars(self).values():
            if isinstance(a, np.ndarray):
                a.flags.writeable = False
        rows = {name: i for i, name in enumerate(self.names)}
        rows.update({iid: i for i, iid in enumerate(self.instrument_ids)})
        object.__setattr__(self, "_rows", rows)

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name_or_id: str | int) -> int:
        """Row of an instrument given its Deribit name, canonical name or id; raises KeyError."""
        key = name_or_id
        if isinstance(key, str) and key not in self._rows:
            try:
                key = int(key) if key.isdigit() else parse_instrument_name(key).instrument_id
            except ValueError:
                raise KeyError(f"{name_or_id!r} is not an instrument name or id") from None
        elif isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            key = int(key)
        try:
            return self._rows[key]
        except (KeyError, TypeError):
            raise KeyError(f"{name_or_id!r} is not in snapshot {self.source}") from None

    def age_seconds(self, at: datetime) -> float:
        """Seconds from the snapshot timestamp to ``at`` (a naive ``at`` is taken as UTC)."""
        at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
        return (at - self.timestamp).total_seconds()


def check_fresh(snapshot: MarketSnapshot, max_age_s: float, at: datetime | None = None) -> float:
    """Return the snapshot's age in seconds at ``at`` (default now, UTC).

    Raises
    ------
    StaleSnapshotError
        The age exceeds ``max_age_s``; the message names both.
    SnapshotError
        The snapshot is dated after ``at``.
    """
    at = at or datetime.now(timezone.utc)
    age = snapshot.age_seconds(at)
    if age < 0:
        raise SnapshotError(f"snapshot {snapshot.source} ({snapshot.timestamp.isoformat()}) is dated {-age:.0f} s after {at.isoformat()}")
    if age > max_age_s:
        raise StaleSnapshotError(
            f"snapshot {snapshot.source} ({snapshot.timestamp.isoformat()}) is {age:.0f} s old at {at.isoformat()}; the limit is {max_age_s:g} s"
        )
    return age



def _number(row: dict, column: str, where: str, lower: str = "") -> float:
    """Parse a finite float from ``row[column]``; ``lower`` "positive" or "non-negative" bounds it."""
    text = row[column]
    try:
        v = float(text)
    except (TypeError, ValueError):
        raise SnapshotError(f"{where}: {column} {text!r} is not a number") from None
    if not math.isfinite(v):
        raise SnapshotError(f"{where}: {column} {text!r} is not finite")
    if (lower == "positive" and v <= 0) or (lower == "non-negative" and v < 0):
        raise SnapshotError(f"{where}: {column} = {text} must be {lower}")
    return v


def _plausible(where: str, iv: float, spot: float, **prices: float) -> None:
    """Refuse values the evaluator cannot value meaningfully (they would price to 0 or overflow
    and silently zero a risk record): IV above MAX_IV, a forward or futures price outside
    [spot / MAX_FORWARD_RATIO, spot x MAX_FORWARD_RATIO], a strike outside [spot / MAX_STRIKE_RATIO,
    spot x MAX_STRIKE_RATIO]. SnapshotError names the line and the column."""
    if iv > MAX_IV:
        raise SnapshotError(f"{where}: implied_volatility = {iv:g} is implausible (above {MAX_IV:g}, i.e. {MAX_IV:.0%})")
    for column, v in prices.items():
        ratio = MAX_STRIKE_RATIO if column == "strike" else MAX_FORWARD_RATIO
        if not spot / ratio <= v <= spot * ratio:
            label = "underlying (forward)" if column == "forward" else column
            raise SnapshotError(f"{where}: {label} = {v:g} is implausible against index_price {spot:g} (allowed x{1 / ratio:g} .. x{ratio:g})")


def _utc(row: dict, column: str, where: str) -> datetime:
    try:
        ts = datetime.fromisoformat(row[column])
    except (TypeError, ValueError):
        raise SnapshotError(f"{where}: {column} {row[column]!r} is not an ISO date-time") from None
    if ts.tzinfo is None:
        raise SnapshotError(f"{where}: {column} {row[column]!r} has no time zone")
    return ts.astimezone(timezone.utc)


def _quote(row: dict, column: str, where: str) -> float:
    """An optional book price (coin per option): NaN when the column is absent or empty (no
    quote), else a non-negative finite number (SnapshotError naming the line otherwise)."""
    if not row.get(column):
        return math.nan
    return _number(row, column, where, "non-negative")


def _option_row(row: dict, where: str, ts: datetime) -> tuple:
    """Validate one CSV row; return (key, name, forward, ttm, iv, mark, delta, vega, spot, bid, ask)."""
    cur, name, cp = row["currency"], row["instrument_name"], row["option_type"]
    if cur not in UNDERLYING_CODES:
        raise SnapshotError(f"{where}: unknown currency {cur!r} (known: {', '.join(UNDERLYING_CODES)})")
    if cp not in OPTION_TYPE_CODES:
        raise SnapshotError(f"{where}: option_type {cp!r} is not 'call' or 'put'")
    try:
        key = parse_instrument_name(name)
    except ValueError as exc:
        raise SnapshotError(f"{where}: {exc}") from None
    forward = _number(row, "underlying", where, "positive")
    strike = _number(row, "strike", where, "positive")
    ttm = _number(row, "time_to_maturity", where, "positive")
    iv = _number(row, "implied_volatility", where, "positive")
    mark = _number(row, "mark_price", where, "non-negative")
    spot = _number(row, "index_price", where, "positive")
    futures_price = _number(row, "futures_price", where, "positive")
    _plausible(where, iv, spot, forward=forward, futures_price=futures_price, strike=strike)
    delta, vega = _number(row, "delta", where), _number(row, "vega", where)
    expiry = _utc(row, "expiry_datetime", where)
    if key.kind != "option":
        bad = [f"it names a {key.kind}, not an option"]
    else:
        bad = [f"{what} {a} in the name, {b} in the columns" for what, a, b, differ in (
            ("underlying", key.underlying, cur, key.underlying != cur),
            ("strike", key.strike, strike, abs(key.strike - strike) >= 0.005),
            ("option type", key.option_type, cp, key.option_type != cp),
            ("expiry", key.expiry, expiry.date(), key.expiry != expiry.date()),
        ) if differ]  # fmt: skip
    if bad:
        raise SnapshotError(f"{where}: instrument name {name} disagrees with its columns: {'; '.join(bad)}")
    if abs((expiry - ts).total_seconds() - ttm * YEAR.total_seconds()) > TTM_TOLERANCE_S:
        raise SnapshotError(f"{where}: time_to_maturity {ttm} disagrees with expiry_datetime - timestamp")
    return key, name, forward, ttm, iv, mark, delta, vega, spot, _quote(row, "bid_price", where), _quote(row, "ask_price", where)


def _snapshot(ts, source, raw, spot, rows, reference_vol) -> MarketSnapshot:
    """A MarketSnapshot of ``rows`` (key, name, forward, ttm, iv, mark, delta, vega, bid, ask), sorted by id."""
    rows = sorted(rows, key=lambda r: r[0].instrument_id)
    keys = tuple(r[0] for r in rows)
    nan = math.nan
    col = lambda j: np.array([r[j] for r in rows], dtype=np.float64)  # noqa: E731
    return MarketSnapshot(
        timestamp=ts,
        epoch=(ts - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(seconds=1),
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
        spot=spot,
        names=tuple(r[1] for r in rows),
        keys=keys,
        instrument_ids=tuple(k.instrument_id for k in keys),
        underlying=np.array([k.underlying for k in keys]),
        kind=np.array([k.kind for k in keys]),
        is_call=np.array([k.option_type == "call" for k in keys], dtype=bool),
        strike=np.array([nan if k.strike is None else k.strike for k in keys], dtype=np.float64),
        ttm_years=col(3),
        forward=col(2),
        mark_iv=col(4),
        mark_price_coin=col(5),
        exchange_delta=col(6),
        exchange_vega=col(7),
        reference_vol=reference_vol,
        bid_coin=col(8),
        ask_coin=col(9),
    )


def _future_row(fkey, fname, price: float, ts: datetime, where: str) -> tuple:
    """A dated future's row tuple; SnapshotError if it expired before ``ts``."""
    e = fkey.expiry
    ttm = (datetime(e.year, e.month, e.day, EXPIRY_HOUR_UTC, tzinfo=timezone.utc) - ts) / YEAR
    if ttm <= 0:
        raise SnapshotError(f"{where}: future {fname} expired before the snapshot")
    return (fkey, fname, price, ttm) + (math.nan,) * 6


def _load_marks(reader, source: str, raw: bytes) -> MarketSnapshot:
    """A futures-and-perpetuals marks snapshot (MARKS_COLUMNS; public/methodology/marks.py writes it).

    Per row: one perpetual or dated future at its ``mark_price`` (USD); per currency the spot is
    ``index_price`` and the reference vol ``reference_vol`` (the same on every row of a currency).
    SnapshotError names the line: a second timestamp, an option or unknown name, a duplicate, a
    value not positive and finite, rows of one currency that disagree, a perpetual missing.
    """
    ts, rows, seen, spot, ref = None, [], {}, {}, {}
    for row in reader:
        where = f"{source} line {reader.line_num}"
        if None in row or None in row.values():
            raise SnapshotError(f"{where}: field count differs from the header's {len(reader.fieldnames)}")
        row_ts = _utc(row, "timestamp", where)
        if ts is not None and row_ts != ts:
            raise SnapshotError(f"{where}: timestamp {row['timestamp']} differs from the first row's {ts.isoformat()}")
        ts = row_ts
        try:
            key = parse_instrument_name(row["instrument_name"])
        except ValueError as exc:
            raise SnapshotError(f"{where}: {exc}") from None
        cur = row["currency"]
        if key.kind not in ("future", "perpetual") or key.underlying != cur:
            raise SnapshotError(f"{where}: {row['instrument_name']} is not a {cur} future or perpetual")
        if key.instrument_id in seen:
            raise SnapshotError(f"{where}: duplicate instrument {row['instrument_name']} (first on line {seen[key.instrument_id]})")
        seen[key.instrument_id] = reader.line_num
        mark = _number(row, "mark_price", where, "positive")
        for column, per_ccy in (("index_price", spot), ("reference_vol", ref)):
            v = _number(row, column, where, "positive")
            if per_ccy.setdefault(cur, v) != v:
                raise SnapshotError(f"{where}: {column} {v:g} differs from {per_ccy[cur]:g} on an earlier {cur} row")
        _plausible(where, ref[cur], spot[cur], mark_price=mark)
        if key.kind == "perpetual":
            rows.append((key, row["instrument_name"], mark, 0.0) + (math.nan,) * 6)
        else:
            rows.append(_future_row(key, row["instrument_name"], mark, ts, where))
    if ts is None:
        raise SnapshotError(f"{source}: no instrument rows")
    lacking = sorted(set(spot) - {r[0].underlying for r in rows if r[0].kind == "perpetual"})
    if lacking:
        raise SnapshotError(f"{source}: no {lacking[0]}-PERPETUAL row")
    return _snapshot(ts, source, raw, spot, rows, ref)


def load_snapshot(path) -> MarketSnapshot:
    """Read and validate a Deribit option-chain CSV (fixtures/snapshots/README.md).

    Raises
    ------
    SnapshotError
        File missing, empty or not UTF-8; a required column missing; naming the file and the
        1-based CSV line: a value non-numeric, non-finite or non-positive (forward, strike, IV,
        time to maturity), unknown currency, option_type not call/put, an instrument name that
        does not parse or disagrees with its columns, a duplicate instrument, a second timestamp.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc.strerror or exc}") from None
    return parse_snapshot(raw, path.name)


def parse_snapshot(raw: bytes, source: str) -> MarketSnapshot:
    """``load_snapshot`` of file bytes already in memory; ``source`` names them (errors, ``source``)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SnapshotError(f"{source}: not UTF-8 text") from None
    if not text.strip():
        raise SnapshotError(f"{source}: empty file")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if "option_type" not in (reader.fieldnames or ()) and set(MARKS_COLUMNS) <= set(reader.fieldnames or ()):
        return _load_marks(reader, source, raw)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise SnapshotError(f"{source} line 1: missing required column(s) {', '.join(missing)}")
    ts, rows, seen, futures, index_px = None, [], {}, {}, {}
    for row in reader:
        line = reader.line_num
        where = f"{source} line {line}"
        if None in row or None in row.values():
            raise SnapshotError(f"{where}: field count differs from the header's {len(reader.fieldnames)}")
        row_ts = _utc(row, "timestamp", where)
        if ts is None:
            ts, ts_line = row_ts, line
        elif row_ts != ts:
            raise SnapshotError(f"{where}: timestamp {row['timestamp']} differs from line {ts_line}'s {ts.isoformat()}")
        key, name, forward, ttm, iv, mark, delta, vega, spot, bid, ask = _option_row(row, where, ts)
        if key.instrument_id in seen:
            raise SnapshotError(f"{where}: duplicate instrument {name} (first on line {seen[key.instrument_id]})")
        seen[key.instrument_id] = line
        rows.append((key, name, forward, ttm, iv, mark, delta, vega, bid, ask))
        index_px.setdefault(key.underlying, []).append(spot)
        fname = row["futures_instrument_name"]
        if fname and not row["underlying_name"].startswith("SYN.") and not fname.startswith("SYN."):
            try:
                fkey = parse_instrument_name(fname)
            except ValueError as exc:
                raise SnapshotError(f"{where}: futures_instrument_name: {exc}") from None
            if fkey.kind != "future" or fkey.underlying != key.underlying:
                raise SnapshotError(f"{where}: futures_instrument_name {fname} is not a {key.underlying} dated future")
            entry = futures.setdefault(fkey.instrument_id, (fkey, fname, line, []))
            if entry[1] != fname:
                raise SnapshotError(f"{where}: future {fname} duplicates {entry[1]} (line {entry[2]})")
            entry[3].append(float(row["futures_price"]))
    if ts is None:
        raise SnapshotError(f"{source}: no instrument rows")
    spot = {u: float(np.median(v)) for u, v in index_px.items()}
    nan = math.nan
    for fkey, fname, line, prices in futures.values():
        rows.append(_future_row(fkey, fname, float(np.median(prices)), ts, f"{source} line {line}"))
    for u in spot:
        rows.append((InstrumentKey(u, "perpetual", None, None, None), f"{u}-PERPETUAL", spot[u], 0.0) + (nan,) * 6)
    return _snapshot(ts, source, raw, spot, rows, {u: atm_reference_vol(rows, u) for u in spot})


def atm_reference_vol(rows, underlying: str) -> float:
    """30-day at-the-money implied vol of ``underlying``, fraction per sqrt(year) (NaN without options).

    Per expiry (forward and T: the medians over its options, so CSV row order does not matter):
    the ATM vol is the IV linearly interpolated in log-moneyness ln(K / F) at K = F
    between the strikes on either side of the forward (calls and puts of a strike averaged; the
    nearest strike's if F is outside the listed ones). Across expiries: total variance
    sigma^2 T is interpolated linearly in T at REFERENCE_TENOR_DAYS (ACT/365.25), flat vol
    outside the listed expiries. A DVOL-like level (Deribit's DVOL integrates the whole smile,
    this uses the ATM point only). ``rows``: load_snapshot's (key, name, forward, ttm, iv, ...).
    """
    by_expiry: dict = {}
    for key, _, forward, ttm, iv, *_ in rows:
        if key.kind == "option" and key.underlying == underlying:
            ttms, forwards, strikes = by_expiry.setdefault(key.expiry, ([], [], {}))
            ttms.append(ttm), forwards.append(forward), strikes.setdefault(key.strike, []).append(iv)
    points = []
    for ttms, forwards, strikes in (by_expiry[e] for e in sorted(by_expiry)):
        ttm, forward = float(np.median(ttms)), float(np.median(forwards))
        ks = sorted(strikes)
        x = np.log(np.array(ks) / forward)
        vols = np.array([np.mean(strikes[k]) for k in ks])
        points.append((ttm, float(np.interp(0.0, x, vols))))
    if not points:
        return math.nan
    t_ref = REFERENCE_TENOR_DAYS / 365.25
    ts_, vs_ = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    if t_ref <= ts_[0]:
        return float(vs_[0])
    if t_ref >= ts_[-1]:
        return float(vs_[-1])
    w = float(np.interp(t_ref, ts_, vs_ * vs_ * ts_))
    return math.sqrt(w / t_ref)
