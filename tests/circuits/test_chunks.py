"""Chunked proving (circuits/chunk.circom, prover/proving/chunks.py; issue 11), on small compiled
circuits: MarginChunk(2 slots, 5 scenarios, 2 underlyings, 3 statements, depth 2) and
MarginAggregate(3 statements, 5 scenarios, 2 underlyings, 4 assets, 2^8 slots), over the synthetic
table of margin_cases.py. An honest book of two large statements (3 + 1 positions, so 3 chunks; the
third statement slot empty) is proved chunk by chunk and aggregated; its totals are
public/methodology/margin.py's. Every forged witness below (a position omitted, duplicated, moved to
another statement or altered; an unused slot with a quantity; a record not the instrument's; running
totals that do not open the accumulator; an initial accumulator that is not zero; an understated
worst case; a book over its limits; an empty statement slot with collateral, positions, a chain or an
account; a signed statement passed off as empty; a (0, y) key; one statement in two slots around an
empty one) is refused; empty slots in any order and with any signature values prove.
"""

import re

import pytest

from prover.proving import chunks as ch
from prover.venue.attestation import attest, portfolio_from_statements
from public.circuit import CIRCUITS_DIR
from public.crypto.poseidon import poseidon_chain
from public.fixed_point import FIELD_P
from public.methodology.margin import compute_margin
from tests.circuits.compiler import compile_template
from tests.circuits.harness import ConstraintViolation
from tests.circuits.margin_cases import (
    BTC_C, BTC_F, EPOCH, ETH_P, ETH_PERP, KEY_A, KEY_B, POLICY, PRICES, SALT, SPEC, TABLE, TRADER, copy_inputs,
)

C, N_SCEN, N_UND, N_VENUES, DEPTH, SLOT_BITS = 2, 5, 2, 3, 2, 8
LAYOUT = ch.AccLayout(N_SCEN, N_UND, N_VENUES)
AGG_PUBLIC = ["spec_hash", "snapshot_epoch", "attestation_epoch", "challenge", "trader_identity", "portfolio_commitment", "multiplier_k_e6",
              "delta_limit_e6", "vega_limit_e6", "collateral_price_e6", "venue_key_x", "venue_key_y", "acc_initial", "acc_final"]  # fmt: skip


@pytest.fixture(scope="module")
def chunk_circuit():
    return compile_template("chunk.circom", "MarginChunk", [C, N_SCEN, N_UND, N_VENUES, DEPTH], public=["risk_root", "acc_in", "acc_out"])


@pytest.fixture(scope="module")
def aggregate_circuit():
    return compile_template("chunk.circom", "MarginAggregate", [N_VENUES, N_SCEN, N_UND, len(SPEC.assets), SLOT_BITS], public=AGG_PUBLIC)


def statements(a=((BTC_C, "-1"), (BTC_F, "0.5"), (ETH_PERP, "2")), b=((ETH_P, "10"),), usdc="20000"):
    sa = attest(KEY_A, "venue-a", "desk-7", TRADER.commitment, EPOCH, list(a), {"USDC": usdc}, 8, SPEC.assets)
    sb = attest(KEY_B, "venue-b", "desk-9", TRADER.commitment, EPOCH, list(b), {}, 8, SPEC.assets)
    return [sa, sb]


def signatures(sts, keys=(KEY_A, KEY_B)):
    """Each venue's signature over the large-statement message (its whole position list's chain)."""
    return [k.sign(ch.statement_root_message(st)) for k, st in zip(keys, sts)]


def prove_chunks(chunk_list):
    """[(inputs, totals_out)] along the accumulator chain from the initial accumulator, and its blindings."""
    totals, blinding = LAYOUT.initial(), 101
    out = []
    for k, c in enumerate(chunk_list):
        inp, totals_next = ch.chunk_inputs(LAYOUT, C, TABLE, c, totals, blinding, 202 + k)
        out.append(inp)
        totals, blinding = totals_next, 202 + k
    return out, totals, blinding


