"""Poseidon over BN254 as circomlib computes it, via the ``light-poseidon`` package (Rust).

``poseidon(inputs)`` equals circomlib's ``Poseidon(n)`` template and circomlibjs's ``poseidon``
for 1 <= n <= 12 inputs (tests/public/crypto/test_poseidon.py checks published circomlibjs vectors:
poseidon([1, 2]) = 0x115cc0f5...189a). ``poseidon_chain`` is circuits/hash.circom's PoseidonChain.
"""

from __future__ import annotations

from collections.abc import Sequence

import light_poseidon_python as _lp

from public.fixed_point import FIELD_P

MAX_ARITY = 12  #: largest arity light-poseidon reproduces (circomlib goes to 16)


def poseidon(inputs: Sequence[int]) -> int:
    """circomlib Poseidon of 1..12 field elements; signed ints are mapped mod p first.

    Raises ValueError for an empty or over-long input.
    """
    if not 1 <= len(inputs) <= MAX_ARITY:
        raise ValueError(f"poseidon takes 1..{MAX_ARITY} inputs, got {len(inputs)}")
    return int(_lp.poseidon_hash_bytes([(int(x) % FIELD_P).to_bytes(32, "big") for x in inputs]), 16)


def poseidon_chain(values: Sequence[int]) -> int:
    """Hash of a vector of any length >= 1, as circuits/hash.circom PoseidonChain(N).

    h_1 = poseidon(values[:12]); h_{k+1} = poseidon([h_k] + next 11 values).
    """
    if not values:
        raise ValueError("poseidon_chain needs at least one value")
    h = poseidon(values[:MAX_ARITY])
    rest = list(values[MAX_ARITY:])
    while rest:
        h = poseidon([h] + rest[: MAX_ARITY - 1])
        rest = rest[MAX_ARITY - 1 :]
    return h
