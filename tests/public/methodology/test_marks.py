"""public/methodology/marks.py and the marks-snapshot reader of snapshot.py: the stress-day snapshot
rebuilt from the shipped mark histories, its EWMA reference vol by hand, named errors."""

import csv
import io
import math
from datetime import datetime, timezone

import pytest

from public.errors import SnapshotError
from public.methodology.marks import ewma_vol, marks_snapshot_csv, marks_snapshot_rows
from public.methodology.snapshot import load_snapshot
from tests.conftest import REPO

HISTORY = REPO / "fixtures/history"
PERP = HISTORY / "deribit_perpetual_marks_2025-12-30_2026-04-15.csv"
FUT = HISTORY / "deribit_term_futures_marks_extract_2026-01-10_2026-02-05.csv"
STRESS = REPO / "fixtures/snapshots/deribit_futures_marks_2026-02-05T2129Z.csv"
AT = datetime(2026, 2, 5, 23, 59, 59, tzinfo=timezone.utc)


def test_the_shipped_stress_snapshot_is_rebuilt_byte_for_byte():
    assert marks_snapshot_csv(marks_snapshot_rows(PERP, FUT, AT)) == STRESS.read_text()


def test_perpetual_at_its_mark_and_futures_at_theirs():
    snap = load_snapshot(STRESS)
    perp_rows = [r for r in csv.DictReader(PERP.open()) if r["snapshot_timestamp_ms"] == "1770326977885"]
    for r in perp_rows:
        i = snap.index(r["instrument_name"])
        assert snap.forward[i] == float(r["perp_futures_mark_price"]) and snap.kind[i] == "perpetual"
    fut = {r["futures_instrument_name"]: float(r["term_mark_price_final"]) for r in csv.DictReader(FUT.open()) if r["snapshot_timestamp_ms"] == "1770326977885"}
    assert {snap.names[i]: snap.forward[i] for i in range(len(snap)) if snap.kind[i] == "future"} == fut
    assert snap.spot == {"BTC": 63844.5, "ETH": 1876.25}
    assert snap.timestamp == datetime(2026, 2, 5, 21, 29, 37, 885000, tzinfo=timezone.utc)


def test_reference_vol_is_the_ewma_of_daily_closes_by_hand():
    closes = {}
    for r in csv.DictReader(PERP.open()):
        if r["coin"] == "BTC" and int(r["snapshot_timestamp_ms"]) <= 1770326977885:
            closes[r["obs_datetime"][:10]] = float(r["perp_futures_mark_price"])
    px = [closes[d] for d in sorted(closes)]
    rets = [math.log(b / a) for a, b in zip(px, px[1:])]
    v = sum(x * x for x in rets[:10]) / 10
    for x in rets[10:]:
        v = 0.94 * v + 0.06 * x * x
    assert load_snapshot(STRESS).reference_vol["BTC"] == round(math.sqrt(365 * v), 6) == 0.836017


def test_ewma_needs_enough_history():
    with pytest.raises(SnapshotError, match="too few"):
        ewma_vol([100.0] * 5)
    with pytest.raises(SnapshotError, match="not a positive"):
        ewma_vol([100.0] * 20 + [0.0])
    assert ewma_vol([100.0] * 20) == 0.0


def test_no_run_before_the_requested_time():
    with pytest.raises(SnapshotError, match="no snapshot run at or before 2020"):
        marks_snapshot_rows(PERP, FUT, datetime(2020, 1, 1, tzinfo=timezone.utc))


def _edited(tmp_path, edit):
    rows = list(csv.DictReader(io.StringIO(STRESS.read_text())))
    edit(rows)
    p = tmp_path / "marks.csv"
    p.write_text(marks_snapshot_csv(rows))
    return p


@pytest.mark.parametrize(("edit", "words"), [
    (lambda rows: rows[2].update(reference_vol="0.5"), "line 4: reference_vol 0.5 differs"),
    (lambda rows: rows[2].update(mark_price="nan"), "line 4: mark_price 'nan' is not finite"),
    (lambda rows: rows[2].update(instrument_name="BTC-25SEP26-80000-C"), "line 4: BTC-25SEP26-80000-C is not a BTC future or perpetual"),
    (lambda rows: rows[3].update(instrument_name=rows[2]["instrument_name"]), "line 5: duplicate instrument BTC-13FEB26"),
    (lambda rows: rows[2].update(timestamp="2026-02-05T21:30:00+00:00"), "line 4: timestamp"),
    (lambda rows: rows.pop(0), "no BTC-PERPETUAL row"),
    (lambda rows: rows[2].update(mark_price="640000"), "line 4: mark_price = 640000 is implausible"),
])  # fmt: skip
def test_bad_marks_snapshots_name_the_line(tmp_path, edit, words):
    with pytest.raises(SnapshotError, match=words):
        load_snapshot(_edited(tmp_path, edit))


def test_row_order_does_not_change_the_snapshot(tmp_path):
    lines = PERP.read_text().splitlines(keepends=True)
    shuffled = tmp_path / "perp.csv"
    shuffled.write_text(lines[0] + "".join(reversed(lines[1:])))
    assert marks_snapshot_csv(marks_snapshot_rows(shuffled, FUT, AT)) == STRESS.read_text()


def test_a_short_row_in_a_history_is_named(tmp_path):
    lines = PERP.read_text().splitlines(keepends=True)
    short = tmp_path / "perp.csv"
    short.write_text(lines[0] + lines[1] + "deribit_options_snapshot_x.csv,1767115875944\n")
    with pytest.raises(SnapshotError, match="perp.csv line 3: field count differs"):
        marks_snapshot_rows(short, FUT, AT)
