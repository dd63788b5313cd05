"""Soundness of circuits/margin.circom, one constraint family at a time.

Per family: an honest-looking input that violates only that family is refused by the witness
generator *at that family's line* (``failed_at``), and a forged witness (a valid witness with the
family's signals edited, as an adversary with their own generator would) fails the R1CS. Inputs
come from signed venue statements (tests/circuits/margin_cases.py); where a family needs another
book, the statements are signed again so that the signature check (step 11, tests/circuits/
test_attest.py) is not what refuses it. Circom checks the families in source order, so a book
violating step 9 is refused at step 9 even when it also carries a stale commitment.
"""

import pytest

from public.fixed_point import FIELD_P as P
from public.fixed_point import K_SCALE, QTY_BITS
from tests.circuits.margin_cases import (
    BTC_C, BTC_F, ETH_P, ETH_PERP, PARAMS, TABLE, copy_inputs, failed_at, forged_fails, hedged, inputs, recommit, report,
    venue_a, venue_b,
)
from verifier.policy import parse_policy


# --- honest witness -----------------------------------------------------------------------------


def test_honest_witness_satisfies_r1cs(circuit, witness):
    circuit.check_constraints(witness)


def test_public_signals_are_in_the_order_the_verifier_names_them(circuit, witness, valid):
    names = PARAMS.public_signal_names()
    assert circuit.n_public == len(names) == 20
    # public inputs are wires 1..n_public in declaration order (no outputs)
    assert [circuit.signal_index(n) for n in names] == list(range(1, len(names) + 1))
    st = hedged()
    assert [circuit.get(witness, f"main.venue_key_x[{v}]") for v in range(2)] == [s.public_key.x for s in st]
    assert circuit.get(witness, "main.attestation_epoch") == st[0].epoch


def test_aggregates_equal_the_python_margin(circuit, witness):
    rep = report(hedged())
    for u, um in enumerate(rep.underlyings):
        got = [circuit.get(witness, f"main.pnl_total[{u}][{s}]") for s in range(PARAMS.n_scen)]
        assert got == [v % P for v in um.pnl_total_e14]
        assert circuit.get(witness, f"main.net_delta[{u}]") == um.net_delta_e14 % P
        assert circuit.get(witness, f"main.net_vega[{u}]") == um.net_vega_e14 % P
    assert circuit.get(witness, "main.im") == rep.im_e14
    assert circuit.get(witness, "main.collateral") == rep.collateral_e14


# --- inclusion ----------------------------------------------------------------------------------


def test_record_not_in_root_is_refused(circuit, valid):
    bad = copy_inputs(valid)
    bad["pnl_e6"][0][0] += 1_000_000  # one scenario of one record improved by 1 USD per coin
    assert failed_at(circuit.expect_witness_failure(bad), "inclusion[i].root === risk_root")


def test_other_root_is_refused(circuit, valid):
    assert failed_at(circuit.expect_witness_failure({**valid, "risk_root": valid["risk_root"] + 1}), "inclusion[i].root === risk_root")


def test_forged_record_value_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.pnl_e6[1][4]": 0})


# --- aggregation --------------------------------------------------------------------------------


def test_forged_scenario_total_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.pnl_total[0][0]": 0})


def test_forged_product_term_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.term[0][0][0]": 0})


def test_forged_underlying_selector_fails_r1cs(circuit, witness):
    # move slot 0 (the BTC call) to ETH: its losses would leave the BTC totals
    forged_fails(circuit, witness, {"main.q_u[0][0]": 0, "main.q_u[0][1]": circuit.get(witness, "main.qty_e8[0]")})


# --- worst case ---------------------------------------------------------------------------------


def test_understated_worst_loss_is_refused(circuit, valid):
    bad = {**valid, "worst_loss_e14": [valid["worst_loss_e14"][0] - 1, valid["worst_loss_e14"][1]]}
    assert failed_at(circuit.expect_witness_failure(bad), "loss_cover[u][s].in <== worst_loss_e14[u] + pnl_total[u][s];")


def test_negative_worst_loss_is_refused(circuit, valid):
    bad = {**valid, "worst_loss_e14": [-1, valid["worst_loss_e14"][1]]}
    assert failed_at(circuit.expect_witness_failure(bad), "worst_range[u].in <== worst_loss_e14[u]")


def test_overstated_worst_loss_is_accepted_as_an_upper_bound(circuit, valid):
    # SPEC section 5: any W that passes bounds the true worst case from above
    ok = {**valid, "worst_loss_e14": [valid["worst_loss_e14"][0] + 10**14, valid["worst_loss_e14"][1]]}
    circuit.check_constraints(circuit.witness(ok))


def test_forged_worst_loss_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.worst_loss_e14[0]": circuit.get(witness, "main.worst_loss_e14[0]") - 10**14})


# --- collateral and solvency --------------------------------------------------------------------


