"""Poseidon vectors from circomlibjs 0.1.7 (``buildPoseidon()``, test/poseidon.js) and chaining."""

import pytest

from public.crypto.poseidon import poseidon, poseidon_chain

# circomlibjs poseidon([1, 2]) (circomlibjs test/poseidon.js; SPEC section 7 quotes the first bytes)
# and poseidon([1, 2, 3, 4]) and poseidon([1..12]), computed with circomlibjs 0.1.7 under Node 20.
VECTORS = [
    ([1, 2], 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A),
    ([1, 2, 3, 4], 0x299C867DB6C1FDD79DCEFA40E4510B9837E60EBB1CE0663DBAA525DF65250465),
    (list(range(1, 13)), 0x058814945232937DB248A01E7CC55B3D681CC08702C8168494E856C1EF7693B5),
    # full-width inputs (p - 1, 2^200 + 7, 3): circomlibjs 0.1.7, same session
    (
        [21888242871839275222246405745257275088548364400416034343698204186575808495616, 2**200 + 7, 3],
        0x2A8C41500B8348C2E951660804FF68733FF857B78792CD3796C22763E72F48CC,
    ),
]


@pytest.mark.parametrize("inputs,expected", VECTORS)
def test_matches_circomlibjs_vectors(inputs, expected):
    assert poseidon(inputs) == expected


def test_rejects_arity_beyond_twelve():
    with pytest.raises(ValueError):
        poseidon(list(range(13)))
    with pytest.raises(ValueError):
        poseidon([])


def test_negative_inputs_are_field_elements():
    from public.fixed_point import FIELD_P

    assert poseidon([-1, 2]) == poseidon([FIELD_P - 1, 2])


def test_chain_is_single_hash_up_to_twelve_and_chains_beyond():
    vals = list(range(1, 24))
    assert poseidon_chain(vals[:12]) == poseidon(vals[:12])
    assert poseidon_chain(vals) == poseidon([poseidon(vals[:12])] + vals[12:23])
    assert poseidon_chain(vals + [99]) == poseidon([poseidon_chain(vals), 99])
