"""Circuit input (``input.json``) for circuits/margin.circom from a portfolio, a risk table and a policy.

Keys are the circuit's signal names, one spelling from here through ``input.json`` to the ``.sym``
file. Integers are exactly those prover/margin.py computes with; signed values go in as field
elements (p - |x|). The witness generator (circom's wasm) then computes every internal signal and
the R1CS checks them; nothing here is trusted by the verifier.

Slots: one per netted position (prover/portfolio.py), in snapshot order, then inert slots with
qty 0 pointing at leaf 0 of the table (circuits/margin.circom explains why they add nothing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from prover.errors import PortfolioError, SpecError
from prover.fixed_point import to_field
from prover.margin import MarginReport, compute_margin
from prover.poseidon import poseidon_chain


@dataclass(frozen=True)
class Witness:
    """Circuit inputs, the public signals they imply (name -> int, in order) and the margin report."""

    inputs: dict
    public: dict[str, int]
    report: MarginReport

    def write(self, path) -> None:
        """Write ``input.json`` with every integer as a decimal string (field elements)."""
        Path(path).write_text(json.dumps(_as_strings(self.inputs)))


def _as_strings(v):
    if isinstance(v, dict):
        return {k: _as_strings(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_as_strings(x) for x in v]
    return str(to_field(v))


def portfolio_commitment(slots_id: list[int], slots_qty: list[int], amounts: list[int], salt: int) -> int:
    """PoseidonChain(salt, id_0, qty_0, ..., id_{N-1}, qty_{N-1}, amount_0, ...) (circuits/hash.circom)."""
    values = [salt]
    for iid, q in zip(slots_id, slots_qty):
        values += [iid, to_field(q)]
    return poseidon_chain(values + list(amounts))


def build_witness(params, table, portfolio, spec, haircut_price_e6: dict[str, int], policy, challenge: int, snapshot_epoch: int, spec_hash: int) -> Witness:
    """Inputs of MarginSolvency(params) proving ``portfolio`` against ``policy``.

    Raises PortfolioError if the portfolio has more positions than the circuit has slots, SpecError
    if the spec's shape differs from the circuit's (scenarios, underlyings, assets, tree depth).
    Does not check solvency: the caller refuses insolvent books before proving (prover/cli.py).
    """
    if (table.n_scenarios, len(spec.underlyings), len(spec.assets), table.depth) != (params.n_scen, params.n_und, params.n_assets, params.depth):
        raise SpecError(
            f"spec/table shape (scenarios {table.n_scenarios}, underlyings {len(spec.underlyings)}, assets {len(spec.assets)}, depth {table.depth}) "
            f"does not match circuit {params.name} ({params.n_scen}, {params.n_und}, {params.n_assets}, {params.depth})"
        )
    positions = portfolio.positions
    if len(positions) > params.n_slots:
        raise PortfolioError(f"{len(positions)} distinct instruments, but circuit {params.name} has {params.n_slots} position slots")
    report = compute_margin(portfolio, table, spec, haircut_price_e6)
    slots = [(table.index_of(p.instrument_id), p.qty_e8) for p in positions]
    slots += [(0, 0)] * (params.n_slots - len(slots))
    recs = [table.records[i] for i, _ in slots]
    paths = [table.path(i) for i, _ in slots]
    qty = [q for _, q in slots]
    amounts = [portfolio.collateral_e8[a] for a in spec.assets]
    commitment = portfolio_commitment([r.instrument_id for r in recs], qty, amounts, portfolio.salt)
    public = {
        "risk_root": table.root,
        "spec_hash": spec_hash,
        "snapshot_epoch": snapshot_epoch,
        "challenge": challenge,
        "portfolio_commitment": commitment,
        "multiplier_k_e6": policy.multiplier_k_e6,
        "delta_limit_e6": [policy.delta_limit_e6[u] for u in spec.underlyings],
        "vega_limit_e6": [policy.vega_limit_e6[u] for u in spec.underlyings],
        "collateral_price_e6": [haircut_price_e6[a] for a in spec.assets],
    }
    inputs = dict(public)
    inputs.update(
        qty_e8=qty,
        instrument_id=[r.instrument_id for r in recs],
        underlying=[r.underlying for r in recs],
        pnl_e6=[list(r.pnl_e6) for r in recs],
        delta_e6=[r.delta_e6 for r in recs],
        vega_e6=[r.vega_e6 for r in recs],
        add_on_e6=[r.add_on_e6 for r in recs],
        mark_e6=[r.mark_e6 for r in recs],
        path_index=[p[0] for p in paths],
        path_elements=[p[1] for p in paths],
        collateral_amount_e8=amounts,
        worst_loss_e14=[um.worst_loss_e14 for um in report.underlyings],
        salt=portfolio.salt,
    )
    flat = {}
    for name, v in public.items():
        if isinstance(v, list):
            flat.update({f"{name}[{i}]": x for i, x in enumerate(v)})
        else:
            flat[name] = v
    ordered = {n: flat[n] for n in params.public_signal_names()}
    return Witness(inputs, ordered, report)
