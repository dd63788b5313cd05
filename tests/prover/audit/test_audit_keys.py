"""Key checks of ``zkmargin audit`` on the tiny circuit (tests/tiny_instance.py, cached 2^13 dev ptau).

A beacon-only chain (``zkey new`` + public beacon) is rebuilt bit for bit from its transcript by
``--regenerate-keys``, ``snarkjs zkey verify`` accepts it and the verification key exported from
it is the shipped one. A changed verification key, a changed transcript, or a contribution whose
zkey is not shipped each fail, naming the artefact."""

import json
import shutil

import pytest

from prover.audit.auditor import FAIL, PASS, SKIP, Auditor
from prover.audit.fixture_case import export_keys, load_keys
from prover.proving.prove import prove
from prover.toolchain import ceremony as cer
from prover.toolchain import setup as su
from prover.toolchain import snarkjs
from public import circuit
from public.errors import ToolchainError
from tests import tiny_instance as tiny
from verifier.groth16 import load_verification_key, verify


def _ceremony(tmp, contributors=()):
    params = tiny.params()
    build = snarkjs.compile_circuit(params)
    power = su.ptau_power(build["constraints"], params.n_public)
    d = tmp / "ceremony"
    cer.init(d, params.r1cs_path, su.dev_ptau(power, progress=lambda m: None), params.name, "dev (generated locally, NOT FOR PRODUCTION)")
    for who in contributors:
        cer.contribute(d, who)
    cer.beacon(d, "5eed" * 16, 10)
    cer.finalize(d, beacon_only=not contributors)
    keys = export_keys(params, build, d, tmp / "keys" / params.name)
    assert keys["ptau"]["power"] == su.ptau_file_power(d / "pot.ptau") == power
    return keys, tmp / "keys" / params.name


@pytest.fixture(scope="module")
def beacon_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("beacon")
    _ceremony(tmp)
    return tmp


@pytest.fixture(scope="module")
def beacon_keys(beacon_dir):
    return beacon_dir / "keys" / tiny.params().name


def audit_keys(keys_dir, tmp_path, regenerate=True):
    a = Auditor(regenerate_keys=regenerate, work_dir=tmp_path / "work")
    a.audit_keys(keys_dir)
    return {r.check: r for r in a.rows}


def test_a_beacon_only_chain_is_rebuilt_from_its_transcript_and_verifies(beacon_keys, tmp_path):
    rows = audit_keys(beacon_keys, tmp_path)
    assert [c for c, r in rows.items() if r.status != PASS] == [], rows
    assert {"circuit_source", "r1cs", "verification_key", "transcript", "ptau", "zkey_replay", "zkey_verify", "vk_from_zkey"} <= set(rows)
    keys = load_keys(beacon_keys)
    assert keys["dev"] and keys["contributions"] == 0 and "DEV" in keys["label"]
    assert rows["zkey_replay"].sha256 == keys["zkey_sha256"]


def test_without_regenerate_the_unshipped_zkey_is_skipped_not_passed(beacon_keys, tmp_path):
    rows = audit_keys(beacon_keys, tmp_path, regenerate=False)
    assert rows["zkey"].status == SKIP and "--regenerate-keys" in rows["zkey"].detail
    assert "zkey_verify" not in rows


def test_a_changed_verification_key_fails_naming_it(beacon_keys, tmp_path):
    bad = tmp_path / "keys"
    shutil.copytree(beacon_keys, bad)
    vk = json.loads((bad / "verification_key.json").read_text())
    vk["vk_alpha_1"][0] = str(int(vk["vk_alpha_1"][0]) + 1)
    (bad / "verification_key.json").write_text(json.dumps(vk, indent=1))
    rows = audit_keys(bad, tmp_path)
    assert rows["verification_key"].status == FAIL and rows["verification_key"].artefact == "verification_key.json"
    assert rows["vk_from_zkey"].status == FAIL


def test_a_changed_beacon_in_the_transcript_fails_the_replay(beacon_keys, tmp_path):
    bad = tmp_path / "keys"
    shutil.copytree(beacon_keys, bad)
    t = json.loads((bad / "ceremony.json").read_text())
    t["steps"][-1]["beacon"] = "5eee" * 16
    (bad / "ceremony.json").write_text(json.dumps(t, indent=1))
    rows = audit_keys(bad, tmp_path)
    assert rows["zkey"].status == FAIL and "step 1 (beacon)" in rows["zkey"].detail


def test_a_contribution_cannot_be_replayed_unless_its_zkey_is_shipped(tmp_path):
    keys, keys_dir = _ceremony(tmp_path, contributors=("alice",))
    assert keys["contributions"] == 1 and keys["dev"]  # dev ptau: still DEV
    rows = audit_keys(keys_dir, tmp_path)
    assert rows["zkey"].status == FAIL and "fresh randomness" in rows["zkey"].detail
    shutil.copyfile(tmp_path / "ceremony" / keys["zkey"], keys_dir / keys["zkey"])  # ship the final zkey
    rows = audit_keys(keys_dir, tmp_path)
    assert rows["zkey"].status == PASS and rows["zkey_verify"].status == PASS and rows["vk_from_zkey"].status == PASS


def test_setup_from_a_finalized_ceremony_installs_its_keys_for_the_prover(beacon_dir, tmp_path, monkeypatch):
    params = tiny.params()
    build = tmp_path / "build"
    shutil.copytree(params.build_dir, build / "circuits" / params.name)  # the compiled circuit, in a private build dir
    monkeypatch.setattr(circuit, "BUILD_DIR", build)
    monkeypatch.setattr(su, "BUILD_DIR", build)
    rec = su.ceremony_setup(params, beacon_dir / "ceremony")
    assert rec.kind == "ceremony" and rec.dev and "DEV" in rec.label and rec.keys_dir == build / "keys" / params.name
    res = prove(params, rec, tiny.witness(), "snarkjs")
    vk = json.loads(rec.verification_key_path.read_text())
    assert verify(load_verification_key(vk), res.proof, res.public_signals)


def test_setup_refuses_a_ceremony_that_is_not_finalized(beacon_dir, tmp_path):
    d = tmp_path / "c"
    shutil.copytree(beacon_dir / "ceremony", d)
    (d / "verification_key.json").unlink()
    with pytest.raises(ToolchainError, match="not finalized"):
        su.ceremony_setup(tiny.params(), d)
