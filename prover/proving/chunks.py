"""Circuit inputs of chunked proving (circuits/chunk.circom; issue 11): MarginChunk over C position
slots at a time, carrying the book's running totals in blinded accumulators, and MarginAggregate
proving the USD-linear statement on the final totals.

Accumulator (``AccLayout``): per underlying u and scenario s the P&L total P_u[s], the add-on, the
mark value, net delta and vega per underlying (all USD x 1e14, as public/methodology/margin.py),
then per statement v its position-chain state and position count. Its commitment is
``PoseidonChain(ACC_TAG, blinding, values...)`` with a fresh random blinding per accumulator, so
the linking values a bundle carries hide the totals (a bare hash of round quantities could be
brute-forced; a blinded one cannot).

Position chain of a statement (what a venue signs for a large account, ``statement_root_message``):
``h_0 = Poseidon(CHAIN_TAG)``, ``h_{j+1} = Poseidon(h_j, instrument_id_j, qty_j)`` over its whole
position list in the venue's order; the chunks of statement v extend chain v slot by slot, so the
aggregate's check ``chain_v = positions_root_v`` (signed) shows every signed position was counted
exactly once, in order, at its index.

Chunks: each statement's positions are cut into runs of C (``plan_chunks``), the last one padded
with unused slots (qty 0, record at leaf 0: inert, as in MarginSolvency).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from prover.proving.witness import policy_public, record_inputs
from prover.venue.attestation import CHAIN_TAG, STATEMENT_V3_TAG, account_field, chain_start, chain_step, positions_root, statement_root_message  # noqa: F401 (re-exported)
from public.crypto.poseidon import poseidon_chain
from public.statement import EMPTY_VENUE_KEY
from verifier.chunked import link_problems  # noqa: F401 (re-exported: the verifier's check)
from public.fixed_point import CHALLENGE_BITS, FIELD_P, to_field

ACC_TAG = int.from_bytes(b"zkmargin-accumulator/1", "big")


@dataclass(frozen=True)
class AccLayout:
    """Indices of the accumulator's values (circuits/chunk.circom ACC_LEN)."""

    n_scen: int
    n_und: int
    n_venues: int

    @property
    def add_on(self) -> int:
        return self.n_und * self.n_scen

    @property
    def mark(self) -> int:
        return self.add_on + 1

    @property
    def delta(self) -> int:
        return self.add_on + 2

    @property
    def vega(self) -> int:
        return self.delta + self.n_und

    @property
    def chain(self) -> int:
        return self.vega + self.n_und

    @property
    def count(self) -> int:
        return self.chain + self.n_venues

    def __len__(self) -> int:
        return self.count + self.n_venues

    def initial(self) -> list[int]:
        """Zero totals, every position chain at its start."""
        vals = [0] * len(self)
        for v in range(self.n_venues):
            vals[self.chain + v] = chain_start()
        return vals


def commit(blinding: int, values) -> int:
    """The accumulator commitment PoseidonChain(ACC_TAG, blinding, values...) (signed values as field elements)."""
    return poseidon_chain([ACC_TAG, blinding % FIELD_P, *(to_field(v) for v in values)])


def fresh_blinding() -> int:
    return secrets.randbits(CHALLENGE_BITS)


@dataclass(frozen=True)
class Chunk:
    """One chunk: the statement it belongs to and its entries (at most C; the rest are unused slots)."""

    venue: int
    entries: tuple


def plan_chunks(statements, capacity: int, pad_to: int | None = None) -> list[Chunk]:
    """Each statement's positions in runs of ``capacity``, statement order; ``pad_to``: add empty
    chunks (no used slot) up to that many, so the chunk count reveals only a bucket of the size."""
    chunks = []
    for v, st in enumerate(statements):
        entries = tuple(st.positions)
        for i in range(0, len(entries), capacity):
            chunks.append(Chunk(v, entries[i : i + capacity]))
    if pad_to is not None:
        if pad_to < len(chunks):
            raise ValueError(f"the book needs {len(chunks)} chunks, more than --pad-to {pad_to}")
        chunks += [Chunk(0, ())] * (pad_to - len(chunks))
    return chunks or [Chunk(0, ())]  # at least one: the links of a bundle without chunks would check nothing


