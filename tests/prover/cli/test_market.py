"""``zkmargin snapshot marks``, ``zkmargin calibrate`` and the per-underlying part of
``zkmargin risk`` (scan range, Deribit-style worst-case bucket, IM, MM, gamma) under each spec."""

import json

import pytest

from tests.conftest import REPO
from tests.prover.cli.runner import assert_named_error, run

FIX = REPO / "fixtures"
PERP = FIX / "history/deribit_perpetual_marks_2025-12-30_2026-04-15.csv"
FUT = FIX / "history/deribit_term_futures_marks_extract_2026-01-10_2026-02-05.csv"
BTC = FIX / "history/yahoo_btc_usd_daily_2018-04-18_2023-04-17.csv"
ETH = FIX / "history/yahoo_eth_usd_daily_2018-04-18_2023-04-17.csv"
CHAIN = FIX / "snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
STRESS = FIX / "snapshots/deribit_futures_marks_2026-02-05T2129Z.csv"


def test_snapshot_marks_writes_the_shipped_stress_snapshot(tmp_path):
    out = tmp_path / "m.csv"
    r = run("snapshot", "marks", "--perpetual", PERP, "--futures", FUT, "--at", "2026-02-05T23:59:59Z", "--out", out, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["reference_vol"] == {"BTC": 0.836017, "ETH": 1.026186} and "BTC-PERPETUAL" in d["instruments"]
    assert out.read_bytes() == STRESS.read_bytes()


def test_snapshot_marks_errors_are_named_and_write_nothing(tmp_path):
    out = tmp_path / "m.csv"
    assert_named_error(run("snapshot", "marks", "--perpetual", PERP, "--futures", FUT, "--at", "2019-01-01", "--out", out), "no snapshot run")
    assert_named_error(run("snapshot", "marks", "--perpetual", tmp_path / "none.csv", "--futures", FUT, "--at", "2026-02-05", "--out", out), "cannot read")
    bad_time = run("snapshot", "marks", "--perpetual", PERP, "--futures", FUT, "--at", "yesterday", "--out", out)
    assert bad_time.exit_code == 2 and "'yesterday' is not an ISO-8601 time" in bad_time.output and "Traceback" not in bad_time.output
    assert not out.exists()


def test_calibrate_writes_a_spec_that_risk_uses(tmp_path):
    spec = tmp_path / "cal.json"
    r = run("calibrate", "--history", f"BTC={BTC}", "--history", f"ETH={ETH}", "--method", "historical", "--out", spec, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["scan_range"]["BTC"] == pytest.approx(0.158, abs=0.002)
    assert spec.read_bytes() == (FIX / "spec/deribit_pm_calibrated_historical_v1.json").read_bytes()
    r = run("risk", "--market", CHAIN, "--portfolio", FIX / "portfolios/perpetual_book.json", "--spec", spec, "--json")
    assert json.loads(r.output)["per_underlying"][0]["scan_range"] == d["scan_range"]["BTC"]


@pytest.mark.parametrize(("args", "words"), [
    (("--history", f"BTC={BTC}"), "base spec's underlyings"),
    (("--history", f"BTC={BTC}", "--history", f"BTC={ETH}"), "names BTC twice"),
    (("--history", str(BTC)), "expected UNDERLYING=CSV"),
    (("--history", f"BTC={BTC}", "--history", f"ETH={ETH}", "--confidence", "1.5"), "confidence 1.5"),
    (("--history", f"BTC={BTC}", "--history", f"ETH={ETH}", "--floor", "0.6"), "cap: 0.5 is below floor 0.6"),
])  # fmt: skip
def test_calibrate_errors_are_named_and_write_nothing(tmp_path, args, words):
    out = tmp_path / "cal.json"
    assert_named_error(run("calibrate", *args, "--out", out), words)
    assert not out.exists()


@pytest.mark.parametrize("spec", ["deribit_pm_v1", "span_cme16_v1", "deribit_pm_calibrated_filtered_v1"])
def test_risk_reports_per_underlying_bucket_im_mm_and_gamma(spec):
    r = run("risk", "--market", CHAIN, "--portfolio", FIX / "portfolios/demo_hedged_book.json", "--spec", FIX / f"spec/{spec}.json", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    per = d["per_underlying"]
    assert [u["underlying"] for u in per] == ["BTC", "ETH"]
    for u in per:
        assert set(u["worst_case_bucket"]) == {"source", "side", "bucket", "index"}
        assert u["roll_shock"] is None and u["delta_shock"] is None
        assert u["net_gamma_usd_per_1pct"] < 0  # the demo book is short gamma
    im = sum(float(u["initial_margin_usd"]) for u in per)
    assert im == pytest.approx(float(d["margin"]["initial_margin_usd"]), abs=1e-5)
    text = run("risk", "--market", CHAIN, "--portfolio", FIX / "portfolios/demo_hedged_book.json", "--spec", FIX / f"spec/{spec}.json").output
    assert "worst bucket (source side bucket index)" in text and "gamma (USD/1%)" in text


def test_risk_on_the_stress_snapshot_follows_its_vol():
    args = ("risk", "--market", STRESS, "--portfolio", FIX / "portfolios/perpetual_book.json", "--json")
    fixed = json.loads(run(*args).output)
    follow = json.loads(run(*args, "--spec", FIX / "spec/deribit_pm_calibrated_filtered_v1.json").output)
    assert fixed["per_underlying"][0]["scan_range"] == 0.16
    assert follow["per_underlying"][0]["scan_range"] > 0.25
    assert float(follow["margin"]["initial_margin_usd"]) > 1.5 * float(fixed["margin"]["initial_margin_usd"])


def test_the_reported_bucket_breaks_ties_as_deribit_does():
    # a perpetual loses the same at every vol state of a move: Deribit reports the unchanged one (index 1)
    r = run("risk", "--market", CHAIN, "--portfolio", FIX / "portfolios/perpetual_book.json", "--json")
    per = json.loads(r.output)["per_underlying"]
    assert per[0]["worst_case_bucket"] == {"source": "standard", "side": "left", "bucket": 1, "index": 1}
    assert per[1]["worst_case_bucket"] == {"source": "standard", "side": "right", "bucket": 1, "index": 1}