def test_insolvent_book_cannot_produce_a_witness(circuit):
    # the same book, venue A attesting 100 USDC (signed so): k x IM > collateral
    bad = inputs(hedged({"USDC": "100"}))
    assert failed_at(circuit.expect_witness_failure(bad), "solvency.in <== collateral * K_SCALE() - k_im")


def test_collateral_of_every_venue_counts(circuit):
    # 100 USDC at A is insolvent; 19,900 USDT more at B (signed by B) makes it solvent again
    st = hedged({"USDC": "100"})
    st[1] = venue_b([(ETH_P, "10")], {"USDT": "19900"})
    w = circuit.witness(inputs(st))
    circuit.check_constraints(w)
    assert circuit.get(w, "main.collateral") == report(st).collateral_e14 == report(hedged()).collateral_e14


def test_inflated_haircut_price_needs_another_public_input(circuit, valid, witness):
    # a prover can only pass a higher price as a different public signal, which the verifier compares
    # with spec x snapshot (check collateral_prices); inside the circuit the price is what is public
    forged_fails(circuit, witness, {"main.collateral_price_e6[0]": valid["collateral_price_e6"][0] * 10})


def test_forged_collateral_total_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.collateral": circuit.get(witness, "main.collateral") * 2})


def test_forged_im_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.im": 0})


def test_multiplier_below_one_is_refused(circuit, valid):
    assert failed_at(circuit.expect_witness_failure({**valid, "multiplier_k_e6": K_SCALE - 1}), "k_range.in <== multiplier_k_e6 - K_SCALE()")


def test_higher_multiplier_makes_the_book_insolvent(circuit, valid):
    rep = report(hedged())
    k_break = rep.collateral_e14 * K_SCALE // rep.im_e14 + 1
    assert failed_at(circuit.expect_witness_failure({**valid, "multiplier_k_e6": k_break}), "solvency.in <== collateral * K_SCALE() - k_im")
    circuit.check_constraints(circuit.witness({**valid, "multiplier_k_e6": k_break - 1}))


# --- greek limits -------------------------------------------------------------------------------


def _policy(**over):
    base = {"format": "zkmargin-policy/1", "multiplier_k": "1.25", "delta_limit_usd": {"BTC": "100000", "ETH": "50000"},
            "vega_limit_usd": {"BTC": "1000", "ETH": "500"}, "max_snapshot_age_s": 900, "challenge": "0xc0ffee"}
    base.update(over)
    return parse_policy(base)


def test_delta_over_limit_is_refused(circuit):
    net = report(hedged()).underlyings[0].net_delta_e14  # BTC: -1 x 40,000 + 0.5 x 77,000 = -1,500 USD
    assert net == -1_500 * 10**14
    tight = _policy(delta_limit_usd={"BTC": "1499.99", "ETH": "50000"})
    err = circuit.expect_witness_failure(inputs(hedged(), tight))
    assert failed_at(err, "delta_lower[u].in <== delta_limit_e6[u] * QTY_SCALE() + net_delta[u]")
    circuit.check_constraints(circuit.witness(inputs(hedged(), _policy(delta_limit_usd={"BTC": "1500", "ETH": "50000"}))))


def test_long_delta_over_limit_is_refused(circuit):
    long_book = [venue_a([(BTC_F, "1")], {"USDC": "50000"}), venue_b([])]  # +77,000 USD of BTC delta
    err = circuit.expect_witness_failure(inputs(long_book, _policy(delta_limit_usd={"BTC": "76999", "ETH": "50000"})))
    assert failed_at(err, "delta_upper[u].in <== delta_limit_e6[u] * QTY_SCALE() - net_delta[u]")


def test_vega_over_limit_is_refused(circuit):
    # ETH: 10 puts x 3 USD/vol pt = 30 USD per vol point
    err = circuit.expect_witness_failure(inputs(hedged(), _policy(vega_limit_usd={"BTC": "1000", "ETH": "29.99"})))
    assert failed_at(err, "vega_upper[u].in <== vega_limit_e6[u] * QTY_SCALE() - net_vega[u]")


def test_short_vega_over_limit_is_refused(circuit):
    short = [venue_a([(BTC_C, "-20")], {"USDC": "10000000"}), venue_b([])]  # -1,800 USD per vol point, well collateralised
    err = circuit.expect_witness_failure(inputs(short, _policy(vega_limit_usd={"BTC": "1799", "ETH": "500"}, delta_limit_usd={"BTC": "1000000", "ETH": "50000"})))
    assert failed_at(err, "vega_lower[u].in <== vega_limit_e6[u] * QTY_SCALE() + net_vega[u]")


def test_forged_net_delta_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.net_delta[0]": 0})


def test_forged_net_vega_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.net_vega[1]": 0})


# --- commitment ---------------------------------------------------------------------------------

COMMITMENT = "commitment.out === portfolio_commitment"


def test_changed_quantity_breaks_the_commitment(circuit, valid):
    # half the short call, signed by venue A: a smaller, still consistent book, proven against the old commitment
    st = hedged()
    st[0] = venue_a([(BTC_C, "-0.5"), (BTC_F, "0.5")], {"USDC": "20000"})
    bad = {**inputs(st), "portfolio_commitment": valid["portfolio_commitment"]}
    assert failed_at(circuit.expect_witness_failure(bad), COMMITMENT)


