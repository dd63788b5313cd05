"""``zkmargin audit`` over the shipped fixture cases: every case reproduces, and one changed byte of a
snapshot, spec, statement, proof, verification key or circuit source fails, naming the artefact.

The zkey of the shipped keys is not in git (SKIP here; tests/prover/audit/test_audit_keys.py covers the
zkey checks on the tiny circuit). Audits reuse the build/ compile of the same source."""

import json
import shutil

import pytest

from prover.audit.auditor import PASS, Auditor
from prover.audit.fixture_case import find_cases, load_case
from public.circuit import CIRCUITS_DIR, REPO

FIXTURES = REPO / "fixtures"
CASES = ("delta_limit_fail", "demo_3venue", "netting_hedge", "short_option_edge", "vega_limit_fail")


def audit(path, **kw):
    a = Auditor(**kw)
    a.run(path)
    return a


@pytest.fixture(scope="module")
def shipped():
    return audit(FIXTURES)


def test_every_shipped_case_reproduces(shipped):
    assert [p.name for p in find_cases(FIXTURES)] == list(CASES)
    assert shipped.failed == [], "\n".join(f"{r.scope} {r.check} {r.artefact}: {r.detail}" for r in shipped.failed)
    for case in CASES:
        checks = {r.check for r in shipped.rows if r.scope == case}
        assert {"artefact", "spec_hash", "risk_root", "margin", "decision", "standalone"} <= checks
        assert ("proof_py_ecc" in checks) == ("circuit_rejects" not in checks)


def test_the_cases_state_what_their_names_say():
    exp = {c: load_case(FIXTURES / c).data["expected"] for c in CASES}
    assert exp["demo_3venue"]["decision"] == exp["netting_hedge"]["decision"] == exp["short_option_edge"]["decision"] == "accept"
    assert exp["delta_limit_fail"]["failed_checks"] == ["delta_limit.BTC"]
    assert exp["vega_limit_fail"]["failed_checks"] == ["vega_limit.BTC"]
    assert all(exp["netting_hedge"]["standalone_failed_checks"].values()), "each venue alone must fail"
    worst = [u["worst_scenario"] for u in exp["short_option_edge"]["margin"]["underlyings"]]
    assert any(w >= 27 for w in worst), worst  # 27..34 are the extended moves of deribit_pm_v1


def test_proved_cases_verify_with_both_verifiers(shipped):
    for case in ("demo_3venue", "netting_hedge", "short_option_edge"):
        rows = {r.check: r.status for r in shipped.rows if r.scope == case}
        assert rows["proof_py_ecc"] == rows["proof_snarkjs"] == rows["venue_decision"] == rows["bundle_signals"] == PASS


@pytest.fixture
def copy(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    return tmp_path / "fixtures"


def change_one_byte(path, near=0.5):
    """Replace one digit (the first at or after ``near`` of the file) by another digit."""
    data = bytearray(path.read_bytes())
    i = int(len(data) * near)
    while not chr(data[i]).isdigit():
        i += 1
    data[i] = ord("7") if data[i] != ord("7") else ord("3")
    path.write_bytes(bytes(data))


TAMPER = [
    ("snapshot", "snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv", "demo_3venue", "../snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"),
    ("spec", "spec/deribit_pm_v1.json", "demo_3venue", "../spec/deribit_pm_v1.json"),
    ("statement", "netting_hedge/statements/okx.json", "netting_hedge", "statements/okx.json"),
    ("proof", "short_option_edge/bundle.json", "short_option_edge", "bundle.json"),
    ("verification key", "keys/margin_3x4/verification_key.json", "demo_3venue", "../keys/margin_3x4/verification_key.json"),
]


@pytest.mark.parametrize("what,rel,case,artefact", TAMPER, ids=[t[0] for t in TAMPER])
def test_one_changed_byte_fails_naming_the_artefact(copy, what, rel, case, artefact):
    change_one_byte(copy / rel)
    a = audit(copy / case)
    named = [r for r in a.failed if r.check == "artefact"]
    assert [r.artefact for r in named] == [artefact], a.failed


def test_a_changed_proof_also_fails_both_pairing_checks(copy):
    bundle = json.loads((copy / "demo_3venue" / "bundle.json").read_text())
    bundle["proof"]["pi_c"][0] = str(int(bundle["proof"]["pi_c"][0]) + 1)
    (copy / "demo_3venue" / "bundle.json").write_text(json.dumps(bundle, indent=1))
    failed = {r.check for r in audit(copy / "demo_3venue").failed}
    assert {"artefact", "proof_py_ecc", "proof_snarkjs", "venue_decision"} <= failed


def test_a_changed_circuit_source_byte_fails_naming_the_source(tmp_path):
    src = tmp_path / "circuits"
    shutil.copytree(CIRCUITS_DIR, src)
    change_one_byte(src / "margin.circom")
    a = audit(FIXTURES / "vega_limit_fail", source_dir=src)
    assert [(r.check, r.artefact) for r in a.failed] == [("circuit_source", "circuits/*.circom")]


def test_a_recorded_output_that_no_longer_matches_fails(copy):
    path = copy / "netting_hedge" / "case.json"
    data = json.loads(path.read_text())
    data["expected"]["margin"]["initial_margin_usd"] = "1.000000"
    data["expected"]["risk_root"] = "0x1"
    path.write_text(json.dumps(data, indent=1))
    assert {r.check for r in audit(copy / "netting_hedge").failed} == {"margin", "risk_root"}


def test_a_refused_case_with_a_bundle_fails(copy):
    shutil.copyfile(copy / "demo_3venue" / "bundle.json", copy / "delta_limit_fail" / "bundle.json")
    assert "no_bundle" in {r.check for r in audit(copy / "delta_limit_fail").failed}
