"""Groth16 trusted setup for a compiled circuit: dev single-party setups, labelled as such.

Two paths, each writing ``build/keys/<circuit>/`` with ``verification_key.json`` (snarkjs format)
and ``setup.json`` (what was run, hashes, the label):

- ``dev_setup``: groth16py's single-party setup straight from the R1CS (seconds). The toxic waste
  existed in this process: anyone who ran it can forge proofs. DEV ONLY.
- ``snarkjs_setup``: snarkjs ``groth16 setup`` from a ptau file, then one phase-2 contribution.
  With a locally generated ptau (``dev_ptau``, cached under build/ptau/) it is still a dev setup;
  with an external ptau (a public Powers of Tau file, ``--ptau``) phase 1 is as good as that
  ceremony, and phase 2 needs the multi-party ceremony of a later issue before production use.

Phase-1 cost (SPEC section 7): about 75 s for 2^12 and 5.5 min for 2^14 on 2 cores, x4.4 per two
powers; the 3-venue demo circuit (70k constraints) needs 2^17, which is why the demo uses dev_setup.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from prover.toolchain import snarkjs
from public.circuit import BUILD_DIR, CircuitParams, canonical_sha256, file_sha256, shape_json
from public.errors import ToolchainError

DEV_LABEL = "DEV SINGLE-PARTY SETUP - NOT FOR PRODUCTION (one machine knew the toxic waste)"


@dataclass(frozen=True)
class SetupRecord:
    """What produced a circuit's keys; stored as build/keys/<circuit>/setup.json."""

    kind: str  #: "dev-groth16py" or "snarkjs"
    label: str  #: DEV_LABEL for every single-party setup
    dev: bool
    circuit: str
    r1cs_sha256: str
    verification_key_sha256: str
    proving_key: str  #: file name in the keys dir: proving_key.g16 (groth16py) or circuit_final.zkey
    ptau: dict | None = None  #: {"file", "sha256", "power", "source"} for snarkjs setups

    @property
    def keys_dir(self) -> Path:
        return BUILD_DIR / "keys" / self.circuit

    @property
    def verification_key_path(self) -> Path:
        return self.keys_dir / "verification_key.json"

    @property
    def proving_key_path(self) -> Path:
        return self.keys_dir / self.proving_key


def _write(params: CircuitParams, rec: SetupRecord) -> SetupRecord:
    """setup.json: the record, plus the circuit's shape and build identity (compiler, flags, source
    and R1CS hashes from build.json) that a venue's verifier/trusted.py reads from the key directory."""
    build = json.loads((params.build_dir / "build.json").read_text())
    shape = shape_json(params)
    identity = {f: build.get(f) for f in ("compiler", "flags", "source_sha256")}
    if rec.kind != "ceremony":  # a transcript left by an earlier ceremony is not this key's provenance
        (params.keys_dir / "ceremony.json").unlink(missing_ok=True)
    (params.keys_dir / "setup.json").write_text(json.dumps({**asdict(rec), "params": shape, **identity}, indent=2))
    return rec


def load_setup(params: CircuitParams) -> SetupRecord:
    """The setup record of ``params``; ToolchainError if none was run or the circuit changed since."""
    path = params.keys_dir / "setup.json"
    if not path.exists():
        raise ToolchainError(f"no keys for circuit {params.name}: run `zkmargin setup --circuit {params.name}`")
    raw = json.loads(path.read_text())
    rec = SetupRecord(**{k: raw[k] for k in SetupRecord.__dataclass_fields__ if k in raw})
    if not params.r1cs_path.exists() or file_sha256(params.r1cs_path) != rec.r1cs_sha256:
        raise ToolchainError(f"keys in {params.keys_dir} were made for another build of {params.name}: run `zkmargin setup --force` again")
    return rec


def check_replace_keys(params: CircuitParams, force: bool = False, new_vk: Path | None = None) -> None:
    """Refuse to overwrite the keys of ``params`` unless ``force``: called before any work.

    Keys exist when ``build/keys/<circuit>/verification_key.json`` does. Replacing them makes
    every bundle proved earlier under them stop verifying, so it needs ``force`` (``zkmargin
    setup --force``), stale keys included (made for another build of the circuit). ``new_vk``: the
    verification key about to be installed, if known; installing the same key again is allowed.
    Raises ToolchainError naming the keys directory and the existing key's sha256.
    """
    vk = params.keys_dir / "verification_key.json"
    if force or not vk.exists():
        return
    try:
        old = canonical_sha256(json.loads(vk.read_text()))
    except (OSError, ValueError):
        old = None
    if new_vk is not None and old is not None:
        try:
            if canonical_sha256(json.loads(Path(new_vk).read_text())) == old:
                return
        except (OSError, ValueError):
            pass
    which = f" (verification key sha256 {old[:16]}...)" if old else ""
    raise ToolchainError(
        f"keys for circuit {params.name} already exist in {params.keys_dir}{which}: replacing them makes every "
        f"bundle proved earlier under them stop verifying; pass --force (force=True) to replace them"
    )


