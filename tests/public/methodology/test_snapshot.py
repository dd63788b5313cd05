"""public/methodology/snapshot.py: the real Deribit snapshot, freshness, bad rows.

Bad-input tests edit one row of a tmp_path copy of the real CSV (a minimal-diff bad twin) and check
that the SnapshotError names the file, the 1-based CSV line and what is wrong.
"""

import csv
import dataclasses
import hashlib
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from public.errors import SnapshotError, StaleSnapshotError
from public.methodology.snapshot import check_fresh, load_snapshot

REPO = Path(__file__).resolve().parents[3]
SNAPSHOT = REPO / "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"


@pytest.fixture(scope="module")
def snap():
    return load_snapshot(SNAPSHOT)


# --- the real snapshot -------------------------------------------------------------------------


def test_real_snapshot_universe(snap):
    assert len(snap) == 1970 + 24 + 2  # options + one future per real futures name + 2 perpetuals
    assert (snap.kind == "option").sum() == 1970 and (snap.kind == "future").sum() == 24
    assert snap.timestamp == datetime(2026, 8, 22, 15, 33, 51, 683630, tzinfo=timezone.utc)
    assert snap.epoch == 1787412831
    assert snap.source == SNAPSHOT.name and snap.sha256 == hashlib.sha256(SNAPSHOT.read_bytes()).hexdigest()
    assert snap.spot == {"BTC": 77062.83, "ETH": 2411.73}  # medians of index_price
    assert list(snap.instrument_ids) == sorted(set(snap.instrument_ids))
    assert snap.instrument_ids == tuple(k.instrument_id for k in snap.keys)


def test_forwards_and_times_per_kind(snap):
    i = snap.index("BTC-25JUN27-150000-P")  # CSV line 2: underlying 80104.23, T 0.83965...
    assert snap.forward[i] == 80104.23 and snap.ttm_years[i] == 0.8396572716673638
    assert not snap.is_call[i] and snap.strike[i] == 150000.0 and snap.mark_iv[i] == 0.456
    assert snap.mark_price_coin[i] == 0.88905441 and snap.exchange_delta[i] == -0.90179
    f = snap.index("BTC-25JUN27")  # futures_price 80104.23 (48 rows) and 80105.5 (48 rows)
    assert snap.forward[f] == 80105.5 and snap.names[f] == "BTC-25JUN27"
    assert snap.ttm_years[f] == pytest.approx(snap.ttm_years[i], abs=1e-15)  # expiry 08:00 UTC
    p = snap.index("ETH-PERPETUAL")
    assert snap.forward[p] == snap.spot["ETH"] and snap.ttm_years[p] == 0.0
    linear = snap.kind != "option"
    assert np.isnan(snap.strike[linear]).all() and np.isnan(snap.mark_iv[linear]).all() and not snap.is_call[linear].any()


def test_index_by_deribit_name_canonical_name_and_id(snap):
    i = snap.index("ETH-4SEP26-2400-C")
    assert snap.index("ETH-20260904-2400-C") == i == snap.index(snap.instrument_ids[i]) == snap.index(str(snap.instrument_ids[i]))
    for missing in ("ETH-4SEP26-2401-C", "nonsense", 12, True):
        with pytest.raises(KeyError):
            snap.index(missing)


def test_order_does_not_depend_on_csv_row_order(snap, tmp_path):
    lines = SNAPSHOT.read_text().splitlines(keepends=True)
    path = tmp_path / "reversed.csv"
    path.write_text(lines[0] + "".join(reversed(lines[1:])))
    rev = load_snapshot(path)
    assert rev.instrument_ids == snap.instrument_ids and rev.names == snap.names
    for field in ("forward", "ttm_years", "mark_iv", "strike", "exchange_vega"):
        np.testing.assert_array_equal(getattr(rev, field), getattr(snap, field))


def test_synthetic_forwards_give_no_future(tmp_path):
    path = edit(tmp_path, lambda rows: [r.update(underlying_name="SYN." + r["underlying_name"]) for r in rows[1:] if r["futures_instrument_name"] == "BTC-23AUG26"])
    s = load_snapshot(path)
    assert len(s) == 1995 and "BTC-23AUG26" not in s.names and "BTC-23AUG26-57000-C" in s.names


def test_freshness(snap):
    assert check_fresh(snap, 600, snap.timestamp + timedelta(seconds=120)) == 120.0
    with pytest.raises(StaleSnapshotError, match=r"601 s old .* limit is 600 s"):
        check_fresh(snap, 600, snap.timestamp + timedelta(seconds=601))
    with pytest.raises(SnapshotError, match="after"):
        check_fresh(snap, 600, snap.timestamp - timedelta(seconds=5))


