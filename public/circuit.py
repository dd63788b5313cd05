"""Circuit identity: parameters read from ``circuits/main/<name>.circom`` and artefact paths.

A main file is a 3-line instantiation ``MarginSolvency(N_VENUES, N_POS, N_SCEN, N_UND, N_ASSETS, DEPTH,
N_STD_COIN)`` (N_STD_COIN 0: the USD-linear statement; n > 0: the coin-margined one, n standard scenarios);
the parameters live there only, and this module reads them back so the witness builder and the
circuit cannot disagree. Build artefacts (R1CS, wasm, sym, keys) live under ``build/``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from public.errors import ToolchainError

REPO = Path(__file__).resolve().parent.parent
CIRCUITS_DIR = REPO / "circuits"
BUILD_DIR = REPO / "build"  #: inside the repo: circom2 (WASI) only sees the working tree
DEFAULT_CIRCUIT = "margin_3x4"
DEFAULT_COIN_CIRCUIT = "margin_coin_3x4"  #: the coin-margined statement's demo instantiation
DEFAULT_CHUNK_CIRCUIT = "chunk_28x8"  #: a large book's chunks: 28 position slots, up to 8 venue statements (docs/benchmarks.md: why 28)
DEFAULT_AGGREGATE_CIRCUIT = "aggregate_8"  #: a large book's aggregate of 1 to 8 chunked venue statements (empty slots inert)
#: the main template's public inputs, as every main file lists them
PUBLIC_INPUTS = (
    "risk_root, spec_hash, snapshot_epoch, attestation_epoch, challenge, trader_identity, portfolio_commitment, multiplier_k_e6, "
    "delta_limit_e6, vega_limit_e6, collateral_price_e6, venue_key_x, venue_key_y"
)
#: the coin-margined statement's public inputs (circuits/margin.circom step 13)
COIN_PUBLIC_INPUTS = (
    "risk_root, spec_hash, snapshot_epoch, attestation_epoch, challenge, trader_identity, portfolio_commitment, multiplier_k_e6, "
    "delta_limit_e6, vega_limit_e6, venue_key_x, venue_key_y, coin_price_e6, pnl_offset_e14, dampener_e14, index_e6, "
    "delta_threshold_e6, max_delta_shock_e6, m_inc_e6"
)
COIN_PARAM_SIGNALS = ("pnl_offset_e14", "dampener_e14", "index_e6", "delta_threshold_e6", "max_delta_shock_e6", "m_inc_e6")

#: the chunked statement's circuits (circuits/chunk.circom, issue 11): their public inputs
CHUNK_PUBLIC_INPUTS = "risk_root, acc_in, acc_out"
AGGREGATE_PUBLIC_INPUTS = (
    "spec_hash, snapshot_epoch, attestation_epoch, challenge, trader_identity, portfolio_commitment, multiplier_k_e6, "
    "delta_limit_e6, vega_limit_e6, collateral_price_e6, venue_key_x, venue_key_y, acc_initial, acc_final"
)
KINDS = ("solvency", "chunk", "aggregate")  #: MarginSolvency, MarginChunk, MarginAggregate

_MAIN = re.compile(r"MarginSolvency\(\s*" + r"\s*,\s*".join([r"(\d+)"] * 7) + r"\s*\)")
_CHUNKED_MAIN = re.compile(r"(MarginChunk|MarginAggregate)\(\s*" + r"\s*,\s*".join([r"(\d+)"] * 5) + r"\s*\)")


@dataclass(frozen=True)
class CircuitParams:
    """Parameters of one compiled statement; ``name`` is the main file's stem."""

    name: str
    n_venues: int
    n_pos: int
    n_scen: int
    n_und: int
    n_assets: int
    depth: int
    main: Path | None = None  #: main file outside circuits/main/ (variants: prover/toolchain/variants.py)
    n_std_coin: int = 0  #: 0: USD-linear statement; n > 0: coin-margined, the first n scenarios standard
    kind: str = "solvency"  #: KINDS: one-proof statement, or a chunk / the aggregate of a chunked one
    slot_bits: int = 0  #: aggregate: the book holds at most 2^slot_bits positions

    @staticmethod
    def chunk(name: str, n_slots: int, n_scen: int, n_und: int, n_venues: int, depth: int, main: Path | None = None) -> "CircuitParams":
        """MarginChunk(n_slots, n_scen, n_und, n_venues, depth): ``n_pos`` holds the slots per chunk."""
        return CircuitParams(name, n_venues, n_slots, n_scen, n_und, 0, depth, main, kind="chunk")

    @staticmethod
    def aggregate(name: str, n_venues: int, n_scen: int, n_und: int, n_assets: int, slot_bits: int, main: Path | None = None) -> "CircuitParams":
        """MarginAggregate(n_venues, n_scen, n_und, n_assets, slot_bits)."""
        return CircuitParams(name, n_venues, 0, n_scen, n_und, n_assets, 0, main, kind="aggregate", slot_bits=slot_bits)

    @property
    def template_args(self) -> tuple[str, str, list[int]]:
        """(circuit file, template, parameters) of the main file's instantiation."""
        if self.kind == "chunk":
            return "chunk.circom", "MarginChunk", [self.n_pos, self.n_scen, self.n_und, self.n_venues, self.depth]
        if self.kind == "aggregate":
            return "chunk.circom", "MarginAggregate", [self.n_venues, self.n_scen, self.n_und, self.n_assets, self.slot_bits]
        return "margin.circom", "MarginSolvency", [self.n_venues, self.n_pos, self.n_scen, self.n_und, self.n_assets, self.depth, self.n_std_coin]

    @property
    def coin_margined(self) -> bool:
        """True for the per-settlement-currency coin statement (circuits/margin.circom step 13)."""
        return self.n_std_coin > 0

    @property
    def public_inputs(self) -> str:
        """The main file's ``public [...]`` list for this statement."""
        if self.kind != "solvency":
            return CHUNK_PUBLIC_INPUTS if self.kind == "chunk" else AGGREGATE_PUBLIC_INPUTS
        return COIN_PUBLIC_INPUTS if self.coin_margined else PUBLIC_INPUTS

    @property
    def n_slots(self) -> int:
        """Position slots: n_pos entries of each of the n_venues statements."""
        return self.n_venues * self.n_pos

    @property
    def main_path(self) -> Path:
        return self.main or CIRCUITS_DIR / "main" / f"{self.name}.circom"

    @property
    def build_dir(self) -> Path:
        return BUILD_DIR / "circuits" / self.name

    @property
    def r1cs_path(self) -> Path:
        return self.build_dir / f"{self.name}.r1cs"

    @property
    def wasm_path(self) -> Path:
        return self.build_dir / f"{self.name}_js" / f"{self.name}.wasm"

    @property
    def keys_dir(self) -> Path:
        return BUILD_DIR / "keys" / self.name

    @property
    def n_public(self) -> int:
        """Public signals: 7 scalars, k, 2 limits per underlying, 2 per venue key, and 1 price per
        asset (USD-linear) or, coin-margined, 1 coin price per (underlying, asset) and 6 coin
        parameters per underlying."""
        return len(self.public_signal_names())

    def public_signal_names(self) -> list[str]:
        """Names of the public signals in snarkjs ``public.json`` order (declaration order in
        circuits/margin.circom; the circuit has no outputs). tests/circuits check this order.
        A chunk: risk_root, acc_in, acc_out; the aggregate: MarginSolvency's USD names without
        risk_root (each chunk binds it), then acc_initial, acc_final."""
        if self.kind == "chunk":
            return ["risk_root", "acc_in", "acc_out"]
        if self.kind == "aggregate":
            return CircuitParams("", self.n_venues, 1, self.n_scen, self.n_und, self.n_assets, 1).public_signal_names()[1:] + ["acc_initial", "acc_final"]
        names = ["risk_root", "spec_hash", "snapshot_epoch", "attestation_epoch", "challenge", "trader_identity", "portfolio_commitment", "multiplier_k_e6"]
        names += [f"delta_limit_e6[{u}]" for u in range(self.n_und)]
        names += [f"vega_limit_e6[{u}]" for u in range(self.n_und)]
        if not self.coin_margined:
            names += [f"collateral_price_e6[{a}]" for a in range(self.n_assets)]
        names += [f"venue_key_x[{v}]" for v in range(self.n_venues)]
        names += [f"venue_key_y[{v}]" for v in range(self.n_venues)]
        if self.coin_margined:
            names += [f"coin_price_e6[{u}][{a}]" for u in range(self.n_und) for a in range(self.n_assets)]
            names += [f"{n}[{u}]" for n in COIN_PARAM_SIGNALS for u in range(self.n_und)]
        return names