def dev_setup(params: CircuitParams, force: bool = False) -> SetupRecord:
    """groth16py single-party setup from the R1CS (DEV ONLY); returns the record.

    Refuses to replace existing keys unless ``force`` (check_replace_keys: ToolchainError)."""
    import groth16py

    check_replace_keys(params, force)
    params.keys_dir.mkdir(parents=True, exist_ok=True)
    pk, vk = groth16py.setup(str(params.r1cs_path))
    pk.save(str(params.keys_dir / "proving_key.g16"))
    vk_path = params.keys_dir / "verification_key.json"
    vk_path.write_text(json.dumps(json.loads(vk.to_json()), indent=1))
    rec = SetupRecord("dev-groth16py", DEV_LABEL, True, params.name, file_sha256(params.r1cs_path), canonical_sha256(json.loads(vk_path.read_text())), "proving_key.g16")
    return _write(params, rec)


def ensure_keys(params: CircuitParams, progress=lambda msg: None) -> dict:
    """Compile ``params`` (cached) and run a DEV setup if it has no keys for this build.

    Returns {"constraints", "compile_s", "setup_s" (None when the keys existed)}; ToolchainError from
    the compiler or the setup."""
    t = time.perf_counter()
    build = snarkjs.compile_circuit(params)
    out = {"constraints": build["constraints"], "compile_s": time.perf_counter() - t, "setup_s": None}
    try:
        load_setup(params)
    except ToolchainError:
        progress(f"no keys for {params.name} yet: DEV single-party setup (groth16py) - NOT FOR PRODUCTION")
        t = time.perf_counter()
        dev_setup(params, force=True)
        out["setup_s"] = time.perf_counter() - t
    return out


def ptau_power(n_constraints: int, n_public: int) -> int:
    """Smallest power with 2^power >= constraints + public inputs + 1 (snarkjs's domain rule)."""
    return max(8, math.ceil(math.log2(n_constraints + n_public + 1)))


def ptau_file_power(path: Path) -> int:
    """The power (2^power points) of a snarkjs ``.ptau`` file, read from its header section.

    Format (snarkjs binfileutils): b"ptau", version u32, section count u32, then sections (type
    u32, size u64, data); section 1 holds n8 u32, the field prime (n8 bytes), power u32. Raises
    ToolchainError for a file that is not a ptau."""
    import struct

    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"ptau":
            raise ToolchainError(f"{path} is not a snarkjs ptau file")
        for _ in range(struct.unpack("<I", head[8:12])[0]):
            sec = f.read(12)
            if len(sec) < 12:
                break
            kind, size = struct.unpack("<IQ", sec)
            if kind == 1:
                n8 = struct.unpack("<I", f.read(4))[0]
                f.seek(n8, 1)
                return struct.unpack("<I", f.read(4))[0]
            f.seek(size, 1)
    raise ToolchainError(f"{path}: no header section (a truncated ptau file?)")


#: Phase 1 of every locally generated ptau: ``powersoftau new`` then this public beacon (2^10
#: hashes) as its only contribution, so the file is the same bit for bit on any machine and an
#: auditor can regenerate it from (power, beacon). Its toxic waste is public: DEV ONLY.
DEV_PTAU_BEACON = hashlib.sha256(b"zkmargin dev phase 1 beacon").hexdigest()
DEV_PTAU_ITERATIONS = 10


def dev_ptau_path(power: int) -> Path:
    """Where ``dev_ptau(power)`` caches its file (it may not exist yet)."""
    return BUILD_DIR / "ptau" / f"dev_pot{power}_final.ptau"


