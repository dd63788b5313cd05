"""Audit fixture cases (format ``zkmargin-fixture-case/1``, docs/fixtures.md): read, evaluate, record.

A case is a directory under ``fixtures/`` with a README.md and a ``case.json``:

- ``name``, ``title``; ``keys``: relative path of the circuit's key directory (below); for a book
  proved in chunks (issue 11), ``keys`` is the aggregate circuit's and ``chunk_keys`` the chunk
  circuit's, and ``pad_to`` (optional) the chunk count it was proved with;
- ``inputs``: relative paths of the ``snapshot``, the venue ``policy`` (whose ``spec`` it names),
  the signed venue ``statements`` and the trader ``identity`` file (a public DEMO secret); ``as_of``: ISO time of every freshness check; ``salt``:
  hex commitment salt (fixed, so the commitment and every public signal are reproducible);
- ``expected``: what the code produced when the case was recorded (``evaluate``): decision,
  failed policy checks, each venue's failed checks alone, spec hash, risk root, the margin
  breakdown and, for an accepted book, the public signals (a chunked book: the aggregate's, with
  null for the blinded accumulator commitments no one but the prover can recompute, named in
  ``blinded_signals``, and the ``chunks`` count);
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
    def chunk_keys_dir(self) -> Path | None:
        """The chunk circuit's key directory of a chunked case, else None."""
        return self.path(self.data["chunk_keys"]) if "chunk_keys" in self.data else None

    @property
    def key_dirs(self) -> list[Path]:
        """Every key directory of the case: ``keys``, then ``chunk_keys`` if it has one."""
        return [d for d in (self.keys_dir, self.chunk_keys_dir) if d is not None]

    @property
    def pad_to(self) -> int | None:
        return self.data.get("pad_to")

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
    pad = data.get("pad_to")
    if pad is not None and (type(pad) is not int or not 1 <= pad <= 4096 or "chunk_keys" not in data):
        raise FixtureError(f"{case_dir / CASE_FILE}: pad_to must be a chunk count 1..4096, in a chunked case (chunk_keys)")
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


def export_keys(params: CircuitParams, build: dict, ceremony_dir: Path, out_dir: Path) -> dict:
    """Write a fixture key directory from a finalized ceremony: keys.json, ceremony.json and
    verification_key.json (the zkey and ptau stay out: their hashes, the ptau's power as its
    header gives it, and its recipe are recorded)."""
    from prover.toolchain import ceremony as cer
    from prover.toolchain.setup import DEV_PTAU_BEACON, DEV_PTAU_ITERATIONS, ptau_file_power

    t = json.loads((Path(ceremony_dir) / cer.TRANSCRIPT).read_text())
    if t.get("verification_key_sha256") is None:
        raise ToolchainError(f"the ceremony in {ceremony_dir} is not finalized")
    if t["r1cs_sha256"] != build["r1cs_sha256"]:
        raise ToolchainError(f"the ceremony in {ceremony_dir} is for another build of {params.name}")
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(ceremony_dir) / cer.TRANSCRIPT, out_dir / cer.TRANSCRIPT)
    shutil.copyfile(Path(ceremony_dir) / "verification_key.json", out_dir / "verification_key.json")
    final = t["steps"][-1]
    ptau = {"power": ptau_file_power(Path(ceremony_dir) / "pot.ptau"), "source": t["ptau_source"], "sha256": t["ptau_sha256"], "bytes": (Path(ceremony_dir) / "pot.ptau").stat().st_size}
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
    chunk_params: CircuitParams | None = None  #: a chunked case's chunk circuit (``params``: its aggregate)
    chunk_keys: dict | None = None


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
    chunk_keys = load_keys(case.chunk_keys_dir) if case.chunk_keys_dir else None
    policy = load_policy(case.path(case.data["inputs"]["policy"]))
    return Inputs(
        keys_params(keys),
        keys,
        load_snapshot(case.path(case.data["inputs"]["snapshot"])),
        load_spec(policy.spec_path),
        policy,
        [load_statement(case.path(p)) for p in case.data["inputs"]["statements"]],
        load_identity(case.path(case.data["inputs"]["identity"])),
        keys_params(chunk_keys) if chunk_keys else None,
        chunk_keys,
    )


def failed_checks(report, policy) -> list[str]:
    return [name for name, ok, _ in report.policy_checks(policy) if not ok]


