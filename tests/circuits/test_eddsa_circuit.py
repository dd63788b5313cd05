"""circomlib's EdDSAPoseidonVerifier against public/crypto/eddsa.py: honest, refused and forged witnesses.

The template checks ``S * Base8 == R8 + (8h) * A`` with h = Poseidon(R8x, R8y, Ax, Ay, M), S < l
(``CompConstant``) and 8 * A != identity (``IsZero`` on the x of 8A), each only when ``enabled`` is 1:
the zkmargin wrapper must fix ``enabled`` to 1 (test_enabled_zero_accepts_any_forgery shows why).
It does not check that R8 is on the curve; public/crypto/eddsa.py's ``verify`` does.

Cost (circom 2.2.3, circomlib 2.0.5): 7383 non-linear + 703 linear = 8086 constraints at --O1 (the
harness default), 4217 at --O2 (prover/toolchain/snarkjs.py's flag), pinned below.
"""

import pytest

from public.crypto import babyjub as bj
from public.crypto.babyjub import L, P
from public.crypto.eddsa import PrivateKey
from tests.circuits.compiler import compile_template
from tests.circuits.harness import ConstraintViolation

FILE = "node_modules/circomlib/circuits/eddsaposeidon.circom"

KEY = PrivateKey(bytes(range(50, 82)))
PUB = KEY.public_key()
MSG = 987654321 * 2**200 + 17  # a statement hash: any field element
SIG = KEY.sign(MSG)
VALID = {"enabled": 1, "Ax": PUB.x, "Ay": PUB.y, "S": SIG.s, "R8x": SIG.r8x, "R8y": SIG.r8y, "M": MSG}


@pytest.fixture(scope="module")
def verifier():
    return compile_template(FILE, "EdDSAPoseidonVerifier", [])


def test_constraint_count_is_pinned(verifier):
    assert verifier.n_constraints == 8086
    assert compile_template(FILE, "EdDSAPoseidonVerifier", [], opt="O2").n_constraints == 4217


@pytest.mark.parametrize("msg", [MSG, 0, P - 1])
def test_python_signature_satisfies_the_r1cs(verifier, msg):
    sig = KEY.sign(msg)
    w = verifier.witness({**VALID, "S": sig.s, "R8x": sig.r8x, "R8y": sig.r8y, "M": msg})
    verifier.check_constraints(w)


def test_circomlibjs_published_vector_satisfies_the_r1cs(verifier):
    # circomlibjs test/eddsa.js "Sign (using Poseidon) a single 10 bytes from 0 to 9"
    key = PrivateKey(bytes.fromhex("0001020304050607080900010203040506070809000102030405060708090001"))
    msg = int.from_bytes(bytes.fromhex("000102030405060708090000"), "little")
    pub, sig = key.public_key(), key.sign(msg)
    inputs = {"enabled": 1, "Ax": pub.x, "Ay": pub.y, "S": sig.s, "R8x": sig.r8x, "R8y": sig.r8y, "M": msg}
    verifier.check_constraints(verifier.witness(inputs))


OTHER = PrivateKey(bytes(32)).public_key()


@pytest.mark.parametrize(
    "what,changes,check",
    [
        ("other message", {"M": MSG + 1}, "ForceEqualIfEnabled"),
        ("S + 1", {"S": SIG.s + 1}, "ForceEqualIfEnabled"),
        ("S + l (malleability)", {"S": SIG.s + L}, "EdDSAPoseidonVerifier"),  # CompConstant: S < l
        ("other key", {"Ax": OTHER.x, "Ay": OTHER.y}, "ForceEqualIfEnabled"),
        ("R8 negated", {"R8x": P - SIG.r8x}, "ForceEqualIfEnabled"),
        # A of order 2: 8h*A vanishes, so S = 0, R8 = identity would sign every message
        ("small-order A", {"Ax": 0, "Ay": P - 1, "S": 0, "R8x": 0, "R8y": 1}, "EdDSAPoseidonVerifier"),
    ],
)
def test_witness_generator_refuses_forgery(verifier, what, changes, check):
    err = verifier.expect_witness_failure({**VALID, **changes})
    assert check in err, what


def test_python_verify_agrees_with_the_refusals():
    from public.crypto.eddsa import PublicKey, Signature

    assert not PUB.verify(MSG + 1, SIG)
    assert not PUB.verify(MSG, Signature(SIG.r8x, SIG.r8y, SIG.s + L))
    assert not OTHER.verify(MSG, SIG)
    assert not PublicKey(0, P - 1).verify(MSG, Signature(0, 1, 0))


def test_forged_message_edit_fails_r1cs(verifier):
    # keep the honest witness for MSG and claim it signs MSG + 1: Poseidon's constraints break
    forged = verifier.edit(verifier.witness(VALID), {"main.M": MSG + 1})
    with pytest.raises(ConstraintViolation):
        verifier.check_constraints(forged)


def test_forged_witness_for_other_message_fails_at_the_equality_check(verifier):
    # the adversary computes every intermediate honestly for MSG + 1 (our generator does so with
    # enabled = 0) and then sets enabled = 1: what rejects it is ForceEqualIfEnabled
    w = verifier.witness({**VALID, "enabled": 0, "M": MSG + 1})
    forged = verifier.edit(w, {"main.enabled": 1})
    with pytest.raises(ConstraintViolation) as exc:
        verifier.check_constraints(forged)
    assert any(name.startswith("main.eqCheck") for name, _, _ in exc.value.signals), exc.value


def test_forged_s_plus_l_edit_fails_r1cs(verifier):
    # S + l also satisfies S*B8 = R8 + 8h*A; editing S alone breaks S's bit decomposition
    forged = verifier.edit(verifier.witness(VALID), {"main.S": SIG.s + L})
    with pytest.raises(ConstraintViolation):
        verifier.check_constraints(forged)


def test_enabled_zero_accepts_any_forgery(verifier):
    # the pitfall: with enabled = 0 nothing is checked, so the wrapper must fix enabled to 1
    forged = {**VALID, "enabled": 0, "M": MSG + 1, "S": 0, "Ax": 0, "Ay": P - 1}
    verifier.check_constraints(verifier.witness(forged))
    assert bj.has_small_order((0, P - 1))
