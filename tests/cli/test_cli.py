"""The CLI as a trader and a venue use it: outputs, exit codes, and bad input that loses nothing.

Every named error must reach the user as one ``error: ...`` line with exit code 2, never a
traceback, and must leave no file behind at --out.
"""

import json

import pytest
from click.testing import CliRunner

from prover.cli import main
from tests.conftest import POLICY, PORTFOLIO, SNAPSHOT

AT = "2026-08-22T15:35:00Z"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def assert_named_error(result, *words):
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") or "\nerror: " in result.output, result.output
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output, result.output


def write_book(tmp_path, **over):
    book = json.loads(PORTFOLIO.read_text())
    book.update(over)
    path = tmp_path / "book.json"
    path.write_text(json.dumps(book))
    return path


def prove_args(out, market=SNAPSHOT, portfolio=PORTFOLIO, at=AT, challenge=None):
    challenge = challenge or json.loads(POLICY.read_text())["challenge"]
    args = ["prove", "--market", market, "--portfolio", portfolio, "--policy", POLICY, "--challenge", challenge, "--out", out]
    return args + (["--at", at] if at else [])


# --- risk -----------------------------------------------------------------------------------------


def test_risk_prints_the_margin_breakdown():
    r = run("risk", "--market", SNAPSHOT, "--portfolio", PORTFOLIO, "--policy", POLICY)
    assert r.exit_code == 0, r.output
    for word in ("worst-case loss", "initial margin (IM)", "maintenance margin (MM)", "collateral value", "PASS  solvency", "BTC", "ETH"):
        assert word in r.output


def test_risk_json_is_machine_readable():
    r = run("risk", "--market", SNAPSHOT, "--portfolio", PORTFOLIO, "--json")
    obj = json.loads(r.output)
    m = obj["margin"]
    assert {u["underlying"] for u in m["underlyings"]} == {"BTC", "ETH"}
    im = float(m["initial_margin_usd"])
    assert im == pytest.approx(sum(float(u["worst_loss_usd"]) for u in m["underlyings"]) + float(m["add_on_usd"]), abs=1e-5)
    assert float(m["maintenance_margin_usd"]) == pytest.approx(0.8 * im, abs=1e-5)
    assert all(u["worst_scenario_label"] for u in m["underlyings"])


def test_risk_unknown_instrument_is_a_named_error(tmp_path):
    book = write_book(tmp_path, positions=[{"instrument": "BTC-25SEP26-81234-C", "quantity": "1"}])
    assert_named_error(run("risk", "--market", SNAPSHOT, "--portfolio", book), "unknown instrument", "BTC-25SEP26-81234-C")


@pytest.mark.parametrize("qty", ["1e9", "-200000", "0.123456789", "ten"])
def test_risk_absurd_quantity_is_a_named_error(tmp_path, qty):
    book = write_book(tmp_path, positions=[{"instrument": "BTC-PERPETUAL", "quantity": qty}])
    assert_named_error(run("risk", "--market", SNAPSHOT, "--portfolio", book), "position 1")


def test_risk_malformed_snapshot_row_names_the_line(tmp_path):
    lines = SNAPSHOT.read_text().splitlines(keepends=True)
    lines[6] = lines[6].replace("BTC-", "BTC-", 1).replace(",call,", ",cal,").replace(",put,", ",pt,")
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines))
    assert_named_error(run("risk", "--market", bad, "--portfolio", PORTFOLIO), "line 7")


def test_missing_snapshot_file_is_a_named_error(tmp_path):
    assert_named_error(run("risk", "--market", tmp_path / "nope.csv", "--portfolio", PORTFOLIO), "nope.csv", "No such file")


# --- prove: refusals write nothing ------------------------------------------------------------------


def test_prove_refuses_an_insolvent_book_and_writes_nothing(tmp_path, demo_keys):
    book = write_book(tmp_path, collateral={"USDC": "1000"})
    out = tmp_path / "bundle.json"
    r = run(*prove_args(out, portfolio=book))
    assert_named_error(r, "does not meet the policy", "solvency")
    assert list(tmp_path.iterdir()) == [book]