def aggregate(sts, totals, final_blinding, sigs=None, worst=None):
    book = portfolio_from_statements(sts, TABLE, SALT)
    report = compute_margin(book, TABLE, SPEC, PRICES)
    w = worst if worst is not None else ch.worst_from_totals(LAYOUT, totals)  # what the chunks accumulated, honest or not
    return ch.aggregate_inputs(LAYOUT, sts, sigs or signatures(sts), totals, 101, final_blinding, SPEC, PRICES, POLICY, POLICY.challenge, EPOCH, 777,
                               SALT, TRADER, w), report  # fmt: skip


def line_of(fragment: str) -> int:
    lines = [i for i, s in enumerate((CIRCUITS_DIR / "chunk.circom").read_text().splitlines(), 1) if fragment in s]
    assert len(lines) == 1, (fragment, lines)
    return lines[0]


def failed_at(err: str, template: str, fragment: str) -> bool:
    return re.search(rf"{template}_\d+ line: {line_of(fragment)}\b", err) is not None


@pytest.fixture(scope="module")
def honest():
    sts = statements()
    plan = ch.plan_chunks(sts, C)
    chunk_inputs, totals, blinding = prove_chunks(plan)
    agg, report = aggregate(sts, totals, blinding)
    return sts, plan, chunk_inputs, totals, agg, report


def test_the_honest_book_proves_chunk_by_chunk(chunk_circuit, aggregate_circuit, honest):
    sts, plan, chunk_inputs, totals, agg, report = honest
    assert [(c.venue, len(c.entries)) for c in plan] == [(0, 2), (0, 1), (1, 1)]
    for k, inp in enumerate(chunk_inputs):
        chunk_circuit.check_constraints(chunk_circuit.witness(inp))
        if k:
            assert inp["acc_in"] == chunk_inputs[k - 1]["acc_out"]  # the link the verifier checks
    assert chunk_inputs[0]["acc_in"] == agg["acc_initial"] and chunk_inputs[-1]["acc_out"] == agg["acc_final"]
    w = aggregate_circuit.witness(agg)
    aggregate_circuit.check_constraints(w)
    # the totals the chunks accumulated are the one-circuit statement's
    for u, um in enumerate(report.underlyings):
        assert totals[u * N_SCEN : (u + 1) * N_SCEN] == list(um.pnl_total_e14)
        assert totals[LAYOUT.delta + u] == um.net_delta_e14 and totals[LAYOUT.vega + u] == um.net_vega_e14
    assert totals[LAYOUT.add_on] == report.add_on_e14 and totals[LAYOUT.mark] == report.mark_value_e14
    assert aggregate_circuit.get(w, "main.im") == report.im_e14 and aggregate_circuit.get(w, "main.collateral") == report.collateral_e14
    assert [totals[LAYOUT.count + v] for v in range(N_VENUES)] == [3, 1, 0]
    assert (agg["venue_key_x"][2], agg["venue_key_y"][2], agg["collateral_amount_e8"][2]) == (0, 0, [0] * len(SPEC.assets))  # the empty slot
    assert totals[LAYOUT.chain] == ch.positions_root(sts[0].positions)


def test_linking_values_are_blinded():
    """The same totals under two blindings give unrelated commitments; a padding chunk (no slot used)
    still changes its accumulator, so padding is not visible in the links."""
    t = LAYOUT.initial()
    assert ch.commit(1, t) != ch.commit(2, t)
    plan = ch.plan_chunks(statements(), C, pad_to=5)
    assert len(plan) == 5 and plan[-1].entries == ()
    inp, out = ch.chunk_inputs(LAYOUT, C, TABLE, plan[-1], t, 7, 8)
    assert out == t and inp["acc_in"] != inp["acc_out"]
    with pytest.raises(ValueError, match="pad-to"):
        ch.plan_chunks(statements(), C, pad_to=2)


def test_a_padding_chunk_proves(chunk_circuit):
    inp, _ = ch.chunk_inputs(LAYOUT, C, TABLE, ch.Chunk(1, ()), LAYOUT.initial(), 7, 8)
    chunk_circuit.check_constraints(chunk_circuit.witness(inp))


def test_an_omitted_position_breaks_the_signed_count_or_chain(aggregate_circuit, honest):
    sts = honest[0]
    short = [ch.Chunk(0, sts[0].positions[:2]), ch.Chunk(1, sts[1].positions)]  # A's third position left out
    _, totals, blinding = prove_chunks(short)
    agg, _ = aggregate(sts, totals, blinding)
    assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", "totals[I_COUNT + v] === n_positions[v];")


