"""Groth16 proving of a witness under a circuit's keys, with snarkjs or groth16py.

Witness generation always runs the circuit's own wasm through snarkjs (prover/toolchain/snarkjs.py). The
proof then comes from:

- ``snarkjs``: ``snarkjs groth16 prove`` with the circuit's zkey (the production prover);
- ``groth16py``: arkworks via groth16py, with the dev proving key or the imported zkey (about 3x
  faster than the snarkjs CLI, SPEC section 7; docs/benchmarks.md compares them).

Both return a snarkjs-format proof (``pi_a``, ``pi_b``, ``pi_c``) and the public signals.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from prover.files import create_private, private_tempdir, sweep_stale_tempdirs
from prover.toolchain import snarkjs
from prover.toolchain.setup import SetupRecord
from public.circuit import CircuitParams
from public.errors import ToolchainError

BACKENDS = ("auto", "snarkjs", "groth16py")
TEMP_PREFIX = "zkmargin-prove-"  #: private scratch directories: <tmp>/zkmargin-prove-<pid>-<random>


@dataclass
class ProofResult:
    """A proof in snarkjs JSON form, its public signals (decimal strings), backend and timings (s)."""

    proof: dict
    public_signals: list[str]
    backend: str
    timings: dict = field(default_factory=dict)


def proof_from_eth_bytes(blob: bytes) -> dict:
    """groth16py's 256-byte proof (a.x, a.y, b.x.c1, b.x.c0, b.y.c1, b.y.c0, c.x, c.y; 32-byte BE) -> snarkjs JSON."""
    if len(blob) != 256:
        raise ToolchainError(f"groth16py returned a {len(blob)}-byte proof, expected 256")
    w = [str(int.from_bytes(blob[i : i + 32], "big")) for i in range(0, 256, 32)]
    return {
        "pi_a": [w[0], w[1], "1"],
        "pi_b": [[w[3], w[2]], [w[5], w[4]], ["1", "0"]],
        "pi_c": [w[6], w[7], "1"],
        "protocol": "groth16",
        "curve": "bn128",
    }


def choose_backend(setup: SetupRecord, backend: str) -> str:
    """'auto' -> snarkjs when a zkey exists, else groth16py; refuses snarkjs without a zkey."""
    if backend not in BACKENDS:
        raise ToolchainError(f"unknown prover backend {backend!r} (one of {', '.join(BACKENDS)})")
    has_zkey = setup.proving_key.endswith(".zkey")
    if backend == "auto":
        return "snarkjs" if has_zkey else "groth16py"
    if backend == "snarkjs" and not has_zkey:
        raise ToolchainError("the snarkjs prover needs a zkey: run `zkmargin setup --ptau FILE` (or --dev-ptau)")
    return backend


def prove(params: CircuitParams, setup: SetupRecord, witness, backend: str = "auto") -> ProofResult:
    """Generate the witness and a Groth16 proof for ``witness`` (prover/proving/witness.py).

    The private inputs only ever touch disk inside a private_tempdir (prover/files.py: mode 0700,
    files 0600, removed on every exit, SIGTERM included): ``input.json`` is deleted as soon as the
    witness is calculated and ``witness.wtns`` as soon as the proof is made. Directories left by
    earlier proves that were SIGKILLed are swept first.

    Raises ToolchainError if witness generation fails (an unsatisfied constraint) or the prover's
    public signals differ from the ones the witness builder computed.
    """
    backend = choose_backend(setup, backend)
    timings = {}
    pk = None
    if backend == "groth16py":  # the key first: the private files then live only as long as proving needs
        import groth16py

        t = time.perf_counter()
        if setup.proving_key.endswith(".zkey"):
            pk, _ = groth16py.import_zkey(str(setup.proving_key_path))
        else:
            pk = groth16py.ProvingKey.load(str(setup.proving_key_path))
        timings["key_load_s"] = time.perf_counter() - t
    sweep_stale_tempdirs(TEMP_PREFIX)
    with private_tempdir(TEMP_PREFIX) as tmp:
        inputs, wtns = tmp / "input.json", tmp / "witness.wtns"
        witness.write(create_private(inputs))
        t = time.perf_counter()
        snarkjs.calculate_witness(params, inputs, wtns)
        timings["witness_s"] = time.perf_counter() - t
        inputs.unlink()
        t = time.perf_counter()
        if backend == "snarkjs":
            snarkjs.groth16_prove(setup.proving_key_path, wtns, tmp / "proof.json", tmp / "public.json")
            timings["prove_s"] = time.perf_counter() - t
            wtns.unlink()
            proof = json.loads((tmp / "proof.json").read_text())
            public = json.loads((tmp / "public.json").read_text())
        else:
            blob = groth16py.prove_wtns(pk, str(wtns))
            timings["prove_s"] = time.perf_counter() - t  # proof only; key_load_s is apart
            wtns.unlink()
            proof = proof_from_eth_bytes(blob)
            public = [str(v) for v in witness.public.values()]
    expected = [str(v) for v in witness.public.values()]
    if public != expected:
        raise ToolchainError("the prover's public signals differ from the witness builder's (circuit and prover/proving/witness.py disagree)")
    return ProofResult(proof, public, backend, timings)


def rerandomize_proof(proof: dict, verification_key: dict, r: int, s: int) -> dict:
    """Another valid Groth16 proof of the same statement (snarkjs JSON in and out), unlinkable to
    ``proof``: A' = rA, B' = B / r + s delta, C' = C + rs A, for 0 < r < R, 0 <= s < R (the pairing
    equation is unchanged: e(A', B') = e(A, B) e(rs A, delta)). Used to make distinct proofs for
    the batch-verification benchmark and tests. Raises ValueError for points that do not parse."""
    from py_ecc import optimized_bn128 as bn

    from verifier.bn254 import R
    from verifier.groth16 import _parse_g1, _parse_g2

    parsed = [_parse_g1(proof["pi_a"], "pi_a"), _parse_g2(proof["pi_b"], "pi_b"), _parse_g1(proof["pi_c"], "pi_c"), _parse_g2(verification_key["vk_delta_2"], "vk_delta_2")]
    bad = [p for p in parsed if isinstance(p, str)]
    if bad or not 0 < r < R:
        raise ValueError(bad[0] if bad else "r must be in 1..R-1")
    a, b_, c, delta = parsed
    return {**proof, "pi_a": g1_json(bn.multiply(a, r)), "pi_b": g2_json(bn.add(bn.multiply(b_, pow(r, -1, R)), bn.multiply(delta, s % R))),
            "pi_c": g1_json(bn.add(c, bn.multiply(a, r * s % R)))}  # fmt: skip


def g1_json(p) -> list[str]:
    """A py_ecc G1 point -> snarkjs JSON [x, y, "1"] (affine, decimal strings)."""
    from py_ecc import optimized_bn128 as bn

    x, y = bn.normalize(p)
    return [str(x.n), str(y.n), "1"]


def g2_json(p) -> list:
    """A py_ecc G2 point -> snarkjs JSON [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]."""
    from py_ecc import optimized_bn128 as bn

    x, y = bn.normalize(p)
    return [[str(x.coeffs[0]), str(x.coeffs[1])], [str(y.coeffs[0]), str(y.coeffs[1])], ["1", "0"]]
