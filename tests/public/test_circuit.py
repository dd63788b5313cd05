"""Circuit identity for auditors: the same source compiles to the same R1CS, bit for bit, and the
build record names compiler, flags and hashes (prover/toolchain/snarkjs.py compile_circuit)."""

from prover.toolchain import snarkjs
from prover.toolchain.variants import write_variant
from public.circuit import circuit_params, file_sha256, source_sha256


def test_same_source_compiles_to_the_same_r1cs_twice():
    # two independent builds (different build directories, each compiled from scratch)
    a = snarkjs.compile_circuit(write_variant("determinism_a", 1, 1, 2, 2, 4, 1), force=True)
    b = snarkjs.compile_circuit(write_variant("determinism_b", 1, 1, 2, 2, 4, 1), force=True)
    assert a["r1cs_sha256"] == b["r1cs_sha256"]
    assert a["constraints"] == b["constraints"] > 0


def test_build_record_names_compiler_flags_and_hashes():
    params = circuit_params()
    rec = snarkjs.compile_circuit(params)
    assert "circom compiler 2.2.3" in rec["compiler"] and "circom2 npm package 0.2.23" in rec["compiler"]
    assert rec["flags"] == snarkjs.COMPILE_FLAGS and "--O2" in rec["flags"]
    assert rec["source_sha256"] == source_sha256()
    assert rec["r1cs_sha256"] == file_sha256(params.r1cs_path)


def test_other_parameters_give_another_r1cs():
    a = snarkjs.compile_circuit(write_variant("determinism_a", 1, 1, 2, 2, 4, 1))
    c = snarkjs.compile_circuit(write_variant("determinism_c", 1, 1, 3, 2, 4, 1))
    assert a["r1cs_sha256"] != c["r1cs_sha256"]