def test_an_omitted_position_with_a_forged_count_breaks_the_signature(aggregate_circuit, honest):
    sts = honest[0]
    _, totals, blinding = prove_chunks([ch.Chunk(0, sts[0].positions[:2]), ch.Chunk(1, sts[1].positions)])
    totals[LAYOUT.count] = 3  # the chunks could not have produced this, and the chain still lacks the position
    agg, _ = aggregate(sts, totals, blinding)
    assert "EdDSAPoseidonVerifier" in aggregate_circuit.expect_witness_failure(agg) or "ForceEqualIfEnabled" in aggregate_circuit.expect_witness_failure(agg)


@pytest.mark.parametrize("case", ["duplicated", "moved", "reordered"])
def test_a_duplicated_moved_or_reordered_position_is_refused(aggregate_circuit, honest, case):
    sts = honest[0]
    a, b = sts[0].positions, sts[1].positions
    plans = {
        "duplicated": [ch.Chunk(0, a[:2]), ch.Chunk(0, a[2:]), ch.Chunk(0, a[2:]), ch.Chunk(1, b)],
        "moved": [ch.Chunk(0, a[:2]), ch.Chunk(1, a[2:]), ch.Chunk(1, b)],  # A's perpetual counted under B
        "reordered": [ch.Chunk(0, (a[1], a[0])), ch.Chunk(0, a[2:]), ch.Chunk(1, b)],
    }
    _, totals, blinding = prove_chunks(plans[case])
    if case != "reordered":
        agg, _ = aggregate(sts, totals, blinding)
        assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", "totals[I_COUNT + v] === n_positions[v];")
    totals = list(totals)
    for v in range(2):
        totals[LAYOUT.count + v] = len(sts[v].positions)  # even with the counts forged, the chains are not the signed ones
    agg, _ = aggregate(sts, totals, blinding)
    err = aggregate_circuit.expect_witness_failure(agg)
    assert "EdDSAPoseidonVerifier" in err or "ForceEqualIfEnabled" in err or "CompConstant" in err, err


def test_an_altered_quantity_breaks_the_chain(chunk_circuit, aggregate_circuit, honest):
    sts = honest[0]
    forged = statements(a=((BTC_C, "-0.5"), (BTC_F, "0.5"), (ETH_PERP, "2")))  # venue A signed -1, the prover hashes -0.5
    _, totals, blinding = prove_chunks(ch.plan_chunks(forged, C))
    agg, _ = aggregate(sts, totals, blinding, sigs=signatures(sts))
    err = aggregate_circuit.expect_witness_failure(agg)
    assert "EdDSAPoseidonVerifier" in err or "ForceEqualIfEnabled" in err, err


def test_an_unused_slot_with_a_quantity_is_refused(chunk_circuit, honest):
    bad = copy_inputs(honest[2][1])  # the chunk with one used slot
    bad["qty_e8"][1] = 10**8
    assert failed_at(chunk_circuit.expect_witness_failure(bad), "MarginChunk", "qty_e8[j] * (1 - used[j]) === 0;")


def test_a_used_slot_must_open_its_instruments_record(chunk_circuit, honest):
    bad = copy_inputs(honest[2][1])
    j = TABLE.index_of(TABLE.records[0].instrument_id)
    bad["record_id"][0] = TABLE.records[j].instrument_id  # a valid leaf, another instrument
    for k in ("underlying", "delta_e6", "vega_e6", "add_on_e6", "mark_e6"):
        bad[k][0] = getattr(TABLE.records[j], k)
    bad["pnl_e6"][0] = list(TABLE.records[j].pnl_e6)
    bad["path_index"][0], bad["path_elements"][0] = TABLE.path(j)
    assert failed_at(chunk_circuit.expect_witness_failure(bad), "MarginChunk", "(record_id[j] - instrument_id[j]) * used[j] === 0;")


def test_a_non_boolean_used_flag_fails(chunk_circuit, honest):
    w = chunk_circuit.witness(honest[2][0])
    with pytest.raises(ConstraintViolation):
        chunk_circuit.check_constraints(chunk_circuit.edit(w, {"main.used[0]": 2}))


