"""``zkmargin audit`` over the shipped fixture cases: every case reproduces, and one changed byte of a
snapshot, spec, statement, proof, verification key or circuit source fails, naming the artefact.

The zkey of the shipped keys is not in git (SKIP here; tests/prover/audit/test_audit_keys.py covers the
zkey checks on the tiny circuit). Audits reuse the build/ compile of the same source.

``large_book_100`` is a book proved in chunks (issue 11): two key directories, six chunk proofs and the
aggregate; a changed, dropped or re-linked chunk proof and a changed chunk key each fail."""

import json
import shutil

import pytest

from prover.audit.auditor import PASS, Auditor
from prover.audit.fixture_case import find_cases, load_case
from public.circuit import CIRCUITS_DIR, REPO

FIXTURES = REPO / "fixtures"
CASES = ("delta_limit_fail", "demo_3venue", "large_book_100", "netting_hedge", "short_option_edge", "vega_limit_fail")
PROVED = ("demo_3venue", "large_book_100", "netting_hedge", "short_option_edge")


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
    for case in PROVED:
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


def test_the_chunked_case_audits_both_keys_every_chunk_and_the_blinded_links(shipped):
    rows = {r.check: r for r in shipped.rows if r.scope == "large_book_100"}
    assert {"keys/aggregate_8", "keys/chunk_28x8"} <= {r.scope for r in shipped.rows}
    exp = load_case(FIXTURES / "large_book_100").data["expected"]
    assert exp["chunks"] == 6 and exp["blinded_signals"] == ["acc_initial", "acc_final"]  # 36 + 27 + 37 positions: 5 chunks of 28, padded to 6
    assert exp["public_signals"][-2:] == [None, None] and None not in exp["public_signals"][:-2]
    assert rows["chunks"].status == rows["proof_py_ecc"].status == rows["proof_snarkjs"].status == PASS
    assert "7 proof(s)" in rows["proof_py_ecc"].detail and "2 blinded" in rows["public_signals"].detail
    statements = [json.loads((FIXTURES / "large_book_100" / "statements" / f"{v}.json").read_text()) for v in ("deribit", "okx", "bybit")]
    assert sum(len(st["positions"]) for st in statements) == 100


def _edit_bundle(copy, edit):
    path = copy / "large_book_100" / "bundle.json"
    bundle = json.loads(path.read_text())
    edit(bundle)
    path.write_text(json.dumps(bundle, indent=1))
    return {r.check for r in audit(copy / "large_book_100").failed}


def test_a_changed_chunk_proof_fails_both_pairing_checks_and_the_venue(copy):
    def edit(b):
        b["chunks"][3]["proof"]["pi_a"][1] = str(int(b["chunks"][3]["proof"]["pi_a"][1]) + 1)

    assert _edit_bundle(copy, edit) == {"artefact", "proof_py_ecc", "proof_snarkjs", "venue_decision"}


def test_a_dropped_chunk_fails_the_count_and_the_venue(copy):
    assert _edit_bundle(copy, lambda b: b["chunks"].pop()) == {"artefact", "chunks", "venue_decision"}


def test_a_changed_blinded_commitment_is_caught_by_the_proofs_not_by_recomputation(copy):
    def edit(b):
        b["public_signals"][-1] = b["chunks"][2]["public_signals"][2]  # acc_final: another chunk's output

    assert _edit_bundle(copy, edit) == {"artefact", "proof_py_ecc", "proof_snarkjs", "venue_decision"}


def test_a_changed_chunk_key_fails_naming_it(copy):
    change_one_byte(copy / "keys" / "chunk_28x8" / "verification_key.json")
    a = audit(copy / "large_book_100")
    assert [r.artefact for r in a.failed if r.check == "artefact"] == ["../keys/chunk_28x8/verification_key.json"]
    assert {("keys/chunk_28x8", "verification_key")} <= {(r.scope, r.check) for r in a.failed}


@pytest.mark.parametrize("pad", [0, "6", 5000])
def test_a_bad_pad_to_is_a_fixture_error(copy, pad):
    from public.errors import FixtureError

    path = copy / "large_book_100" / "case.json"
    data = json.loads(path.read_text())
    data["pad_to"] = pad
    path.write_text(json.dumps(data))
    with pytest.raises(FixtureError, match="pad_to"):
        load_case(copy / "large_book_100")
