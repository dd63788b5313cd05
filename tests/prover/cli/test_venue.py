"""``zkmargin venue keygen`` / ``venue attest`` as a venue operator runs them.

Refusals are one ``error: ...`` line with exit code 2 and no file at --out. The demo inputs are
the fixture position and collateral files beside the signed statements (fixtures/statements/):
signing them again with the demo key reproduces the fixture statement byte for byte (EdDSA
signatures here are deterministic).
"""

import json
import os
import stat

import pytest

from prover.venue.attestation import load_statement, read_key
from tests.prover.cli.runner import assert_named_error, run
from tests.conftest import REPO, STATEMENTS, VENUE_KEYS, demo_trader

FIX = REPO / "fixtures" / "statements"
EPOCH = 1787412600  # 2026-08-22T15:30:00Z



def attest_args(out, positions=FIX / "deribit_positions.json", collateral=FIX / "deribit_collateral.json", key=VENUE_KEYS["deribit"], epoch=EPOCH, extra=()):
    return ["venue", "attest", "--key", key, "--venue", "deribit", "--account", "demo-desk-1", "--identity", hex(demo_trader().commitment), "--epoch", epoch,
            "--positions", positions, "--collateral", collateral, "--out", out, *extra]


def write_json(path, obj):
    path.write_text(json.dumps(obj))
    return path


def write_csv(path, rows, header="instrument,quantity"):
    path.write_text("\n".join([header, *(f"{n},{q}" for n, q in rows)]) + "\n")
    return path


# --- keygen ------------------------------------------------------------------------------------------


def test_keygen_writes_a_0600_key_and_prints_its_public_key(tmp_path):
    out = tmp_path / "venue.key.json"
    r = run("venue", "keygen", "--out", out)
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    pub = read_key(out).public_key()
    assert "(mode 0600)" in r.output
    assert json.dumps(pub.to_json()) in r.output
    assert pub.is_valid()


