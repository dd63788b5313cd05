"""The snarkjs path end to end on a tiny circuit: dev ptau -> groth16 setup -> zkey -> prove with
snarkjs and with groth16py (importing the same zkey) -> py_ecc and snarkjs verify agree.

Slow the first time (a real 2^13 phase 1, about 2.5 min); the ptau is cached in build/ptau/."""

import json

import pytest

from prover.proving.prove import prove
from prover.toolchain import setup as su
from prover.toolchain import snarkjs
from tests import tiny_instance as tiny
from verifier.groth16 import load_verification_key, verify


@pytest.fixture(scope="module")
def zkey_setup():
    params = tiny.params()
    build = snarkjs.compile_circuit(params)
    power = su.ptau_power(build["constraints"], params.n_public)
    assert power == 13
    rec = su.snarkjs_setup(params, su.dev_ptau(power, progress=lambda m: None), external=False, progress=lambda m: None, force=True)
    assert rec.dev and "NOT FOR PRODUCTION" in rec.label
    return params, rec


@pytest.fixture(scope="module")
def proofs(zkey_setup):
    params, rec = zkey_setup
    w = tiny.witness()
    return {b: prove(params, rec, w, b) for b in ("snarkjs", "groth16py")}


@pytest.mark.parametrize("backend", ["snarkjs", "groth16py"])
def test_both_provers_verify_under_the_zkey_key(zkey_setup, proofs, backend, tmp_path):
    _, rec = zkey_setup
    res = proofs[backend]
    vk = load_verification_key(json.loads(rec.verification_key_path.read_text()))
    assert verify(vk, res.proof, res.public_signals)
    (tmp_path / "p.json").write_text(json.dumps(res.proof))
    (tmp_path / "s.json").write_text(json.dumps(res.public_signals))
    assert snarkjs.groth16_verify(rec.verification_key_path, tmp_path / "s.json", tmp_path / "p.json")


@pytest.mark.parametrize("index", range(tiny.params().n_public))
def test_py_ecc_and_snarkjs_reject_each_tampered_public_signal(zkey_setup, proofs, index, tmp_path):
    _, rec = zkey_setup
    res = proofs["snarkjs"]
    public = list(res.public_signals)
    public[index] = str(int(public[index]) + 1)
    vk = load_verification_key(json.loads(rec.verification_key_path.read_text()))
    assert not verify(vk, res.proof, public)
    (tmp_path / "p.json").write_text(json.dumps(res.proof))
    (tmp_path / "s.json").write_text(json.dumps(public))
    assert not snarkjs.groth16_verify(rec.verification_key_path, tmp_path / "s.json", tmp_path / "p.json")


def test_snarkjs_backend_refuses_without_zkey(zkey_setup):
    from prover.proving.prove import choose_backend
    from public.errors import ToolchainError

    _, rec = zkey_setup
    dev = su.SetupRecord("dev-groth16py", su.DEV_LABEL, True, rec.circuit, rec.r1cs_sha256, rec.verification_key_sha256, "proving_key.g16")
    with pytest.raises(ToolchainError):
        choose_backend(dev, "snarkjs")
    assert choose_backend(rec, "auto") == "snarkjs"
