"""The CLI under the coin-margined spec: ``zkmargin risk`` reports per settlement currency what
Deribit reports (worst-case bucket, roll shock, delta shock, IM, MM, in coin) and the checks;
report/derisk and the on-chain export refuse it with named errors."""

import json

from tests.conftest import REPO
from tests.prover.cli.runner import assert_named_error, run

CHAIN = REPO / "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
COIN = REPO / "fixtures/spec/deribit_spm_coin_v1.json"
COIN_POLICY = REPO / "fixtures/policies/demo_venue_coin.json"
STATEMENTS = [REPO / f"fixtures/statements/coin/{v}.json" for v in ("deribit", "okx", "bybit")]


def _statements():
    return [a for p in STATEMENTS for a in ("--statement", p)]


def test_risk_reports_per_currency_in_coin():
    r = run("risk", "--market", CHAIN, *_statements(), "--policy", COIN_POLICY, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["margin"]["valuation"] == "coin_margined" and [c["currency"] for c in d["margin"]["currencies"]] == ["BTC", "ETH"]
    btc = d["per_underlying"][0]
    assert btc["worst_case_bucket"] == {"source": "standard", "side": "left", "bucket": 1, "index": 2}
    assert float(btc["initial_margin"]) == float(btc["worst_case"]) + float(btc["roll_shock"]) + float(btc["delta_shock"])
    assert {c["name"]: c["passed"] for c in d["policy_checks"]} == {
        "solvency.BTC": True, "solvency.ETH": True, "delta_limit.BTC": True, "vega_limit.BTC": True, "delta_limit.ETH": True, "vega_limit.ETH": True,
    }  # fmt: skip
    text = run("risk", "--market", CHAIN, *_statements(), "--policy", COIN_POLICY).output
    assert "BTC: worst case" in text and "PASS solvency.ETH" in text and "roll shock" in text


def test_usd_only_commands_refuse_a_coin_spec(tmp_path):
    book = REPO / "fixtures/portfolios/demo_hedged_book.json"
    for cmd in (["report", "--market", CHAIN, "--portfolio", book, "--spec", COIN], ["derisk", "--market", CHAIN, "--portfolio", book, "--policy", COIN_POLICY]):
        assert_named_error(run(*cmd), "coin-margined")
