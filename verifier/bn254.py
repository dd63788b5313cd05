"""BN254 arithmetic for the Groth16 verifier, in pure Python on py_ecc's ``optimized_bn128``.

The curve (py_ecc ``bn128``): base field q, scalar field r = FIELD_P, G1 = E(Fq) (cofactor 1), G2
the order-r subgroup of the sextic twist E'(Fq2), and e the optimal ate pairing into Fq12. What is
here (tests/verifier/test_bn254.py compares the fast paths with py_ecc's plain ones):

- ``psi`` (untwist-Frobenius-twist endomorphism) and ``g2_in_subgroup``: psi(P) == [6x^2]P, a
  127-bit multiplication instead of the definition [r]P == O (``g2_in_subgroup_naive``);
- ``miller_lines`` / ``miller_product``: the Miller loop on the twist over Fq2, lines precomputed
  per G2 point (a verification key's gamma and delta once), denominators dropped (they lie in Fq6
  and die in the final exponentiation), several pairings sharing one squaring per step;
- ``final_exponentiate``: the easy part by Frobenius maps, then the hard part (q^4 - q^2 + 1)/r;
- ``vk_x``: IC_0 + sum_i s_i IC_i with one shared doubling chain; each public signal adds up to 254
  doublings-and-adds shared with the others;
- ``pairing_check_reference``: the Groth16 equation with py_ecc's ``pairing`` four times, the twin
  the fast path is compared against and the baseline `zkmargin bench` reports beside it.

The constants (q, r, the BN parameter x, the ate loop count) are checked at import. Not audited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128 import add, curve_order, double, eq, field_modulus, is_inf, multiply, neg, pairing
from py_ecc.optimized_bn128.optimized_pairing import ate_loop_count, pseudo_binary_encoding

from public.fixed_point import FIELD_P

if TYPE_CHECKING:  # annotations only: groth16 imports this module
    from verifier.groth16 import VerificationKey

Q = field_modulus  #: BN254 base field modulus q (coordinates live in Fq, Fq2)
R = FIELD_P  #: BN254 scalar field order r (public signals live in Fr)
BN_X = 4965661367192848881  #: the BN parameter x (u): q and r are polynomials in it

# Constants checked at import, as py_ecc does for its own (a wrong one would make every check moot).
if not (
    R == curve_order
    and Q == 36 * BN_X**4 + 36 * BN_X**3 + 24 * BN_X**2 + 6 * BN_X + 1
    and R == 36 * BN_X**4 + 36 * BN_X**3 + 18 * BN_X**2 + 6 * BN_X + 1
    and ate_loop_count == 6 * BN_X + 2
    and (Q**4 - Q**2 + 1) % R == 0
):
    raise ValueError("BN254 constants are inconsistent")

# ---------------------------------------------------------------- G2 subgroup check (psi endomorphism)

_XI = FQ2([9, 1])  # the twist's non-residue: Fq12 = Fq2[w] / (w^6 - xi)
_PSI_X = _XI ** ((Q - 1) // 3)  # w^(2(q-1)): psi's x factor
_PSI_Y = _XI ** ((Q - 1) // 2)  # w^(3(q-1)): psi's y factor
_SIX_X2 = 6 * BN_X**2  # = q - r: psi acts on G2 as [q] = [6x^2] (mod r)


def _conj(a: FQ2) -> FQ2:
    return FQ2([a.coeffs[0], -a.coeffs[1]])


def psi(point: tuple) -> tuple:
    """Untwist-Frobenius-twist endomorphism of the twist E'(Fq2): (x, y) -> (conj(x) xi^((q-1)/3), conj(y) xi^((q-1)/2))."""
    x, y, z = point
    return (_conj(x) * _PSI_X, _conj(y) * _PSI_Y, _conj(z))


def g2_in_subgroup(point: tuple) -> bool:
    """True iff a point on the twist lies in the order-r subgroup G2 (the point at infinity does).

    Test psi(P) == [6x^2]P: necessary since psi acts on G2 as [q] and q = r + 6x^2; sufficient for
    BN254 (Dai, Lin, Zhao, Zhou, "Fast subgroup membership testings for G1, G2 and GT on
    pairing-friendly curves", 2022, as gnark uses it). A 127-bit multiplication instead of the
    254-bit [r]P == O (``g2_in_subgroup_naive``); tests compare the two.
    """
    if is_inf(point):
        return True
    return eq(psi(point), multiply(point, _SIX_X2))


def g2_in_subgroup_naive(point: tuple) -> bool:
    """[r]P == O: the definition, for tests and the benchmark."""
    return is_inf(multiply(point, R))


# ---------------------------------------------------------------- pairing: Miller loop on the twist

def _line(r: tuple, t: tuple) -> tuple | None:
    """The line through R and T on the twist (the tangent if R == T), up to an Fq6 factor.

    At P = (xp, yp) in G1 it evaluates to cx*xp*w + cy*yp + c3*w^3 in Fq12 = Fq2[w]; py_ecc's
    ``linefunc`` on the untwisted points gives the same times w^2 (chord) or w^3 (tangent).
    Returns (cx, cy, c3), or None for a vertical line (a value in Fq6: 1 after final exponentiation).
    """
    x1, y1, z1 = r
    x2, y2, z2 = t
    num = y2 * z1 - y1 * z2
    den = x2 * z1 - x1 * z2
    if den != FQ2.zero():
        return num * z1, -(den * z1), den * y1 - num * x1
    if num == FQ2.zero():
        x1_sq = x1 * x1
        return 3 * x1_sq * z1, -(2 * y1 * z1 * z1), 2 * y1 * y1 * z1 - 3 * x1_sq * x1
    return None


