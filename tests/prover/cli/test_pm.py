"""``zkmargin pm-simulate`` on Deribit's documented example, and named errors on bad input."""

import json

import pytest

from tests.conftest import REPO
from tests.prover.cli.runner import assert_named_error, run

EXAMPLE = REPO / "fixtures" / "deribit" / "deribit_pme_simulate_docs_example_btc.json"


def test_example_side_by_side():
    r = run("pm-simulate", EXAMPLE)
    assert r.exit_code == 0, r.output
    assert "standard left bucket 1 index 1" in r.output
    assert "worst_case                0.059685872381      0.059685872381" in r.output


def test_json_carries_margins_and_the_exchange_figures():
    r = run("pm-simulate", EXAMPLE, "--json")
    out = json.loads(r.output)
    assert out["schema"] == "zkmargin-pm-simulate/1"
    assert out["margins"]["risk_matrix_margin_details"]["worst_case_bucket"] == {"bucket": 1, "side": "left", "source": "standard", "index": 1}
    assert out["exchange"]["initial_margin"] == 0.122861343
    assert abs(out["margins"]["initial_margin"] - 0.122861343) / 0.122861343 < 1e-8


def _result():
    return json.loads(EXAMPLE.read_text())["deribit_docs_btc"]["result"]


@pytest.mark.parametrize(("edit", "words"), [
    (lambda r: r["portfolio"]["position"].update({"BTC-PERPETUAL": "1"}), "not a finite number"),
    (lambda r: r["portfolio"]["position"].update({"BTC-NOPE": 1}), "BTC-NOPE"),
    (lambda r: r["portfolio"].update({"position": [1]}), "positions must be an object"),
    (lambda r: r["index_price"].pop("btc_usd"), "index_price.btc_usd"),
    (lambda r: r["model_params"]["currency_pair"]["btc_usd"].update({"price_range": None}), "price_range"),
    (lambda r: r["margins"]["btc"]["initial_margin_details"].update({"mmp_margin": "0.06"}), "mmp_margin"),
    (lambda r: r.pop("model_params"), "no object with model_params"),
])
def test_bad_input_is_a_named_error(tmp_path, edit, words):
    res = _result()
    edit(res)
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"result": res}))
    assert_named_error(run("pm-simulate", path), words)


def test_a_book_on_a_snapshot_per_settlement_currency():
    params = REPO / "fixtures" / "deribit" / "deribit_pm_model_params_btc_eth.json"
    snap = REPO / "fixtures" / "snapshots" / "deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
    book = REPO / "fixtures" / "portfolios" / "demo_hedged_book.json"
    r = run("pm-simulate", params, "--market", snap, "--portfolio", book, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out["margins"]) == {"btc", "eth"}
    assert out["initial_margin_usd_total"] == pytest.approx(sum(out["initial_margin_usd"].values()))
    text = run("pm-simulate", params, "--market", snap, "--portfolio", book).output
    assert "total IM at the index" in text and "ETH" in text
    assert_named_error(run("pm-simulate", params, "--market", snap), "--market and --portfolio together")
