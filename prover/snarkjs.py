"""The only module that runs Node: circom2 (compiler, as WASM) and snarkjs, pinned by package.json.

Each function runs one pinned tool from ``node_modules/.bin`` and raises ToolchainError naming the
command and the tail of its output when it fails or is missing (run ``npm ci`` first).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from prover.circuit import REPO, CircuitParams, file_sha256, source_sha256
from prover.errors import ToolchainError

NODE_BIN = REPO / "node_modules" / ".bin"
COMPILE_FLAGS = ["--O2", "--r1cs", "--wasm", "--sym", "-l", "node_modules"]


def _tool(name: str) -> str:
    path = NODE_BIN / name
    if not path.exists():
        raise ToolchainError(f"{name} not installed: run `npm ci` in {REPO}")
    if shutil.which("node") is None:
        raise ToolchainError("node not found on PATH: install Node 20")
    return str(path)


def run(tool: str, args: list[str], what: str, timeout: int = 3600) -> str:
    """Run a pinned Node tool with ``args`` from the repo root; return its stdout.

    Raises ToolchainError (``what`` failed, exit code, last lines of output).
    """
    cmd = [_tool(tool), *map(str, args)]
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{what}: {tool} timed out after {timeout} s") from None
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "[ERROR]" in out:
        tail = "\n".join(_strip_ansi(out).strip().splitlines()[-6:])
        raise ToolchainError(f"{what} failed ({tool} exit {proc.returncode}):\n{tail}")
    return _strip_ansi(proc.stdout)


def _strip_ansi(s: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", s)


def circom_version() -> str:
    """Version line of the pinned compiler (recorded with every build)."""
    return run("circom2", ["--version"], "circom2 --version").strip()


def compile_circuit(params: CircuitParams, force: bool = False) -> dict:
    """Compile ``circuits/main/<name>.circom`` to R1CS + wasm + sym under build/circuits/<name>/.

    Skips the compiler when the recorded source hash and flags match (``build.json``). Returns the
    build record: compiler version, flags, source sha256, r1cs sha256, constraint count.
    """
    stamp = params.build_dir / "build.json"
    src = source_sha256()
    if not force and stamp.exists() and params.r1cs_path.exists():
        rec = json.loads(stamp.read_text())
        if rec.get("source_sha256") == src and rec.get("flags") == COMPILE_FLAGS:
            return rec
    params.build_dir.mkdir(parents=True, exist_ok=True)
    main = params.main_path.relative_to(REPO)
    out = run("circom2", [main, *COMPILE_FLAGS, "-o", params.build_dir.relative_to(REPO)], f"compiling {main}")
    m = re.search(r"non-linear constraints: (\d+)", out)
    rec = {
        "circuit": params.name,
        "compiler": circom_version(),
        "flags": COMPILE_FLAGS,
        "source_sha256": src,
        "r1cs_sha256": file_sha256(params.r1cs_path),
        "constraints": int(m.group(1)) if m else None,
    }
    stamp.write_text(json.dumps(rec, indent=2))
    return rec


def calculate_witness(params: CircuitParams, input_json: Path, wtns: Path) -> None:
    """Run the circuit's wasm witness generator; ToolchainError if an ``===``/assert fails."""
    run("snarkjs", ["wtns", "calculate", params.wasm_path, input_json, wtns], "witness generation")


def groth16_prove(zkey: Path, wtns: Path, proof: Path, public: Path) -> None:
    """snarkjs groth16 prove (the production prover)."""
    run("snarkjs", ["groth16", "prove", zkey, wtns, proof, public], "snarkjs groth16 prove")


def groth16_verify(vk: Path, public: Path, proof: Path) -> bool:
    """snarkjs groth16 verify: True on 'OK!', False on an invalid proof (not an error)."""
    try:
        out = run("snarkjs", ["groth16", "verify", vk, public, proof], "snarkjs groth16 verify")
    except ToolchainError:
        return False
    return "OK!" in out


def ptau_new(power: int, out: Path) -> None:
    run("snarkjs", ["powersoftau", "new", "bn128", power, out], f"powersoftau new 2^{power}")


def ptau_beacon(src: Path, dst: Path, beacon_hex: str, iterations: int) -> None:
    run("snarkjs", ["powersoftau", "beacon", src, dst, beacon_hex, iterations, "-n=public beacon"], "powersoftau beacon")


def ptau_prepare(src: Path, dst: Path) -> None:
    run("snarkjs", ["powersoftau", "prepare", "phase2", src, dst], "powersoftau prepare phase2")


def groth16_setup(r1cs: Path, ptau: Path, zkey: Path) -> None:
    run("snarkjs", ["groth16", "setup", r1cs, ptau, zkey], "snarkjs groth16 setup")


def zkey_contribute(src: Path, dst: Path, name: str, entropy: str) -> None:
    run("snarkjs", ["zkey", "contribute", src, dst, f"--name={name}", f"-e={entropy}"], "zkey contribute")


def export_verification_key(zkey: Path, vk: Path) -> None:
    run("snarkjs", ["zkey", "export", "verificationkey", zkey, vk], "zkey export verificationkey")