def advance(layout: AccLayout, totals: list[int], chunk: Chunk, table) -> list[int]:
    """The totals after ``chunk`` (what MarginChunk computes), exact integers."""
    out = list(totals)
    h = out[layout.chain + chunk.venue]
    for e in chunk.entries:
        rec = table.records[table.index_of(e.instrument_id)]
        q = e.qty_e8
        for s in range(layout.n_scen):
            out[rec.underlying * layout.n_scen + s] += q * rec.pnl_e6[s]
        out[layout.add_on] += abs(q) * rec.add_on_e6
        out[layout.mark] += q * rec.mark_e6
        out[layout.delta + rec.underlying] += q * rec.delta_e6
        out[layout.vega + rec.underlying] += q * rec.vega_e6
        h = chain_step(h, e.instrument_id, q)
    out[layout.chain + chunk.venue] = h
    out[layout.count + chunk.venue] += len(chunk.entries)
    return out


def chunk_inputs(layout: AccLayout, capacity: int, table, chunk: Chunk, totals_in: list[int], blinding_in: int, blinding_out: int) -> tuple[dict, list[int]]:
    """(MarginChunk input dict, totals_out) of one chunk."""
    totals_out = advance(layout, totals_in, chunk, table)
    slots = [(e.instrument_id, e.qty_e8, table.index_of(e.instrument_id), 1) for e in chunk.entries]
    slots += [(0, 0, 0, 0)] * (capacity - len(slots))
    inputs = {
        "risk_root": table.root,
        "acc_in": commit(blinding_in, totals_in),
        "acc_out": commit(blinding_out, totals_out),
        "blinding_in": blinding_in,
        "totals_in": list(totals_in),
        "blinding_out": blinding_out,
        "venue": chunk.venue,
        "used": [u for *_, u in slots],
        "instrument_id": [iid for iid, *_ in slots],
        "qty_e8": [q for _, q, *_ in slots],
        **record_inputs(table, [i for _, _, i, _ in slots]),
    }
    return inputs, totals_out


def worst_from_totals(layout: AccLayout, totals: list[int]) -> list[int]:
    """The least worst-case hints W_u the aggregate accepts: max(0, -min_s P_u[s]) (gain offset 0)."""
    return [max(0, -min(totals[u * layout.n_scen : (u + 1) * layout.n_scen])) for u in range(layout.n_und)]


def empty_slot_message(identity: int, epoch: int, n_assets: int) -> int:
    """The StatementRootMessage of an empty statement slot (circuits/chunk.circom MarginAggregate
    step 6: account 0, no position, the chain at its start, no collateral), as portfolio_commitment
    takes it."""
    return poseidon_chain([STATEMENT_V3_TAG, 0, identity, epoch, 0, chain_start()] + [0] * n_assets)


