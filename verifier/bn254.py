"""BN254 arithmetic for the Groth16 verifier, in pure Python on py_ecc's ``optimized_bn128``.

The curve (py_ecc ``bn128``): base field q, scalar field r = FIELD_P, G1 = E(Fq) (cofactor 1), G2
the order-r subgroup of the sextic twist E'(Fq2), and e the optimal ate pairing into Fq12. What is
here (tests/verifier/test_bn254.py compares the fast paths with py_ecc's plain ones):

- integer arithmetic for the hot paths (Fq as ints, Fq2 as int pairs, Jacobian points): ``g1_mul``
  / ``g1_sum`` (a batch's random weights times A and C), the G2 doubling chains of the subgroup
  check and the Miller lines; 5 to 10 times faster than py_ecc's objects (issue 11: 1.87 s -> 0.47 s
  for a 37-proof batch);
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
from py_ecc.optimized_bn128 import add, curve_order, double, field_modulus, is_inf, multiply, pairing
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
    pairing-friendly curves", 2022, as gnark uses it; directly: psi satisfies psi^2 - t psi + q = 0
    with t = 6x^2 + 1, so psi(P) = [6x^2]P gives [36x^4 - t 6x^2 + q]P = [q - 6x^2]P = [r]P = O, and
    r exactly divides #E'(Fq2)). A 127-bit multiplication, in integer Jacobian arithmetic
    (``_g2_mul``), instead of the definition [r]P == O (``g2_in_subgroup_naive``); tests compare the two.
    """
    if is_inf(point):
        return True
    x, y = _g2_affine_ints(point)
    px, py = _psi_affine((x, y))
    mx, my, mz = _g2_mul((x, y), _SIX_X2)
    if mz == _F2_ZERO:
        return False  # [6x^2]P = O but psi(P) is a finite point
    z2 = _f2_sqr(mz)
    return _f2_mul(px, z2) == mx and _f2_mul(py, _f2_mul(z2, mz)) == my


def g2_in_subgroup_naive(point: tuple) -> bool:
    """[r]P == O: the definition, for tests and the benchmark."""
    return is_inf(multiply(point, R))


# ---------------------------------------------------------------- integer arithmetic (the hot paths)
# Fq elements are ints in [0, q); Fq2 elements (a0, a1) = a0 + a1 i with i^2 = -1 (py_ecc's FQ2);
# points in Jacobian coordinates (X, Y, Z): x = X / Z^2, y = Y / Z^3, Z = 0 at infinity. The same
# formulas as py_ecc's objects, without an object per operation: 5 to 10 times faster. Every
# function here is compared with py_ecc in tests/verifier/test_bn254.py.

_F2_ZERO = (0, 0)
_F2_ONE = (1, 0)


def _f2_mul(a: tuple, b: tuple) -> tuple:
    a0, a1 = a
    b0, b1 = b
    return ((a0 * b0 - a1 * b1) % Q, (a0 * b1 + a1 * b0) % Q)


def _f2_sqr(a: tuple) -> tuple:
    a0, a1 = a
    return ((a0 + a1) * (a0 - a1) % Q, 2 * a0 * a1 % Q)


def _f2_add(a: tuple, b: tuple) -> tuple:
    return ((a[0] + b[0]) % Q, (a[1] + b[1]) % Q)


def _f2_sub(a: tuple, b: tuple) -> tuple:
    return ((a[0] - b[0]) % Q, (a[1] - b[1]) % Q)


def _f2_small(k: int, a: tuple) -> tuple:
    return (k * a[0] % Q, k * a[1] % Q)


def _f2_conj(a: tuple) -> tuple:
    return (a[0], -a[1] % Q)


def _f2_inv(a: tuple) -> tuple:
    a0, a1 = a
    t = pow((a0 * a0 + a1 * a1) % Q, -1, Q)
    return (a0 * t % Q, -a1 * t % Q)


_PSI_X_INT = tuple(c % Q for c in _PSI_X.coeffs)
_PSI_Y_INT = tuple(c % Q for c in _PSI_Y.coeffs)


def _psi_affine(q: tuple) -> tuple:
    """``psi`` on an affine int point (x, y)."""
    return _f2_mul(_f2_conj(q[0]), _PSI_X_INT), _f2_mul(_f2_conj(q[1]), _PSI_Y_INT)


