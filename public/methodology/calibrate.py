"""Scan ranges calibrated from a daily close history (``zkmargin calibrate``).

History: a Yahoo Finance daily CSV (``Date, ..., Close, ...``; ``fixtures/history/``), one per
underlying. Rows whose Close is not a positive number are dropped, and so is the last row by
default (a download's last row is the partial current day: the shared data README says to drop
it; ``drop_last=False`` keeps it). With
daily log returns r_t and h-day returns R_t = ln(P_{t+h} / P_t) over overlapping windows:

- ``historical``: the fixed scan range ``R = quantile_c(|exp(R_t) - 1|)`` (historical VaR of the
  absolute h-day move at confidence c; numpy's linear quantile);
- ``filtered`` (filtered historical simulation, Hull & White 1998): each window is standardised by
  the EWMA vol known at its start, ``z_t = |exp(R_t) - 1| / (sigma_t sqrt(h / 365))`` (the move as
  the fraction the scenarios apply, as ``historical``; sigma_t from
  ``public.methodology.marks.ewma_vol``'s recursion, lambda 0.94, 365-day annualisation), and the
  spec gets the market-following range ``{"vol_multiple": quantile_c(z), "horizon_days": h,
  "floor": f, "cap": c}``: R = clip(multiple x sigma_ref x sqrt(h / 365), floor, cap) with the
  snapshot's reference vol (``public/methodology/spec.py`` VolRange).

The multiple is fitted on realised (EWMA) vol; applied to an option chain it multiplies the
30-day ATM implied vol, which usually sits above realised vol (the variance risk premium), so
there it is conservative. Days without a close (Yahoo's "null") are skipped: the next return spans
the gap.

``calibrated_spec`` writes the base spec with ``price_range`` replaced and ``name``, ``source`` and
``description`` saying how (method, confidence, horizon, history files and their sha256, dates).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from public.errors import SpecError
from public.methodology.marks import EWMA_LAMBDA, MIN_RETURNS, TRADING_DAYS

METHODS = ("historical", "filtered")


@dataclass(frozen=True)
class History:
    """Daily closes of one underlying: ``dates`` ISO strings, ``closes`` float64 (n,), USD."""

    source: str
    sha256: str
    dates: tuple[str, ...]
    closes: np.ndarray


def load_history(path, drop_last: bool = True) -> History:
    """Read a Yahoo daily CSV (module docstring). Raises SpecError: unreadable, no Date/Close
    column, dates not increasing, fewer than 30 usable closes."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read history {path}: {getattr(exc, 'strerror', None) or exc}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not {"Date", "Close"} <= set(reader.fieldnames or ()):
        raise SpecError(f"history {path.name} line 1: needs Date and Close columns (Yahoo daily CSV)")
    rows = list(reader)
    if drop_last:
        rows = rows[:-1]  # the partial current day
    dates, closes = [], []
    for line, row in enumerate(rows, start=2):
        try:
            close = float(row["Close"])
        except (TypeError, ValueError):
            continue  # Yahoo writes "null" on days without a close
        if not (math.isfinite(close) and close > 0):
            continue
        if dates and row["Date"] <= dates[-1]:
            raise SpecError(f"history {path.name} line {line}: date {row['Date']} does not follow {dates[-1]}")
        dates.append(row["Date"]), closes.append(close)
    if len(closes) < 30:
        raise SpecError(f"history {path.name}: {len(closes)} usable daily closes, need at least 30")
    return History(path.name, hashlib.sha256(raw).hexdigest(), tuple(dates), np.array(closes))


def ewma_vols(log_returns: np.ndarray, lam: float = EWMA_LAMBDA) -> np.ndarray:
    """sigma_t (annualised, 365 days) known before return t: the EWMA of r_0..r_{t-1}, seeded with
    the mean square of the first MIN_RETURNS returns; NaN for t < MIN_RETURNS. Shape as the input."""
    out = np.full(len(log_returns), np.nan)
    v = float(np.mean(log_returns[:MIN_RETURNS] ** 2))
    for t in range(MIN_RETURNS, len(log_returns)):
        out[t] = math.sqrt(v * TRADING_DAYS)
        v = lam * v + (1.0 - lam) * float(log_returns[t]) ** 2
    return out


