"""``zkmargin audit``: reproduce every public value and verification result of fixture cases.

For each key directory a case names (once): the circuit source hash, the compiler version and the
R1CS hash of a build from source against ``keys.json``; the ceremony transcript's hash chain; the
verification key's hash; and, when the zkey is at hand (shipped, or rebuilt from the transcript by
``--regenerate-keys``), ``snarkjs zkey verify`` against the R1CS and ptau and the verification key
exported from the zkey compared with the shipped one.

For each case: the sha256 of every artefact against ``case.json``; the spec hash and risk table
root recomputed from the spec and snapshot; the margin breakdown, the decision, each venue's
stand-alone decision and the public signals recomputed from the signed statements and the salt;
for an accepted book, the proof verified with py_ecc and with ``snarkjs groth16 verify`` and the
venue's full decision (verifier/verify.py); for a refused book, the circuit's witness generator
must reject the witness (the circuit, not only Python, refuses it).

A book proved in chunks (``chunk_keys`` in case.json) has both key directories audited, its chunk
count recomputed from the signed statements, every proof (the aggregate's and each chunk's)
verified one by one with py_ecc and with snarkjs, and the venue's decision taken on the whole
bundle as one batch; the aggregate's two blinded accumulator commitments are the only public
signals not recomputed (fixture_case.BLINDED_SIGNALS): the verifier's link checks bind them.

Every check is a Row(scope, check, status PASS/FAIL/SKIP, artefact, sha256, detail); nothing is
trusted from the run that recorded the case except the recorded values it is compared with.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from prover.audit import fixture_case as fc
from public.circuit import BUILD_DIR, CIRCUITS_DIR, canonical_sha256, file_sha256, source_sha256
from public.errors import ToolchainError, ZkMarginError

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


@dataclass(frozen=True)
class Row:
    """One audit check: ``scope`` (case or key directory), ``check`` name, ``status``, the
    ``artefact`` it is about (file relative to the scope, or a recorded value), its ``sha256``
    (files) and a human ``detail``."""

    scope: str
    check: str
    status: str
    artefact: str
    sha256: str
    detail: str


class Auditor:
    """Runs the checks and collects the rows.

    regenerate_keys: rebuild a zkey (and a dev ptau) that is not shipped from the transcript's
    recipe (2^17: about 55 min on 2 cores; cached under build/); rebuild: recompile the circuit
    even when build/ holds a build of the same source; source_dir: the circuit sources hashed;
    work_dir: where rebuilt zkeys go (one subdirectory per circuit).
    """

    def __init__(self, regenerate_keys: bool = False, rebuild: bool = False, source_dir: Path = CIRCUITS_DIR, work_dir: Path = BUILD_DIR / "audit", progress=lambda m: None):
        self.rows: list[Row] = []
        self.regenerate_keys, self.rebuild, self.source_dir, self.progress = regenerate_keys, rebuild, Path(source_dir), progress
        self.work_dir = Path(work_dir)
        self._keys_done: set[Path] = set()

    def add(self, scope, check, ok, artefact="", sha="", detail="") -> bool:
        status = ok if isinstance(ok, str) else (PASS if ok else FAIL)
        one_line = lambda v: " | ".join(str(v).split("\n"))  # noqa: E731 (tool output may span lines)
        self.rows.append(Row(scope, check, status, one_line(artefact), sha, one_line(detail)))
        return status != FAIL

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.status == FAIL]

    def run(self, root) -> list[Row]:
        """Audit every case at or below ``root``; FixtureError if there is none."""
        for d in fc.find_cases(root):
            self.audit_case(d)
        return self.rows

    # -- keys ---------------------------------------------------------------------------------

    def audit_keys(self, keys_dir: Path) -> None:
        """Circuit, transcript, verification key and (when available) zkey checks of one key directory."""
        keys_dir = Path(keys_dir).resolve()
        if keys_dir in self._keys_done:
            return
        scope = f"keys/{keys_dir.name}"
        self._keys_done.add(keys_dir)
        try:
            keys = fc.load_keys(keys_dir)
            t = json.loads((keys_dir / "ceremony.json").read_text())
            vk_path = keys_dir / "verification_key.json"
            vk_sha = file_sha256(vk_path)
        except (ZkMarginError, OSError, ValueError) as exc:
            self.add(scope, "keys", False, keys_dir.name, "", f"unreadable key directory: {exc}")
            return
        from prover.toolchain import snarkjs

        src = source_sha256(self.source_dir)
        self.add(scope, "circuit_source", src == keys["source_sha256"], "circuits/*.circom", src, "matches keys.json" if src == keys["source_sha256"] else f"keys.json records {keys['source_sha256']}")
        params = fc.keys_params(keys)
        try:
            self.progress(f"{scope}: building {params.name} from source")
            build = snarkjs.compile_circuit(params, force=self.rebuild)
        except ToolchainError as exc:
            self.add(scope, "r1cs", False, f"{params.name}.r1cs", "", str(exc).splitlines()[0])
            return
        same = build["compiler"] == keys["compiler"] and build["flags"] == keys["flags"]
        self.add(scope, "compiler", same, build["compiler"], "", " ".join(build["flags"]) if same else f"keys.json records {keys['compiler']} {' '.join(keys['flags'])}")
        r1cs_ok = build["r1cs_sha256"] == keys["r1cs_sha256"] == t["r1cs_sha256"]
        self.add(scope, "r1cs", r1cs_ok, f"{params.name}.r1cs", build["r1cs_sha256"], f"{build['constraints']:,} constraints, same R1CS as recorded" if r1cs_ok else "the R1CS built from source differs from the recorded one")
        vk_ok = vk_sha == keys["verification_key_sha256"] == t.get("verification_key_sha256")
        self.add(scope, "verification_key", vk_ok, "verification_key.json", vk_sha, "matches keys.json and the transcript" if vk_ok else "differs from the hash recorded in keys.json / ceremony.json")
        self._transcript(scope, keys, t, keys_dir)
        self._zkey(scope, keys, t, keys_dir, params, vk_path)

    def _transcript(self, scope, keys, t, keys_dir) -> None:
        from prover.toolchain import ceremony as cer

        why = cer.chain_errors(t)
        if t["steps"][0]["step"] != "init" or t["steps"][-1]["step"] != "beacon":
            why.append("the chain does not run from init to a closing beacon")
        if t["steps"][-1]["zkey_sha256"] != keys["zkey_sha256"] or t["ptau_sha256"] != keys["ptau"]["sha256"]:
            why.append("final zkey or ptau hash differs from keys.json")
        n = cer.contributions(t)
        detail = f"{len(t['steps'])} steps ({n} contribution(s)), closed by a beacon"
        self.add(scope, "transcript", not why, "ceremony.json", file_sha256(keys_dir / "ceremony.json"), "; ".join(why) or detail)
        try:  # what a venue's verifier will say about this key: provenance, not the recorded label
            from verifier.trusted import load_trusted_circuit

            prov = load_trusted_circuit(keys_dir).provenance
            ok, why = (not prov.dev) or bool(keys.get("dev")), prov.label + ("" if (not prov.dev) or keys.get("dev") else ": keys.json calls it production")
        except ZkMarginError as exc:
            ok, why = False, str(exc)
        self.add(scope, "setup_provenance", ok, "ceremony.json", "", why)

    def _ptau(self, keys, keys_dir) -> Path | None:
        from prover.toolchain.setup import DEV_PTAU_BEACON, dev_ptau, dev_ptau_path

        shipped = keys_dir / "pot.ptau"
        if shipped.exists():
            return shipped
        recipe = keys["ptau"].get("recipe")
        if recipe and recipe["beacon"] == DEV_PTAU_BEACON and (dev_ptau_path(keys["ptau"]["power"]).exists() or self.regenerate_keys):
            return dev_ptau(keys["ptau"]["power"], self.progress)
        return None

    def _zkey(self, scope, keys, t, keys_dir, params, vk_path) -> None:
        from prover.toolchain import ceremony as cer
        from prover.toolchain import snarkjs

        zkey = keys_dir / keys["zkey"]
        work = self.work_dir / params.name
        rebuilt = work / keys["zkey"]
        if not zkey.exists() and self.regenerate_keys and rebuilt.exists() and file_sha256(rebuilt) == keys["zkey_sha256"]:
            zkey = rebuilt  # rebuilt by an earlier --regenerate-keys: checked again below, not replayed
        ptau = self._ptau(keys, keys_dir)
        if not zkey.exists() and not self.regenerate_keys:
            mb = keys["zkey_bytes"] / 2**20
            self.add(scope, "zkey", SKIP, keys["zkey"], keys["zkey_sha256"], f"not shipped ({mb:.0f} MB; recorded hash shown): `zkmargin audit --regenerate-keys` rebuilds it from the transcript")
            return
        if ptau is None or file_sha256(ptau) != keys["ptau"]["sha256"]:
            why = "not shipped and not regenerable here" if ptau is None else f"{ptau.name} is not the recorded ptau"
            self.add(scope, "zkey", FAIL if ptau else SKIP, f"ptau 2^{keys['ptau']['power']}", keys["ptau"]["sha256"], why)
            return
        self.add(scope, "ptau", True, ptau.name, keys["ptau"]["sha256"], f"2^{keys['ptau']['power']}, {keys['ptau']['source']}")
        r1cs = params.r1cs_path
        if not zkey.exists():
            try:
                zkey = cer.replay(t, r1cs, ptau, work, keys_dir, self.progress)
            except ToolchainError as exc:
                self.add(scope, "zkey", False, keys["zkey"], "", str(exc))
                return
            self.add(scope, "zkey_replay", True, keys["zkey"], keys["zkey_sha256"], f"every step of the transcript rebuilt to the recorded hash, in {work}")
        elif not self.add(scope, "zkey", file_sha256(zkey) == keys["zkey_sha256"], zkey.name, file_sha256(zkey), "matches keys.json"):
            return
        self.progress(f"{scope}: snarkjs zkey verify")
        ok, why = cer.zkey_verify(r1cs, ptau, zkey)
        self.add(scope, "zkey_verify", ok, zkey.name, keys["zkey_sha256"], why)
        with tempfile.TemporaryDirectory() as tmp:
            exported = Path(tmp) / "vk.json"
            snarkjs.export_verification_key(zkey, exported)
            same = canonical_sha256(json.loads(exported.read_text())) == canonical_sha256(json.loads(vk_path.read_text()))
        self.add(scope, "vk_from_zkey", same, "verification_key.json", file_sha256(vk_path), "the verification key exported from the zkey is the shipped one" if same else "the shipped verification key is not the zkey's")

    # -- cases --------------------------------------------------------------------------------

    def audit_case(self, case_dir: Path) -> None:
        """Every check of one case (its key directory's once)."""
        try:
            case = fc.load_case(case_dir)
        except ZkMarginError as exc:
            self.add(Path(case_dir).name, "case", False, fc.CASE_FILE, "", str(exc))
            return
        scope = case.name
        for keys_dir in case.key_dirs:
            self.audit_keys(keys_dir)
        self.progress(f"{scope}: auditing")
        recorded = case.data.get("artefacts", {})
        self._artefacts(case, scope, recorded)
        try:
            inp = fc.load_inputs(case)
            expected, witness = fc.evaluate(case, inp)
        except ZkMarginError as exc:
            self.add(scope, "inputs", False, "inputs", "", f"{type(exc).__name__}: {exc}")
            return
        self._compare(case, scope, expected)
        if expected["decision"] == "accept":
            self._proof(case, scope, inp, expected)
        else:
            self._refused(case, scope, inp, witness)

    def _artefacts(self, case, scope, recorded: dict) -> None:
        try:
            needed = {case.rel(p) for p in fc.input_paths(case).values()}
        except ZkMarginError as exc:
            needed = set()
            self.add(scope, "inputs", False, case.data["inputs"]["policy"], "", f"{type(exc).__name__}: {exc}")
        for rel in sorted(needed - set(recorded)):
            self.add(scope, "artefact", False, rel, file_sha256(case.path(rel)) if case.path(rel).exists() else "", "an input not recorded in case.json")
        for rel, sha in recorded.items():
            path = case.path(rel)
            if not path.exists():
                self.add(scope, "artefact", False, rel, "", "missing")
                continue
            got = file_sha256(path)
            self.add(scope, "artefact", got == sha, rel, got, "" if got == sha else f"changed: case.json records {sha}")

    def _compare(self, case, scope, expected: dict) -> None:
        want = case.data.get("expected", {})
        for key, what in (("spec_hash", "spec hash recomputed from the spec file"), ("risk_root", "risk table root recomputed from snapshot and spec")):
            self.add(scope, key, expected[key] == want.get(key), f"expected.{key}", "", f"{what}: {expected[key]}" + ("" if expected[key] == want.get(key) else f", recorded {want.get(key)}"))
        diff = sorted(k for k in set(expected["margin"]) | set(want.get("margin", {})) if expected["margin"].get(k) != want.get("margin", {}).get(k))
        m = expected["margin"]
        self.add(scope, "margin", not diff, "expected.margin", "", f"IM {m.get('initial_margin_usd')} USD, collateral {m.get('collateral_value_usd')} USD" if not diff else f"differs from the recorded breakdown in: {', '.join(diff)}")
        got = f"{expected['decision']}" + (f" (fails {', '.join(expected['failed_checks'])})" if expected["failed_checks"] else "")
        same = (expected["decision"], expected["failed_checks"]) == (want.get("decision"), want.get("failed_checks"))
        self.add(scope, "decision", same, "expected.decision", "", got + ("" if same else f"; recorded {want.get('decision')} {want.get('failed_checks')}"))
        alone = expected["standalone_failed_checks"]
        same = alone == want.get("standalone_failed_checks")
        shown = "; ".join(f"{v} alone: {', '.join(f) or 'passes'}" for v, f in alone.items())
        self.add(scope, "standalone", same, "expected.standalone_failed_checks", "", shown if same else f"{shown}; recorded {want.get('standalone_failed_checks')}")

    def _proof(self, case, scope, inp, expected) -> None:
        from public.bundle_format import read_bundle
        from verifier.trusted import load_trusted_circuit
        from verifier.verify import verify_bundle

        want = case.data.get("expected", {})
        same = expected["public_signals"] == want.get("public_signals")
        blinded = sum(v is None for v in expected["public_signals"])
        note = f" ({blinded} blinded accumulator commitments: bound by the chunk links instead)" if blinded else ""
        self.add(scope, "public_signals", same, "expected.public_signals", "", f"{len(expected['public_signals'])} signals recomputed from statements, salt and policy{note}" + ("" if same else ": differ from the recorded ones"))
        try:
            bundle = read_bundle(case.dir / "bundle.json")
        except ZkMarginError as exc:
            self.add(scope, "bundle", False, "bundle.json", "", str(exc))
            return
        got = bundle["public_signals"]
        same = len(got) == len(expected["public_signals"]) and all(e is None or e == g for e, g in zip(expected["public_signals"], got))
        self.add(scope, "bundle_signals", same, "bundle.json", "", "the bundle's public signals are the recomputed ones" if same else "the bundle's public signals differ from the recomputed ones")
        proofs = [("proof", case.keys_dir, bundle["proof"], got)]
        if case.chunk_keys_dir:
            chunks = bundle.get("chunks", [])
            same = len(chunks) == expected["chunks"] == want.get("chunks")
            self.add(scope, "chunks", same, "bundle.json: chunks", "", f"{len(chunks)} chunk proofs" + (", the count recomputed from the statements" + (f" (padded to {case.pad_to})" if case.pad_to else "") if same else f"; the statements need {expected['chunks']} (recorded {want.get('chunks')})"))
            proofs += [(f"chunks[{i}]", case.chunk_keys_dir, c["proof"], c["public_signals"]) for i, c in enumerate(chunks)]
        self._pairings(scope, proofs)
        try:
            decision = verify_bundle(
                bundle, inp.policy, [load_trusted_circuit(d) for d in case.key_dirs], spec=inp.spec, snapshot=inp.snapshot, at=case.as_of,
                applicant=inp.identity.commitment,
            )
        except ZkMarginError as exc:
            self.add(scope, "venue_decision", False, "bundle.json", file_sha256(case.dir / "bundle.json"), f"{type(exc).__name__}: {exc}")
            return
        bad = "; ".join(f"{c.name}: {c.reason}" for c in decision.failed)
        self.add(scope, "venue_decision", decision.accepted, "bundle.json", file_sha256(case.dir / "bundle.json"), f"venue verifier accepts ({len(decision.checks)} checks, as of {case.data['as_of']})" if decision.accepted else bad)

    def _pairings(self, scope, proofs) -> None:
        """Each (label, keys dir, proof, public signals) checked with py_ecc and with ``snarkjs groth16
        verify`` under the key directory's shipped verification key: one row per verifier."""
        from prover.toolchain import snarkjs
        from verifier.groth16 import load_verification_key, verify

        vks = {d: json.loads((d / "verification_key.json").read_text()) for _, d, _, _ in proofs}
        bad_py, bad_js = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for label, d, proof, signals in proofs:
                try:
                    ok = verify(load_verification_key(vks[d]), proof, signals)
                except (ZkMarginError, ValueError, TypeError, KeyError) as exc:
                    ok, label = False, f"{label} ({exc})"
                bad_py += [] if ok else [label]
                paths = [Path(tmp) / n for n in ("vk.json", "public.json", "proof.json")]
                for p, obj in zip(paths, (vks[d], signals, proof)):
                    p.write_text(json.dumps(obj))
                bad_js += [] if snarkjs.groth16_verify(*paths) else [label]
        what = f"{len(proofs)} proof(s)" if len(proofs) > 1 else "the proof"
        for check, bad, how in (("proof_py_ecc", bad_py, "Groth16 pairing check (py_ecc)"), ("proof_snarkjs", bad_js, "snarkjs groth16 verify")):
            self.add(scope, check, not bad, "bundle.json: proof" + ("s" if len(proofs) > 1 else ""), "",
                     f"{how} of {what} with the shipped verification key(s)" + (f": fails for {', '.join(bad)}" if bad else ""))

    def _refused(self, case, scope, inp, witness) -> None:
        from prover.toolchain import snarkjs

        if (case.dir / "bundle.json").exists():
            self.add(scope, "no_bundle", False, "bundle.json", file_sha256(case.dir / "bundle.json"), "a book that fails the policy has a proof bundle")
        with tempfile.TemporaryDirectory() as tmp:
            witness.write(Path(tmp) / "input.json")
            try:
                snarkjs.calculate_witness(inp.params, Path(tmp) / "input.json", Path(tmp) / "w.wtns")
                ok, why = False, "the circuit ACCEPTS a witness for a book that fails the policy"
            except ToolchainError as exc:
                where = re.findall(r"Error in template (\w+?)_\d+ line: (\d+)", str(exc))
                ok = bool(where)
                why = (f"the circuit's witness generator rejects the book: a constraint fails in {where[-1][0]} line {where[-1][1]} (via {', '.join(t for t, _ in where[:-1])})"
                       if ok else f"witness generation failed for another reason: {str(exc).splitlines()[0]}")
        self.add(scope, "circuit_rejects", ok, f"{inp.params.name}.wasm", "", why)


def to_json(rows: list[Row]) -> dict:
    """Machine-readable audit: every row and a summary."""
    return {"passed": not any(r.status == FAIL for r in rows), "counts": {s: sum(r.status == s for r in rows) for s in (PASS, FAIL, SKIP)}, "rows": [asdict(r) for r in rows]}