def _g2_affine_ints(point: tuple) -> tuple:
    """A finite py_ecc G2 point (homogeneous projective FQ2 coordinates) -> affine ((x0, x1), (y0, y1))."""
    x, y, z = ((c.coeffs[0] % Q, c.coeffs[1] % Q) for c in point)
    zi = _f2_inv(z)
    return _f2_mul(x, zi), _f2_mul(y, zi)


def _g2_double(p: tuple) -> tuple:
    """2P in Jacobian coordinates on y^2 = x^3 + b' (dbl-2009-l)."""
    x, y, z = p
    a = _f2_sqr(x)
    b = _f2_sqr(y)
    c = _f2_sqr(b)
    d = _f2_small(2, _f2_sub(_f2_sub(_f2_sqr(_f2_add(x, b)), a), c))
    e = _f2_small(3, a)
    x3 = _f2_sub(_f2_sqr(e), _f2_small(2, d))
    return x3, _f2_sub(_f2_mul(e, _f2_sub(d, x3)), _f2_small(8, c)), _f2_small(2, _f2_mul(y, z))


def _g2_add_affine(p: tuple, q: tuple) -> tuple:
    """P + Q for P Jacobian, Q = (x, y) affine and finite (madd-2007-bl; doubles when P == Q)."""
    x1, y1, z1 = p
    if z1 == _F2_ZERO:
        return q[0], q[1], _F2_ONE
    z1z1 = _f2_sqr(z1)
    u2 = _f2_mul(q[0], z1z1)
    s2 = _f2_mul(q[1], _f2_mul(z1, z1z1))
    h = _f2_sub(u2, x1)
    rr = _f2_small(2, _f2_sub(s2, y1))
    if h == _F2_ZERO:
        return _g2_double(p) if rr == _F2_ZERO else (_F2_ONE, _F2_ONE, _F2_ZERO)
    hh = _f2_sqr(h)
    i = _f2_small(4, hh)
    j = _f2_mul(h, i)
    v = _f2_mul(x1, i)
    x3 = _f2_sub(_f2_sub(_f2_sqr(rr), j), _f2_small(2, v))
    y3 = _f2_sub(_f2_mul(rr, _f2_sub(v, x3)), _f2_small(2, _f2_mul(y1, j)))
    z3 = _f2_sub(_f2_sub(_f2_sqr(_f2_add(z1, h)), z1z1), hh)
    return x3, y3, z3


def _g2_mul(q: tuple, k: int) -> tuple:
    """[k]Q for Q = (x, y) affine, k >= 1, left-to-right double-and-add; Jacobian result."""
    acc = (q[0], q[1], _F2_ONE)
    for bit in bin(k)[3:]:
        acc = _g2_double(acc)
        if bit == "1":
            acc = _g2_add_affine(acc, q)
    return acc


def _g1_double(p: tuple) -> tuple:
    x, y, z = p
    a = x * x % Q
    b = y * y % Q
    c = b * b % Q
    d = 2 * ((x + b) * (x + b) - a - c) % Q
    e = 3 * a % Q
    x3 = (e * e - 2 * d) % Q
    return x3, (e * (d - x3) - 8 * c) % Q, 2 * y * z % Q


def _g1_add(p: tuple, q: tuple) -> tuple:
    """P + Q, both Jacobian (add-2007-bl; doubles when P == Q, O when P == -Q)."""
    x1, y1, z1 = p
    x2, y2, z2 = q
    if z1 == 0:
        return q
    if z2 == 0:
        return p
    z1z1, z2z2 = z1 * z1 % Q, z2 * z2 % Q
    u1, u2 = x1 * z2z2 % Q, x2 * z1z1 % Q
    s1, s2 = y1 * z2 * z2z2 % Q, y2 * z1 * z1z1 % Q
    h = (u2 - u1) % Q
    rr = 2 * (s2 - s1) % Q
    if h == 0:
        return _g1_double(p) if rr == 0 else (1, 1, 0)
    i = 4 * h * h % Q
    j = h * i % Q
    v = u1 * i % Q
    x3 = (rr * rr - j - 2 * v) % Q
    return x3, (rr * (v - x3) - 2 * s1 * j) % Q, ((z1 + z2) * (z1 + z2) - z1z1 - z2z2) * h % Q


