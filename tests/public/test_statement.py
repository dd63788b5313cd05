"""public/statement.py: the venue keys a proof's public signals name. An aggregate's (chunked
bundle's) empty statement slots, key (0, 0), are no venue (circuits/chunk.circom MarginAggregate
step 6); in a one-proof circuit (0, 0) stays, so check venue_keys fails it as an unlisted key."""

from public.statement import EMPTY_VENUE_KEY, is_chunked, venue_keys


def named(keys, chunked):
    out = {f"venue_key_x[{v}]": x for v, (x, _) in enumerate(keys)} | {f"venue_key_y[{v}]": y for v, (_, y) in enumerate(keys)}
    return out | ({"acc_initial": 1, "acc_final": 2} if chunked else {})


def test_an_aggregates_empty_slots_are_no_venue():
    keys = [(5, 6), EMPTY_VENUE_KEY, (7, 8), EMPTY_VENUE_KEY]
    assert is_chunked(named(keys, True)) and venue_keys(named(keys, True)) == [(5, 6), (7, 8)]


def test_an_aggregate_of_only_empty_slots_names_no_venue():
    assert venue_keys(named([EMPTY_VENUE_KEY] * 8, True)) == []


def test_a_key_with_one_zero_coordinate_is_not_empty():
    assert venue_keys(named([(0, 6), (5, 0)], True)) == [(0, 6), (5, 0)]


def test_a_one_proof_circuit_keeps_the_zero_key():
    keys = [(5, 6), EMPTY_VENUE_KEY]
    assert not is_chunked(named(keys, False)) and venue_keys(named(keys, False)) == keys
