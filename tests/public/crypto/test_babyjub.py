"""public/crypto/babyjub.py: curve constants, circomlibjs vectors, group laws, membership checks.

Vectors: circomlibjs 0.1.7 ``test/babyjub.js`` ("Should add 2 same numbers", "Should add 2 different
numbers", "should mulPointEscalar 0/1/2", "should inSubgroup 1/2").
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from public.crypto import babyjub as bj
from public.crypto.babyjub import BASE8, GENERATOR, IDENTITY, ORDER, L, P

# circomlibjs test/babyjub.js points
P1 = (
    17777552123799933955779906779655732241715742912184938656739573121738514868268,
    2626589144620713026669568689430873010625803728049924121243784502389097019475,
)
P2 = (
    16540640123574156134436876038791482806971768689494387082833631921987005038935,
    20819045374670962167435360035096875258406992893633759881276124905556507972311,
)
P1_DOUBLE = (
    6890855772600357754907169075114257697580319025794532037257385534741338397365,
    4338620300185947561074059802482547481416142213883829469920100239455078257889,
)
P1_PLUS_P2 = (
    7916061937171219682591368294088513039687205273691143098332585753343424131937,
    14035240266687799601661095864649209771790948434046947201833777492504781204499,
)
TWO_TORSION = (0, P - 1)  # the point of order 2


def test_generator_and_base8_are_on_the_curve():
    assert bj.is_on_curve(GENERATOR) and bj.is_on_curve(BASE8) and bj.is_on_curve(IDENTITY)


def test_base8_is_eight_times_generator():  # circomlibjs "Should base be 8*generator"
    g2 = bj.add(GENERATOR, GENERATOR)
    g4 = bj.add(g2, g2)
    assert bj.add(g4, g4) == BASE8


def test_subgroup_order_annihilates_base8():
    assert bj.mul(BASE8, L) == IDENTITY
    assert bj.mul(BASE8, L - 1) == bj.neg(BASE8)
    assert bj.mul(BASE8, L + 5) == bj.mul(BASE8, 5)


def test_subgroup_order_is_prime_and_generator_has_full_order():
    assert all(pow(b, L - 1, L) == 1 for b in (2, 3, 5, 7, 11, 13))  # Fermat, L has no small factor
    assert L.bit_length() == 251 and ORDER == 8 * L
    assert bj.mul(GENERATOR, ORDER) == IDENTITY
    assert bj.mul(GENERATOR, ORDER // 2) != IDENTITY and bj.mul(GENERATOR, L) != IDENTITY


@pytest.mark.parametrize(
    "p1,p2,expected",
    [
        (IDENTITY, IDENTITY, IDENTITY),  # circomlibjs "Should add point (0,1) and (0,1)"
        (P1, P1, P1_DOUBLE),
        (P1, P2, P1_PLUS_P2),
    ],
)
def test_add_matches_circomlibjs_vectors(p1, p2, expected):
    assert bj.add(p1, p2) == expected


@pytest.mark.parametrize(
    "pt,k,expected",
    [
        (
            P1,
            3,
            (
                19372461775513343691590086534037741906533799473648040012278229434133483800898,
                9458658722007214007257525444427903161243386465067105737478306991484593958249,
            ),
        ),
        (
            P1,
            14035240266687799601661095864649209771790948434046947201833777492504781204499,
            (
                17070357974431721403481313912716834497662307308519659060910483826664480189605,
                4014745322800118607127020275658861516666525056516280575712425373174125159339,
            ),
        ),
        (
            P1_DOUBLE,
            20819045374670962167435360035096875258406992893633759881276124905556507972311,
            (
                13563888653650925984868671744672725781658357821216877865297235725727006259983,
                8442587202676550862664528699803615547505326611544120184665036919364004251662,
            ),
        ),
    ],
)
def test_mul_matches_circomlibjs_vectors(pt, k, expected):
    assert bj.mul(pt, k) == expected


def test_circomlibjs_points_are_in_the_subgroup():  # circomlibjs "should inSubgroup 1/2"
    assert bj.in_subgroup(P1) and bj.in_subgroup(P1_DOUBLE)


def test_addition_is_complete_on_small_order_points():
    assert bj.add(TWO_TORSION, TWO_TORSION) == IDENTITY
    assert bj.add(BASE8, TWO_TORSION) == ((-BASE8[0]) % P, (-BASE8[1]) % P)  # (x,y) + (0,-1) = (-x,-y)
    assert bj.add(BASE8, bj.neg(BASE8)) == IDENTITY
    assert bj.mul(BASE8, 0) == IDENTITY and bj.mul(BASE8, -3) == bj.neg(bj.mul(BASE8, 3))


def test_the_eight_small_order_points():
    torsion = {bj.mul(GENERATOR, L * k) for k in range(8)}
    assert len(torsion) == 8 and TWO_TORSION in torsion and IDENTITY in torsion
    assert all(bj.is_on_curve(t) and bj.has_small_order(t) for t in torsion)
    assert not bj.has_small_order(BASE8) and not bj.has_small_order(GENERATOR)


@pytest.mark.parametrize(
    "pt,why",
    [
        (GENERATOR, "order 8L: has a torsion component"),
        (TWO_TORSION, "order 2"),
        (bj.add(BASE8, TWO_TORSION), "subgroup point plus 2-torsion"),
        ((BASE8[0], (BASE8[1] + 1) % P), "off the curve"),
        ((BASE8[0] + P, BASE8[1]), "non-canonical x (x + p)"),
        ((1, 2, 3), "not a pair"),
        ("xy", "not ints"),
    ],
)
def test_in_subgroup_rejects(pt, why):
    assert not bj.in_subgroup(pt), why


def test_off_curve_point_is_rejected_by_is_on_curve():
    assert not bj.is_on_curve((1, 1))
    assert not bj.is_on_curve((-BASE8[0], BASE8[1]))  # negative coordinate: not canonical
    assert bj.is_on_curve(((-BASE8[0]) % P, BASE8[1]))


def test_add_raises_on_a_zero_denominator_off_the_curve():
    # beta = 1, gamma = x2 = -1/d, so 1 + d*tau = 0: impossible on the curve (completeness)
    with pytest.raises(ValueError, match="off the curve"):
        bj.add((1, 1), ((-pow(bj.D, -1, P)) % P, 1))


scalars = st.integers(min_value=0, max_value=2 * L)


@settings(max_examples=25, deadline=None)
@given(scalars, scalars)
def test_scalar_mul_is_additive(a, b):
    pa, pb = bj.mul(BASE8, a), bj.mul(BASE8, b)
    assert bj.add(pa, pb) == bj.mul(BASE8, a + b) == bj.add(pb, pa)
    assert bj.is_on_curve(pa) and bj.in_subgroup(pb)


@settings(max_examples=15, deadline=None)
@given(scalars, scalars)
def test_scalar_mul_composes(a, b):
    assert bj.mul(bj.mul(BASE8, a), b) == bj.mul(BASE8, a * b % L)


@settings(max_examples=15, deadline=None)
@given(scalars, scalars, st.integers(min_value=0, max_value=ORDER))
def test_add_is_associative_on_the_whole_group(a, b, c):
    pa, pb, pc = bj.mul(BASE8, a), bj.mul(GENERATOR, b), bj.mul(GENERATOR, c)
    assert bj.add(bj.add(pa, pb), pc) == bj.add(pa, bj.add(pb, pc))
    assert bj.add(pa, bj.neg(pa)) == IDENTITY and bj.add(pb, IDENTITY) == pb