def dev_ptau(power: int, progress=print) -> Path:
    """A reproducible, locally generated phase-1 ptau of ``power`` (DEV ONLY), cached in build/ptau/.

    ``powersoftau new`` + a public beacon (DEV_PTAU_BEACON) + ``prepare phase2``: deterministic,
    so its sha256 depends on ``power`` only. Cost: about 75 s for 2^12, 5.5 min for 2^14 and
    50 min for 2^17 on 2 cores (SPEC section 7); a half-made file is never left under the final name.
    """
    final = dev_ptau_path(power)
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    p0, p1 = final.with_name(f"dev_pot{power}_0.ptau"), final.with_name(f"dev_pot{power}_1.ptau")
    progress(f"phase 1 (dev): powersoftau new 2^{power}")
    snarkjs.ptau_new(power, p0)
    progress(f"phase 1 (dev): public beacon {DEV_PTAU_BEACON[:16]}... (2^{DEV_PTAU_ITERATIONS} hashes)")
    snarkjs.ptau_beacon(p0, p1, DEV_PTAU_BEACON, DEV_PTAU_ITERATIONS)
    progress("phase 1 (dev): prepare phase 2 (the slow step)")
    tmp = final.with_suffix(".tmp")
    snarkjs.ptau_prepare(p1, tmp)
    tmp.rename(final)
    p0.unlink()
    p1.unlink()
    return final


def snarkjs_setup(params: CircuitParams, ptau: Path, external: bool, progress=print, force: bool = False) -> SetupRecord:
    """snarkjs groth16 setup from ``ptau`` plus one phase-2 contribution (single party: DEV).

    Refuses to replace existing keys unless ``force`` (check_replace_keys: ToolchainError)."""
    check_replace_keys(params, force)
    params.keys_dir.mkdir(parents=True, exist_ok=True)
    z0, zf = params.keys_dir / "circuit_0000.zkey", params.keys_dir / "circuit_final.zkey"
    progress("phase 2: snarkjs groth16 setup")
    snarkjs.groth16_setup(params.r1cs_path, ptau, z0)
    progress("phase 2: one contribution (single party)")
    snarkjs.zkey_contribute(z0, zf, "zkmargin dev", secrets.token_hex(32))
    z0.unlink()
    vk_path = params.keys_dir / "verification_key.json"
    snarkjs.export_verification_key(zf, vk_path)
    source = "external" if external else "dev (generated locally)"
    ptau_info = {"file": Path(ptau).name, "sha256": file_sha256(ptau), "source": source}
    rec = SetupRecord("snarkjs", DEV_LABEL, True, params.name, file_sha256(params.r1cs_path), canonical_sha256(json.loads(vk_path.read_text())), zf.name, ptau_info)
    return _write(params, rec)


def ceremony_setup(params: CircuitParams, ceremony_dir: Path, force: bool = False) -> SetupRecord:
    """Install the final zkey of a verified, finalized ``zkmargin ceremony`` as the prover's keys.

    Raises ToolchainError if the ceremony is for another build of the circuit, or is not finalized
    (no verification key, or one that differs from the final zkey's), or if other keys exist and
    not ``force`` (check_replace_keys; the ceremony's own key again is allowed). The record is
    DEV unless phase 1 came from an external ptau and at least one participant contributed.
    """
    from prover.toolchain import ceremony as cer

    ceremony_dir = Path(ceremony_dir)
    t = cer._read(ceremony_dir)
    vk_src = ceremony_dir / "verification_key.json"
    if not params.r1cs_path.exists() or t["r1cs_sha256"] != file_sha256(params.r1cs_path):
        raise ToolchainError(f"the ceremony in {ceremony_dir} is for another build of {params.name}")
    if not vk_src.exists() or t.get("verification_key_sha256") != file_sha256(vk_src):
        raise ToolchainError(f"the ceremony in {ceremony_dir} is not finalized: run `zkmargin ceremony finalize`")
    final = ceremony_dir / t["steps"][-1]["zkey"]
    if file_sha256(final) != t["steps"][-1]["zkey_sha256"]:
        raise ToolchainError(f"{final.name} does not match the ceremony transcript")
    check_replace_keys(params, force, new_vk=vk_src)
    params.keys_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(final, params.keys_dir / "circuit_final.zkey")
    shutil.copyfile(vk_src, params.keys_dir / "verification_key.json")
    shutil.copyfile(ceremony_dir / cer.TRANSCRIPT, params.keys_dir / cer.TRANSCRIPT)  # provenance, for verifier/trusted.py
    n = cer.contributions(t)
    dev = n == 0 or t["ptau_source"] != "external"
    label = f"phase-2 ceremony: {n} contribution(s) + beacon; phase 1: {t['ptau_source']}"
    if dev:
        label = f"DEV - NOT FOR PRODUCTION ({label}; its toxic waste is not provably destroyed)"
    ptau_info = {"file": "pot.ptau", "sha256": t["ptau_sha256"], "source": t["ptau_source"]}
    rec = SetupRecord("ceremony", label, dev, params.name, t["r1cs_sha256"], canonical_sha256(json.loads(vk_src.read_text())), "circuit_final.zkey", ptau_info)
    return _write(params, rec)