def test_running_totals_must_open_the_accumulator(chunk_circuit, honest):
    bad = copy_inputs(honest[2][1])
    bad["totals_in"][0] += 10**14  # claim the book so far gained 1 USD more in scenario 0
    assert failed_at(chunk_circuit.expect_witness_failure(bad), "MarginChunk", "open_in.commitment === acc_in;")


def test_the_output_accumulator_is_the_computed_one(chunk_circuit, honest):
    bad = copy_inputs(honest[2][0])
    bad["acc_out"] = ch.commit(bad["blinding_out"], [0] * len(LAYOUT))
    assert failed_at(chunk_circuit.expect_witness_failure(bad), "MarginChunk", "open_out.commitment === acc_out;")


def test_a_venue_index_outside_the_statements_fails(chunk_circuit, honest):
    bad = copy_inputs(honest[2][0])
    bad["venue"] = N_VENUES
    assert failed_at(chunk_circuit.expect_witness_failure(bad), "MarginChunk", "venue_hot === 1;")


def test_the_initial_accumulator_must_be_empty(aggregate_circuit, honest):
    sts, plan = honest[0], honest[1]
    start = LAYOUT.initial()
    start[0] = 10**20  # a head start of gains in BTC scenario 0
    totals, blinding = start, 101
    for k, c in enumerate(plan):
        _, totals = ch.chunk_inputs(LAYOUT, C, TABLE, c, totals, blinding, 300 + k)
        blinding = 300 + k
    agg, _ = aggregate(sts, totals, blinding)
    agg["acc_initial"] = ch.commit(101, start)
    assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", "open_initial.commitment === acc_initial;")


def test_an_understated_worst_case_is_refused(aggregate_circuit, honest):
    agg = copy_inputs(honest[4])
    agg["worst_loss_e14"][0] -= 1
    assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", "loss_cover[u][s].in <== worst_loss_e14[u] + totals[u * N_SCEN + s];")


def test_an_insolvent_book_cannot_aggregate(aggregate_circuit):
    sts = statements(a=((BTC_C, "-30"), (BTC_F, "0.5"), (ETH_PERP, "2")))
    _, totals, blinding = prove_chunks(ch.plan_chunks(sts, C))
    agg, report = aggregate(sts, totals, blinding)
    assert not [ok for n, ok, _ in report.policy_checks(POLICY) if n == "solvency"][0]
    assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", "solvency.in <== collateral * K_SCALE() - k_im;")


def test_delta_over_the_limit_cannot_aggregate(aggregate_circuit):
    sts = statements(a=((BTC_F, "2"),), usdc="1000000")  # solvent, but 154,000 USD of BTC delta against a limit of 100,000
    _, totals, blinding = prove_chunks(ch.plan_chunks(sts, C))
    agg, _ = aggregate(sts, totals, blinding)
    assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", "delta_upper[u].in <== delta_limit_e6[u] * QTY_SCALE() - totals[I_DELTA + u];")


def test_tags_match_the_python_side():
    src = (CIRCUITS_DIR / "chunk.circom").read_text()
    for name, value in (("ACC_TAG", ch.ACC_TAG), ("CHAIN_TAG", ch.CHAIN_TAG), ("STATEMENT_V3_TAG", ch.STATEMENT_V3_TAG)):
        assert f"function {name}() {{ return {value}; }}" in src


def test_links_fold_from_the_initial_to_the_final_accumulator(honest):
    _, _, chunk_inputs, _, agg, _ = honest
    sig = [(c["risk_root"], c["acc_in"], c["acc_out"]) for c in chunk_inputs]
    root = TABLE.root
    assert ch.link_problems(agg["acc_initial"], agg["acc_final"], sig, root) == []
    assert ch.link_problems(agg["acc_initial"], agg["acc_final"], [sig[0], sig[2], sig[1]], root)  # reordered
    assert ch.link_problems(agg["acc_initial"], agg["acc_final"], sig[:2], root)  # the last chunk dropped
    assert ch.link_problems(agg["acc_initial"], agg["acc_final"], [sig[0], sig[0], *sig[1:]], root)  # one reused
    assert ch.link_problems(agg["acc_initial"], agg["acc_final"], [(1, *sig[0][1:]), *sig[1:]], root)  # another table
    # no chunk at all: acc_initial and acc_final would be unrelated, and any totals would aggregate
    assert ch.link_problems(agg["acc_initial"], agg["acc_final"], [], root) == ["the bundle has no chunk proof"]


