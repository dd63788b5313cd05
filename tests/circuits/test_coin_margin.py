"""The coin-margined statement in the circuit (circuits/margin.circom step 13): per settlement
currency, in coin, k x (worst case with pnl_offset / extended dampener + roll shock + delta shock)
<= that currency's collateral. Honest witnesses agree with public/methodology/coin_margin.py bit
for bit; every forged witness below (an understated worst case, the dampener used on a standard
scenario, an understated rate or shock, a non-boolean selector, one currency's collateral covering
another's, a stablecoin counted, a zero index) is refused.
"""

import pytest

from public.fixed_point import FIELD_P as P
from tests.circuits.coin_cases import BTC_C, BTC_F, COIN, E14, ETH_P, PARAMS, POLICY, PUBLIC, S_BTC, witness_of
from tests.circuits.compiler import compile_template
from tests.circuits.margin_cases import copy_inputs, failed_at, forged_fails, venue_a, venue_b

SOLVENCY = "coin_solvency[u].in <== coin_collateral[u] * K_SCALE() - coin_k_im[u];"
EXTENDED = "loss_cover[u][s].in <== worst_loss_e14[u] + pnl_total[u][s] + dampener_e14[u];"
STANDARD = "loss_cover[u][s].in <== worst_loss_e14[u] + pnl_total[u][s] + pnl_offset_e14[u];"
RATE = "rate_check[u].in <== rate_slack[u];"
SHOCK = "shock_check[u].in <== shock_value[u] - shock_need[u];"


@pytest.fixture(scope="module")
def circuit():
    p = PARAMS
    return compile_template("margin.circom", "MarginSolvency", [p.n_venues, p.n_pos, p.n_scen, p.n_und, p.n_assets, p.depth, p.n_std_coin], public=PUBLIC)


def hedged(btc="0.2", eth="1"):
    """Venue A: short 1 BTC call, long 0.5 BTC future, ``btc`` BTC; venue B: long 10 ETH puts, ``eth`` ETH."""
    return [venue_a([(BTC_C, "-1"), (BTC_F, "0.5")], {"BTC": btc}), venue_b([(ETH_P, "10")], {"ETH": eth})]


@pytest.fixture(scope="module")
def honest():
    return witness_of(hedged())


def test_public_signals_are_the_coin_statements(circuit, honest):
    w = circuit.witness(honest.inputs)
    circuit.check_constraints(w)
    names = PARAMS.public_signal_names()
    assert list(honest.public) == names and circuit.n_public == len(names) == 8 + 4 + 4 + 8 + 12  # scalars, limits, venue keys, coin prices, coin parameters
    # public inputs are wires 1..n_public in declaration order (no outputs), as the verifier names them
    assert [circuit.signal_index(n) for n in names] == list(range(1, len(names) + 1))
    assert [w[i] for i in range(1, len(names) + 1)] == [v % P for v in honest.public.values()]
    assert "collateral_price_e6[0]" not in honest.public and honest.public["index_e6[0]"] == S_BTC * 10**6


def test_per_currency_margin_equals_the_python_statement(circuit, honest):
    w = circuit.witness(honest.inputs)
    btc, eth = honest.report.underlyings
    # BTC: the extended -20 % move loses 0.1 BTC, 0.05 after the dampener; the standard -10 % move
    # loses 0.0355555 BTC; roll 0.5 x 0.0125; net delta -5,500 USD is under the threshold: no shock
    assert btc.worst_loss_e14 == 5 * 10**12 and btc.worst_scenario == 3
    assert btc.roll_shock_e14 == 625 * 10**9 and btc.delta_shock_e14 == 0
    assert btc.collateral_e14 == 15 * 10**12  # 0.2 BTC - the short call's 0.05 BTC mark
    assert eth.worst_loss_e14 == 2 * E14 // 10 and eth.worst_scenario == 2  # 10 puts at +10 %
    for u, um in enumerate((btc, eth)):
        assert circuit.get(w, f"main.coin_im[{u}]") == um.im_e14
        assert circuit.get(w, f"main.coin_collateral[{u}]") == um.collateral_e14
        assert circuit.get(w, f"main.worst_loss_e14[{u}]") == um.worst_loss_e14
    assert all(ok for _, ok, _ in honest.report.policy_checks(POLICY))


def test_understated_worst_case_is_refused(circuit, honest):
    bad = copy_inputs(honest.inputs)
    bad["worst_loss_e14"][0] -= 1
    assert failed_at(circuit.expect_witness_failure(bad), EXTENDED)


def test_the_dampener_relieves_only_the_extended_scenarios(circuit):
    """A book whose worst standard loss exceeds W only by the dampener: taking the dampener there too is refused."""
    book = [venue_a([(BTC_C, "1")], {"BTC": "1"}), venue_b([])]
    honest = witness_of(book)
    btc = honest.report.underlyings[0]
    assert btc.worst_scenario == 0 and btc.worst_loss_e14 == 2 * 10**12  # the standard -10 % move: 0.02 BTC (-20 %: 0.025 - 0.05 relief)
    bad = copy_inputs(honest.inputs)
    bad["worst_loss_e14"][0] = max(0, btc.worst_loss_e14 - COIN.dampener_e14[0])
    assert failed_at(circuit.expect_witness_failure(bad), STANDARD)