def test_prove_refuses_a_stale_snapshot_and_writes_nothing(tmp_path, demo_keys):
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, at=None)), "old")
    assert not out.exists()


def test_prove_refuses_a_challenge_the_policy_did_not_issue(tmp_path, demo_keys):
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, challenge="0x1234")), "challenge")
    assert not out.exists()


def test_prove_refuses_a_malformed_snapshot_and_writes_nothing(tmp_path):
    lines = SNAPSHOT.read_text().splitlines(keepends=True)
    cols = lines[3].split(",")
    cols[5] = "abc"  # strike
    lines[3] = ",".join(cols)
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines))
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, market=bad)), "line 4")
    assert not out.exists()


def test_prove_refuses_more_instruments_than_slots(tmp_path, demo_keys):
    names = ["BTC-PERPETUAL", "ETH-PERPETUAL", "BTC-25SEP26", "ETH-25SEP26", "BTC-25DEC26", "ETH-25DEC26",
             "BTC-26MAR27", "ETH-26MAR27", "BTC-25JUN27"]
    book = write_book(tmp_path, positions=[{"instrument": n, "quantity": "0.1"} for n in names])
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, portfolio=book)), "9 distinct instruments", "8 position slots")
    assert not out.exists()


# --- prove and verify ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proved(tmp_path_factory, demo_keys):
    out = tmp_path_factory.mktemp("cli") / "bundle.json"
    r = run(*prove_args(out))
    assert r.exit_code == 0, r.output
    return out, r.output


def test_prove_writes_a_verified_bundle(proved):
    out, output = proved
    assert out.exists() and "verified after writing: ACCEPTED" in output
    bundle = json.loads(out.read_text())
    assert len(out.read_bytes()) <= 10_000
    assert "NOT FOR PRODUCTION" in bundle["circuit"]["setup"]["label"]
    assert set(bundle["statement"]["public"]) >= {"risk_root", "spec_hash", "snapshot_epoch", "challenge", "portfolio_commitment", "multiplier_k"}


def test_verify_accepts_with_reasons(proved):
    out, _ = proved
    r = run("verify", out, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT)
    assert r.exit_code == 0, r.output
    assert "decision: ACCEPTED" in r.output and "PASS  risk_root" in r.output


def test_verify_json_decision(proved):
    out, _ = proved
    r = run("verify", out, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT, "--json")
    obj = json.loads(r.output)
    assert obj["accepted"] is True and all(c["passed"] for c in obj["checks"])


def test_verify_rejects_without_the_snapshot_and_says_why(proved):
    out, _ = proved
    r = run("verify", out, "--policy", POLICY, "--at", AT)
    assert r.exit_code == 1
    assert "FAIL  snapshot" in r.output and "--market" in r.output


def test_verify_rejects_a_tampered_bundle_exit_1(proved, tmp_path):
    out, _ = proved
    b = json.loads(out.read_text())
    b["public_signals"][5] = str(int(b["public_signals"][5]) - 1)
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(b))
    r = run("verify", bad, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT)
    assert r.exit_code == 1
    assert "FAIL  groth16.pairing" in r.output and "decision: REJECTED" in r.output


def test_verify_stale_without_at(proved):
    out, _ = proved
    r = run("verify", out, "--policy", POLICY, "--market", SNAPSHOT)
    assert r.exit_code == 1 and "FAIL  freshness" in r.output


def test_verify_unreadable_bundle_is_a_named_error(tmp_path):
    bad = tmp_path / "b.json"
    bad.write_text("{not json")
    assert_named_error(run("verify", bad, "--policy", POLICY), "not valid JSON")


def test_table_publishes_the_root(tmp_path, proved):
    out = tmp_path / "table.json"
    r = run("table", "--market", SNAPSHOT, "--out", out)
    assert r.exit_code == 0, r.output
    root = json.loads(out.read_text())["root"]
    assert root == json.loads(proved[0].read_text())["statement"]["public"]["risk_root"]
