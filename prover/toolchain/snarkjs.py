"""The only module that runs Node: circom2 (compiler, as WASM), snarkjs and solc (solc-js, for the
on-chain verifier), pinned by package.json.

Each function runs one pinned tool from ``node_modules/.bin`` and raises ToolchainError naming the
command and the tail of its output when it fails or is missing (run ``npm ci`` first).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

from prover.files import atomic_write_json, cleanup_on_signals, remove_path
from public.circuit import REPO, CircuitParams, file_sha256, source_sha256
from public.errors import ToolchainError

NODE_BIN = REPO / "node_modules" / ".bin"
COMPILE_FLAGS = ["--O2", "--r1cs", "--wasm", "--sym", "-l", "node_modules"]


def _tool(name: str, path: Path | None = None) -> str:
    """The pinned tool ``name`` (``node_modules/.bin/<name>``, or ``path``); ToolchainError if it or node is missing."""
    path = path or NODE_BIN / name
    if not path.exists():
        raise ToolchainError(f"{name} not installed: run `npm ci` in {REPO}")
    if shutil.which("node") is None:
        raise ToolchainError("node not found on PATH: install Node 20")
    return str(path)


def run(tool: str, args: list[str], what: str, timeout: int = 3600, private: bool = False) -> str:
    """Run a pinned Node tool with ``args`` from the repo root; return its stdout.

    ``private``: the tool runs under umask 0077, so every file it writes is mode 0600 (witness,
    proof). ``timeout`` in seconds. Raises ToolchainError (``what`` failed, exit code, last lines
    of output).
    """
    cmd = [_tool(tool), *map(str, args)]
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, umask=0o077 if private else -1)
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


def _current_build(params: CircuitParams, src: str) -> dict | None:
    """The build record of ``params`` if its build is complete and of source ``src`` with
    COMPILE_FLAGS; else None."""
    stamp = params.build_dir / "build.json"
    try:
        rec = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return None
    if not params.r1cs_path.exists() or not params.wasm_path.exists():
        return None
    main_ok = rec.get("main_sha256") == file_sha256(params.main_path)  # variants live outside circuits/
    if rec.get("source_sha256") == src and rec.get("flags") == COMPILE_FLAGS and main_ok:
        return rec
    return None


@contextmanager
def build_lock(params: CircuitParams):
    """Hold an exclusive ``fcntl.flock`` on ``build/circuits/<name>.lock`` (blocking until every
    other holder, in any process, lets go). The lock file is never removed: removing it would let
    two processes lock two different files."""
    params.build_dir.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(params.build_dir.parent / f"{params.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def compile_circuit(params: CircuitParams, force: bool = False) -> dict:
    """Compile ``circuits/main/<name>.circom`` to R1CS + wasm + sym under build/circuits/<name>/.

    Skips the compiler when the recorded source hash and flags match (``build.json``); ``force``
    recompiles anyway. Returns the build record: compiler version, flags, source sha256, r1cs
    sha256, constraint count. Safe to run from several processes at once: the check and the
    compile happen under build_lock (a second process waits, then finds the build current); the
    compiler writes into a fresh ``.<name>.tmp-*`` directory beside the final one, ``build.json``
    is written into it last (atomically), and only then is it renamed into place, so
    build/circuits/<name>/ is always absent or complete. Raises ToolchainError if the compiler
    fails (nothing of the failed build is left).
    """
    src = source_sha256()
    if not force and (rec := _current_build(params, src)) is not None:
        return rec
    with build_lock(params):
        if not force and (rec := _current_build(params, src)) is not None:
            return rec  # another process compiled it while this one waited
        parent, final = params.build_dir.parent, params.build_dir
        for stale in [*parent.glob(f".{params.name}.tmp-*"), *parent.glob(f".{params.name}.old-*")]:
            remove_path(stale)  # left by a killed compile: only the lock holder makes them
        tag = f"{os.getpid()}-{secrets.token_hex(4)}"
        tmp, old = parent / f".{params.name}.tmp-{tag}", parent / f".{params.name}.old-{tag}"
        with cleanup_on_signals():
            try:
                tmp.mkdir()
                main = params.main_path.relative_to(REPO)
                out = run("circom2", [main, *COMPILE_FLAGS, "-o", tmp.relative_to(REPO)], f"compiling {main}")
                m = re.search(r"non-linear constraints: (\d+)", out)
                rec = {
                    "circuit": params.name,
                    "compiler": circom_version(),
                    "flags": COMPILE_FLAGS,
                    "source_sha256": src,
                    "main_sha256": file_sha256(params.main_path),
                    "r1cs_sha256": file_sha256(tmp / params.r1cs_path.name),
                    "constraints": int(m.group(1)) if m else None,
                }
                atomic_write_json(tmp / "build.json", rec, "build record", indent=2)
                if final.exists():
                    final.rename(old)
                tmp.rename(final)
            except BaseException:
                remove_path(tmp)
                if old.exists() and not final.exists():
                    old.rename(final)  # put the previous build back
                raise
            finally:
                remove_path(old)
    return rec


def calculate_witness(params: CircuitParams, input_json: Path, wtns: Path) -> None:
    """Run the circuit's wasm witness generator; ToolchainError if an ``===``/assert fails."""
    run("snarkjs", ["wtns", "calculate", params.wasm_path, input_json, wtns], "witness generation", private=True)


def groth16_prove(zkey: Path, wtns: Path, proof: Path, public: Path) -> None:
    """snarkjs groth16 prove (the production prover); its outputs are written mode 0600."""
    run("snarkjs", ["groth16", "prove", zkey, wtns, proof, public], "snarkjs groth16 prove", private=True)


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


_SOLC_JS = """
const solc = require('solc');
let raw = '';
process.stdin.on('data', d => raw += d);
process.stdin.on('end', () => { process.stdout.write(solc.compile(raw)); });
"""


def solc_compile(sources: dict[str, str], optimize_runs: int = 200, timeout: int = 600) -> dict:
    """Compile Solidity ``sources`` ({file name: text}) with the pinned solc-js (standard JSON).

    Returns {contract name: {"abi": list, "bytecode": hex str}}. Raises ToolchainError naming the
    first compiler error (or a missing solc: run ``npm ci``).
    """
    _tool("solc", REPO / "node_modules" / "solc")
    request = {"language": "Solidity", "sources": {k: {"content": v} for k, v in sources.items()},
               "settings": {"optimizer": {"enabled": True, "runs": optimize_runs}, "viaIR": True,
                            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}}}  # fmt: skip
    try:
        proc = subprocess.run(["node", "-e", _SOLC_JS], cwd=REPO, input=json.dumps(request), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"solc timed out after {timeout} s") from None
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise ToolchainError(f"solc failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}") from None
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise ToolchainError(f"solc: {errors[0].get('formattedMessage', errors[0].get('message'))}")
    return {name: {"abi": c["abi"], "bytecode": c["evm"]["bytecode"]["object"]} for f in out["contracts"].values() for name, c in f.items()}