def test_an_empty_book_still_has_one_chunk(chunk_circuit):
    empty = statements(a=(), b=())
    plan = ch.plan_chunks(empty, C)
    assert plan == [ch.Chunk(0, ())]


def test_statements_the_aggregate_would_refuse_are_named(honest):
    from public.errors import PortfolioError

    sts, _, _, totals, _, _ = honest
    with pytest.raises(PortfolioError, match="two statements"):
        aggregate([sts[0], sts[0]], totals, 5)


def test_one_statement_and_two_empty_slots_prove(chunk_circuit, aggregate_circuit):
    """Any number of statements up to the circuit's slots: the empty ones are alike (same key (0, 0),
    account 0) and still not 'two statements of one account'."""
    sts = statements()[:1]
    chunk_inputs, totals, blinding = prove_chunks(ch.plan_chunks(sts, C))
    agg, report = aggregate(sts, totals, blinding)
    assert agg["venue_key_x"][1:] == [0, 0] and agg["n_positions"] == [3, 0, 0]
    w = aggregate_circuit.witness(agg)
    aggregate_circuit.check_constraints(w)
    assert aggregate_circuit.get(w, "main.collateral") == report.collateral_e14


def _with_totals(agg, totals):
    """agg with the final totals replaced and acc_final re-committed to them (so only the slot checks can refuse)."""
    forged = copy_inputs(agg)
    forged["totals"] = list(totals)
    forged["acc_final"] = ch.commit(forged["blinding_final"], totals)
    return forged


@pytest.mark.parametrize("field", ["collateral", "account"])
def test_an_empty_slot_cannot_carry_collateral_or_an_account(aggregate_circuit, honest, field):
    """Unsigned collateral in an empty slot would count towards solvency: refused."""
    agg = copy_inputs(honest[4])
    if field == "collateral":
        agg["collateral_amount_e8"][2][SPEC.assets.index("USDC")] = 10**6 * 10**8
        fragment = "for (var a = 0; a < N_ASSETS; a++) { collateral_amount_e8[v][a] * empty[v] === 0; }"
    else:
        agg["account"][2] = ch.account_field("desk-7")
        fragment = "account[v] * empty[v] === 0;"
    assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", fragment)


def test_no_chunk_can_add_a_position_to_an_empty_slot(aggregate_circuit):
    """Statement b's position proved into the empty slot 2 instead: with the slot's count 0 the count
    check refuses, with count 1 the empty-slot check does."""
    sts = statements()
    plan = [c if c.venue == 0 else ch.Chunk(2, c.entries) for c in ch.plan_chunks(sts, C)]
    _, totals, blinding = prove_chunks(plan)
    agg, _ = aggregate(sts, totals, blinding)
    assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", "totals[I_COUNT + v] === n_positions[v];")
    agg["n_positions"][1:] = [0, 1]  # (statement b's signature is checked after the slot flags)
    assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", "n_positions[v] * empty[v] === 0;")


def test_an_empty_slot_keeps_its_chain_at_the_start(aggregate_circuit, honest):
    _, _, _, totals, agg, _ = honest
    moved = list(totals)
    moved[LAYOUT.chain + 2] = ch.chain_step(ch.chain_start(), 1, 1)
    assert failed_at(aggregate_circuit.expect_witness_failure(_with_totals(agg, moved)), "MarginAggregate", "(totals[I_CHAIN + v] - chain_start.out) * empty[v] === 0;")


def test_a_signed_statement_cannot_be_passed_off_as_empty(aggregate_circuit, honest):
    """Zeroing statement b's public key to skip its signature leaves its positions and account: refused."""
    agg = copy_inputs(honest[4])
    agg["venue_key_x"][1] = agg["venue_key_y"][1] = 0
    err = aggregate_circuit.expect_witness_failure(agg)
    assert failed_at(err, "MarginAggregate", "account[v] * empty[v] === 0;") or failed_at(err, "MarginAggregate", "n_positions[v] * empty[v] === 0;")
    # and with them zeroed too, its totals no longer open acc_final's counts
    agg["account"][1] = agg["n_positions"][1] = 0
    assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", "totals[I_COUNT + v] === n_positions[v];")