SHAPE_FIELDS = ("n_venues", "n_pos", "n_scen", "n_und", "n_assets", "depth")
#: the shape fields of a chunk and an aggregate circuit (``kind`` beside them in key records and bundles)
KIND_FIELDS = {"chunk": ("n_venues", "n_pos", "n_scen", "n_und", "depth"), "aggregate": ("n_venues", "n_scen", "n_und", "n_assets", "slot_bits")}


def shape_json(params: CircuitParams) -> dict[str, int]:
    """A circuit's shape as key records and bundles carry it: the six SHAPE_FIELDS, plus
    ``n_std_coin`` for a coin-margined circuit (absent means 0, so older records keep their meaning);
    a chunk or aggregate circuit: ``kind`` and its KIND_FIELDS."""
    if params.kind != "solvency":
        return {"kind": params.kind, **{f: getattr(params, f) for f in KIND_FIELDS[params.kind]}}
    shape = {f: getattr(params, f) for f in SHAPE_FIELDS}
    if params.coin_margined:
        shape["n_std_coin"] = params.n_std_coin
    return shape


def circuit_params(name: str = DEFAULT_CIRCUIT) -> CircuitParams:
    """Read the parameters of ``circuits/main/<name>.circom``; ToolchainError if absent or malformed."""
    path = CIRCUITS_DIR / "main" / f"{name}.circom"
    if not path.is_file():
        known = sorted(p.stem for p in (CIRCUITS_DIR / "main").glob("*.circom"))
        raise ToolchainError(f"no circuit {name!r} (known: {', '.join(known)})")
    text = path.read_text()
    m = _MAIN.search(text)
    chunked = _CHUNKED_MAIN.search(text)
    if chunked and not m:
        template, *args = chunked.groups()
        make = CircuitParams.chunk if template == "MarginChunk" else CircuitParams.aggregate
        return make(name, *(int(a) for a in args))
    if not m:
        raise ToolchainError(f"{path} does not instantiate MarginSolvency(...), MarginChunk(...) or MarginAggregate(...)")
    *shape, n_std_coin = (int(g) for g in m.groups())
    return CircuitParams(name, *shape, n_std_coin=n_std_coin)


def circuit_for_spec(name: str, spec) -> CircuitParams:
    """``circuit_params(name)``, except that the default circuit under a coin-margined spec is
    DEFAULT_COIN_CIRCUIT (its statement is another one); ToolchainError as circuit_params."""
    if name == DEFAULT_CIRCUIT and spec.valuation == "coin_margined":
        name = DEFAULT_COIN_CIRCUIT
    return circuit_params(name)


def source_sha256(root: Path = CIRCUITS_DIR) -> str:
    """sha256 over every .circom file under ``root`` (default circuits/; sorted relative paths and
    contents): the source identity recorded with every build."""
    h = hashlib.sha256()
    for p in sorted(Path(root).rglob("*.circom")):
        h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def canonical_sha256(obj) -> str:
    """sha256 of the canonical JSON of ``obj`` (sorted keys, no spaces): identity of a key or table
    independent of how its file was indented."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def file_sha256(path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
