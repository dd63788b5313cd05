"""Audit fixture cases (format ``zkmargin-fixture-case/1``, docs/fixtures.md): read, evaluate, record.

A case is a directory under ``fixtures/`` with a README.md and a ``case.json``:

- ``name``, ``title``; ``keys``: relative path of the circuit's key directory (below);
- ``inputs``: relative paths of the ``snapshot``, the venue ``policy`` (whose ``spec`` it names),
  the signed venue ``statements`` and the trader ``identity`` file (a public DEMO secret); ``as_of``: ISO time of every freshness check; ``salt``:
  hex commitment salt (fixed, so the commitment and every public signal are reproducible);
- ``expected``: what the code produced when the case was recorded (``evaluate``): decision,
  failed policy checks, each venue's failed checks alone, spec hash, risk root, the margin
  breakdown and, for an accepted book, the public signals;
- ``artefacts``: sha256 of the bytes of every file the case depends on, relative to the case.

A book that meets the policy also has ``bundle.json``: the proof bundle ``zkmargin prove`` wrote.

A key directory (format ``zkmargin-fixture-keys/1``) holds ``keys.json`` (circuit, compiler, flags,
source, R1CS, zkey and ptau hashes, the setup label), the ceremony transcript ``ceremony.json``
and ``verification_key.json``. The zkey and ptau are not kept in git (tens to hundreds of MB):
``zkmargin audit --regenerate-keys`` rebuilds them from the transcript (docs/fixtures.md).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from public.circuit import CircuitParams, circuit_params, file_sha256, shape_json
from public.errors import FixtureError, ToolchainError
from public.json_input import read_json_file

CASE_FORMAT = "zkmargin-fixture-case/1"
KEYS_FORMAT = "zkmargin-fixture-keys/1"
CASE_FILE, KEYS_FILE = "case.json", "keys.json"


@dataclass
class Case:
    """A fixture case as read from ``dir/case.json`` (``data``: the parsed file)."""

    dir: Path
    data: dict

    @property
    def name(self) -> str:
        return self.data["name"]

    def path(self, rel: str) -> Path:
        return (self.dir / rel).resolve()

    def rel(self, path: Path) -> str:
        """``path`` relative to the case directory, with ``..`` where needed (how artefacts are named)."""
        import os

        return os.path.relpath(Path(path).resolve(), self.dir.resolve())

    @property
    def keys_dir(self) -> Path:
        return self.path(self.data["keys"])

    @property
    def as_of(self) -> datetime:
        return datetime.fromisoformat(self.data["as_of"])

    @property
    def salt(self) -> int:
        return int(self.data["salt"], 16)


def load_case(case_dir) -> Case:
    """Read ``case_dir/case.json``; FixtureError if it is missing, not JSON or lacks a field."""
    case_dir = Path(case_dir)
    data = read_json_file(case_dir / CASE_FILE, FixtureError, "fixture case")
    if not isinstance(data, dict) or data.get("format") != CASE_FORMAT:
        raise FixtureError(f"{case_dir / CASE_FILE}: not a {CASE_FORMAT} file")
    missing = [k for k in ("name", "keys", "inputs", "as_of", "salt") if k not in data]
    missing += [f"inputs.{k}" for k in ("snapshot", "policy", "statements") if k not in data.get("inputs", {})]
    if missing:
        raise FixtureError(f"{case_dir / CASE_FILE}: missing field(s) {', '.join(missing)}")
    try:
        datetime.fromisoformat(data["as_of"]), int(data["salt"], 16)
    except (TypeError, ValueError) as exc:
        raise FixtureError(f"{case_dir / CASE_FILE}: bad as_of or salt ({exc})") from None
    return Case(case_dir, data)


def find_cases(root) -> list[Path]:
    """``root`` itself if it is a case, else every case directory below it (sorted); FixtureError if none."""
    root = Path(root)
    if (root / CASE_FILE).exists():
        return [root]
    found = sorted(p.parent for p in root.rglob(CASE_FILE))
    if not found:
        raise FixtureError(f"no fixture case (a directory with {CASE_FILE}) under {root}")
    return found


def load_keys(keys_dir) -> dict:
    """``keys_dir/keys.json``; FixtureError if missing or of another format."""
    keys = read_json_file(Path(keys_dir) / KEYS_FILE, FixtureError, "fixture keys record")
    if not isinstance(keys, dict) or keys.get("format") != KEYS_FORMAT:
        raise FixtureError(f"{Path(keys_dir) / KEYS_FILE}: not a {KEYS_FORMAT} file")
    return keys


def keys_params(keys: dict) -> CircuitParams:
    """The circuit a key directory is for: ``circuits/main/<circuit>.circom``, or a generated variant
    (build/variants/, tests) with the recorded parameters."""
    from prover.toolchain.variants import write_variant

    try:
        return circuit_params(keys["circuit"])
    except ToolchainError:
        if "params" not in keys:
            raise
        return write_variant(keys["circuit"], **keys["params"])


def export_keys(params: CircuitParams, build: dict, ceremony_dir: Path, out_dir: Path, ptau_power: int) -> dict:
    """Write a fixture key directory from a finalized ceremony: keys.json, ceremony.json and
    verification_key.json (the zkey and ptau stay out: their hashes and recipe are recorded)."""
    from prover.toolchain import ceremony as cer
    from prover.toolchain.setup import DEV_PTAU_BEACON, DEV_PTAU_ITERATIONS

    t = json.loads((Path(ceremony_dir) / cer.TRANSCRIPT).read_text())
    if t.get("verification_key_sha256") is None:
        raise ToolchainError(f"the ceremony in {ceremony_dir} is not finalized")
    if t["r1cs_sha256"] != build["r1cs_sha256"]:
        raise ToolchainError(f"the ceremony in {ceremony_dir} is for another build of {params.name}")
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(ceremony_dir) / cer.TRANSCRIPT, out_dir / cer.TRANSCRIPT)
    shutil.copyfile(Path(ceremony_dir) / "verification_key.json", out_dir / "verification_key.json")
    final = t["steps"][-1]
    ptau = {"power": ptau_power, "source": t["ptau_source"], "sha256": t["ptau_sha256"], "bytes": (Path(ceremony_dir) / "pot.ptau").stat().st_size}
    if t["ptau_source"] != "external":
        ptau["recipe"] = {"powersoftau": "new bn128", "beacon": DEV_PTAU_BEACON, "iterations": DEV_PTAU_ITERATIONS, "then": "prepare phase2"}
    n = cer.contributions(t)
    keys = {
        "format": KEYS_FORMAT,
        "circuit": params.name,
        "params": shape_json(params),
        "compiler": build["compiler"],
        "flags": build["flags"],
        "source_sha256": build["source_sha256"],
        "r1cs_sha256": build["r1cs_sha256"],
        "constraints": build["constraints"],
        "verification_key_sha256": t["verification_key_sha256"],
        "zkey": final["zkey"],
        "zkey_sha256": final["zkey_sha256"],
        "zkey_bytes": (Path(ceremony_dir) / final["zkey"]).stat().st_size,
        "ptau": ptau,
        "contributions": n,
        "dev": n == 0 or t["ptau_source"] != "external",
        "label": "DEV - NOT FOR PRODUCTION: zkey new + public beacon, reproducible by anyone, so its toxic waste is public"
        if n == 0 else f"phase-2 ceremony, {n} contribution(s) + beacon; phase 1: {t['ptau_source']}",
    }
    (out_dir / KEYS_FILE).write_text(json.dumps(keys, indent=1) + "\n")
    return keys


@dataclass
class Inputs:
    """Everything a case is evaluated from, loaded and parsed."""

    params: CircuitParams
    keys: dict
    snapshot: object
    spec: object
    policy: object
    statements: list
    identity: object


def input_paths(case: Case) -> dict[str, Path]:
    """{role: absolute path} of every input file: snapshot, policy, spec, statement[i]."""
    from verifier.policy import load_policy

    inp = case.data["inputs"]
    paths = {"snapshot": case.path(inp["snapshot"]), "policy": case.path(inp["policy"])}
    paths["spec"] = Path(load_policy(paths["policy"]).spec_path).resolve()
    for i, rel in enumerate(inp["statements"]):
        paths[f"statement[{i}]"] = case.path(rel)
    paths["identity"] = case.path(inp["identity"])
    return paths


def load_inputs(case: Case) -> Inputs:
    """Parse every input; each loader raises its own named error (SnapshotError, SpecError, ...)."""
    from prover.trader.identity import load_identity
    from prover.venue.attestation import load_statement
    from public.methodology.snapshot import load_snapshot
    from public.methodology.spec import load_spec
    from verifier.policy import load_policy

    keys = load_keys(case.keys_dir)
    policy = load_policy(case.path(case.data["inputs"]["policy"]))
    return Inputs(
        keys_params(keys),
        keys,
        load_snapshot(case.path(case.data["inputs"]["snapshot"])),
        load_spec(policy.spec_path),
        policy,
        [load_statement(case.path(p)) for p in case.data["inputs"]["statements"]],
        load_identity(case.path(case.data["inputs"]["identity"])),
    )


def failed_checks(report, policy) -> list[str]:
    return [name for name, ok, _ in report.policy_checks(policy) if not ok]


def evaluate(case: Case, inp: Inputs):
    """The case's reproducible outputs (the ``expected`` section) and the witness they come from.

    Raises PortfolioError for statements the circuit would reject (bad signature, unknown
    instrument, ...). Deterministic: the same input bytes and salt give the same dict.
    """
    from prover.proving.witness import build_witness
    from prover.venue.attestation import portfolio_from_statements
    from public.methodology.margin import compute_margin
    from public.methodology.risk_table import cached_risk_table
    from public.methodology.spec import haircut_prices_e6

    table = cached_risk_table(inp.snapshot, inp.spec, inp.params.depth)
    prices = haircut_prices_e6(inp.spec, inp.snapshot.spot)
    pol = inp.policy
    witness = build_witness(inp.params, table, inp.statements, inp.spec, prices, pol, pol.challenge, inp.snapshot.epoch, inp.spec.spec_hash, case.salt, identity=inp.identity)
    failed = failed_checks(witness.report, pol)
    standalone = {
        st.venue: failed_checks(compute_margin(portfolio_from_statements([st], table, case.salt), table, inp.spec, prices), pol)
        for st in inp.statements
    }
    expected = {
        "decision": "refuse" if failed else "accept",
        "failed_checks": failed,
        "standalone_failed_checks": standalone,
        "spec_hash": hex(inp.spec.spec_hash),
        "risk_root": hex(table.root),
        "margin": witness.report.to_json(),
    }
    if not failed:
        expected["public_signals"] = [str(v) for v in witness.public.values()]
    return expected, witness


def artefact_hashes(case: Case, inp_paths: dict[str, Path], with_bundle: bool) -> dict[str, str]:
    """{path relative to the case: sha256} of the inputs, the key files and the bundle."""
    paths = list(inp_paths.values())
    paths += [case.keys_dir / KEYS_FILE, case.keys_dir / "ceremony.json", case.keys_dir / "verification_key.json"]
    if with_bundle:
        paths.append(case.dir / "bundle.json")
    return {case.rel(p): file_sha256(p) for p in paths}


def record_case(case_dir, backend: str = "snarkjs", progress=lambda m: None) -> dict:
    """(Re)record a case: evaluate it, prove it if the book meets the policy (with the prover's
    installed keys, which must be the case's: ``zkmargin setup --ceremony``), write case.json.

    Raises ToolchainError if the installed keys are not the fixture's; the prover's named errors.
    """
    from prover.proving.pipeline import prove_bundle
    from prover.toolchain.setup import load_setup

    case = load_case(case_dir)
    inp = load_inputs(case)
    expected, _ = evaluate(case, inp)
    bundle = case.dir / "bundle.json"
    if expected["decision"] == "accept":
        setup = load_setup(inp.params)
        if file_sha256(setup.verification_key_path) != inp.keys["verification_key_sha256"]:
            raise ToolchainError(f"the installed keys of {inp.params.name} are not {case.keys_dir}'s: run `zkmargin setup --ceremony DIR` with the fixture ceremony")
        progress(f"{case.name}: proving")
        prove_bundle(inp.params, inp.snapshot, inp.spec, inp.statements, inp.policy, inp.policy.challenge, bundle, identity=inp.identity, salt=case.salt, backend=backend, at=case.as_of, progress=progress)
    else:
        bundle.unlink(missing_ok=True)
    data = dict(case.data)
    data["expected"] = expected
    data["artefacts"] = artefact_hashes(case, input_paths(case), expected["decision"] == "accept")
    tmp = case.dir / (CASE_FILE + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(case.dir / CASE_FILE)
    return data
