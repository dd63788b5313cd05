"""``zkmargin audit``: the table (status, check, artefact, sha256), --json, exit codes, named errors."""

import json
import shutil

from public.circuit import REPO, file_sha256
from tests.prover.cli.runner import assert_named_error, run

FIXTURES = REPO / "fixtures"
SNAPSHOT = "../snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"


def test_audit_of_one_case_prints_every_artefact_hash_and_exits_0():
    r = run("audit", FIXTURES / "vega_limit_fail", "--use-build-cache")
    assert r.exit_code == 0, r.output
    assert file_sha256(FIXTURES / "snapshots" / "deribit_btc_eth_snapshot_2026-08-22T1533Z.csv") in r.output
    assert "PASS  circuit_rejects" in r.output and "FAIL" not in r.output.replace("0 failed", "")
    assert "1 case(s):" in r.output


def test_audit_json_names_each_row(tmp_path):
    r = run("audit", FIXTURES / "delta_limit_fail", "--use-build-cache", "--json")
    out = json.loads(r.stdout)  # progress lines go to stderr
    assert r.exit_code == 0 and out["passed"] and out["counts"]["FAIL"] == 0
    assert {"scope", "check", "status", "artefact", "sha256", "detail"} == set(out["rows"][0])
    assert any(row["artefact"] == SNAPSHOT for row in out["rows"])


def test_audit_of_a_changed_case_exits_1_naming_the_artefact(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "f")
    policy = tmp_path / "f" / "policies" / "demo_venue.json"
    policy.write_text(policy.read_text().replace('"900"', '"901"').replace("900,", "901,"))
    r = run("audit", tmp_path / "f" / "delta_limit_fail", "--use-build-cache")
    assert r.exit_code == 1
    assert "FAIL  artefact          ../policies/demo_venue.json" in r.output


def test_audit_of_a_directory_without_cases_is_a_named_error(tmp_path):
    assert_named_error(run("audit", tmp_path), "no fixture case")


def test_audit_of_a_broken_case_json_fails_without_a_traceback(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "case.json").write_text("{not json")
    r = run("audit", tmp_path / "c")
    assert r.exit_code == 1 and "FAIL  case" in r.output and "not valid JSON" in r.output


def test_ceremony_ptau_power_goes_only_with_a_dev_ptau_big_enough(tmp_path):
    assert_named_error(run("ceremony", "init", "--dir", tmp_path / "c", "--circuit", "margin_3x4", "--ptau", REPO / "README.md", "--ptau-power", 17), "--ptau-power goes with --dev-ptau")
    assert_named_error(run("ceremony", "init", "--dir", tmp_path / "c", "--circuit", "margin_3x4", "--dev-ptau", "--ptau-power", 12), "power 17 or more, not 12")
    assert not (tmp_path / "c").exists()  # refused before any work