def test_one_currencys_collateral_does_not_cover_another(circuit):
    """0.01 BTC against a BTC requirement of 0.07 BTC, and 100 ETH idle: in USD the book is solvent,
    per currency it is not, and no witness exists."""
    w = witness_of(hedged(btc="0.01", eth="100"))
    assert [ok for n, ok, _ in w.report.policy_checks(POLICY) if n.startswith("solvency")] == [False, True]
    assert failed_at(circuit.expect_witness_failure(w.inputs), SOLVENCY)


def test_a_stablecoin_is_not_coin_collateral(circuit):
    st = [venue_a([(BTC_C, "-1"), (BTC_F, "0.5")], {"USDC": "1000000"}), venue_b([(ETH_P, "10")], {"ETH": "1"})]
    w = witness_of(st)
    assert w.report.underlyings[0].collateral_e14 < 0  # the call's mark only: a million USDC count 0 BTC
    assert failed_at(circuit.expect_witness_failure(w.inputs), SOLVENCY)


def test_forged_coin_collateral_fails_r1cs(circuit, honest):
    w = circuit.witness(honest.inputs)
    forged_fails(circuit, w, {"main.coin_collateral[0]": circuit.get(w, "main.coin_collateral[0]") + E14})
    forged_fails(circuit, w, {"main.coin_im[0]": 0})


@pytest.fixture(scope="module")
def shocked():
    """Long 1 BTC future: USD 69,000 of delta, 19,000 above the threshold: rate 2 x 0.019 = 0.038 (linear branch)."""
    return witness_of([venue_a([(BTC_F, "1")], {"BTC": "1"}), venue_b([])])


def test_delta_shock_linear_branch(circuit, shocked):
    btc = shocked.report.underlyings[0]
    assert (btc.delta_rate_e6, btc.delta_rate_cap, btc.delta_shock_e14) == (38_000, 0, 38 * 10**11)  # 0.038 BTC
    w = circuit.witness(shocked.inputs)
    assert circuit.get(w, "main.coin_im[0]") == btc.worst_loss_e14 + btc.roll_shock_e14 + btc.delta_shock_e14


def test_delta_shock_cap_branch(circuit):
    """Long 2 BTC futures: excess 88,000 USD, 2 x 0.088 = 0.176 > max_delta_shock 0.1: rate 0.1."""
    w = witness_of([venue_a([(BTC_F, "2")], {"BTC": "2"}), venue_b([])])
    btc = w.report.underlyings[0]
    assert (btc.delta_rate_e6, btc.delta_rate_cap, btc.delta_shock_e14) == (100_000, 1, 2 * 10**13)  # 2 coin x 0.1
    circuit.check_constraints(circuit.witness(w.inputs))
    bad = copy_inputs(w.inputs)
    bad["delta_rate_cap"][0] = 0  # claiming the linear branch needs rate >= 0.176
    assert failed_at(circuit.expect_witness_failure(bad), RATE)
    bad = copy_inputs(w.inputs)
    bad["delta_rate_e6"][0] = 99_999
    assert failed_at(circuit.expect_witness_failure(bad), RATE)


@pytest.mark.parametrize("edit", [
    {"delta_rate_e6": 37_999},
    {"delta_rate_e6": 37_999, "delta_rate_cap": 1},  # the cap branch needs rate >= 0.1
    {"delta_rate_e6": 0, "delta_shock_e14": 0},
])  # fmt: skip
def test_understated_delta_rate_is_refused(circuit, shocked, edit):
    bad = copy_inputs(shocked.inputs)
    for k, v in edit.items():
        bad[k][0] = v
    assert failed_at(circuit.expect_witness_failure(bad), RATE)


def test_understated_delta_shock_is_refused(circuit, shocked):
    bad = copy_inputs(shocked.inputs)
    bad["delta_shock_e14"][0] -= 1
    assert failed_at(circuit.expect_witness_failure(bad), SHOCK)


def test_non_boolean_cap_selector_fails(circuit, shocked):
    bad = copy_inputs(shocked.inputs)
    bad["delta_rate_cap"][0] = 2
    assert failed_at(circuit.expect_witness_failure(bad), "delta_rate_cap[u] * (delta_rate_cap[u] - 1) === 0;")
    w = circuit.witness(shocked.inputs)
    forged_fails(circuit, w, {"main.delta_rate_cap[0]": P - 1})


def test_a_zero_index_is_refused(circuit, shocked):
    """index 0 would let any shock pass X x S >= |D| r; the range index - 1 >= 0 refuses it."""
    bad = copy_inputs(shocked.inputs)
    bad["index_e6"][0] = 0
    bad["delta_shock_e14"][0] = 0
    assert failed_at(circuit.expect_witness_failure(bad), "index_range[u].in <== index_e6[u] - 1;")


def test_the_roll_shock_counts(circuit, shocked):
    w = circuit.witness(shocked.inputs)
    btc = shocked.report.underlyings[0]
    assert btc.roll_shock_e14 == 125 * 10**10  # 1 future x 0.0125
    forged_fails(circuit, w, {"main.coin_im[0]": circuit.get(w, "main.coin_im[0]") - btc.roll_shock_e14})
