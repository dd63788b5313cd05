"""``zkmargin report``: the numbers in text and --json, the pictures (files whose hashes the JSON
gives, the worst cell framed where the margin says), a self-contained HTML page, named errors and
nothing written on bad input."""

import hashlib
import json

from tests.conftest import POLICY, REPO
from tests.prover.cli.runner import assert_named_error, run
from tests.prover.trader.test_pictures import assert_framed

CHAIN = REPO / "fixtures/snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
BOOK = REPO / "fixtures/portfolios/demo_hedged_book.json"
VEGA = REPO / "fixtures/vega_limit_fail/statements"


def test_report_of_the_demo_book(tmp_path):
    html = tmp_path / "report.html"
    r = run("report", "--market", CHAIN, "--portfolio", BOOK, "--policy", POLICY, "--png-dir", tmp_path, "--html", html, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["schema"] == "zkmargin-report/1" and d["positions"] == 8
    risk = json.loads(run("risk", "--market", CHAIN, "--portfolio", BOOK, "--json").output)
    ce = d["capital_efficiency"]["total"]
    assert ce["cross_im_usd"] == float(risk["margin"]["initial_margin_usd"])  # the IM the proof states
    assert ce["cross_im_usd"] < ce["per_venue_im_usd"] and ce["cross_im_usd"] < ce["standard_im_usd"]
    assert ce["saving_vs_per_venue_usd"] == round(ce["per_venue_im_usd"] - ce["cross_im_usd"], 6)
    page = html.read_text()
    assert page.count("data:image/png;base64,") == 2 and "http" not in page.replace("http-equiv", "")
    for u, um in zip(("BTC", "ETH"), risk["margin"]["underlyings"]):
        pic = d["pictures"][u]
        png = (tmp_path / f"pnl_grid_{u}.png").read_bytes()
        assert pic["file"].endswith(f"pnl_grid_{u}.png") and hashlib.sha256(png).hexdigest() == pic["sha256"]
        assert pic["worst_scenario"] == um["worst_scenario"]
        assert_framed(png, {"cells": {int(k): v for k, v in pic["cells"].items()}}, um["worst_scenario"])
        assert um["worst_scenario_label"] in page
    assert {c["name"] for c in d["policy_checks"]} >= {"solvency"}


def test_report_of_a_failing_case_from_statements():
    r = run("report", "--market", CHAIN, *[a for v in ("deribit", "okx", "bybit") for a in ("--statement", VEGA / f"{v}.json")], "--policy", POLICY)
    assert r.exit_code == 0, r.output
    assert "FAIL  vega_limit.BTC" in r.output and "venue okx" in r.output and "largest contributors" in r.output


def test_bad_output_directory_and_bad_book_write_nothing(tmp_path):
    assert_named_error(run("report", "--market", CHAIN, "--portfolio", BOOK, "--png-dir", tmp_path / "missing"), "does not exist")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "zkmargin-portfolio/1", "positions": [{"instrument": "BTC-NOPE", "quantity": "1"}]}))
    assert_named_error(run("report", "--market", CHAIN, "--portfolio", bad, "--png-dir", tmp_path, "--html", tmp_path / "r.html"), "unknown instrument")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]
