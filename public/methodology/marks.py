"""Futures-and-perpetuals marks snapshots built from Deribit's mark histories, with an EWMA
realised vol as the reference vol.

Inputs (``../shared/data/real/README.md``; copies in ``fixtures/snapshots/``):

- the perpetual marks file: one row per (snapshot run, coin), ``perp_futures_mark_price`` (USD)
  at ``snapshot_timestamp_ms``;
- the term futures marks file: one row per (snapshot run, dated future),
  ``term_mark_price_final`` (USD).

``marks_snapshot_rows(perpetual_csv, futures_csv, at)`` takes the latest snapshot run at or before
``at`` and returns the rows of a marks snapshot (``public.methodology.snapshot.MARKS_COLUMNS``):
each perpetual and dated future at its mark; ``index_price`` = the perpetual's mark (the files
carry no index; Deribit's perpetual trades within a few basis points of it); ``reference_vol`` =
``ewma_vol`` of the perpetual's daily closes (the last mark of each UTC day, the snapshot's own
mark on its day) up to the snapshot, RiskMetrics lambda = 0.94, annualised with 365 days (crypto
trades every day). ``load_snapshot`` reads the written CSV like an option chain.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timezone
from pathlib import Path

from public.errors import SnapshotError
from public.methodology.snapshot import MARKS_COLUMNS, _number

EWMA_LAMBDA = 0.94  #: RiskMetrics (J.P. Morgan, 1996) daily decay
TRADING_DAYS = 365.0  #: crypto trades every calendar day
MIN_RETURNS = 10  #: an EWMA over fewer daily returns is refused


def ewma_vol(closes: list[float], lam: float = EWMA_LAMBDA) -> float:
    """Annualised EWMA vol of daily log returns: v_t = lam v_{t-1} + (1 - lam) r_t^2, seeded with
    the mean square of the first MIN_RETURNS returns; returns sqrt(365 v_T) (fraction per sqrt(year)).

    Raises SnapshotError with fewer than MIN_RETURNS + 1 closes or a close not positive.
    """
    if len(closes) < MIN_RETURNS + 1:
        raise SnapshotError(f"{len(closes)} daily closes are too few for an EWMA vol (need {MIN_RETURNS + 1})")
    if any(not (c > 0 and math.isfinite(c)) for c in closes):
        raise SnapshotError("a daily close is not a positive number")
    r = [math.log(b / a) for a, b in zip(closes, closes[1:])]
    v = sum(x * x for x in r[:MIN_RETURNS]) / MIN_RETURNS
    for x in r[MIN_RETURNS:]:
        v = lam * v + (1.0 - lam) * x * x
    return math.sqrt(v * TRADING_DAYS)


def _read(path, columns) -> list[tuple[int, dict]]:
    """(CSV line, row) of every row; SnapshotError: unreadable, a missing column, a short row, a
    snapshot_timestamp_ms that is not a whole number."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in columns if c not in (reader.fieldnames or ())]
    if missing:
        raise SnapshotError(f"{path.name} line 1: missing column(s) {', '.join(missing)}")
    rows = []
    for row in reader:
        if None in row or None in row.values():
            raise SnapshotError(f"{path.name} line {reader.line_num}: field count differs from the header's {len(reader.fieldnames)}")
        if not row["snapshot_timestamp_ms"].isdigit():
            raise SnapshotError(f"{path.name} line {reader.line_num}: snapshot_timestamp_ms {row['snapshot_timestamp_ms']!r} is not a whole number of ms")
        rows.append((reader.line_num, row))
    return rows


def marks_snapshot_rows(perpetual_csv, futures_csv, at: datetime) -> list[dict]:
    """Rows of the marks snapshot at the latest snapshot run at or before ``at`` (module docstring).

    Returns dicts with the keys of MARKS_COLUMNS plus ``reference_vol_method``, perpetuals first.
    Raises SnapshotError: unreadable file, missing column, a bad number (naming file and line), no
    run at or before ``at``, or too short a history for the EWMA.
    """
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    cutoff_ms = at.timestamp() * 1000
    perps = _read(perpetual_csv, ("snapshot_timestamp_ms", "coin", "instrument_name", "perp_futures_mark_price"))
    runs = sorted({int(r["snapshot_timestamp_ms"]) for _, r in perps if int(r["snapshot_timestamp_ms"]) <= cutoff_ms})
    if not runs:
        raise SnapshotError(f"{Path(perpetual_csv).name}: no snapshot run at or before {at.isoformat()}")
    run_ms = runs[-1]
    ts = datetime.fromtimestamp(run_ms / 1000, tz=timezone.utc)
    out, closes = [], {}
    for line, r in sorted(perps, key=lambda lr: int(lr[1]["snapshot_timestamp_ms"])):  # time order: the last mark of a day is its close
        if int(r["snapshot_timestamp_ms"]) > run_ms:
            continue
        mark = _number(r, "perp_futures_mark_price", f"{Path(perpetual_csv).name} line {line}", "positive")
        day = datetime.fromtimestamp(int(r["snapshot_timestamp_ms"]) / 1000, tz=timezone.utc).date()
        closes.setdefault(r["coin"], {})[day] = mark
        if int(r["snapshot_timestamp_ms"]) == run_ms:
            out.append({"instrument_name": r["instrument_name"], "currency": r["coin"], "mark_price": mark})
    out.sort(key=lambda row: row["instrument_name"])  # input row order does not change the snapshot
    index = {row["currency"]: row["mark_price"] for row in out}
    vols = {c: ewma_vol([closes[c][k] for k in sorted(closes[c])]) for c in index}  # only the coins of this run
    futs = _read(futures_csv, ("snapshot_timestamp_ms", "currency", "futures_instrument_name", "term_mark_price_final"))
    for line, r in sorted(futs, key=lambda lr: lr[1]["futures_instrument_name"]):
        if r["snapshot_timestamp_ms"] == str(run_ms) and r["currency"] in index:
            mark = _number(r, "term_mark_price_final", f"{Path(futures_csv).name} line {line}", "positive")
            out.append({"instrument_name": r["futures_instrument_name"], "currency": r["currency"], "mark_price": mark})
    method = f"EWMA lambda {EWMA_LAMBDA} of daily perpetual closes, x sqrt({TRADING_DAYS:g})"
    for row in out:
        row.update(timestamp=ts.isoformat(), index_price=index[row["currency"]], reference_vol=round(vols[row["currency"]], 6), reference_vol_method=method)
    return out


def marks_snapshot_csv(rows: list[dict]) -> str:
    """The CSV text of ``marks_snapshot_rows`` (header: MARKS_COLUMNS + reference_vol_method)."""
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=[*MARKS_COLUMNS, "reference_vol_method"], lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