def test_keygen_json_prints_only_the_public_key(tmp_path):
    out = tmp_path / "venue.key.json"
    r = run("venue", "keygen", "--out", out, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == read_key(out).public_key().to_json()


def test_keygen_gives_a_fresh_key_each_time(tmp_path):
    run("venue", "keygen", "--out", tmp_path / "a.json")
    run("venue", "keygen", "--out", tmp_path / "b.json")
    assert read_key(tmp_path / "a.json").public_key() != read_key(tmp_path / "b.json").public_key()


def test_keygen_refuses_to_overwrite(tmp_path):
    out = tmp_path / "venue.key.json"
    assert run("venue", "keygen", "--out", out).exit_code == 0
    before = out.read_bytes()
    assert_named_error(run("venue", "keygen", "--out", out), "exists", "refusing to overwrite")
    assert out.read_bytes() == before
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_keygen_into_a_missing_folder_creates_it(tmp_path):
    out = tmp_path / "no-such-folder" / "venue.key.json"
    assert run("venue", "keygen", "--out", out).exit_code == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_keygen_into_an_unwritable_place_is_a_named_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_named_error(run("venue", "keygen", "--out", blocker / "venue.key.json"), "cannot write venue key")


# --- attest -----------------------------------------------------------------------------------------


def test_attest_json_positions_reproduces_the_fixture_statement(tmp_path):
    out = tmp_path / "deribit.json"
    r = run(*attest_args(out))
    assert r.exit_code == 0, r.output
    assert "4 positions" in r.output and f"epoch {EPOCH}" in r.output
    st = load_statement(out)
    assert st.signature_valid()
    assert st.public_key == read_key(VENUE_KEYS["deribit"]).public_key()
    assert json.loads(out.read_text()) == json.loads(STATEMENTS[0].read_text())


def test_attest_csv_positions_signs_the_same_statement(tmp_path):
    rows = [(p["instrument"], p["quantity"]) for p in json.loads((FIX / "deribit_positions.json").read_text())]
    csv_path = write_csv(tmp_path / "positions.csv", rows)
    out = tmp_path / "deribit.json"
    r = run(*attest_args(out, positions=csv_path))
    assert r.exit_code == 0, r.output
    st = load_statement(out)
    assert st.signature_valid()
    assert st.to_json() == load_statement(STATEMENTS[0]).to_json()


def test_attest_csv_tolerates_spaces_and_extra_columns(tmp_path):
    csv_path = tmp_path / "positions.csv"
    csv_path.write_text("instrument,quantity,note\n BTC-PERPETUAL , -1.5 ,hedge\nETH-25DEC26,200,\n")
    out = tmp_path / "s.json"
    r = run(*attest_args(out, positions=csv_path))
    assert r.exit_code == 0, r.output
    st = load_statement(out)
    assert st.signature_valid()
    assert [(e.name, e.qty_e8) for e in st.positions] == [("BTC-PERP", -150000000), ("ETH-20261225-F", 20000000000)]


def test_attest_with_a_fresh_key_from_keygen(tmp_path):
    key = tmp_path / "k.json"
    assert run("venue", "keygen", "--out", key).exit_code == 0
    out = tmp_path / "s.json"
    assert run(*attest_args(out, key=key, positions=FIX / "bybit_positions.json", collateral=FIX / "bybit_collateral.json")).exit_code == 0
    st = load_statement(out)
    assert st.signature_valid() and st.public_key == read_key(key).public_key()
    assert len(st.positions) == 2 and st.capacity == 4


@pytest.mark.parametrize(
    "epoch",
    [str(EPOCH), "2026-08-22T15:30:00Z", "2026-08-22T15:30:00", "2026-08-22T15:30:00+00:00", "2026-08-22T17:30:00+02:00", "2026-08-22 15:30:00"],
)
def test_attest_epoch_accepts_unix_seconds_and_iso(tmp_path, epoch):
    out = tmp_path / "s.json"
    r = run(*attest_args(out, epoch=epoch))
    assert r.exit_code == 0, r.output
    st = load_statement(out)
    assert st.epoch == EPOCH and st.signature_valid()


@pytest.mark.parametrize("epoch", ["yesterday", "-5", "1787412600.5", "2026-13-01"])
def test_attest_refuses_an_unreadable_epoch(tmp_path, epoch):
    out = tmp_path / "s.json"
    r = run(*attest_args(out, epoch=epoch))
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "--epoch" in r.output or "neither unix seconds nor an ISO time" in r.output, r.output
    assert not out.exists()


def test_attest_capacity_option_is_signed(tmp_path):
    out = tmp_path / "s.json"
    r = run(*attest_args(out, extra=["--capacity", "6"]))
    assert r.exit_code == 0, r.output
    st = load_statement(out)
    assert st.capacity == 6 and st.signature_valid()
    assert st.message() != load_statement(STATEMENTS[0]).message()


# --- attest refusals: error: ..., exit 2, nothing written ----------------------------------------------


POSITIONS_OK = [("BTC-PERPETUAL", "1"), ("ETH-PERPETUAL", "-2")]


@pytest.mark.parametrize(
    "rows, words",
    [
        ([("BTC-PERPETUAL", "1"), ("BTC-FOO", "1")], ["position 2", "BTC-FOO"]),
        ([("XRP-PERPETUAL", "1")], ["position 1", "XRP"]),
        ([("BTC-PERPETUAL", "0")], ["position 1", "non-zero"]),
        ([("BTC-PERPETUAL", "-0.0")], ["position 1", "non-zero"]),
        ([("BTC-PERPETUAL", "1e9")], ["position 1", "non-zero"]),
        ([("BTC-PERPETUAL", "-200000")], ["position 1", "200000"]),
        ([("BTC-PERPETUAL", "0.123456789")], ["position 1", "precision"]),
        ([("BTC-PERPETUAL", "ten")], ["position 1", "not a number"]),
    ],
    ids=["unknown name", "unknown underlying", "zero", "negative zero", "absurd", "too short", "too precise", "not a number"],
)
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_attest_refuses_bad_positions(tmp_path, rows, words, fmt):
    if fmt == "json":
        positions = write_json(tmp_path / "positions.json", [{"instrument": n, "quantity": q} for n, q in rows])
    else:
        positions = write_csv(tmp_path / "positions.csv", rows)
    out = tmp_path / "s.json"
    assert_named_error(run(*attest_args(out, positions=positions)), *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == [positions.name]


@pytest.mark.parametrize(
    "collateral, words",
    [
        ({"DOGE": "1"}, ["DOGE", "not one of", "USDC"]),
        ({"USDC": "-1"}, ["collateral USDC"]),
        ({"USDC": "1e12"}, ["collateral USDC"]),
        ({"BTC": "0.000000001"}, ["collateral BTC", "precision"]),
        ({"USDC": "lots"}, ["collateral USDC", "not a number"]),
    ],
    ids=["unknown asset", "negative", "absurd", "too precise", "not a number"],
)
def test_attest_refuses_bad_collateral(tmp_path, collateral, words):
    positions = write_json(tmp_path / "positions.json", [{"instrument": n, "quantity": q} for n, q in POSITIONS_OK])
    coll = write_json(tmp_path / "collateral.json", collateral)
    out = tmp_path / "s.json"
    assert_named_error(run(*attest_args(out, positions=positions, collateral=coll)), *words)
    assert not out.exists()


def test_attest_refuses_more_positions_than_capacity(tmp_path):
    out = tmp_path / "s.json"
    assert_named_error(run(*attest_args(out, extra=["--capacity", "3"])), "4 positions exceed the statement capacity 3")
    assert not out.exists()
    rows = [("BTC-PERPETUAL", "1")] * 5
    csv_path = write_csv(tmp_path / "five.csv", rows)
    assert_named_error(run(*attest_args(out, positions=csv_path)), "5 positions exceed the statement capacity 4")
    assert not out.exists()


def test_attest_refuses_a_missing_key_file(tmp_path):
    out = tmp_path / "s.json"
    assert_named_error(run(*attest_args(out, key=tmp_path / "nope.key.json")), "venue key not found", "nope.key.json")
    assert not out.exists()


def test_attest_refuses_a_key_file_whose_public_key_does_not_match(tmp_path):
    obj = json.loads(VENUE_KEYS["deribit"].read_text())
    obj["public_key"] = json.loads(VENUE_KEYS["okx"].read_text())["public_key"]
    key = write_json(tmp_path / "swapped.key.json", obj)
    out = tmp_path / "s.json"
    assert_named_error(run(*attest_args(out, key=key)), "swapped.key.json", "does not match")
    assert not out.exists()


def test_attest_refuses_missing_or_malformed_inputs(tmp_path):
    out = tmp_path / "s.json"
    assert_named_error(run(*attest_args(out, positions=tmp_path / "none.json")), "positions file not found")
    assert_named_error(run(*attest_args(out, collateral=tmp_path / "none.json")), "collateral file not found")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert_named_error(run(*attest_args(out, positions=bad)), "bad.json", "expected a JSON list")
    assert_named_error(run(*attest_args(out, collateral=bad)), "bad.json", "not valid JSON")
    lst = write_json(tmp_path / "list.json", ["USDC", "1"])
    assert_named_error(run(*attest_args(out, collateral=lst)), "list.json", "expected {asset: amount}")
    no_qty = write_json(tmp_path / "noqty.json", [{"instrument": "BTC-PERPETUAL"}])
    assert_named_error(run(*attest_args(out, positions=no_qty)), "noqty.json", "quantity")
    assert not out.exists()


def test_attest_csv_row_without_quantity_names_the_line(tmp_path):
    csv_path = tmp_path / "positions.csv"
    csv_path.write_text("instrument,quantity\nBTC-PERPETUAL,1\nETH-PERPETUAL,\n")
    out = tmp_path / "s.json"
    assert_named_error(run(*attest_args(out, positions=csv_path)), "positions.csv line 3", "instrument and quantity")
    assert not out.exists()


def test_attest_refusal_leaves_an_existing_statement_untouched(tmp_path):
    out = tmp_path / "s.json"
    assert run(*attest_args(out)).exit_code == 0
    before = out.read_bytes()
    bad = write_json(tmp_path / "p.json", [{"instrument": "BTC-FOO", "quantity": "1"}])
    assert_named_error(run(*attest_args(out, positions=bad)), "BTC-FOO")
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json", "s.json"]


def test_attest_chunked_signs_format_3_over_the_positions_root(tmp_path):
    out = tmp_path / "deribit_v3.json"
    r = run(*attest_args(out, extra=("--chunked",)))
    assert r.exit_code == 0, r.output
    assert "signed over positions root 0x" in r.output
    st = load_statement(out)
    assert st.chunked and st.signature_valid() and len(st.positions) == 4
    assert json.loads(out.read_text())["format"] == "zkmargin-statement/3"


def test_attest_chunked_with_a_capacity_is_a_usage_error(tmp_path):
    out = tmp_path / "s.json"
    r = run(*attest_args(out, extra=("--chunked", "--capacity", "4")))
    assert r.exit_code == 2 and "one of --capacity and --chunked" in r.output
    assert not out.exists()