def aggregate_inputs(layout: AccLayout, statements, signatures, totals: list[int], blinding_initial: int, blinding_final: int, spec, haircut_price_e6: dict,
                     policy, challenge: int, snapshot_epoch: int, spec_hash: int, salt: int, identity, worst_loss_e14: list[int]) -> dict:  # fmt: skip
    """MarginAggregate input dict; ``signatures``: each statement's signature over statement_root_message.
    Fewer statements than the circuit's slots fill the rest with empty slots (venue key EMPTY_VENUE_KEY).

    Raises PortfolioError for statements the aggregate would refuse: collateral not in the spec's
    asset order (the signed amounts are bound by position), another epoch or trader identity, two
    statements of one (venue key, account)."""
    from public.errors import PortfolioError

    seen = set()
    for st in statements:
        if tuple(st.assets) != tuple(spec.assets):
            raise PortfolioError(f"{st.venue}: statement assets {list(st.assets)} are not the spec's {list(spec.assets)}")
        if st.epoch != statements[0].epoch or st.identity != identity.commitment:
            raise PortfolioError(f"{st.venue}: every statement must be of epoch {statements[0].epoch} and for the prover's identity")
        key = (st.public_key.x, st.account)
        if key in seen:
            raise PortfolioError(f"{st.venue}: two statements of account {st.account} under one venue key")
        seen.add(key)
    if not 1 <= len(statements) <= layout.n_venues:
        raise PortfolioError(f"{len(statements)} venue statements given, the aggregate circuit takes 1 to {layout.n_venues}")
    n_empty = layout.n_venues - len(statements)
    messages = [statement_root_message(st) for st in statements] + [empty_slot_message(identity.commitment, statements[0].epoch, len(spec.assets))] * n_empty
    policy_values = policy_public(policy, spec, haircut_price_e6, statements)
    policy_values["venue_key_x"] = policy_values["venue_key_x"] + [EMPTY_VENUE_KEY[0]] * n_empty
    policy_values["venue_key_y"] = policy_values["venue_key_y"] + [EMPTY_VENUE_KEY[1]] * n_empty
    return {
        "spec_hash": spec_hash,
        "snapshot_epoch": snapshot_epoch,
        "attestation_epoch": statements[0].epoch,
        "challenge": challenge,
        "trader_identity": identity.commitment,
        "portfolio_commitment": poseidon_chain([salt, *messages]),
        **policy_values,
        "acc_initial": commit(blinding_initial, layout.initial()),
        "acc_final": commit(blinding_final, totals),
        "blinding_initial": blinding_initial,
        "blinding_final": blinding_final,
        "totals": list(totals),
        "account": [account_field(st.account) for st in statements] + [0] * n_empty,
        "n_positions": [len(st.positions) for st in statements] + [0] * n_empty,
        "collateral_amount_e8": [[st.collateral_e8.get(a, 0) for a in spec.assets] for st in statements] + [[0] * len(spec.assets) for _ in range(n_empty)],
        "sig_r8x": [s.r8x for s in signatures] + [0] * n_empty,
        "sig_r8y": [s.r8y for s in signatures] + [0] * n_empty,
        "sig_s": [s.s for s in signatures] + [0] * n_empty,
        "worst_loss_e14": list(worst_loss_e14),
        "salt": salt,
        "identity_secret": identity.secret,
    }


def book_inputs(chunk, aggregate, table, statements, spec, haircut_price_e6: dict, policy, challenge: int, snapshot_epoch: int,
                salt: int, identity, pad_to: int | None = None) -> tuple[list[dict], dict]:  # fmt: skip
    """Every circuit input of a chunked proof of ``statements``: (the MarginChunk input dicts in
    chunk order, the MarginAggregate input dict), each accumulator under a fresh blinding.

    ``chunk``, ``aggregate``: the two circuits' CircuitParams (position slots a chunk, statements
    the aggregate; the accumulator layout follows from them and ``spec``); ``pad_to``: as plan_chunks. Raises
    PortfolioError for more chunks than ``pad_to`` and for statements the aggregate refuses
    (aggregate_inputs)."""
    from public.errors import PortfolioError

    layout = AccLayout(spec.n_scenarios, len(spec.underlyings), aggregate.n_venues)
    try:
        plan = plan_chunks(statements, chunk.n_pos, pad_to)
    except ValueError as exc:
        raise PortfolioError(str(exc)) from None
    totals, blinding = layout.initial(), fresh_blinding()
    first_blinding, inputs_list = blinding, []
    for c in plan:
        nxt = fresh_blinding()
        inputs, totals = chunk_inputs(layout, chunk.n_pos, table, c, totals, blinding, nxt)
        inputs_list.append(inputs)
        blinding = nxt
    agg = aggregate_inputs(layout, statements, [st.signature for st in statements], totals, first_blinding, blinding, spec, haircut_price_e6, policy,
                           challenge, snapshot_epoch, spec.spec_hash, salt, identity, worst_from_totals(layout, totals))  # fmt: skip
    return inputs_list, agg
