"""``zkmargin derisk``: trades, cost, before/after and greedy in text and --json; the traded book
written with --out meets the policy under ``zkmargin risk``; named errors."""

import json

from tests.conftest import POLICY, REPO
from tests.prover.cli.runner import assert_named_error, run

CHAIN = REPO / "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
BOOK = REPO / "fixtures/portfolios/demo_hedged_book.json"


def strict_policy(tmp_path, k="1.8"):
    obj = json.loads(POLICY.read_text())
    obj.update(multiplier_k=k, spec=str(REPO / "fixtures/spec/deribit_pm_v1.json"), circuits=[{"keys": str(REPO / "build/keys/margin_3x4")}])
    p = tmp_path / "policy.json"
    p.write_text(json.dumps(obj))
    return p


def test_derisk_writes_a_book_that_risk_accepts(tmp_path):
    pol, out = strict_policy(tmp_path), tmp_path / "traded.json"
    assert run("risk", "--market", CHAIN, "--portfolio", BOOK, "--policy", pol).output.count("FAIL") == 1
    r = run("derisk", "--market", CHAIN, "--portfolio", BOOK, "--policy", pol, "--out", out, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["schema"] == "zkmargin-derisk/1" and not d["before"]["passes"] and d["after"]["passes"]
    assert d["before"]["shortfall_usd"] > 100_000 and 0 < d["cost_usd"] < d["greedy"]["cost_usd"]
    assert {t["side"] for t in d["trades"]} <= {"buy", "sell"} and all(float(t["quantity"]) > 0 for t in d["trades"])
    after = run("risk", "--market", CHAIN, "--portfolio", out, "--policy", pol, "--json")
    assert after.exit_code == 0 and all(c["passed"] for c in json.loads(after.output)["policy_checks"])
    text = run("derisk", "--market", CHAIN, "--portfolio", BOOK, "--policy", pol).output
    assert "least-cost trades" in text and "after (re-evaluated): passes" in text and "greedy" in text


def test_derisk_of_a_book_that_passes(tmp_path):
    r = run("derisk", "--market", CHAIN, "--portfolio", BOOK, "--policy", strict_policy(tmp_path, "1.25"), "--margin", "0")
    assert r.exit_code == 0 and "nothing to trade" in r.output


def test_derisk_errors_are_named(tmp_path):
    pol = strict_policy(tmp_path)
    assert_named_error(run("derisk", "--market", CHAIN, "--portfolio", BOOK, "--policy", pol, "--margin", "0.9"), "safety margin 0.9")
    assert_named_error(run("derisk", "--market", CHAIN, "--policy", pol), "give either --portfolio or one or more --statement")
    assert_named_error(run("derisk", "--market", CHAIN, "--portfolio", BOOK, "--policy", pol, "--out", tmp_path / "no" / "x.json"), "directory of the traded portfolio does not exist")
