"""Groth16 verification over BN254 in pure Python (py_ecc), as ``snarkjs groth16 verify`` checks it.

A proof (A, B, C) with public signals s_1..s_n is valid under the verification key
(alpha, beta, gamma, delta, IC_0..IC_n) iff (Groth 2016, eprint 2016/260, section 3.2)::

    e(A, B) = e(alpha, beta) * e(vk_x, gamma) * e(C, delta),   vk_x = IC_0 + sum_i s_i * IC_i

with e the optimal ate pairing on BN254 (py_ecc ``bn128``: base field q, scalar field r = FIELD_P),
A, C, alpha, IC_i in G1 and B, beta, gamma, delta in G2 (the sextic twist over Fq2). Inputs are
snarkjs JSON: decimal strings, G1 as [x, y, "1"], G2 as [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]].

``groth16_checks`` returns three ``Check``s with stable names (a proof is valid iff all pass):

=======================  ========================================================================
groth16.public_signals   n == vk.n_public; every s_i a canonical decimal string (or int) with
                         0 <= s_i < r: a signal >= r is rejected, never reduced mod r (SPEC 5)
groth16.proof_points     protocol "groth16", curve "bn128"; every coordinate canonical and < q;
                         z exactly 1; A, C on the curve (G1 has cofactor 1, so that is G1); B on
                         the twist and in the order-r subgroup
groth16.pairing          the equation above; "not evaluated" unless the other two passed
=======================  ========================================================================

Where this is stricter than snarkjs 0.7.6 (``src/groth16_verify.js`` + ffjavascript), on purpose:
snarkjs reduces coordinates mod q (x + q verifies: a malleable second encoding of one proof),
parses "007" and "0x..." signals, accepts Jacobian z != 1 and affine [x, y] points, ignores the
proof's protocol/curve, reads the signal count from public.json rather than nPublic (missing
trailing signals count as 0), and checks only that B is on the twist (no subgroup check). Points at
infinity are rejected here (z must be 1): an honest A, B or C is never O, and e(O, B) = 1.

Speed (SPEC 8: verify <= 0.6 s): e(alpha, beta) and the Miller lines of the fixed gamma and delta
are computed once per key; the three other Miller loops run as one product with a single final
exponentiation; B's subgroup check uses psi (the arithmetic: ``verifier.bn254``). Measured on the
toy circuit (3 public signals, 2-core dev box, median of 5): 0.09 s per proof, against 1.03 s for
four plain py_ecc pairings (``pairing_check_reference``, the twin the tests compare this against).

Not audited. Errors: ``load_verification_key`` raises BundleError for a malformed key; the checks
never raise on hostile proof or signal values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128 import b, b2, is_on_curve, neg

from public.errors import BundleError
from verifier.bn254 import Q, R, final_exponentiate, g2_in_subgroup, miller_lines, miller_product, vk_x
from verifier.decision import Check

CHECK_SIGNALS = "groth16.public_signals"
CHECK_POINTS = "groth16.proof_points"
CHECK_PAIRING = "groth16.pairing"

# ---------------------------------------------------------------- canonical integers and points

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,77}")  # ASCII digits, no sign/space/leading zero; r, q < 10^77


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _canonical(value, bound: int, bound_name: str) -> int | str:
    """``value`` as an int in [0, bound), or a reason string saying why it is not one."""
    if isinstance(value, bool):
        return f"{_show(value)} is a boolean, not a decimal string"
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            return f"{_show(value)} is not a canonical decimal string (digits only, no sign, space or leading zero)"
        n = int(value)
    else:
        return f"{_show(value)} is a {type(value).__name__}, not a decimal string"
    if n < 0:
        return f"{_show(value)} is negative"
    if n >= bound:
        return f"{_show(value)} >= {bound_name} (rejected, not reduced mod {bound_name})"
    return n


def _is_one(value, one="1") -> bool:
    return value == one or (type(value) is int and value == int(one))


def _parse_g1(obj, what: str) -> tuple | str:
    """A snarkjs G1 point [x, y, "1"] -> py_ecc projective point, or a reason string.

    On the curve suffices for G1: BN254's G1 has cofactor 1, so E(Fq) is the order-r group.
    """
    if not isinstance(obj, (list, tuple)) or len(obj) != 3:
        return f"{what} is not [x, y, z]"
    coords = []
    for label, value in zip(("x", "y"), obj):
        n = _canonical(value, Q, "q")
        if isinstance(n, str):
            return f"{what}.{label}: {n}"
        coords.append(n)
    if not _is_one(obj[2]):
        return f'{what}.z is {_show(obj[2])}, not "1" (affine, as snarkjs writes it; z = 0 would be the point at infinity)'
    point = (FQ(coords[0]), FQ(coords[1]), FQ.one())
    if not is_on_curve(point, b):
        return f"{what} is not on the curve y^2 = x^3 + 3"
    return point


def _parse_g2(obj, what: str) -> tuple | str:
    """A snarkjs G2 point [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]] -> py_ecc point in G2, or a reason."""
    if not isinstance(obj, (list, tuple)) or len(obj) != 3 or not all(isinstance(c, (list, tuple)) and len(c) == 2 for c in obj):
        return f"{what} is not [[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]]"
    coords = []
    for label, pair in zip(("x", "y"), obj):
        parts = []
        for k, value in enumerate(pair):
            n = _canonical(value, Q, "q")
            if isinstance(n, str):
                return f"{what}.{label}.c{k}: {n}"
            parts.append(n)
        coords.append(FQ2(parts))
    if not (_is_one(obj[2][0]) and _is_one(obj[2][1], "0")):
        return f'{what}.z is {_show(obj[2])}, not ["1", "0"] (affine, as snarkjs writes it)'
    point = (coords[0], coords[1], FQ2.one())
    if not is_on_curve(point, b2):
        return f"{what} is not on the twist y^2 = x^3 + 3/(9+i)"
    if not g2_in_subgroup(point):
        return f"{what} is on the twist but not in the order-r subgroup G2"
    return point


# ---------------------------------------------------------------- verification key

@dataclass(frozen=True)
class VerificationKey:
    """A parsed, validated snarkjs Groth16 verification key with its per-key precomputation.

    Points are py_ecc ``optimized_bn128`` projective tuples with z = 1. ``alphabeta_12`` is
    e(alpha, beta) (final-exponentiated); ``gamma_lines`` / ``delta_lines`` are ``miller_lines``.
    The key's own ``vk_alphabeta_12`` field, if any, is ignored (snarkjs ignores it too).
    """

    n_public: int
    alpha_1: tuple
    beta_2: tuple
    gamma_2: tuple
    delta_2: tuple
    ic: tuple
    alphabeta_12: FQ12 = field(repr=False, compare=False)
    gamma_lines: tuple = field(repr=False, compare=False)
    delta_lines: tuple = field(repr=False, compare=False)


def load_verification_key(vk_json: dict) -> VerificationKey:
    """Parse and validate a snarkjs ``verification_key.json`` (as a dict).

    Raises
    ------
    BundleError
        Not a dict; protocol not "groth16" or curve not "bn128"; a field missing; nPublic not a
        non-negative int; a coordinate not a canonical decimal < q; a point not affine (z = 1), off
        its curve or (G2) outside the order-r subgroup; len(IC) != nPublic + 1. Names the field.

    Notes
    -----
    About 0.13 s (e(alpha, beta), three G2 subgroup checks, the gamma and delta Miller lines);
    cached per key content (8 keys), so a venue verifying many bundles under one key pays it once.
    """
    if not isinstance(vk_json, dict):
        raise BundleError(f"verification key is a {type(vk_json).__name__}, not a JSON object")
    try:
        text = json.dumps(vk_json, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise BundleError(f"verification key is not plain JSON: {exc}") from None
    return _load_cached(text)


@lru_cache(maxsize=8)
def _load_cached(text: str) -> VerificationKey:
    vk = json.loads(text)
    if vk.get("protocol") != "groth16":
        raise BundleError(f"verification key protocol is {_show(vk.get('protocol'))}, expected 'groth16'")
    if vk.get("curve") != "bn128":
        raise BundleError(f"verification key curve is {_show(vk.get('curve'))}, expected 'bn128' (BN254)")
    for name in ("nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"):
        if name not in vk:
            raise BundleError(f"verification key has no {name}")
    n_public = vk["nPublic"]
    if type(n_public) is not int or n_public < 0:
        raise BundleError(f"verification key nPublic is {_show(n_public)}, not a non-negative integer")
    if not isinstance(vk["IC"], list) or len(vk["IC"]) != n_public + 1:
        count = len(vk["IC"]) if isinstance(vk["IC"], list) else "no list of"
        raise BundleError(f"verification key IC has {count} points; nPublic = {n_public} needs {n_public + 1}")

    def point(parsed):
        if isinstance(parsed, str):
            raise BundleError(f"verification key {parsed}")
        return parsed

    alpha = point(_parse_g1(vk["vk_alpha_1"], "vk_alpha_1"))
    beta, gamma, delta = (point(_parse_g2(vk[n], n)) for n in ("vk_beta_2", "vk_gamma_2", "vk_delta_2"))
    ic = tuple(point(_parse_g1(p, f"IC[{i}]")) for i, p in enumerate(vk["IC"]))
    alphabeta = final_exponentiate(miller_product([(miller_lines(beta), alpha)]))
    return VerificationKey(n_public, alpha, beta, gamma, delta, ic, alphabeta, miller_lines(gamma), miller_lines(delta))


# ---------------------------------------------------------------- the checks

def _signals_check(vk: VerificationKey, public_signals) -> tuple[Check, list[int] | None]:
    if not isinstance(public_signals, (list, tuple)):
        return Check(CHECK_SIGNALS, False, f"public signals are a {type(public_signals).__name__}, not a list"), None
    problems = []
    if len(public_signals) != vk.n_public:
        problems.append(f"{len(public_signals)} public signals, the verification key expects nPublic = {vk.n_public}")
    values = []
    for i, value in enumerate(public_signals):
        n = _canonical(value, R, "r")
        if isinstance(n, str):
            problems.append(f"public_signals[{i}]: {n}")
        values.append(n)
    if problems:
        return Check(CHECK_SIGNALS, False, "; ".join(problems)), None
    return Check(CHECK_SIGNALS, True, f"{vk.n_public} canonical public signals, each < r"), values


def _points_check(proof_json) -> tuple[Check, tuple | None]:
    if not isinstance(proof_json, dict):
        return Check(CHECK_POINTS, False, f"proof is a {type(proof_json).__name__}, not a JSON object"), None
    problems = []
    if proof_json.get("protocol") != "groth16":
        problems.append(f"proof protocol is {_show(proof_json.get('protocol'))}, expected 'groth16'")
    if proof_json.get("curve") != "bn128":
        problems.append(f"proof curve is {_show(proof_json.get('curve'))}, expected 'bn128'")
    points = []
    for name, parse in (("pi_a", _parse_g1), ("pi_b", _parse_g2), ("pi_c", _parse_g1)):
        parsed = parse(proof_json[name], name) if name in proof_json else f"proof has no {name}"
        if isinstance(parsed, str):
            problems.append(parsed)
        points.append(parsed)
    if problems:
        return Check(CHECK_POINTS, False, "; ".join(problems)), None
    return Check(CHECK_POINTS, True, "pi_a, pi_c on the curve (G1); pi_b on the twist and in G2"), tuple(points)


def _parse_proof(vk: VerificationKey, proof_json, public_signals):
    """(signals check, points check, pairing check or None, signals, points): the checks every
    pairing engine runs first; the pairing check is a "not evaluated" failure when either failed,
    else None (the engine's to make), and signals / points are then the parsed values."""
    signals_check, signals = _signals_check(vk, public_signals)
    points_check, points = _points_check(proof_json)
    if signals is None or points is None:
        failed = [c.name for c in (signals_check, points_check) if not c.passed]
        return signals_check, points_check, Check(CHECK_PAIRING, False, f"not evaluated: {' and '.join(failed)} failed"), None, None
    return signals_check, points_check, None, signals, points


def groth16_checks(vk: VerificationKey, proof_json: dict, public_signals: list) -> list[Check]:
    """The Groth16 verifier's three checks on one proof, in order; never raises on hostile values.

    Parameters
    ----------
    vk : VerificationKey
        From ``load_verification_key`` (a dict is loaded first; BundleError if malformed).
    proof_json : dict
        snarkjs ``proof.json``: pi_a, pi_b, pi_c as decimal strings, protocol, curve.
    public_signals : list
        snarkjs ``public.json``: n_public decimal strings (ints accepted), each in [0, r).

    Returns
    -------
    list[Check], length 3
        ``groth16.public_signals``, ``groth16.proof_points``, ``groth16.pairing``; each failed
        reason names the signal index or proof element. The pairing is "not evaluated" unless the
        first two passed.
    """
    if not isinstance(vk, VerificationKey):
        vk = load_verification_key(vk)
    signals_check, points_check, pairing_check, signals, points = _parse_proof(vk, proof_json, public_signals)
    if pairing_check is None:
        a, b_, c = points
        f = miller_product([(miller_lines(b_), a), (vk.gamma_lines, neg(vk_x(vk, signals))), (vk.delta_lines, neg(c))])
        ok = final_exponentiate(f) == vk.alphabeta_12
        pairing_check = Check(
            CHECK_PAIRING,
            ok,
            "e(A, B) = e(alpha, beta) e(vk_x, gamma) e(C, delta)"
            if ok
            else "pairing equation fails: the proof does not verify for these public signals under this key",
        )
    return [signals_check, points_check, pairing_check]


def groth16_checks_native(vk: VerificationKey, verification_key_json: dict, proof_json: dict, public_signals: list) -> list[Check]:
    """``groth16_checks`` with the pairing by groth16py's native verifier (``groth16_native_check``):
    the same three checks in the same order, the first two still this module's (canonical signals
    below r and their count; points on the curve, pi_b in G2's subgroup), so the duties of SPEC
    section 6 do not depend on the native library's parsing. About 19 ms for the demo circuit (16 ms
    of it the py_ecc point checks) against 0.11 s for ``groth16_checks``."""
    signals_check, points_check, pairing_check, signals, _ = _parse_proof(vk, proof_json, public_signals)
    if pairing_check is None:
        pairing_check = groth16_native_check(verification_key_json, proof_json, [str(v) for v in signals])
    return [signals_check, points_check, pairing_check]


def verify(vk, proof_json: dict, public_signals: list) -> bool:
    """True iff every check of ``groth16_checks`` passes."""
    return all(c.passed for c in groth16_checks(vk, proof_json, public_signals))


# ---------------------------------------------------------------- many proofs as one batch

BATCH_RANDOM_BITS = 128  #: each proof's weight r_k: a forged proof passes the batch with probability <= 2^-128


def groth16_batch_checks(vk: VerificationKey, items: list[tuple[dict, list]], rng=None) -> list[list[Check]]:
    """``groth16_checks`` for many proofs under one key, the pairings as one batch.

    ``items``: (proof_json, public_signals) per proof. The proofs whose signals and points parse
    are checked together (a random linear combination of their Groth16 equations, weights r_k of
    ``BATCH_RANDOM_BITS`` bits from ``rng``, default the verifier's own ``secrets``; never from the
    bundle)::

        prod_k e(r_k A_k, B_k) * e(-sum_k r_k vk_x_k, gamma) * e(-sum_k r_k C_k, delta) = e(alpha, beta)^(sum_k r_k)

    one multi-Miller loop over K + 2 pairs and one final exponentiation. If the batch equation holds
    every pairing check passes; if not, each proof is checked alone so the failing ones are named
    (a batch never accepts what one-by-one rejects, except with probability 2^-128 per forgery).
    Returns one list of three Checks per item, as ``groth16_checks``.
    """
    return groth16_multi_batch_checks([(vk, items)], rng)[0]


def groth16_multi_batch_checks(groups: list[tuple[VerificationKey, list[tuple[dict, list]]]], rng=None) -> list[list[list[Check]]]:
    """``groth16_batch_checks`` over proofs under several keys (a chunked bundle: the chunk key and
    the aggregate key) as ONE batch: each key g adds its own (gamma_g, -sum r vk_x) and
    (delta_g, -sum r C) pairs and its e(alpha_g, beta_g)^(sum r) factor, so the whole bundle costs one
    multi-Miller loop over K + 2G pairs and one final exponentiation. Weights as groth16_batch_checks
    (the verifier's own randomness); on a failed batch every proof is checked alone and the failing
    ones named. Returns, per group, one list of three Checks per item."""
    import secrets

    from py_ecc.optimized_bn128 import FQ12, add, multiply

    from verifier.bn254 import g1_mul, g1_sum, g1_to_py_ecc

    groups = [(vk if isinstance(vk, VerificationKey) else load_verification_key(vk), items) for vk, items in groups]
    draw = rng.randrange if rng is not None else (lambda lo, hi: lo + secrets.randbelow(hi - lo))
    out, ready = [], []
    for g, (vk, items) in enumerate(groups):
        out.append([])
        for k, (proof_json, public_signals) in enumerate(items):
            signals_check, points_check, pairing_check, signals, points = _parse_proof(vk, proof_json, public_signals)
            out[g].append([signals_check, points_check, pairing_check])
            if pairing_check is None:
                ready.append((g, k, points, signals))
    if not ready:
        return out
    pairs, rhs = [], FQ12.one()
    for g, (vk, _) in enumerate(groups):
        mine = [(points, signals) for gg, _, points, signals in ready if gg == g]
        if not mine:
            continue
        c_terms, r_sum, t = [], 0, [0] * vk.n_public
        for (a, b_, c), signals in mine:
            r = draw(1, 2**BATCH_RANDOM_BITS)
            pairs.append((miller_lines(b_), g1_to_py_ecc(g1_mul(a, r))))
            c_terms.append(g1_mul(c, r))
            r_sum += r
            t = [(ti + r * si) % R for ti, si in zip(t, signals)]
        c_sum = g1_to_py_ecc(g1_sum(c_terms))
        # sum_k r_k vk_x_k = (sum_k r_k) IC_0 + sum_i (sum_k r_k s_k,i) IC_i: one multi-scalar multiplication
        x_sum = add(vk_x(vk, t), multiply(vk.ic[0], (r_sum - 1) % R))
        pairs += [(vk.gamma_lines, neg(x_sum)), (vk.delta_lines, neg(c_sum))]
        rhs = rhs * vk.alphabeta_12 ** (r_sum % R)
    if final_exponentiate(miller_product(pairs)) == rhs:
        for g, k, _, _ in ready:
            out[g][k][2] = Check(CHECK_PAIRING, True, f"e(A, B) = e(alpha, beta) e(vk_x, gamma) e(C, delta), batched with {len(ready) - 1} other proof(s)")
    else:
        for g, k, _, _ in ready:
            vk, items = groups[g]
            out[g][k][2] = groth16_checks(vk, items[k][0], items[k][1])[2]
    return out


def groth16_native_check(verification_key_json: dict, proof_json, public_signals) -> Check:
    """The pairing check by groth16py's native (Rust) verifier, for venues that want milliseconds
    (about 3 ms for the demo circuit against about 0.1 s here). Same verdicts as
    ``groth16_checks``: a signal >= r, a malformed point or a wrong count is a failed check with
    its reason, never an exception. Its own parsing is groth16py's (``Verifier.verify_snarkjs``)."""
    import groth16py

    try:
        verifier = _native_verifier(json.dumps(verification_key_json, sort_keys=True))
        ok = verifier.verify_snarkjs(json.dumps(proof_json), json.dumps([str(s) for s in public_signals]))
    except Exception as exc:  # groth16py's EncodingError / VerificationError, or JSON it cannot read
        name = type(exc).__name__ if isinstance(exc, (groth16py.EncodingError, groth16py.VerificationError)) else "unreadable input"
        return Check(CHECK_PAIRING, False, f"native verifier refused the proof: {name}: {exc}")
    return Check(CHECK_PAIRING, bool(ok), "native verifier: the pairing equation holds" if ok else "native verifier: the pairing equation fails")


@lru_cache(maxsize=8)
def _native_verifier(vk_text: str):
    import groth16py

    return groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs(vk_text))
