"""``zkmargin snapshot marks`` (a futures-and-perpetuals snapshot from Deribit mark histories) and
``zkmargin calibrate`` (scan ranges from a daily close history). Logic:
public/methodology/marks.py and public/methodology/calibrate.py."""

from __future__ import annotations

import click

from prover.cli.common import DEFAULT_SPEC, emit_json, json_opt, parse_at


@click.group()
def snapshot():
    """Build market snapshots."""


@snapshot.command("marks")
@click.option("--perpetual", "perpetual", required=True, type=click.Path(dir_okay=False), help="Deribit perpetual marks CSV (fixtures/history/).")
@click.option("--futures", "futures", required=True, type=click.Path(dir_okay=False), help="Deribit term futures marks CSV.")
@click.option("--at", "at", required=True, help="ISO time: the latest snapshot run at or before it is taken.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Where to write the marks snapshot CSV.")
@json_opt
def snapshot_marks(perpetual, futures, at, out, as_json):
    """A futures-and-perpetuals snapshot with the perpetual at its mark and an EWMA reference vol."""
    from pathlib import Path

    from prover.files import atomic_write_text, check_out_path
    from public.methodology.marks import marks_snapshot_csv, marks_snapshot_rows
    from public.methodology.snapshot import parse_snapshot

    check_out_path(out, "marks snapshot")
    text = marks_snapshot_csv(marks_snapshot_rows(perpetual, futures, parse_at(at)))
    snap = parse_snapshot(text.encode(), Path(out).name)  # what every later command will read, checked before writing
    atomic_write_text(out, text, "marks snapshot")
    if as_json:
        emit_json({"schema": "zkmargin-marks-snapshot/1", "out": out, "timestamp": snap.timestamp.isoformat(), "sha256": snap.sha256,
                   "instruments": list(snap.names), "spot": snap.spot, "reference_vol": snap.reference_vol})  # fmt: skip
        return
    vols = ", ".join(f"{u} {v:.1%}" for u, v in snap.reference_vol.items())
    click.echo(f"marks snapshot {snap.timestamp.isoformat()}: {len(snap)} instruments, reference vol {vols} -> {out}")


@click.command()
@click.option("--history", "histories", multiple=True, required=True, metavar="UND=CSV", help="Daily close history per underlying, e.g. BTC=fixtures/history/yahoo_btc_usd_daily_2018-04-18_2023-04-17.csv.")
@click.option("--method", type=click.Choice(["historical", "filtered"]), default="filtered", show_default=True,
              help="historical: fixed range = VaR quantile of |h-day move|; filtered: a vol multiple that follows the snapshot's reference vol.")  # fmt: skip
@click.option("--confidence", type=float, default=0.99, show_default=True, help="Quantile of the h-day moves.")
@click.option("--horizon-days", type=int, default=2, show_default=True, help="Move horizon h in days.")
@click.option("--floor", type=float, default=0.05, show_default=True, help="filtered: least scan range (fraction).")
@click.option("--cap", type=float, default=0.5, show_default=True, help="filtered: largest scan range (fraction).")
@click.option("--base", "base", type=click.Path(dir_okay=False), default=str(DEFAULT_SPEC), show_default=True, help="Spec whose other fields are kept.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Where to write the calibrated spec.")
@json_opt
def calibrate(histories, method, confidence, horizon_days, floor, cap, base, out, as_json):
    """Calibrate price scan ranges from daily closes and write a scenario spec."""
    import hashlib

    from prover.files import atomic_write_text, check_out_path
    from public.errors import SpecError
    from public.methodology.calibrate import calibrated_spec, load_history

    check_out_path(out, "calibrated spec")
    hist = {}
    for item in histories:
        und, sep, path = item.partition("=")
        if not sep or not und or not path:
            raise SpecError(f"--history {item!r}: expected UNDERLYING=CSV")
        if und in hist:
            raise SpecError(f"--history names {und} twice")
        hist[und] = load_history(path)
    raw, values = calibrated_spec(base, hist, method, confidence, horizon_days, floor, cap)
    atomic_write_text(out, raw.decode(), "calibrated spec")
    what = "scan range" if method == "historical" else "vol multiple"
    if as_json:
        emit_json({"schema": "zkmargin-calibrate/1", "out": out, "sha256": hashlib.sha256(raw).hexdigest(), "method": method, "confidence": confidence,
                   "horizon_days": horizon_days, what.replace(" ", "_"): values, "floor": floor if method == "filtered" else None, "cap": cap if method == "filtered" else None})  # fmt: skip
        return
    click.echo(f"{method} calibration at {confidence:g}, {horizon_days}-day moves: " + ", ".join(f"{u} {what} {v:g}" for u, v in values.items()) + f" -> {out}")
