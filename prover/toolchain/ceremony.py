"""A multi-party Groth16 phase-2 ceremony with snarkjs, and its transcript.

A ceremony lives in one directory, passed from participant to participant::

    ceremony.json            transcript: circuit, R1CS and ptau hashes, one entry per step
    circuit.r1cs, pot.ptau   what phase 2 is bound to (the ptau may be external: --ptau)
    zkey_0000.zkey           snarkjs ``zkey new`` (groth16 setup) output
    zkey_0001.zkey ...       one per contribution (``zkey contribute``), then the beacon
    verification_key.json    after ``finalize``

Each step records the sha256 of the zkey it started from and of the one it wrote, and the
contribution hash snarkjs prints, so a transcript entry names exactly one link of the chain.
``verify`` re-checks the chain of hashes and runs ``snarkjs zkey verify`` (every contribution
against the R1CS and the ptau). Security: phase 2 is sound if one contributor destroyed their
entropy; phase 1 is as good as the ptau (a locally generated one is DEV ONLY).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path

from prover.toolchain import snarkjs
from public.circuit import file_sha256
from public.errors import ToolchainError

TRANSCRIPT = "ceremony.json"
FORMAT = "zkmargin-ceremony/1"


def _zkey(n: int) -> str:
    return f"zkey_{n:04d}.zkey"


def _read(d: Path) -> dict:
    path = d / TRANSCRIPT
    if not path.exists():
        raise ToolchainError(f"{d} is not a ceremony directory (no {TRANSCRIPT}): run `zkmargin ceremony init`")
    return json.loads(path.read_text())


def _write(d: Path, t: dict) -> None:
    tmp = d / (TRANSCRIPT + ".tmp")
    tmp.write_text(json.dumps(t, indent=1))
    tmp.replace(d / TRANSCRIPT)


def _contribution_hash(out: str) -> str:
    """The contribution hash snarkjs prints (4 lines of hex words), joined."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if "Contribution Hash" in line:
            words = re.findall(r"[0-9a-f]{8}", " ".join(lines[i + 1 : i + 5]))
            return "".join(words)
    return ""


def init(d: Path, r1cs: Path, ptau: Path, circuit: str, ptau_source: str) -> dict:
    """Start a ceremony in ``d`` from an R1CS and a phase-1 ptau; refuses a non-empty directory."""
    d.mkdir(parents=True, exist_ok=True)
    if any(d.iterdir()):
        raise ToolchainError(f"{d} is not empty: a ceremony starts in an empty directory")
    shutil.copyfile(r1cs, d / "circuit.r1cs")
    shutil.copyfile(ptau, d / "pot.ptau")
    snarkjs.run("snarkjs", ["zkey", "new", d / "circuit.r1cs", d / "pot.ptau", d / _zkey(0)], "snarkjs zkey new")
    t = {
        "format": FORMAT,
        "circuit": circuit,
        "r1cs_sha256": file_sha256(d / "circuit.r1cs"),
        "ptau_sha256": file_sha256(d / "pot.ptau"),
        "ptau_source": ptau_source,
        "steps": [{"step": "init", "zkey": _zkey(0), "zkey_sha256": file_sha256(d / _zkey(0)), "time": _now()}],
    }
    _write(d, t)
    return t


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _extend(d: Path, t: dict, step: str, args_for, who: str, extra: dict) -> dict:
    if t["steps"][-1]["step"] in ("beacon", "finalize"):
        raise ToolchainError("the ceremony is closed by its beacon: no further contribution")
    last = t["steps"][-1]
    if file_sha256(d / last["zkey"]) != last["zkey_sha256"]:
        raise ToolchainError(f"{last['zkey']} does not match the transcript: it was altered after {last['step']}")
    out_name = _zkey(len(t["steps"]))
    out = snarkjs.run("snarkjs", args_for(d / last["zkey"], d / out_name), f"snarkjs zkey {step}")
    t["steps"].append(
        {"step": step, "participant": who, "from_sha256": last["zkey_sha256"], "zkey": out_name,
         "zkey_sha256": file_sha256(d / out_name), "contribution_hash": _contribution_hash(out), "time": _now(), **extra}
    )
    _write(d, t)
    return t


def contribute(d: Path, name: str, entropy: str | None = None) -> dict:
    """One participant's contribution (fresh random entropy unless given); appends to the transcript."""
    t = _read(d)
    entropy = entropy or secrets.token_hex(32)
    return _extend(d, t, "contribute", lambda a, b: ["zkey", "contribute", a, b, f"--name={name}", f"-e={entropy}"], name, {})


def beacon(d: Path, beacon_hex: str, iterations: int = 10) -> dict:
    """Close the ceremony with a public random beacon (e.g. a future block hash), 2^iterations hashes."""
    if not re.fullmatch(r"[0-9a-fA-F]{2,128}", beacon_hex):
        raise ToolchainError("the beacon must be a hex string")
    if not 10 <= iterations <= 63:
        raise ToolchainError("beacon iterations (2^N hashes) must be between 10 and 63, as snarkjs requires")
    t = _read(d)
    return _extend(
        d, t, "beacon", lambda a, b: ["zkey", "beacon", a, b, beacon_hex, str(iterations), "-n=final beacon"],
        "beacon", {"beacon": beacon_hex, "iterations": iterations},
    )