def miller_lines(q: tuple) -> tuple:
    """Lines of the optimal ate Miller loop of Q in G2, in py_ecc's order (loop count 6x + 2)."""
    lines = []
    r, neg_q = q, neg(q)
    for digit in pseudo_binary_encoding[63::-1]:
        lines.append(_line(r, r))
        r = double(r)
        if digit:
            t = q if digit == 1 else neg_q
            lines.append(_line(r, t))
            r = add(r, t)
    q1 = psi(q)
    neg_q2 = neg(psi(q1))
    lines.append(_line(r, q1))
    lines.append(_line(add(r, q1), neg_q2))
    return tuple(lines)


def _times_line(f: FQ12, line: tuple, xp: int, yp: int) -> FQ12:
    """f * line(P); Fq2 element a0 + a1*i embeds in py_ecc's Fq12 as (a0 - 9 a1) + a1 w^6."""
    cx, cy, c3 = line
    a, bx = cy.coeffs, cx.coeffs
    c = c3.coeffs
    a0, a1 = a[0] * yp, a[1] * yp
    b0, b1 = bx[0] * xp, bx[1] * xp
    return f * FQ12([a0 - 9 * a1, b0 - 9 * b1, 0, c[0] - 9 * c[1], 0, 0, a1, b1, 0, c[1], 0, 0])


def miller_product(pairs: list[tuple[tuple, tuple]]) -> FQ12:
    """prod_k f_{6x+2, Q_k}(P_k) up to Fq6 factors, one shared squaring per step (no final exp).

    ``pairs``: (miller_lines(Q_k), P_k) with P_k a py_ecc G1 point; a P_k at infinity contributes 1.
    """
    evals = []
    for lines, p in pairs:
        if is_inf(p):
            continue
        zinv = pow(p[2].n, -1, Q)
        evals.append((lines, p[0].n * zinv % Q, p[1].n * zinv % Q))
    f = FQ12.one()
    k = 0
    for digit in pseudo_binary_encoding[63::-1]:
        f = f * f
        for step in range(2 if digit else 1):
            for lines, xp, yp in evals:
                if lines[k + step] is not None:
                    f = _times_line(f, lines[k + step], xp, yp)
        k += 2 if digit else 1
    for step in range(2):
        for lines, xp, yp in evals:
            if lines[k + step] is not None:
                f = _times_line(f, lines[k + step], xp, yp)
    return f


# ---------------------------------------------------------------- final exponentiation

_W = FQ12([0, 1] + [0] * 10)
_xi_pow = _XI ** ((Q - 1) // 6)  # w^(q-1) = xi^((q-1)/6), since w^6 = xi
_W_Q = _W * FQ12([_xi_pow.coeffs[0] - 9 * _xi_pow.coeffs[1]] + [0] * 5 + [_xi_pow.coeffs[1]] + [0] * 5)
_FROB = [FQ12.one()]  # _FROB[i] = (w^i)^q
for _ in range(11):
    _FROB.append(_FROB[-1] * _W_Q)
_HARD = (Q**4 - Q**2 + 1) // R


def frobenius(f: FQ12) -> FQ12:
    """f^q: sum_i c_i (w^i)^q, the coefficients c_i being in Fq."""
    out = [0] * 12
    for c, wq in zip(f.coeffs, _FROB):
        if c:
            for j, d in enumerate(wq.coeffs):
                out[j] += c * d
    return FQ12(out)


def final_exponentiate(f: FQ12) -> FQ12:
    """f^((q^12 - 1)/r) = ((f^(q^6 - 1))^(q^2 + 1))^((q^4 - q^2 + 1)/r); equals py_ecc's."""
    conj = FQ12([c if i % 2 == 0 else -c for i, c in enumerate(f.coeffs)])  # f^(q^6): w -> -w
    f = conj / f
    f = frobenius(frobenius(f)) * f
    return f**_HARD


# ---------------------------------------------------------------- Groth16's vk_x; the reference check

def vk_x(vk: VerificationKey, signals: list[int]) -> tuple:
    """IC_0 + sum_i s_i IC_i, one shared doubling chain for all terms (Straus / Shamir's trick)."""
    acc = (FQ.one(), FQ.one(), FQ.zero())
    for bit in range(max((s.bit_length() for s in signals), default=0) - 1, -1, -1):
        acc = double(acc)
        for s, p in zip(signals, vk.ic[1:]):
            if (s >> bit) & 1:
                acc = add(acc, p)
    return add(acc, vk.ic[0])


def pairing_check_reference(vk: VerificationKey, a: tuple, b_: tuple, c: tuple, signals: list[int]) -> bool:
    """The pairing equation with py_ecc's own ``pairing`` four times (no precomputation): the twin
    that tests compare the fast path against, and the baseline `zkmargin bench` reports beside it. Inputs already parsed."""
    x = vk.ic[0]
    for s, p in zip(signals, vk.ic[1:]):
        x = add(x, multiply(p, s))
    rhs = pairing(vk.beta_2, vk.alpha_1) * pairing(vk.gamma_2, x) * pairing(vk.delta_2, c)
    return pairing(b_, a) == rhs
