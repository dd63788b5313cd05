"""Soundness of circuits/margin.circom, one constraint family at a time.

Per family: an honest-looking input that violates only that family is refused by the witness
generator *at that family's line* (``failed_at``), and a forged witness (a valid witness with the
family's signals edited, as an adversary with their own generator would) fails the R1CS.
"""

import pytest

from prover.fixed_point import FIELD_P as P
from prover.fixed_point import K_SCALE, QTY_BITS
from tests.circuits.harness import ConstraintViolation, compile_template
from tests.circuits.margin_cases import HEDGED, PARAMS, POLICY, PUBLIC, TABLE, book, failed_at, inputs, recommit, report
from verifier.policy import parse_policy


@pytest.fixture(scope="module")
def circuit():
    return compile_template("margin.circom", "MarginSolvency", [PARAMS.n_slots, PARAMS.n_scen, PARAMS.n_und, PARAMS.n_assets, PARAMS.depth], public=PUBLIC)


@pytest.fixture(scope="module")
def valid():
    return inputs(book(HEDGED))


@pytest.fixture(scope="module")
def witness(circuit, valid):
    return circuit.witness(valid)


def forged_fails(circuit, w, edits):
    with pytest.raises(ConstraintViolation):
        circuit.check_constraints(circuit.edit(w, edits))


# --- honest witness -----------------------------------------------------------------------------


def test_honest_witness_satisfies_r1cs(circuit, witness):
    circuit.check_constraints(witness)


def test_public_signals_are_in_the_order_the_verifier_names_them(circuit, witness):
    names = PARAMS.public_signal_names()
    assert circuit.n_public == len(names)
    # public inputs are wires 1..n_public in declaration order (no outputs)
    assert [circuit.signal_index(n) for n in names] == list(range(1, len(names) + 1))


def test_aggregates_equal_the_python_margin(circuit, witness):
    rep = report(book(HEDGED))
    for u, um in enumerate(rep.underlyings):
        got = [circuit.get(witness, f"main.pnl_total[{u}][{s}]") for s in range(PARAMS.n_scen)]
        assert got == [v % P for v in um.pnl_total_e14]
        assert circuit.get(witness, f"main.net_delta[{u}]") == um.net_delta_e14 % P
    assert circuit.get(witness, "main.im") == rep.im_e14
    assert circuit.get(witness, "main.collateral") == rep.collateral_e14


# --- inclusion ----------------------------------------------------------------------------------


def test_record_not_in_root_is_refused(circuit, valid):
    bad = {**valid, "pnl_e6": [row[:] for row in valid["pnl_e6"]]}
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
    # move slot 0 (a BTC record) to ETH: its losses would leave the BTC totals
    forged_fails(circuit, witness, {"main.q_u[0][0]": 0, "main.q_u[0][1]": circuit.get(witness, "main.qty_e8[0]")})


# --- worst case ---------------------------------------------------------------------------------


def test_understated_worst_loss_is_refused(circuit, valid):
    bad = {**valid, "worst_loss_e14": [valid["worst_loss_e14"][0] - 1, valid["worst_loss_e14"][1]]}
    assert failed_at(circuit.expect_witness_failure(bad), "loss_cover[u][s].in <== worst_loss_e14[u] + pnl_total[u][s]")


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
    # the same book with 100 USDC: k x IM > collateral
    bad = recommit(inputs(book(HEDGED, {"USDC": 100 * 10**8})))
    assert failed_at(circuit.expect_witness_failure(bad), "solvency.in <== collateral * K_SCALE() - k_im")


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
    rep = report(book(HEDGED))
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
    net = report(book(HEDGED)).underlyings[0].net_delta_e14  # BTC: -1 x 40,000 + 0.5 x 77,000 = -1,500 USD
    assert net < 0
    tight = _policy(delta_limit_usd={"BTC": "1499.99", "ETH": "50000"})
    err = circuit.expect_witness_failure(inputs(book(HEDGED), tight))
    assert failed_at(err, "delta_lower[u].in <== delta_limit_e6[u] * QTY_SCALE() + net_delta[u]")
    circuit.check_constraints(circuit.witness(inputs(book(HEDGED), _policy(delta_limit_usd={"BTC": "1500", "ETH": "50000"}))))


def test_long_delta_over_limit_is_refused(circuit):
    long_book = book({13: "1"})  # +77,000 USD of BTC delta
    err = circuit.expect_witness_failure(inputs(long_book, _policy(delta_limit_usd={"BTC": "76999", "ETH": "50000"})))
    assert failed_at(err, "delta_upper[u].in <== delta_limit_e6[u] * QTY_SCALE() - net_delta[u]")


