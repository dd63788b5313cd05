"""A phase-2 ceremony with two contributions and a beacon verifies; a tampered zkey does not.

Runs on the tiny 1-venue instance (tests/tiny_instance.py) over the cached 2^13 dev ptau."""

import json
import shutil

import pytest

from prover.proving.prove import prove
from prover.toolchain import ceremony as cer
from prover.toolchain import setup as su
from prover.toolchain import snarkjs
from public.errors import ToolchainError
from tests import tiny_instance as tiny
from tests.prover.cli.runner import run
from verifier.groth16 import load_verification_key, verify


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    params = tiny.params()
    build = snarkjs.compile_circuit(params)
    ptau = su.dev_ptau(su.ptau_power(build["constraints"], params.n_public), progress=lambda m: None)
    d = tmp_path_factory.mktemp("ceremony") / "c"
    cer.init(d, params.r1cs_path, ptau, params.name, "dev")
    cer.contribute(d, "alice")
    cer.contribute(d, "bob", entropy="bob's dice rolls")
    cer.beacon(d, "0c5ab3f2" * 8, 10)
    return params, d


def test_two_contributions_and_a_beacon_verify(finished):
    _, d = finished
    checks = cer.verify(d)
    assert all(ok for _, ok, _ in checks), checks
    t = json.loads((d / "ceremony.json").read_text())
    assert [s["step"] for s in t["steps"]] == ["init", "contribute", "contribute", "beacon"]
    assert [s.get("participant") for s in t["steps"][1:3]] == ["alice", "bob"]
    assert all(len(s["contribution_hash"]) == 128 for s in t["steps"][1:])


def test_finalized_key_verifies_a_proof_from_the_final_zkey(finished):
    params, d = finished
    vk_path = cer.finalize(d)
    final = json.loads((d / "ceremony.json").read_text())["steps"][-1]["zkey"]
    params.keys_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(d / final, params.keys_dir / final)  # the prover reads keys from the circuit's keys dir
    rec = su.SetupRecord("snarkjs", "ceremony (test, dev ptau)", True, params.name, "", "", final)
    res = prove(params, rec, tiny.witness(), "snarkjs")
    assert verify(load_verification_key(json.loads(vk_path.read_text())), res.proof, res.public_signals)


def test_a_tampered_final_zkey_does_not_verify(finished, tmp_path):
    _, d = finished
    bad = tmp_path / "c"
    shutil.copytree(d, bad)
    final = bad / json.loads((bad / "ceremony.json").read_text())["steps"][-1]["zkey"]
    data = bytearray(final.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit inside the contributed key material
    final.write_bytes(bytes(data))
    checks = dict((n, ok) for n, ok, _ in cer.verify(bad))
    assert not checks["transcript"] and not checks["zkey_verify"]
    with pytest.raises(ToolchainError, match="does not verify"):
        cer.finalize(bad)


def test_a_contribution_swapped_for_another_chain_breaks_the_transcript(finished, tmp_path):
    params, d = finished
    other = tmp_path / "other"
    cer.init(other, d / "circuit.r1cs", d / "pot.ptau", params.name, "dev")
    cer.contribute(other, "mallory")
    bad = tmp_path / "c"
    shutil.copytree(d, bad)
    shutil.copyfile(other / "zkey_0001.zkey", bad / "zkey_0001.zkey")
    checks = dict((n, ok) for n, ok, _ in cer.verify(bad))
    assert not checks["transcript"]


def test_no_contribution_after_the_beacon(finished, tmp_path):
    _, d = finished
    bad = tmp_path / "c"
    shutil.copytree(d, bad)
    with pytest.raises(ToolchainError, match="closed"):
        cer.contribute(bad, "late")


def test_cli_verify_reports_each_check(finished):
    _, d = finished
    r = run("ceremony", "verify", "--dir", d)
    assert r.exit_code == 0, r.output
    assert "PASS  zkey_verify" in r.output and "PASS  closed" in r.output
