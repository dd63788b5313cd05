"""Collateral inside the scenarios (spec ``collateral_in_scenarios``), in the circuit: a coin held as
collateral is the spot record ``BTC-SPOT`` opened by a position slot, so its P&L enters the
scenario sums (SPEC section 5 step 4) and its value enters the collateral through its mark (step 8),
with no new constraint. These tests show the circuit enforces the rule: the honest worst case
includes the collateral's loss, and a witness that leaves it out, or opens another spot record,
or drops the spot position, is refused.
"""

import pytest

from public.fixed_point import FIELD_P as P

from prover.proving.witness import build_witness
from public.methodology.instrument import parse_instrument_name
from public.methodology.risk_table import RiskRecord, RiskTable
from tests.circuits.margin_cases import (
    BTC_P, EPOCH, PARAMS, POLICY, PRICES, SALT, SIGNATURE_LINE, SPEC, TRADER, copy_inputs, failed_at, forged_fails, recommit, records, rehint,
    venue_a, venue_b,
)

E6 = 10**6
SPOT = parse_instrument_name("BTC-SPOT").canonical_name
S = 69_000  #: the BTC index of the synthetic table (USD)
MOVES = (-0.2, -0.1, 0.0, 0.1, 0.2)  #: the 5 scenarios of margin_cases' table
SPOT_RECORD = RiskRecord(parse_instrument_name(SPOT).instrument_id, 0, tuple(round(S * m) * E6 for m in MOVES), S * E6, 0, round(0.02 * S) * E6, S * E6, SPOT)
ETH_SPOT = parse_instrument_name("ETH-SPOT").canonical_name
ETH_SPOT_RECORD = RiskRecord(parse_instrument_name(ETH_SPOT).instrument_id, 1, tuple(round(2_100 * m) * E6 for m in MOVES), 2_100 * E6, 0, 63 * E6, 2_100 * E6, ETH_SPOT)
#: the snapshot's records, then the spot records (public/methodology/risk_table.py spot_records)
TABLE = RiskTable([*records(), SPOT_RECORD, ETH_SPOT_RECORD], depth=2)
PRICES_IN_SCENARIOS = {**PRICES, "BTC": 0}  #: BTC as plain collateral counts nothing (haircut 1)


def book():
    """Venue A: 1 short BTC put, 1 BTC held (as BTC-SPOT), 20,000 USDC; venue B: nothing. Net BTC
    delta 30,000 + 69,000 USD, inside the policy's 100,000."""
    return [venue_a([(BTC_P, "-1"), (SPOT, "1")], {"USDC": "20000"}), venue_b([])]


def witness_of(statements):
    return build_witness(PARAMS, TABLE, statements, SPEC, PRICES_IN_SCENARIOS, POLICY, POLICY.challenge, EPOCH, 777, SALT, identity=TRADER)


@pytest.fixture(scope="module")
def honest():
    return witness_of(book())


def test_the_collaterals_loss_counts_in_the_worst_case(circuit, honest):
    w = circuit.witness(honest.inputs)
    circuit.check_constraints(w)
    put = [v // E6 for v in records()[1].pnl_e6]  # the BTC put's P&L per coin (USD)
    totals = [(-p + round(S * m)) * 10**14 for p, m in zip(put, MOVES)]
    assert [circuit.get(w, f"main.pnl_total[0][{s}]") for s in range(5)] == [t % P for t in totals]
    um = honest.report.underlyings[0]
    assert list(um.pnl_total_e14) == totals
    # the worst scenario is the -20 % move, where the short put and the coin lose together
    assert um.worst_scenario == 0 and um.worst_loss_e14 == -totals[0] == (8_000 + 13_800) * 10**14
    assert circuit.get(w, "main.worst_loss_e14[0]") == um.worst_loss_e14
    assert honest.report.collateral_e14 == (20_000 + S - 2_000) * 10**14  # USDC + the coin at spot + the put's mark
    assert honest.report.add_on_e14 == (385 + round(0.02 * S)) * 10**14  # the put's add-on + the liquidation haircut


def test_leaving_the_collaterals_loss_out_of_the_worst_case_is_refused(circuit, honest):
    bad = copy_inputs(honest.inputs)
    without_spot = -records()[1].pnl_e6[0] * 10**8  # the short put alone, scenario 0 (USD x 1e14)
    bad["worst_loss_e14"] = [max(0, -without_spot), bad["worst_loss_e14"][1]]
    assert bad["worst_loss_e14"][0] < honest.inputs["worst_loss_e14"][0]
    assert failed_at(circuit.expect_witness_failure(bad), "loss_cover[u][s].in <== worst_loss_e14[u] + pnl_total[u][s];")


def test_a_spot_record_without_scenario_pnl_is_not_in_the_root(circuit, honest):
    bad = copy_inputs(honest.inputs)
    bad["pnl_e6"][1] = [0] * 5  # slot 1 opens BTC-SPOT: pretend the coin does not move
    assert failed_at(circuit.expect_witness_failure(rehint(bad)), "inclusion[i].root === risk_root")


def test_a_forged_spot_contribution_fails_r1cs(circuit, honest):
    w = circuit.witness(honest.inputs)
    forged_fails(circuit, w, {"main.pnl_e6[1][0]": 0})


def test_dropping_the_spot_position_breaks_the_venues_signature(circuit, honest):
    bad = copy_inputs(honest.inputs)
    bad["qty_e8"][1] = 0  # the coin left out of the book (still solvent without it): the signed statement holds it

    assert failed_at(circuit.expect_witness_failure(rehint(recommit(bad))), SIGNATURE_LINE)


def test_opening_another_coins_spot_record_breaks_the_venues_signature(circuit, honest):
    """Slot 1 opens ETH-SPOT (a valid leaf with its own path) instead of the BTC-SPOT the venue signed."""
    bad = copy_inputs(honest.inputs)
    j = TABLE.index_of(ETH_SPOT_RECORD.instrument_id)
    path_index, path_elements = TABLE.path(j)
    rec = ETH_SPOT_RECORD
    bad["instrument_id"][1] = bad["record_id"][1] = rec.instrument_id
    bad["underlying"][1] = rec.underlying
    bad["pnl_e6"][1] = list(rec.pnl_e6)
    bad["delta_e6"][1], bad["vega_e6"][1], bad["add_on_e6"][1], bad["mark_e6"][1] = rec.delta_e6, rec.vega_e6, rec.add_on_e6, rec.mark_e6
    bad["path_index"][1], bad["path_elements"][1] = path_index, path_elements
    assert failed_at(circuit.expect_witness_failure(rehint(recommit(bad))), SIGNATURE_LINE)