def test_vega_over_limit_is_refused(circuit):
    # ETH: 10 puts x 3 USD/vol pt = 30 USD per vol point
    err = circuit.expect_witness_failure(inputs(book(HEDGED), _policy(vega_limit_usd={"BTC": "1000", "ETH": "29.99"})))
    assert failed_at(err, "vega_upper[u].in <== vega_limit_e6[u] * QTY_SCALE() - net_vega[u]")


def test_short_vega_over_limit_is_refused(circuit):
    short = book({11: "-20"}, {"USDC": 10_000_000 * 10**8})  # -1,800 USD per vol point, well collateralised
    err = circuit.expect_witness_failure(inputs(short, _policy(vega_limit_usd={"BTC": "1799", "ETH": "500"}, delta_limit_usd={"BTC": "1000000", "ETH": "50000"})))
    assert failed_at(err, "vega_lower[u].in <== vega_limit_e6[u] * QTY_SCALE() + net_vega[u]")


def test_forged_net_delta_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.net_delta[0]": 0})


def test_forged_net_vega_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.net_vega[1]": 0})


# --- commitment ---------------------------------------------------------------------------------


def test_changed_quantity_breaks_the_commitment(circuit, valid):
    # half the short call: a smaller, still consistent book, proven against the old commitment
    bad = {**inputs(book({**HEDGED, 11: "-0.5"})), "portfolio_commitment": valid["portfolio_commitment"]}
    assert failed_at(circuit.expect_witness_failure(bad), "commitment.out === portfolio_commitment")


def test_changed_salt_breaks_the_commitment(circuit, valid):
    assert failed_at(circuit.expect_witness_failure({**valid, "salt": valid["salt"] + 1}), "commitment.out === portfolio_commitment")


def test_changed_collateral_breaks_the_commitment(circuit, valid):
    bad = {**valid, "collateral_amount_e8": [valid["collateral_amount_e8"][0] + 1, *valid["collateral_amount_e8"][1:]]}
    assert failed_at(circuit.expect_witness_failure(bad), "commitment.out === portfolio_commitment")


def test_forged_commitment_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.portfolio_commitment": circuit.get(witness, "main.portfolio_commitment") + 1})


# --- inert slots --------------------------------------------------------------------------------


def test_book_with_fewer_positions_fills_inert_slots(circuit):
    one = inputs(book({13: "1"}, {"USDC": 50_000 * 10**8}))
    assert one["qty_e8"][1:] == [0, 0]
    circuit.check_constraints(circuit.witness(one))


def test_forged_contribution_of_an_inert_slot_fails_r1cs(circuit):
    one = inputs(book({13: "1"}, {"USDC": 50_000 * 10**8}))
    w = circuit.witness(one)
    # slot 2 is inert (qty 0, record at leaf 0): claim it contributes a gain in scenario 0
    forged_fails(circuit, w, {"main.q_u[2][0]": 10**8})
    forged_fails(circuit, w, {"main.term[0][0][2]": 10**20})
    forged_fails(circuit, w, {"main.mark_value[2]": 10**20})


def test_inert_slot_with_quantity_is_not_inert(circuit):
    # a "padding" slot (record at leaf 0, the BTC call) given a quantity is a real position: inertness
    # rests on qty = 0 alone, and the totals then include it exactly like any other slot
    base = inputs(book({13: "1"}, {"USDC": 50_000 * 10**8}))
    assert base["instrument_id"][2] == TABLE.records[0].instrument_id
    both = report(book({11: "-1", 13: "1"}, {"USDC": 50_000 * 10**8}))
    moved = recommit({**base, "qty_e8": [base["qty_e8"][0], 0, -(10**8)], "worst_loss_e14": [um.worst_loss_e14 for um in both.underlyings]})
    w = circuit.witness(moved)
    assert circuit.get(w, "main.term[0][4][2]") == (-(10**8) * 9_000 * 10**6) % P
    assert circuit.get(w, "main.im") == both.im_e14


# --- quantity range -----------------------------------------------------------------------------


@pytest.mark.parametrize("qty", [2**QTY_BITS, -(2**QTY_BITS) - 1, P // 2])
def test_quantity_beyond_its_width_is_refused(circuit, valid, qty):
    bad = recommit({**valid, "qty_e8": [qty, *valid["qty_e8"][1:]]})
    assert failed_at(circuit.expect_witness_failure(bad), "qty_range[i].in <== qty_e8[i]")


def test_forged_abs_quantity_fails_r1cs(circuit, witness):
    # the add-on uses |qty|: claiming |qty| = 0 for the short call would hide its add-on
    forged_fails(circuit, witness, {"main.qty_range[0].abs": 0})
