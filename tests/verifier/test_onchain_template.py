"""verifier/onchain.py without an EVM: the signal indices come from the circuit's own names and a
layout the contract cannot index is refused; the venue-key commitment is order-independent."""

import pytest

from public.circuit import circuit_params
from verifier.onchain import margin_credit_solidity, venue_keys_commitment


def test_indices_follow_the_circuit_signal_names():
    names = circuit_params().public_signal_names()
    sol = margin_credit_solidity(names)
    for const, name in (("I_RISK_ROOT", "risk_root"), ("I_TRADER_IDENTITY", "trader_identity"), ("I_DELTA_LIMIT", "delta_limit_e6[0]"),
                        ("I_COLLATERAL_PRICE", "collateral_price_e6[0]"), ("I_VENUE_KEY_Y", "venue_key_y[0]")):  # fmt: skip
        assert f"{const} = {names.index(name)};" in sol
    shuffled = [*names[:8], names[9], names[8], *names[10:]]  # delta limits out of order
    with pytest.raises(ValueError, match="delta_limit_e6"):
        margin_credit_solidity(shuffled)


def test_the_venue_key_commitment_is_of_the_sorted_set():
    keys = [(3, 4), (1, 2)]
    assert venue_keys_commitment(keys) == venue_keys_commitment(list(reversed(keys))) != venue_keys_commitment([(1, 2)])