def calibrate_range(history: History, method: str, confidence: float, horizon_days: int) -> float:
    """The fixed scan range (``historical``) or the vol multiple (``filtered``) of one underlying.

    Raises SpecError on an unknown method, confidence outside (0.5, 1), horizon below 1 day or
    a history too short for the horizon.
    """
    if method not in METHODS:
        raise SpecError(f"calibration method {method!r} is not one of {', '.join(METHODS)}")
    if not 0.5 < confidence < 1:
        raise SpecError(f"confidence {confidence} is not in (0.5, 1)")
    if not isinstance(horizon_days, int) or horizon_days < 1:
        raise SpecError(f"horizon {horizon_days!r} days must be a whole number >= 1")
    logp = np.log(history.closes)
    windows = logp[horizon_days:] - logp[:-horizon_days]
    if len(windows) < 2 * MIN_RETURNS:
        raise SpecError(f"history {history.source}: {len(windows)} windows of {horizon_days} days are too few")
    if method == "historical":
        return float(np.quantile(np.abs(np.expm1(windows)), confidence))
    sigma = ewma_vols(np.diff(logp))[: len(windows)]  # sigma known at each window's start
    ok = np.isfinite(sigma) & (sigma > 0)
    if ok.sum() < 2 * MIN_RETURNS:
        raise SpecError(f"history {history.source}: too few windows with a positive EWMA vol to standardise (flat prices?)")
    z = np.abs(np.expm1(windows[ok])) / (sigma[ok] * math.sqrt(horizon_days / TRADING_DAYS))
    return float(np.quantile(z, confidence))


def calibrated_spec(base_path, histories: dict[str, History], method: str, confidence: float, horizon_days: int,
                    floor: float = 0.05, cap: float = 0.5) -> tuple[bytes, dict[str, float]]:  # fmt: skip
    """(spec file bytes, {underlying: value}) for the base spec with calibrated price ranges.

    ``histories`` must name exactly the base spec's underlyings. ``floor``/``cap`` bound the
    ``filtered`` rule's range (fractions). The bytes are deterministic (keys in the base file's
    order, 2-space indent, trailing newline); ``load_spec`` validates them before they are
    returned, so a calibration that makes an invalid spec raises SpecError here.
    """
    from public.methodology.spec import load_spec_bytes

    from public.methodology.spec import load_spec

    base_path = Path(base_path)
    base = load_spec(base_path)
    if set(histories) != set(base.underlyings):
        raise SpecError(f"histories for {sorted(histories)}; the base spec's underlyings are {sorted(base.underlyings)}")
    obj = json.loads(base.raw)
    values, ranges = {}, {}
    for u in base.underlyings:
        values[u] = round(calibrate_range(histories[u], method, confidence, horizon_days), 6)
        if method == "historical":
            ranges[u] = values[u]
        else:
            ranges[u] = {"vol_multiple": values[u], "horizon_days": float(horizon_days), "floor": floor, "cap": cap}
    obj["price_range"] = ranges
    obj["name"] = f"{base.name}-calibrated-{method}"
    obj["source"] = f"zkmargin calibrate from {base_path.name} (sha256 {base.sha256[:16]}...)"
    obj["description"] = (
        f"{method} scan ranges at confidence {confidence:g} over {horizon_days}-day moves; histories: "
        + "; ".join(f"{u} {h.source} sha256 {h.sha256[:16]}... {h.dates[0]}..{h.dates[-1]} ({len(h.closes)} closes)" for u, h in histories.items())
    )
    raw = (json.dumps(obj, indent=2) + "\n").encode()
    load_spec_bytes(raw, obj["name"])
    return raw, values
