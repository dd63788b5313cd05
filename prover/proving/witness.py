"""Circuit input (``input.json``) for circuits/margin.circom from venue statements, a risk table and a policy.

Keys are the circuit's signal names, one spelling from here through ``input.json`` to the ``.sym``
file. Integers are exactly those public/methodology/margin.py computes with; signed values go in as field
elements (p - |x|). The witness generator (circom's wasm) then computes every internal signal and
the R1CS checks them; nothing here is trusted by the verifier.

Slots: statement v's entries fill slots v * n_pos .. v * n_pos + n_pos - 1 in the venue's signed
order; unused entries are (instrument_id 0, qty 0) with the record at leaf 0 of the table
(circuits/margin.circom step 2b explains why they add nothing). Positions are not netted here: the
circuit's scenario sums net the same instrument across venues.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from prover.venue.attestation import account_field, check_statements, portfolio_from_statements
from public.crypto.poseidon import poseidon_chain
from public.errors import SpecError
from public.fixed_point import to_field
from public.methodology.margin import MarginReport, compute_margin


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


def portfolio_commitment(messages: list[int], salt: int) -> int:
    """PoseidonChain(salt, M_0, ..., M_{V-1}) over the signed statement messages (circuits/margin.circom step 11)."""
    return poseidon_chain([salt, *messages])


def record_inputs(table, record_index: list[int]) -> dict:
    """The slots' risk records and Merkle paths as the circuits name them (MarginSolvency and
    MarginChunk alike): ``record_index`` is each slot's leaf index in ``table``."""
    recs = [table.records[i] for i in record_index]
    paths = [table.path(i) for i in record_index]
    return {
        "record_id": [r.instrument_id for r in recs],
        "underlying": [r.underlying for r in recs],
        "pnl_e6": [list(r.pnl_e6) for r in recs],
        "delta_e6": [r.delta_e6 for r in recs],
        "vega_e6": [r.vega_e6 for r in recs],
        "add_on_e6": [r.add_on_e6 for r in recs],
        "mark_e6": [r.mark_e6 for r in recs],
        "path_index": [p[0] for p in paths],
        "path_elements": [p[1] for p in paths],
    }


def policy_public(policy, spec, haircut_price_e6: dict, statements) -> dict:
    """The public inputs every statement circuit takes from the policy, the spec's prices and the
    statements' keys: k, delta and vega limits, haircut prices, venue keys (signal name -> values)."""
    return {
        "multiplier_k_e6": policy.multiplier_k_e6,
        "delta_limit_e6": [policy.delta_limit_e6[u] for u in spec.underlyings],
        "vega_limit_e6": [policy.vega_limit_e6[u] for u in spec.underlyings],
        "collateral_price_e6": [haircut_price_e6[a] for a in spec.assets],
        "venue_key_x": [st.public_key.x for st in statements],
        "venue_key_y": [st.public_key.y for st in statements],
    }


def build_witness(params, table, statements, spec, haircut_price_e6: dict[str, int], policy, challenge: int, snapshot_epoch: int, spec_hash: int, salt: int, *, identity) -> Witness:
    """Inputs of MarginSolvency(params) proving the attested book of ``statements`` against ``policy``.

    ``identity``: the trader's prover.trader.identity.TraderIdentity; every statement must carry its
    commitment (public ``trader_identity``), and its secret is the private ``identity_secret``.

    Raises PortfolioError for a statement set the circuit would reject (attestation.check_statements)
    or an instrument missing from the table, SpecError if the spec's shape differs from the circuit's.
    Does not check solvency: the caller refuses insolvent books before proving (prover/proving/pipeline.py).
    """
    if (table.n_scenarios, len(spec.underlyings), len(spec.assets), table.depth) != (params.n_scen, params.n_und, params.n_assets, params.depth):
        raise SpecError(
            f"spec/table shape (scenarios {table.n_scenarios}, underlyings {len(spec.underlyings)}, assets {len(spec.assets)}, depth {table.depth}) "
            f"does not match circuit {params.name} ({params.n_scen}, {params.n_und}, {params.n_assets}, {params.depth})"
        )
    coin = spec.valuation == "coin_margined"
    if coin != params.coin_margined or (coin and (table.coin is None or table.coin.n_std != params.n_std_coin)):
        raise SpecError(f"spec {spec.name} ({'coin-margined' if coin else 'USD-linear'}) does not fit circuit {params.name} "
                        f"({'coin-margined, ' + str(params.n_std_coin) + ' standard scenarios' if params.coin_margined else 'USD-linear'})")  # fmt: skip
    epoch = check_statements(statements, params.n_pos, spec.assets, params.n_venues, identity.commitment)
    book = portfolio_from_statements(statements, table, salt)
    report = compute_margin(book, table, spec, haircut_price_e6)
    slot_ids, slot_qty, record_index = [], [], []
    for st in statements:
        entries = [(e.instrument_id, e.qty_e8, table.index_of(e.instrument_id)) for e in st.positions]
        entries += [(0, 0, 0)] * (params.n_pos - len(entries))  # unused entries: record at leaf 0
        for iid, q, idx in entries:
            slot_ids.append(iid)
            slot_qty.append(q)
            record_index.append(idx)
    messages = [st.message() for st in statements]
    public = {
        "risk_root": table.root,
        "spec_hash": spec_hash,
        "snapshot_epoch": snapshot_epoch,
        "attestation_epoch": epoch,
        "challenge": challenge,
        "trader_identity": identity.commitment,
        "portfolio_commitment": portfolio_commitment(messages, salt),
        **policy_public(policy, spec, haircut_price_e6, statements),
    }
    if coin:  # circuits/margin.circom step 13: the coin statement's public parameters replace the USD prices
        del public["collateral_price_e6"]
        public.update(table.coin.inputs())
    inputs = dict(public)
    inputs.update(
        account=[account_field(st.account) for st in statements],
        n_positions=[len(st.positions) for st in statements],
        qty_e8=slot_qty,
        instrument_id=slot_ids,
        collateral_amount_e8=[[st.collateral_e8.get(a, 0) for a in spec.assets] for st in statements],
        sig_r8x=[st.signature.r8x for st in statements],
        sig_r8y=[st.signature.r8y for st in statements],
        sig_s=[st.signature.s for st in statements],
        **record_inputs(table, record_index),
        worst_loss_e14=[um.worst_loss_e14 for um in report.underlyings],
        salt=salt,
        identity_secret=identity.secret,
    )
    if coin:
        inputs.update(
            delta_rate_e6=[um.delta_rate_e6 for um in report.underlyings],
            delta_rate_cap=[um.delta_rate_cap for um in report.underlyings],
            delta_shock_e14=[um.delta_shock_e14 for um in report.underlyings],
        )
    return Witness(inputs, public_values(params, public), report)


def public_values(params, inputs: dict) -> dict[str, int]:
    """{signal name: value} of the public signals of ``params`` (a CircuitParams; public_signal_names order), taken
    from an input dict whose arrays are nested lists (``x[i]``, ``x[i][j]`` in the names)."""
    flat = {}
    for name, v in inputs.items():
        if isinstance(v, list):
            for i, x in enumerate(v):
                if isinstance(x, list):
                    flat.update({f"{name}[{i}][{j}]": y for j, y in enumerate(x)})
                else:
                    flat[f"{name}[{i}]"] = x
        else:
            flat[name] = v
    return {n: flat[n] for n in params.public_signal_names()}
