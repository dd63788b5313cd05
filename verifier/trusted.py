"""The venue's trusted configuration: the circuits it accepts, each read from the venue's own files.

A venue accepts a circuit by installing its key directory and naming it in its policy
(``"circuits": [{"keys": "DIR", "verification_key_sha256": "..."}]``). Everything the verifier
uses about a circuit comes from that directory, never from a bundle:

- ``verification_key.json``: the Groth16 key; its canonical sha256 is the circuit's identity;
- the circuit's shape (venues x positions, scenarios, underlyings, assets, tree depth), which fixes
  how many public signals there are and what each one is called, with the compiler, flags, source
  and R1CS hashes: from ``keys.json`` (fixture / exported keys) or ``setup.json`` (``zkmargin setup``);
- the setup provenance: from ``ceremony.json`` (the phase-2 transcript) when it is there.

Provenance decides "dev" (docs/security.md): a key with no recorded ceremony, a ceremony nobody
contributed to (beacon-only, reproducible by anyone, so its toxic waste is public) or one whose
phase 1 is a locally generated ptau is DEV; only a ceremony with at least one participant over an
external phase-1 ptau is not. What a key directory's own files *say* about being dev is ignored.

Raises ConfigError (a PolicyError: the venue's configuration, exit code 2) on anything missing,
inconsistent (a shape whose public-signal count differs from the key's nPublic, a transcript that
names another key) or not pinned as the policy says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from public.circuit import KIND_FIELDS, SHAPE_FIELDS, CircuitParams, canonical_sha256, file_sha256, shape_json
from public.errors import BundleError, PolicyError
from public.json_input import read_json_file
from verifier.groth16 import VerificationKey, load_verification_key

IDENTITY_FIELDS = ("compiler", "flags", "source_sha256", "r1cs_sha256")
MAX_SHAPE = {"n_venues": 64, "n_pos": 4096, "n_scen": 256, "n_und": 16, "n_assets": 32, "depth": 16, "slot_bits": 20}
DEV_PREFIX = "DEV - NOT FOR PRODUCTION"


class ConfigError(PolicyError):
    """The venue's trusted circuit configuration is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Provenance:
    """How a key was made, as the venue's own files show it.

    kind: "ceremony" (a transcript is present) or the setup.json kind ("dev-groth16py", "snarkjs"),
    or "unrecorded"; participants: names of the phase-2 contributors (beacon excluded); beacon: the
    closing beacon (hex) or None; transcript_sha256: sha256 of ceremony.json or None.
    """

    kind: str
    dev: bool
    label: str
    participants: tuple[str, ...] = ()
    beacon: str | None = None
    transcript_sha256: str | None = None
    ptau_source: str | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "dev": self.dev, "label": self.label}


@dataclass(frozen=True)
class TrustedCircuit:
    """One circuit the venue accepts: its key, shape, build identity and setup provenance."""

    params: CircuitParams
    verification_key: dict
    vk: VerificationKey
    vk_sha256: str
    identity: dict  #: compiler, flags, source_sha256, r1cs_sha256
    provenance: Provenance
    keys_dir: Path

    @property
    def name(self) -> str:
        return self.params.name

    def public_signal_names(self) -> list[str]:
        return self.params.public_signal_names()

    def bundle_section(self) -> dict:
        """The ``circuit`` section a bundle made under this key must carry, field for field."""
        p = self.params
        return {
            "name": p.name,
            "params": shape_json(p),
            **{f: self.identity[f] for f in IDENTITY_FIELDS},
            "verification_key_sha256": self.vk_sha256,
            "setup": self.provenance.to_json(),
        }


def _kind_shape(raw, where: str) -> dict:
    """A chunk or aggregate circuit's shape: ``kind`` and exactly its KIND_FIELDS, each in range."""
    kind = raw.get("kind")
    if kind not in KIND_FIELDS or set(raw) != {"kind", *KIND_FIELDS[kind]}:
        raise ConfigError(f"{where}: circuit params of kind {str(kind)[:20]!r} must be kind and {', '.join(KIND_FIELDS.get(kind, ('one of chunk, aggregate',)))}")
    out = {"kind": kind}
    for f in KIND_FIELDS[kind]:
        v = raw[f]
        if type(v) is not int or not 1 <= v <= MAX_SHAPE[f]:
            raise ConfigError(f"{where}: circuit param {f} = {v!r} is not an integer in 1..{MAX_SHAPE[f]}")
        out[f] = v
    return out


def _params(name: str, shape: dict) -> CircuitParams:
    """The CircuitParams of a validated shape (_shape)."""
    if shape.get("kind") == "chunk":
        return CircuitParams.chunk(name, shape["n_pos"], shape["n_scen"], shape["n_und"], shape["n_venues"], shape["depth"])
    if shape.get("kind") == "aggregate":
        return CircuitParams.aggregate(name, shape["n_venues"], shape["n_scen"], shape["n_und"], shape["n_assets"], shape["slot_bits"])
    return CircuitParams(name, **shape)