def verify(d: Path) -> list[tuple[str, bool, str]]:
    """(check, passed, reason): transcript hash chain, every zkey's hash, snarkjs zkey verify."""
    t = _read(d)
    out = []
    ok = file_sha256(d / "circuit.r1cs") == t["r1cs_sha256"] and file_sha256(d / "pot.ptau") == t["ptau_sha256"]
    out.append(("inputs", ok, "R1CS and ptau match the transcript" if ok else "R1CS or ptau differ from the transcript"))
    broken = chain_errors(t)
    for step in t["steps"]:
        if not (d / step["zkey"]).exists() or file_sha256(d / step["zkey"]) != step["zkey_sha256"]:
            broken.append(f"{step['zkey']} is missing or altered")
    out.append(("transcript", not broken, "; ".join(broken) or f"{len(t['steps'])} steps, each starting from the previous zkey"))
    out.append(("zkey_verify", *zkey_verify(d / "circuit.r1cs", d / "pot.ptau", d / t["steps"][-1]["zkey"])))
    closed = t["steps"][-1]["step"] == "beacon"
    n = contributions(t)
    out.append(("closed", closed, f"{n} contribution(s), " + ("closed by a beacon" if closed else "no beacon yet")))
    return out


def chain_errors(t: dict) -> list[str]:
    """What breaks the hash chain of transcript ``t``: a step not starting from the previous zkey."""
    return [f"{step['zkey']} does not start from {prev['zkey']}" for prev, step in zip(t["steps"], t["steps"][1:]) if step.get("from_sha256") != prev["zkey_sha256"]]


def zkey_verify(r1cs: Path, ptau: Path, zkey: Path) -> tuple[bool, str]:
    """``snarkjs zkey verify``: (passed, reason); every contribution of ``zkey`` against R1CS and ptau."""
    try:
        res = snarkjs.run("snarkjs", ["zkey", "verify", r1cs, ptau, zkey], "snarkjs zkey verify")
    except ToolchainError as exc:
        return False, str(exc).splitlines()[0]
    ok = "ZKey Ok!" in res
    return ok, "snarkjs zkey verify: the zkey is this R1CS and ptau's, every contribution checks" if ok else "snarkjs zkey verify did not confirm"


def contributions(t: dict) -> int:
    """Number of participant contributions in transcript ``t`` (0: the key follows from public data)."""
    return sum(1 for s in t["steps"] if s["step"] == "contribute")


def finalize(d: Path, beacon_only: bool = False) -> Path:
    """Verify, then export the verification key of the final zkey and record its sha256 in the
    transcript; ToolchainError if a check fails or, unless ``beacon_only``, nobody contributed.

    ``beacon_only`` accepts a chain of ``zkey new`` + public beacon: reproducible bit for bit by
    anyone (``replay``), and for the same reason its toxic waste is public: DEV ONLY.
    """
    failed = [f"{name}: {why}" for name, ok, why in verify(d) if not ok]
    if failed:
        raise ToolchainError("ceremony does not verify: " + "; ".join(failed))
    t = _read(d)
    if contributions(t) == 0 and not beacon_only:
        raise ToolchainError("no participant contributed: the key follows from public data alone (pass beacon_only for a reproducible DEV key)")
    vk = d / "verification_key.json"
    snarkjs.export_verification_key(d / t["steps"][-1]["zkey"], vk)
    t["verification_key_sha256"] = file_sha256(vk)
    _write(d, t)
    return vk


def replay(t: dict, r1cs: Path, ptau: Path, work: Path, shipped: Path | None = None, progress=lambda m: None) -> Path:
    """Rebuild the zkey chain of transcript ``t`` in ``work`` and return the final zkey.

    ``zkey new`` from ``r1cs`` and ``ptau`` and every beacon step are deterministic, so they are
    re-run and each output hash is compared with the transcript; a contribution used fresh
    randomness and cannot be re-run, so the chain continues from that step's zkey found in
    ``shipped`` (hash-checked). Raises ToolchainError naming the first step that does not match.
    """
    for what, path, key in (("R1CS", r1cs, "r1cs_sha256"), ("ptau", ptau, "ptau_sha256")):
        if file_sha256(path) != t[key]:
            raise ToolchainError(f"replay: the {what} {Path(path).name} is not the one in the transcript")
    work.mkdir(parents=True, exist_ok=True)
    prev = None
    for i, step in enumerate(t["steps"]):
        out = work / step["zkey"]
        if step["step"] == "init":
            progress(f"replay: snarkjs zkey new ({step['zkey']})")
            snarkjs.run("snarkjs", ["zkey", "new", r1cs, ptau, out], "snarkjs zkey new")
        elif step["step"] == "beacon":
            progress(f"replay: beacon {step['beacon'][:16]}... 2^{step['iterations']} ({step['zkey']})")
            snarkjs.run("snarkjs", ["zkey", "beacon", prev, out, step["beacon"], str(step["iterations"]), "-n=final beacon"], "snarkjs zkey beacon")
        else:
            src = shipped / step["zkey"] if shipped else None
            if src is None or not src.exists():
                raise ToolchainError(f"replay: step {i} ({step['step']} by {step.get('participant')}) used fresh randomness and its {step['zkey']} is not shipped")
            shutil.copyfile(src, out)
        if file_sha256(out) != step["zkey_sha256"]:
            raise ToolchainError(f"replay: step {i} ({step['step']}) gives {step['zkey']} with another sha256 than the transcript records")
        prev = out
    return prev
