"""Risk records of a snapshot under a spec, committed as a quaternary Poseidon Merkle root.

One ``RiskRecord`` per instrument (SPEC section 2): instrument id, underlying index, the P&L per
unit in every scenario, delta, vega, add-on rate and mark value per unit, all integers at USD x 1e6
per coin (public/fixed_point.py); under a spec with ``collateral_in_scenarios`` one spot record per
listed underlying follows the snapshot's (``spot_records``). Leaf = circuits/hash.circom RiskRecordHash:
``poseidon(c_0..c_k, instrument_id, underlying, delta, vega, add_on, mark)`` with
``c_j = poseidon(pnl[12j : 12j + 12])``. Tree: arity 4, node = poseidon(4 children), leaves in
table order (the snapshot's instrument-id order, then the spot records), padded with 0 to 4^depth (0 is no Poseidon output anyone can open), as
circuits/inclusion.circom QuadMerkleRoot. Anyone with the snapshot and the spec rebuilds it.

The published form (``to_json``) is what a venue compares against its own evaluation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from public.crypto.poseidon import MAX_ARITY, poseidon
from public.errors import RangeError, SnapshotError
from public.fixed_point import RECORD_BITS, check_signed

ARITY = 4
DEFAULT_DEPTH = 6  #: 4^6 = 4,096 leaves: the real snapshot has 1,996 instruments
TABLE_FORMAT = "zkmargin-risk-table/1"


@dataclass(frozen=True)
class RiskRecord:
    """One instrument's risk record; every value an int at USD x 1e6 per 1 coin notional.

    ``underlying`` is the index into the spec's underlyings (0 = BTC, 1 = ETH by default);
    ``pnl_e6`` has one value per scenario (weighted for the extended table); ``name`` is the
    canonical instrument name, for reports only (not hashed: the id is).
    """

    instrument_id: int
    underlying: int
    pnl_e6: tuple[int, ...]
    delta_e6: int
    vega_e6: int
    add_on_e6: int
    mark_e6: int
    name: str = ""

    def values(self) -> list[int]:
        """Flat list in leaf order after the pnl chunks (for ranges and JSON)."""
        return [self.instrument_id, self.underlying, self.delta_e6, self.vega_e6, self.add_on_e6, self.mark_e6]

    def check_ranges(self) -> None:
        """Raise RangeError naming the record if a value is outside RECORD_BITS or add-on < 0."""
        what = self.name or str(self.instrument_id)
        for s, v in enumerate(self.pnl_e6):
            check_signed(v, RECORD_BITS, f"{what} pnl_e6[{s}]")
        for field in ("delta_e6", "vega_e6", "add_on_e6", "mark_e6"):
            check_signed(getattr(self, field), RECORD_BITS, f"{what} {field}")
        if self.add_on_e6 < 0:
            raise RangeError(f"{what} add_on_e6 = {self.add_on_e6} is negative")

    def leaf(self) -> int:
        """Merkle leaf, as circuits/hash.circom RiskRecordHash(len(pnl_e6))."""
        chunks = [poseidon(self.pnl_e6[j : j + MAX_ARITY]) for j in range(0, len(self.pnl_e6), MAX_ARITY)]
        if len(chunks) + 6 > MAX_ARITY:
            raise ValueError(f"{len(self.pnl_e6)} scenarios do not fit one record leaf (max 72)")
        return poseidon(chunks + self.values())


def merkle_levels(leaves: list[int], depth: int) -> list[list[int]]:
    """All levels of the quaternary tree: levels[0] = leaves padded with 0, levels[depth] = [root]
    (at most 4^depth leaves: RiskTable checks that when it is made, before any hashing)."""
    level = list(leaves) + [0] * (ARITY**depth - len(leaves))
    levels = [level]
    for _ in range(depth):
        level = [poseidon(level[j : j + ARITY]) for j in range(0, len(level), ARITY)]
        levels.append(level)
    return levels


class RiskTable:
    """Records of one snapshot under one spec, their leaves, Merkle levels and root.

    Parameters
    ----------
    records : sequence of RiskRecord, in instrument-id order (the snapshot's order).
    depth : tree depth; must equal the circuit's DEPTH.
    labels : per underlying, scenario labels (reports only).
    meta : snapshot/spec identity carried into the published JSON.
    """

    def __init__(self, records, depth: int = DEFAULT_DEPTH, labels=None, meta=None, coin=None):
        self.coin = coin  #: coin-margined spec: the statement's public CoinParams (public/methodology/coin_margin.py)
        self.records = tuple(records)
        self.depth = depth
        self.labels = dict(labels or {})
        self.meta = dict(meta or {})
        if len(self.records) > ARITY**depth:
            raise SnapshotError(f"{len(self.records)} records do not fit a depth-{depth} tree ({ARITY**depth} leaves)")
        self._index = {r.instrument_id: i for i, r in enumerate(self.records)}

    @cached_property
    def leaves(self) -> list[int]:
        """Poseidon leaf of every record (computed on first use: about 1.4 ms per record)."""
        return [r.leaf() for r in self.records]

    @cached_property
    def levels(self) -> list[list[int]]:
        """Every level of the tree (computed on first use), ``levels[depth] == [root]``."""
        return merkle_levels(self.leaves, self.depth)

    @property
    def root(self) -> int:
        """The Merkle root (builds the tree on first use)."""
        return self.levels[-1][0]

    def records_sha256(self) -> str:
        """sha256 of the records and depth (canonical JSON): what the root is a function of."""
        import hashlib
        import json

        body = [self.depth, [[r.instrument_id, r.underlying, list(r.pnl_e6), *r.values()[2:]] for r in self.records]]
        return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()

    @property
    def n_scenarios(self) -> int:
        return len(self.records[0].pnl_e6) if self.records else 0

    def __len__(self) -> int:
        return len(self.records)

    def index_of(self, instrument_id: int) -> int:
        """Leaf index of an instrument; raises KeyError if it is not in the table."""
        return self._index[instrument_id]

    def path(self, index: int) -> tuple[list[int], list[list[int]]]:
        """Merkle path of leaf ``index``: (path_index[depth] in 0..3, path_elements[depth][3])."""
        path_index, path_elements = [], []
        for level in self.levels[:-1]:
            pos = index % ARITY
            base = index - pos
            path_index.append(pos)
            path_elements.append([level[base + j] for j in range(ARITY) if j != pos])
            index //= ARITY
        return path_index, path_elements

    def to_json(self) -> dict:
        """The published risk table: records, depth, root (hex) and the identity of its inputs."""
        return {
            "format": TABLE_FORMAT,
            **self.meta,
            "depth": self.depth,
            "scenario_labels": {k: list(v) for k, v in self.labels.items()},
            "root": hex(self.root),
            "records": [[r.name, r.instrument_id, r.underlying, list(r.pnl_e6), *r.values()[2:]] for r in self.records],
        }

    @classmethod
    def from_json(cls, obj: dict) -> "RiskTable":
        """Rebuild a table (and its root) from ``to_json`` output; raises SnapshotError if malformed."""
        if obj.get("format") != TABLE_FORMAT:
            raise SnapshotError(f"not a {TABLE_FORMAT} file")
        try:
            records = [
                RiskRecord(int(iid), int(und), tuple(int(v) for v in pnl), int(d), int(v), int(a), int(m), str(name))
                for name, iid, und, pnl, d, v, a, m in obj["records"]
            ]
            meta = {k: obj[k] for k in obj if k not in ("format", "depth", "scenario_labels", "root", "records")}
            coin = None
            if "coin_params" in meta:
                from public.methodology.coin_margin import CoinParams

                coin = CoinParams.from_json(meta["coin_params"])
            return cls(records, int(obj["depth"]), obj.get("scenario_labels"), meta, coin)
        except (KeyError, TypeError, ValueError) as exc:
            raise SnapshotError(f"malformed risk table: {exc}") from exc



def display_root(table: RiskTable, cache_dir) -> int:
    """The root of ``table`` for the prover's read-only reports (``zkmargin risk``), from
    ``cache_dir/<records_sha256>.json`` when present, else computed (and stored there). The
    Poseidon root of a whole snapshot costs seconds, the margin milliseconds. ``table`` is never
    changed: the shared in-process table (``cached_risk_table``) keeps computing its own root, so
    the verifier, and ``prove``, never see a cached value. Unwritable cache directories are ignored."""
    import json
    from pathlib import Path

    path = Path(cache_dir) / f"{table.records_sha256()}.json"
    if "levels" not in table.__dict__:
        try:
            return int(json.loads(path.read_text())["root"], 16)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    root = table.root
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"root": hex(root)}))
        os.replace(tmp, path)
    except OSError:
        pass
    return root


def records_from_arrays(snapshot, spec, arrays) -> list[RiskRecord]:
    """One RiskRecord per snapshot instrument from ``risk_array.RiskArrays`` (snapshot order)."""
    und_index = {u: i for i, u in enumerate(spec.underlyings)}
    out = []
    for i, key in enumerate(snapshot.keys):
        out.append(
            RiskRecord(
                instrument_id=int(snapshot.instrument_ids[i]),
                underlying=und_index[str(snapshot.underlying[i])],
                pnl_e6=tuple(int(v) for v in arrays.pnl_e6[i]),
                delta_e6=int(arrays.delta_e6[i]),
                vega_e6=int(arrays.vega_e6[i]),
                add_on_e6=int(arrays.add_on_e6[i]),
                mark_e6=int(arrays.mark_e6[i]),
                name=key.canonical_name,
            )
        )
    return out


def spot_records(snapshot, spec) -> list[RiskRecord]:
    """The spot records of a spec with ``collateral_in_scenarios`` (risk_array.spot_risk), which
    follow the snapshot's records in the table: every snapshot instrument keeps its leaf index."""
    from public.methodology.risk_array import spot_risk

    und_index = {u: i for i, u in enumerate(spec.underlyings)}
    return [RiskRecord(r.key.instrument_id, und_index[r.key.underlying], tuple(int(v) for v in r.pnl_e6), r.delta_e6, 0, r.add_on_e6, r.mark_e6,
                       r.key.canonical_name) for r in spot_risk(snapshot, spec)]  # fmt: skip


def build_risk_table(snapshot, spec, depth: int = DEFAULT_DEPTH, arrays=None) -> RiskTable:
    """Evaluate ``snapshot`` under ``spec`` (public/methodology/risk_array.py) and commit the records.

    Raises SnapshotError (value out of RECORD_BITS, too many instruments for ``depth``).
    """
    from public.methodology.risk_array import risk_arrays

    arrays = risk_arrays(snapshot, spec) if arrays is None else arrays
    records = records_from_arrays(snapshot, spec, arrays) + spot_records(snapshot, spec)
    for r in records:
        try:
            r.check_ranges()
        except RangeError as exc:
            raise SnapshotError(str(exc)) from exc
    meta = {
        "snapshot": snapshot.source,
        "snapshot_sha256": snapshot.sha256,
        "snapshot_epoch": snapshot.epoch,
        "spec": spec.name,
        "spec_sha256": spec.sha256,
        "underlyings": list(spec.underlyings),
    }
    coin = None
    if spec.valuation == "coin_margined":
        from public.methodology.coin_margin import coin_params

        coin = coin_params(spec, snapshot)
        meta["coin_params"] = coin.to_json()
    return RiskTable(records, depth, arrays.labels, meta, coin)


_CACHE: dict[tuple[str, str, int], RiskTable] = {}


def cached_risk_table(snapshot, spec, depth: int = DEFAULT_DEPTH) -> RiskTable:
    """``build_risk_table`` memoised on (snapshot sha256, spec sha256, depth) within one process:
    the same bytes always give the same table, and prover and verifier in one process share it."""
    key = (snapshot.sha256, spec.sha256, depth)
    if key not in _CACHE:
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = build_risk_table(snapshot, spec, depth)
    return _CACHE[key]