def g1_mul(point: tuple, k: int) -> tuple:
    """[k]P for a py_ecc G1 point P (homogeneous projective FQ) and k >= 0, in integer Jacobian
    arithmetic; returns a Jacobian int triple (``g1_to_py_ecc`` converts). Equals py_ecc's multiply."""
    if is_inf(point) or k % R == 0:
        return (1, 1, 0)
    zi = pow(point[2].n, -1, Q)
    base = (point[0].n * zi % Q, point[1].n * zi % Q, 1)
    acc = base
    for bit in bin(k % R)[3:]:
        acc = _g1_double(acc)
        if bit == "1":
            acc = _g1_add(acc, base)
    return acc


def g1_sum(points) -> tuple:
    """The sum of Jacobian int triples (``g1_mul``'s)."""
    acc = (1, 1, 0)
    for p in points:
        acc = _g1_add(acc, p)
    return acc


def g1_to_py_ecc(p: tuple) -> tuple:
    """A Jacobian int triple -> py_ecc's G1 point (affine, z = 1; the point at infinity as py_ecc's)."""
    x, y, z = p
    if z % Q == 0:
        return (FQ.one(), FQ.one(), FQ.zero())
    zi = pow(z, -1, Q)
    zi2 = zi * zi % Q
    return (FQ(x * zi2 % Q), FQ(y * zi2 * zi % Q), FQ.one())


# ---------------------------------------------------------------- pairing: Miller loop on the twist

def _tangent(t: tuple) -> tuple | None:
    """The tangent at T (Jacobian) on the twist, up to an Fq2 factor: (cx, cy, c3) such that at P =
    (xp, yp) in G1 it evaluates to cx*xp*w + cy*yp + c3*w^3 in Fq12 = Fq2[w] (the slope form
    (lambda, -1, y - lambda x) times 2 Y Z^3); None for a vertical tangent (Y = 0: a value in Fq6, 1
    after the final exponentiation)."""
    x, y, z = t
    if y == _F2_ZERO:
        return None
    z2 = _f2_sqr(z)
    x2 = _f2_sqr(x)
    return (_f2_mul(_f2_small(3, x2), z2), _f2_small(-2 % Q, _f2_mul(y, _f2_mul(z, z2))),
            _f2_sub(_f2_small(2, _f2_sqr(y)), _f2_small(3, _f2_mul(x2, x))))  # fmt: skip


def _chord(t: tuple, q: tuple) -> tuple | None:
    """The line through T (Jacobian) and Q = (x, y) affine, as ``_tangent`` (the tangent if T == Q,
    None if vertical): (N, -M, yq M - N xq) with slope N / M."""
    x, y, z = t
    z2 = _f2_sqr(z)
    n = _f2_sub(_f2_mul(q[1], _f2_mul(z, z2)), y)
    m = _f2_mul(z, _f2_sub(_f2_mul(q[0], z2), x))
    if m == _F2_ZERO:
        return _tangent(t) if n == _F2_ZERO else None
    return n, _f2_sub(_F2_ZERO, m), _f2_sub(_f2_mul(q[1], m), _f2_mul(n, q[0]))


def miller_lines(q: tuple) -> tuple:
    """Lines of the optimal ate Miller loop of Q in G2 (a finite py_ecc point), in py_ecc's order
    (loop count 6x + 2), each as ``_tangent`` / ``_chord`` give it (int Fq2 pairs)."""
    qa = _g2_affine_ints(q)
    neg_q = (qa[0], _f2_sub(_F2_ZERO, qa[1]))
    lines = []
    r = (qa[0], qa[1], _F2_ONE)
    for digit in pseudo_binary_encoding[63::-1]:
        lines.append(_tangent(r))
        r = _g2_double(r)
        if digit:
            t = qa if digit == 1 else neg_q
            lines.append(_chord(r, t))
            r = _g2_add_affine(r, t)
    q1 = _psi_affine(qa)
    q2 = _psi_affine(q1)
    lines.append(_chord(r, q1))
    lines.append(_chord(_g2_add_affine(r, q1), (q2[0], _f2_sub(_F2_ZERO, q2[1]))))
    return tuple(lines)


def _times_line(f: FQ12, line: tuple, xp: int, yp: int) -> FQ12:
    """f * line(P); Fq2 element a0 + a1*i embeds in py_ecc's Fq12 as (a0 - 9 a1) + a1 w^6."""
    (b0, b1), (a0, a1), (c0, c1) = line
    a0, a1 = a0 * yp, a1 * yp
    b0, b1 = b0 * xp, b1 * xp
    return f * FQ12([a0 - 9 * a1, b0 - 9 * b1, 0, c0 - 9 * c1, 0, 0, a1, b1, 0, c1, 0, 0])


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