def test_more_statements_than_slots_are_refused(honest):
    from public.errors import PortfolioError

    sts, _, _, totals, _, _ = honest
    extra = attest(KEY_A, "venue-a", "desk-8", TRADER.commitment, EPOCH, [], {}, 8, SPEC.assets)
    extra2 = attest(KEY_B, "venue-b", "desk-8", TRADER.commitment, EPOCH, [], {}, 8, SPEC.assets)
    with pytest.raises(PortfolioError, match="takes 1 to 3"):
        aggregate([*sts, extra, extra2], totals, 5, sigs=[st.signature for st in [*sts, extra, extra2]])


def _one_statement_aggregate():
    """The first statement alone (slots 1 and 2 empty): its aggregate inputs."""
    sts = statements()[:1]
    _, totals, blinding = prove_chunks(ch.plan_chunks(sts, C))
    return sts, aggregate(sts, totals, blinding)[0]


def test_an_empty_slots_signature_values_are_inert(aggregate_circuit):
    """No signature is checked in an empty slot, and nothing reads its values: any of them prove."""
    _, agg = _one_statement_aggregate()
    for v in (1, 2):
        agg["sig_r8x"][v], agg["sig_r8y"][v], agg["sig_s"][v] = 5 + v, 2**200 + v, 2**250 + v
    aggregate_circuit.check_constraints(aggregate_circuit.witness(agg))


def test_empty_slots_may_come_before_a_statement(aggregate_circuit):
    """The statement in slot 2, slots 0 and 1 empty: the order of the slots does not matter."""
    sts, agg = _one_statement_aggregate()
    perm = [2, 1, 0]
    for k in ("venue_key_x", "venue_key_y", "account", "n_positions", "collateral_amount_e8", "sig_r8x", "sig_r8y", "sig_s"):
        agg[k] = [agg[k][perm[i]] for i in range(N_VENUES)]
    totals = list(agg["totals"])
    for base in (LAYOUT.chain, LAYOUT.count):
        totals[base : base + N_VENUES] = [agg["totals"][base + perm[i]] for i in range(N_VENUES)]
    agg = _with_totals(agg, totals)
    empty = ch.empty_slot_message(TRADER.commitment, EPOCH, len(SPEC.assets))
    agg["portfolio_commitment"] = poseidon_chain([agg["salt"], empty, empty, ch.statement_root_message(sts[0])])
    aggregate_circuit.check_constraints(aggregate_circuit.witness(agg))


@pytest.mark.parametrize("y", [1, 5, FIELD_P - 1])
def test_a_key_with_x_zero_is_not_empty_and_cannot_sign(aggregate_circuit, y):
    """(0, y) is not the empty key, so its slot's signature is checked, and no venue signs under it:
    this is why one non-empty slot suffices for the one-statement-per-(key, account) check."""
    _, agg = _one_statement_aggregate()
    agg["venue_key_x"][1], agg["venue_key_y"][1] = 0, y
    assert "EdDSAPoseidonVerifier" in aggregate_circuit.expect_witness_failure(agg)


def test_one_statement_in_two_slots_around_an_empty_one_is_refused(aggregate_circuit):
    sts, agg = _one_statement_aggregate()
    plan = [ch.Chunk(v, c.entries) for v in (0, 2) for c in ch.plan_chunks(sts, C)]
    _, totals, blinding = prove_chunks(plan)
    agg["blinding_final"] = blinding
    agg = _with_totals(agg, totals)
    for k in ("venue_key_x", "venue_key_y", "account", "n_positions", "sig_r8x", "sig_r8y", "sig_s"):
        agg[k][2] = agg[k][0]
    agg["collateral_amount_e8"][2] = list(agg["collateral_amount_e8"][0])
    agg["worst_loss_e14"] = ch.worst_from_totals(LAYOUT, totals)
    message, empty = ch.statement_root_message(sts[0]), ch.empty_slot_message(TRADER.commitment, EPOCH, len(SPEC.assets))
    agg["portfolio_commitment"] = poseidon_chain([agg["salt"], message, empty, message])
    assert failed_at(aggregate_circuit.expect_witness_failure(agg), "MarginAggregate", "same_statement[v * N_VENUES + w] * (1 - empty[v]) === 0;")