def evaluate(case: Case, inp: Inputs):
    """The case's reproducible outputs (the ``expected`` section) and the witness they come from.

    Raises PortfolioError for statements the circuit would reject (bad signature, unknown
    instrument, ...). Deterministic: the same input bytes and salt give the same dict (a chunked
    case's witness has fresh accumulator blindings; the dict leaves them out).
    """
    from prover.venue.attestation import portfolio_from_statements
    from public.methodology.margin import compute_margin
    from public.methodology.risk_table import cached_risk_table
    from public.methodology.spec import haircut_prices_e6

    depth = (inp.chunk_params or inp.params).depth
    table = cached_risk_table(inp.snapshot, inp.spec, depth)
    prices = haircut_prices_e6(inp.spec, inp.snapshot.spot)
    pol = inp.policy
    witness, n_chunks = (_chunked_witness if inp.chunk_params else _witness)(case, inp, table, prices)
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
        expected["public_signals"] = [None if n in BLINDED_SIGNALS else str(v) for n, v in witness.public.items()]
    if n_chunks:
        expected["chunks"], expected["blinded_signals"] = n_chunks, list(BLINDED_SIGNALS)
    return expected, witness


#: the aggregate's public signals under a fresh random blinding (prover/proving/chunks.py commit):
#: an auditor cannot recompute them; the bundle's links to the chunk proofs are checked instead
BLINDED_SIGNALS = ("acc_initial", "acc_final")


def _witness(case: Case, inp: Inputs, table, prices):
    """(the one-proof Witness, 0 chunks)."""
    from prover.proving.witness import build_witness

    pol = inp.policy
    return build_witness(inp.params, table, inp.statements, inp.spec, prices, pol, pol.challenge, inp.snapshot.epoch, inp.spec.spec_hash, case.salt, identity=inp.identity), 0


def _chunked_witness(case: Case, inp: Inputs, table, prices):
    """(a Witness of the aggregate circuit, the chunk count) of a chunked case, as
    prover/proving/chunked_pipeline.py builds them (check_chunked_statements, chunks.book_inputs)."""
    from prover.proving import chunks as ch
    from prover.proving.chunked_pipeline import check_chunked_statements
    from prover.proving.witness import Witness, public_values
    from prover.venue.attestation import portfolio_from_statements
    from public.methodology.margin import compute_margin

    if inp.params.kind != "aggregate" or inp.chunk_params.kind != "chunk":
        raise FixtureError(f"{case.name}: a chunked case names an aggregate circuit's keys (keys) and a chunk circuit's (chunk_keys)")
    pol, spec = inp.policy, inp.spec
    check_chunked_statements(inp.statements, inp.params, inp.identity)
    report = compute_margin(portfolio_from_statements(inp.statements, table, case.salt), table, spec, prices)
    chunk_list, agg = ch.book_inputs(inp.chunk_params, inp.params, table, inp.statements, spec, prices, pol, pol.challenge, inp.snapshot.epoch,
                                     case.salt, inp.identity, case.pad_to)  # fmt: skip
    return Witness(agg, public_values(inp.params, agg), report), len(chunk_list)


def artefact_hashes(case: Case, inp_paths: dict[str, Path], with_bundle: bool) -> dict[str, str]:
    """{path relative to the case: sha256} of the inputs, the key files and the bundle."""
    paths = list(inp_paths.values())
    for d in case.key_dirs:
        paths += [d / KEYS_FILE, d / "ceremony.json", d / "verification_key.json"]
    if with_bundle:
        paths.append(case.dir / "bundle.json")
    return {case.rel(p): file_sha256(p) for p in paths}


def record_case(case_dir, backend: str = "snarkjs", progress=lambda m: None, workers: int | None = 2) -> dict:
    """(Re)record a case: evaluate it, prove it if the book meets the policy (with the prover's
    installed keys, which must be the case's: ``zkmargin setup --ceremony``), write case.json.
    A chunked case is proved by prover/proving/chunked_pipeline.py on ``workers`` Ray workers
    (``backend`` is the one-proof path's).

    Raises ToolchainError if the installed keys are not the fixture's; the prover's named errors.
    """
    from prover.proving.chunked_pipeline import prove_chunked_bundle
    from prover.proving.pipeline import prove_bundle
    from prover.toolchain.setup import load_setup

    case = load_case(case_dir)
    inp = load_inputs(case)
    expected, _ = evaluate(case, inp)
    bundle = case.dir / "bundle.json"
    if expected["decision"] == "accept":
        for params, keys, d in ((inp.params, inp.keys, case.keys_dir), (inp.chunk_params, inp.chunk_keys, case.chunk_keys_dir)):
            if params is not None and file_sha256(load_setup(params).verification_key_path) != keys["verification_key_sha256"]:
                raise ToolchainError(f"the installed keys of {params.name} are not {d}'s: run `zkmargin setup --circuit {params.name} --ceremony DIR` with the fixture ceremony")
        progress(f"{case.name}: proving")
        if inp.chunk_params:
            prove_chunked_bundle(inp.chunk_params, inp.params, inp.snapshot, inp.spec, inp.statements, inp.policy, inp.policy.challenge, bundle,
                                 identity=inp.identity, salt=case.salt, at=case.as_of, workers=workers, pad_to=case.pad_to, progress=progress)  # fmt: skip
        else:
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