def _shape(raw, where: str) -> dict:
    if isinstance(raw, dict) and "kind" in raw:
        return _kind_shape(raw, where)
    if not isinstance(raw, dict) or not set(SHAPE_FIELDS) <= set(raw) <= {*SHAPE_FIELDS, "n_std_coin"}:
        raise ConfigError(f"{where}: circuit params must be exactly {', '.join(SHAPE_FIELDS)} (and n_std_coin for a coin-margined circuit)")
    out = {}
    for f in SHAPE_FIELDS:
        v = raw[f]
        if type(v) is not int or not 1 <= v <= MAX_SHAPE[f]:
            raise ConfigError(f"{where}: circuit param {f} = {v!r} is not an integer in 1..{MAX_SHAPE[f]}")
        out[f] = v
    if "n_std_coin" in raw:
        v = raw["n_std_coin"]
        if type(v) is not int or not 1 <= v < out["n_scen"]:
            raise ConfigError(f"{where}: circuit param n_std_coin = {v!r} is not an integer in 1..n_scen - 1")
        out["n_std_coin"] = v
    return out


def provenance_of(keys_dir: Path, vk_file_sha256: str, setup_kind: str | None) -> Provenance:
    """The key's provenance from ``keys_dir/ceremony.json`` if present, else dev (no ceremony)."""
    path = keys_dir / "ceremony.json"
    if not path.exists():
        kind = setup_kind or "unrecorded"
        return Provenance(kind, True, f"{DEV_PREFIX}: no recorded ceremony ({kind} setup); whoever ran it can forge proofs")
    t = read_json_file(path, ConfigError, "ceremony transcript")
    try:
        steps = t["steps"]
        named_vk = t.get("verification_key_sha256")
        participants = tuple(str(s["participant"]) for s in steps if s["step"] == "contribute")
        beacons = [str(s["beacon"]) for s in steps if s["step"] == "beacon"]
        ptau_source = str(t["ptau_source"])
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a ceremony transcript ({exc})") from None
    if named_vk != vk_file_sha256:
        raise ConfigError(f"{path}: the transcript names verification key {str(named_vk)[:16]}..., not the one beside it ({vk_file_sha256[:16]}...)")
    dev = not participants or ptau_source != "external"
    why = "beacon-only: reproducible from public data, so its toxic waste is public" if not participants else f"phase 1: {ptau_source}"
    label = f"phase-2 ceremony: {len(participants)} contribution(s) ({', '.join(participants) or 'none'}) + beacon; phase 1: {ptau_source}"
    if dev:
        label = f"{DEV_PREFIX} ({why}; {label})"
    return Provenance("ceremony", dev, label, participants, beacons[-1] if beacons else None, file_sha256(path), ptau_source)


def load_trusted_circuit(keys_dir, pin_sha256: str | None = None) -> TrustedCircuit:
    """Read one accepted circuit from the venue's key directory (module docstring).

    ``pin_sha256``: the canonical sha256 the venue expects of the verification key (from its
    policy); ConfigError if it differs. Raises ConfigError on a missing or inconsistent file.
    """
    keys_dir = Path(keys_dir)
    vk_path = keys_dir / "verification_key.json"
    vk_json = read_json_file(vk_path, ConfigError, "verification key (run `zkmargin setup`)")
    try:
        vk = load_verification_key(vk_json)
    except BundleError as exc:
        raise ConfigError(f"{vk_path}: {exc}") from None
    vk_sha = canonical_sha256(vk_json)
    if pin_sha256 is not None and pin_sha256 != vk_sha:
        raise ConfigError(f"{vk_path}: verification key sha256 {vk_sha[:16]}... is not the one the policy pins ({str(pin_sha256)[:16]}...)")
    if (keys_dir / "keys.json").exists():
        rec = read_json_file(keys_dir / "keys.json", ConfigError, "key record")
        setup_kind = None
    else:
        rec = read_json_file(keys_dir / "setup.json", ConfigError, "setup record (keys.json or setup.json)")
        setup_kind = rec.get("kind") if isinstance(rec, dict) else None
    where = str(keys_dir)
    if not isinstance(rec, dict) or not isinstance(rec.get("circuit"), str) or not rec["circuit"]:
        raise ConfigError(f"{where}: the key record names no circuit")
    shape = _shape(rec.get("params"), where)
    identity = {f: rec.get(f) for f in IDENTITY_FIELDS}
    missing = [f for f, v in identity.items() if v is None]
    if missing:
        raise ConfigError(f"{where}: the key record lacks {', '.join(missing)} (re-run `zkmargin setup`)")
    params = _params(rec["circuit"], shape)
    if vk.n_public != params.n_public:
        raise ConfigError(f"{where}: circuit {params.name} has {params.n_public} public signals, its verification key {vk.n_public}")
    prov = provenance_of(keys_dir, file_sha256(vk_path), setup_kind)
    return TrustedCircuit(params, vk_json, vk, vk_sha, identity, prov, keys_dir)


def policy_circuits(policy) -> list[TrustedCircuit]:
    """Every circuit ``policy`` (verifier.policy.Policy) accepts; ConfigError if it names none."""
    if not policy.circuits:
        raise ConfigError(f"{policy.source}: the policy accepts no circuit (add 'circuits': [{{'keys': DIR}}])")
    return [load_trusted_circuit(c.keys_dir, c.verification_key_sha256) for c in policy.circuits]
