"""Test proofs for the Groth16 verifier: the toy circuit proven by snarkjs and by groth16py.

``toy_build`` (session scope) compiles ``tests/verifier/toy/preimage.circom`` with circom2, runs a
snarkjs DEV single-party setup (NOT FOR PRODUCTION: a 2^8 ptau and one zkey contribution, both from
fixed entropy), proves one input with snarkjs, and also runs groth16py's single-party setup and
prover on the same witness. Everything lands in ``build/test-groth16/<key>/`` (gitignored), where
the key is a sha256 over the circuit source, this file, and the circom2 / snarkjs / circomlib /
groth16py versions: an unchanged build reads the cache without starting Node (about 8 s otherwise).
The build runs in a temporary folder renamed into place, so an interrupted run leaves no half cache.

Node missing or a tool failing makes the fixture FAIL with the command and its output, never skip:
CI has Node. ``snarkjs_verify`` runs ``snarkjs groth16 verify`` for the cross-check tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from prover.proving.prove import proof_from_eth_bytes  # the prover's converter, tested here too

REPO = Path(__file__).resolve().parents[2]
TOY = Path("tests/verifier/toy/preimage.circom")  # relative: circom2 (WASI) sees only the repo tree
CACHE = REPO / "build" / "test-groth16"
BIN = REPO / "node_modules" / ".bin"
PTAU_POWER = 8  # 2^8 = 256 >= 242 constraints + 3 public inputs + 1
ENTROPY = ("zkmargin groth16 test ptau entropy v1", "zkmargin groth16 test zkey entropy v1")
INPUT = {"preimage": ["1", "2"], "challenge": "12345", "epoch": "1700000000"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class ToyBuild:
    """Paths and parsed JSON of one cached build; every proof here is valid for ``public``."""

    dir: Path
    vk: dict  #: snarkjs verification_key.json (dev setup)
    proof: dict  #: snarkjs groth16 prove
    public: list  #: snarkjs public.json: [digest, challenge, epoch]
    g16_vk: dict  #: groth16py single-party setup, exported with VerifyingKey.to_json()
    g16_proof: dict  #: groth16py.prove_wtns on the same witness, in snarkjs JSON form


def _version(package: str) -> str:
    path = REPO / "node_modules" / package / "package.json"
    if not path.exists():
        pytest.fail(f"{path} missing: run `npm ci` in {REPO} (CI: .ci/setup)")
    return json.loads(path.read_text())["version"]


def _node_tool(name: str) -> str:
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: the Groth16 test proofs and the snarkjs cross-check need Node 20 (run .ci/setup)")
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{path} missing: run `npm ci` in {REPO}")
    return str(path)


def run_tool(name: str, *args, check: bool = True) -> subprocess.CompletedProcess:
    """Run a pinned Node tool from the repo root (paths relative to it); fail the test on error."""
    proc = subprocess.run([_node_tool(name), *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        out = _ANSI.sub("", proc.stdout + proc.stderr).strip().splitlines()
        pytest.fail(f"{name} {' '.join(map(str, args))} exited {proc.returncode}:\n" + "\n".join(out[-10:]))
    return proc


def snarkjs_verify(vk: dict, public: list, proof: dict, workdir: Path) -> bool:
    """snarkjs 0.7.6's verdict: exit code 0 and "OK!" in its output (it exits 1 on "Invalid proof")."""
    workdir.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    paths = [workdir / f"{stem}-{tag}.json" for stem in ("vk", "public", "proof")]
    for path, obj in zip(paths, (vk, public, proof)):
        path.write_text(json.dumps(obj))
    try:
        proc = run_tool("snarkjs", "groth16", "verify", *(p.relative_to(REPO) for p in paths), check=False)
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
    return proc.returncode == 0 and "OK!" in proc.stdout


def _cache_key() -> str:
    import groth16py

    h = hashlib.sha256()
    for path in (REPO / TOY, Path(__file__)):
        h.update(path.read_bytes())
    for pkg in ("circom2", "snarkjs", "circomlib"):
        h.update(_version(pkg).encode())
    h.update(str(getattr(groth16py, "__version__", "unknown")).encode())
    return h.hexdigest()[:16]


def _build(out: Path) -> None:
    rel = out.relative_to(REPO)
    run_tool("circom2", TOY, "--O2", "--r1cs", "--wasm", "--sym", "-l", "node_modules", "-o", rel)
    (out / "input.json").write_text(json.dumps(INPUT))
    steps = [
        ("powersoftau", "new", "bn128", PTAU_POWER, rel / "pot_0.ptau"),
        ("powersoftau", "contribute", rel / "pot_0.ptau", rel / "pot_1.ptau", "--name=dev", f"-e={ENTROPY[0]}"),
        ("powersoftau", "prepare", "phase2", rel / "pot_1.ptau", rel / "pot_final.ptau"),
        ("groth16", "setup", rel / "preimage.r1cs", rel / "pot_final.ptau", rel / "c0.zkey"),
        ("zkey", "contribute", rel / "c0.zkey", rel / "c1.zkey", "--name=dev", f"-e={ENTROPY[1]}"),
        ("zkey", "export", "verificationkey", rel / "c1.zkey", rel / "vk.json"),
        ("wtns", "calculate", rel / "preimage_js" / "preimage.wasm", rel / "input.json", rel / "witness.wtns"),
        ("groth16", "prove", rel / "c1.zkey", rel / "witness.wtns", rel / "proof.json", rel / "public.json"),
    ]
    for step in steps:
        run_tool("snarkjs", *step)
    import groth16py

    pk, vk = groth16py.setup(str(out / "preimage.r1cs"))  # DEV single-party setup, random toxic waste
    (out / "g16_vk.json").write_text(vk.to_json())
    blob = groth16py.prove_wtns(pk, str(out / "witness.wtns"))
    (out / "g16_proof.json").write_text(json.dumps(proof_from_eth_bytes(bytes(blob))))
    for name in ("pot_0.ptau", "pot_1.ptau", "c0.zkey"):
        (out / name).unlink()


@pytest.fixture(scope="session")
def toy_build() -> ToyBuild:
    final = CACHE / _cache_key()
    if not (final / "g16_proof.json").exists():
        tmp = CACHE / f"tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            _build(tmp)
            try:
                os.replace(tmp, final)
            except OSError:  # another process built it first
                pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    load = lambda name: json.loads((final / name).read_text())  # noqa: E731
    return ToyBuild(final, load("vk.json"), load("proof.json"), load("public.json"), load("g16_vk.json"), load("g16_proof.json"))


@pytest.fixture(scope="module")
def base(demo_proof, market, demo_policy, demo_keys):
    """(demo bundle, the demo policy, its trusted circuit, verify_bundle kwargs, the prove outcome):
    the accepted baseline the verifier tests tamper with (test_verify_bundle.py decide)."""
    from verifier.trusted import load_trusted_circuit

    outcome, path, at = demo_proof
    snapshot, spec = market
    kwargs = dict(spec=spec, snapshot=snapshot, at=at)
    return json.loads(path.read_text()), demo_policy, load_trusted_circuit(demo_keys[0].keys_dir), kwargs, outcome