# --- bad inputs: minimal-diff twins of the real file --------------------------------------------


def edit(tmp_path, change) -> Path:
    """Copy the real CSV with ``change(rows)`` applied to its list of dict rows (rows[0] = line 2)."""
    with open(SNAPSHOT, newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = list(reader.fieldnames), list(reader)
    table = [None] + rows  # index = CSV line - 1
    change(table)
    rows = table[1:]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f for f in fields if all(f in r for r in rows)], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / SNAPSHOT.name
    path.write_text(out.getvalue())
    return path


def set_line(line, **values):
    return lambda rows: rows[line - 1].update(values)


BAD_ROWS = [  # (edit, CSV line named, message fragment)
    (set_line(5, strike="abc"), 5, "strike 'abc' is not a number"),
    (set_line(6, underlying="nan"), 6, "underlying 'nan' is not finite"),
    (set_line(7, implied_volatility="-0.4"), 7, "implied_volatility = -0.4 must be positive"),
    (set_line(8, time_to_maturity="0"), 8, "time_to_maturity = 0 must be positive"),
    (set_line(9, underlying="0"), 9, "underlying = 0 must be positive"),
    (set_line(10, currency="SOL"), 10, "unknown currency 'SOL'"),
    (set_line(11, option_type="straddle"), 11, "option_type 'straddle'"),
    (set_line(12, instrument_name="BTC-XYZ"), 12, "not a Deribit name"),
    (set_line(2, strike="150001.0"), 2, "strike 150000.0 in the name, 150001.0 in the columns"),
    (set_line(2, option_type="call"), 2, "option type put in the name, call in the columns"),
    (set_line(2, expiry_datetime="2027-06-24T08:00:00+00:00"), 2, "expiry 2027-06-25 in the name"),
    (set_line(2, currency="ETH"), 2, "underlying BTC in the name, ETH in the columns"),
    (set_line(2, instrument_name="BTC-25JUN27"), 2, "names a future, not an option"),
    (set_line(3, time_to_maturity="0.2"), 3, "time_to_maturity 0.2 disagrees"),
    (set_line(9, timestamp="2026-08-22T15:33:52.683630+00:00"), 9, "differs from line 2"),
    (set_line(4, timestamp="2026-08-22T15:33:51"), 4, "has no time zone"),
    (set_line(4, futures_instrument_name="BTC-25JUN27-1-C"), 4, "is not a BTC dated future"),
    # implausible values that would price to zero or overflow (issue 8): refused, never a zero record
    (set_line(5, implied_volatility="1e300"), 5, "implied_volatility = 1e+300 is implausible"),
    (set_line(5, implied_volatility="6"), 5, "implied_volatility = 6 is implausible"),
    (set_line(5, implied_volatility="inf"), 5, "implied_volatility 'inf' is not finite"),
    (set_line(6, underlying="1e80"), 6, "underlying (forward) = 1e+80 is implausible"),
    (set_line(6, futures_price="1e80"), 6, "futures_price = 1e+80 is implausible"),
    (set_line(7, strike="inf"), 7, "strike 'inf' is not finite"),
    (set_line(7, index_price="nan"), 7, "index_price 'nan' is not finite"),
    (lambda rows: rows.append(dict(rows[3])), 1972, "duplicate instrument BTC-28AUG26-94000-C (first on line 4)"),
    (lambda rows: [r.pop("implied_volatility") for r in rows[1:]], 1, "missing required column(s) implied_volatility"),
]


@pytest.mark.parametrize("change, line, message", BAD_ROWS)
def test_bad_row_names_file_and_line(tmp_path, change, line, message):
    path = edit(tmp_path, change)
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path)
    assert f"{SNAPSHOT.name} line {line}" in str(err.value)
    assert message in str(err.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(SnapshotError, match="cannot read snapshot"):
        load_snapshot(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(SnapshotError, match="empty.csv: empty file"):
        load_snapshot(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text(SNAPSHOT.read_text().splitlines()[0] + "\n")
    with pytest.raises(SnapshotError, match="no instrument rows"):
        load_snapshot(tmp_path / "header.csv")
    lines = SNAPSHOT.read_text().splitlines()
    (tmp_path / "short.csv").write_text("\n".join(lines[:3] + [lines[3].rsplit(",", 2)[0]]) + "\n")
    with pytest.raises(SnapshotError, match="short.csv line 4: field count"):
        load_snapshot(tmp_path / "short.csv")


def test_snapshot_arrays_are_read_only(snap):
    with pytest.raises(ValueError):
        snap.forward[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.epoch = 0