def test_changed_salt_breaks_the_commitment(circuit, valid):
    assert failed_at(circuit.expect_witness_failure({**valid, "salt": valid["salt"] + 1}), COMMITMENT)


def test_changed_collateral_breaks_the_commitment(circuit, valid):
    # venue A signs more collateral: every other check passes, the commitment opens to the old statements
    bad = {**inputs(hedged({"USDC": "20000.00000001"})), "portfolio_commitment": valid["portfolio_commitment"]}
    assert failed_at(circuit.expect_witness_failure(bad), COMMITMENT)


def test_statement_order_is_committed(circuit, valid):
    # the same two signed statements in the other order: valid signatures, another commitment
    st = hedged()
    swapped = inputs(st[::-1])
    circuit.check_constraints(circuit.witness(swapped))
    assert swapped["portfolio_commitment"] != valid["portfolio_commitment"]
    bad = {**swapped, "portfolio_commitment": valid["portfolio_commitment"]}
    assert failed_at(circuit.expect_witness_failure(bad), COMMITMENT)


def test_forged_commitment_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.portfolio_commitment": circuit.get(witness, "main.portfolio_commitment") + 1})


# --- inert (unused) entries ---------------------------------------------------------------------


def _one_each():
    """One position per statement: slots 1 and 3 are unused entries."""
    return [venue_a([(BTC_F, "1")], {"USDC": "50000"}), venue_b([(ETH_P, "10")])]


def test_statements_with_fewer_positions_fill_unused_entries(circuit):
    one = inputs(_one_each())
    assert one["n_positions"] == [1, 1]
    assert [one["instrument_id"][i] for i in (1, 3)] == [0, 0] and [one["qty_e8"][i] for i in (1, 3)] == [0, 0]
    assert [one["record_id"][i] for i in (1, 3)] == [TABLE.records[0].instrument_id] * 2  # leaf 0
    w = circuit.witness(one)
    circuit.check_constraints(w)
    assert circuit.get(w, "main.im") == report(_one_each()).im_e14


def test_unused_entry_is_inert_whatever_record_it_opens(circuit):
    # step 2b leaves an unused entry's record free: open leaf 5 (ETH-PERP) instead of leaf 0 for slot 3;
    # everything it feeds is a product with qty 0, so totals, IM and collateral do not move
    base = inputs(_one_each())
    moved = copy_inputs(base)
    rec, (path_index, path_elements) = TABLE.records[5], TABLE.path(5)
    assert rec.name == ETH_PERP
    moved.update({
        "record_id": base["record_id"][:3] + [rec.instrument_id], "underlying": base["underlying"][:3] + [rec.underlying],
        "pnl_e6": base["pnl_e6"][:3] + [list(rec.pnl_e6)], "delta_e6": base["delta_e6"][:3] + [rec.delta_e6],
        "vega_e6": base["vega_e6"][:3] + [rec.vega_e6], "add_on_e6": base["add_on_e6"][:3] + [rec.add_on_e6],
        "mark_e6": base["mark_e6"][:3] + [rec.mark_e6], "path_index": base["path_index"][:3] + [path_index],
        "path_elements": base["path_elements"][:3] + [path_elements],
    })
    w0, w1 = circuit.witness(base), circuit.witness(moved)
    circuit.check_constraints(w1)
    for name in ("main.im", "main.collateral", "main.add_on", "main.net_delta[1]", "main.net_vega[1]"):
        assert circuit.get(w1, name) == circuit.get(w0, name), name
    assert circuit.get(w1, "main.pnl_total") == circuit.get(w0, "main.pnl_total")


def test_forged_contribution_of_an_unused_entry_fails_r1cs(circuit):
    w = circuit.witness(inputs(_one_each()))
    # slot 3 is unused (id 0, qty 0, record at leaf 0): claim it contributes a gain in scenario 0
    forged_fails(circuit, w, {"main.q_u[3][0]": 10**8})
    forged_fails(circuit, w, {"main.term[0][0][3]": 10**20})
    forged_fails(circuit, w, {"main.mark_value[3]": 10**20})


# --- quantity range -----------------------------------------------------------------------------


@pytest.mark.parametrize("qty", [2**QTY_BITS, -(2**QTY_BITS) - 1, P // 2])
def test_quantity_beyond_its_width_is_refused(circuit, valid, qty):
    # step 1 runs before the signature check (step 11): the range line refuses it first
    bad = recommit({**valid, "qty_e8": [qty, *valid["qty_e8"][1:]]})
    assert failed_at(circuit.expect_witness_failure(bad), "qty_range[i].in <== qty_e8[i]")


def test_forged_abs_quantity_fails_r1cs(circuit, witness):
    # the add-on uses |qty|: claiming |qty| = 0 for the short call would hide its add-on
    forged_fails(circuit, witness, {"main.qty_range[0].abs": 0})
