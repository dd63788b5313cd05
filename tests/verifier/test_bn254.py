"""BN254 arithmetic (verifier/bn254.py) against py_ecc's plain versions: Miller loop with final
exponentiation against ``pairing``, the final exponentiation, psi, the fast G2 subgroup check, the
integer Jacobian arithmetic (G1 multiplication and sums, G2 multiplication) the batch uses.

Also the twist points outside G2 that tests/verifier/test_groth16.py tampers proofs and keys with.
"""

from __future__ import annotations

import random

from py_ecc import optimized_bn128 as bn
from py_ecc.optimized_bn128.optimized_pairing import final_exponentiate as py_ecc_final_exponentiate

from verifier.bn254 import (
    Q, R, _g2_affine_ints, _g2_mul, _psi_affine, final_exponentiate, g1_mul, g1_sum, g1_to_py_ecc, g2_in_subgroup, g2_in_subgroup_naive, miller_lines,
    miller_product, psi,
)

# ---------------------------------------------------------------- points on the twist outside G2


def fq2_sqrt(a: bn.FQ2) -> bn.FQ2 | None:
    """Square root in Fq2, q = 3 mod 4 (Adj and Rodriguez-Henriquez 2012, algorithm 9), or None."""
    a1 = a ** ((Q - 3) // 4)
    alpha = a1 * a1 * a
    x0 = a1 * a
    minus_one = bn.FQ2([-1, 0])
    if alpha == minus_one:
        x = bn.FQ2([0, 1]) * x0
    else:
        x = (alpha + bn.FQ2.one()) ** ((Q - 1) // 2) * x0
    return x if x * x == a else None


def twist_point_outside_g2(seed: int):
    """A point on the twist E'(Fq2) with the cofactor NOT cleared: x = seed + i, seed + 1 + i, ..."""
    for k in range(seed, seed + 200):
        x = bn.FQ2([k, 1])
        y = fq2_sqrt(x**3 + bn.b2)
        if y is not None:
            return (x, y, bn.FQ2.one())
    raise AssertionError("no twist point found in 200 tries")


OUTSIDE = twist_point_outside_g2(1)  # on the twist, order not dividing r
TORSION = bn.multiply(twist_point_outside_g2(50), R)  # [r]P: order divides the cofactor, not O
G2_PLUS_TORSION = bn.add(bn.G2, TORSION)  # a G2 point with a cofactor-torsion part added


# ---------------------------------------------------------------- the maths against py_ecc


def test_miller_product_with_final_exponentiation_equals_py_ecc_pairing():
    rng = random.Random(7)
    for _ in range(2):
        p, q = bn.multiply(bn.G1, rng.randrange(1, R)), bn.multiply(bn.G2, rng.randrange(1, R))
        assert final_exponentiate(miller_product([(miller_lines(q), p)])) == bn.pairing(q, p)


def test_final_exponentiation_equals_py_ecc():
    rng = random.Random(11)
    for _ in range(3):
        f = bn.FQ12([rng.randrange(Q) for _ in range(12)])
        assert final_exponentiate(f) == py_ecc_final_exponentiate(f)


def test_psi_acts_as_q_on_g2_and_keeps_points_on_the_twist():
    assert bn.eq(psi(bn.G2), bn.multiply(bn.G2, Q % R))
    assert _psi_affine(_g2_affine_ints(OUTSIDE)) == _g2_affine_ints(psi(OUTSIDE))  # the int twin the hot paths use
    assert bn.is_on_curve(psi(OUTSIDE), bn.b2)


def test_fast_subgroup_check_agrees_with_r_times_p():
    rng = random.Random(3)
    inside = [bn.G2, bn.multiply(bn.G2, rng.randrange(1, R)), bn.multiply(bn.G2, R - 1), bn.Z2]
    outside = [OUTSIDE, TORSION, G2_PLUS_TORSION, twist_point_outside_g2(1000), twist_point_outside_g2(2000)]
    for p in inside + outside:
        assert bn.is_on_curve(p, bn.b2)
    assert [g2_in_subgroup(p) for p in inside] == [g2_in_subgroup_naive(p) for p in inside] == [True] * 4
    assert [g2_in_subgroup(p) for p in outside] == [g2_in_subgroup_naive(p) for p in outside] == [False] * 5


def test_integer_g1_multiplication_and_sum_equal_py_ecc():
    rng = random.Random(11)
    points = [bn.multiply(bn.G1, rng.randrange(1, R)) for _ in range(4)]
    scalars = [1, 2, 2**128 - 1, R - 1, R, R + 5, 0, rng.randrange(R)]
    for p in points:
        for k in scalars:
            assert bn.eq(g1_to_py_ecc(g1_mul(p, k)), bn.multiply(p, k % R)), k
    assert bn.is_inf(g1_to_py_ecc(g1_mul(bn.Z1, 5)))
    terms = [g1_mul(p, k) for p, k in zip(points, scalars)]
    want = bn.Z1
    for p, k in zip(points, scalars):
        want = bn.add(want, bn.multiply(p, k))
    assert bn.eq(g1_to_py_ecc(g1_sum(terms)), want)
    p = points[0]  # P + P (a doubling inside the sum) and P + (-P) (the point at infinity)
    assert bn.eq(g1_to_py_ecc(g1_sum([g1_mul(p, 3), g1_mul(p, 3)])), bn.multiply(p, 6))
    assert bn.is_inf(g1_to_py_ecc(g1_sum([g1_mul(p, 3), g1_mul(p, R - 3)])))


def test_integer_g2_multiplication_equals_py_ecc():
    rng = random.Random(12)
    q = bn.multiply(bn.G2, rng.randrange(1, R))
    for k in (1, 2, 3, 2**127 + 1, rng.randrange(1, R)):
        x, y, z = _g2_mul(_g2_affine_ints(q), k)
        want = _g2_affine_ints(bn.multiply(q, k))
        zi = bn.FQ2(list(z)).inv()
        assert (bn.FQ2(list(x)) * zi * zi, bn.FQ2(list(y)) * zi * zi * zi) == tuple(bn.FQ2(list(c)) for c in want), k
