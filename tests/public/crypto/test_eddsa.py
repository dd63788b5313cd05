"""public/crypto/eddsa.py: BLAKE-512, the circomlibjs vector, round trips, forgeries, and circomlibjs under Node.

Vectors name their source: circomlibjs 0.1.7 ``test/eddsa.js`` "Sign (using Poseidon) a single 10
bytes from 0 to 9"; BLAKE-512 from the BLAKE submission ("SHA-3 proposal BLAKE" v1.3, Appendix A:
one 0x00 byte and 144 0x00 bytes). The Node tests write a script into tmp_path and run it with
``node`` from the repository root (NODE_PATH = node_modules, so ``require('circomlibjs')``
resolves); a missing Node fails them, it never skips them.
"""

import json
import os
import random
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from public.crypto import babyjub as bj
from public.crypto.babyjub import BASE8, IDENTITY, L, P
from public.crypto.blake512 import blake512
from public.crypto.eddsa import PrivateKey, PublicKey, Signature, generate_key
from public.crypto.poseidon import poseidon

REPO = Path(__file__).resolve().parents[3]

# circomlibjs test/eddsa.js, "Sign (using Poseidon) a single 10 bytes from 0 to 9"
VECTOR_SECRET = bytes.fromhex("0001020304050607080900010203040506070809000102030405060708090001")
VECTOR_MSG = int.from_bytes(bytes.fromhex("000102030405060708090000"), "little")
VECTOR_PUB = PublicKey(
    13277427435165878497778222415993513565335242147425444199013288855685581939618,
    13622229784656158136036771217484571176836296686641868549125388198837476602820,
)
VECTOR_SIG = Signature(
    11384336176656855268977457483345535180380036354188103142384839473266348197733,
    15383486972088797283337779941324724402501462225528836549661220478783371668959,
    1672775540645840396591609181675628451599263765380031905495115170613215233181,
)

KEY = PrivateKey(bytes(range(100, 132)))
PUB = KEY.public_key()
MSG = 0x1234_5678_9ABC_DEF0 * 2**180 + 42
SIG = KEY.sign(MSG)
OTHER_PUB = PrivateKey(bytes(range(1, 33))).public_key()


# --------------------------------------------------------------------------- BLAKE-512


@pytest.mark.parametrize(
    "data,digest",
    [
        (
            b"\x00",
            "97961587f6d970faba6d2478045de6d1fabd09b61ae50932054d52bc29d31be4"
            "ff9102b9f69e2bbdb83be13d4b9c06091e5fa0b48bd081b634058be0ec49beb3",
        ),
        (
            b"\x00" * 144,
            "313717d608e9cf758dcb1eb0f0c3cf9fc150b2d500fb33f51c52afc99d358a2f"
            "1374b8a38bba7974e7f6ef79cab16f22ce1e649d6e01ad9589c213045d545dde",
        ),
    ],
)
def test_blake512_matches_the_blake_submission_examples(data, digest):
    assert blake512(data).hex() == digest


# --------------------------------------------------------------------------- the published vector


def test_public_key_matches_circomlibjs_vector():
    assert PrivateKey(VECTOR_SECRET).public_key() == VECTOR_PUB


def test_signature_matches_circomlibjs_vector():
    assert PrivateKey(VECTOR_SECRET).sign(VECTOR_MSG) == VECTOR_SIG
    assert VECTOR_PUB.verify(VECTOR_MSG, VECTOR_SIG)


# --------------------------------------------------------------------------- round trips


def test_round_trip_and_deterministic_nonce():
    assert PUB.verify(MSG, SIG)
    assert KEY.sign(MSG) == SIG  # no RNG at signing
    assert KEY.sign(MSG + 1).r8x != SIG.r8x  # the nonce depends on the message
    assert PUB.is_valid() and bj.in_subgroup((PUB.x, PUB.y))


@pytest.mark.parametrize("msg", [0, 1, P - 1, 2**253])
def test_round_trip_at_field_edges(msg):
    assert PUB.verify(msg, KEY.sign(msg))


@settings(max_examples=10, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(min_value=0, max_value=P - 1))
def test_round_trip_property(secret, msg):
    key = PrivateKey(secret)
    sig = key.sign(msg)
    assert 0 <= sig.s < L and bj.is_on_curve((sig.r8x, sig.r8y))
    assert key.public_key().verify(msg, sig)


def test_generate_key_gives_distinct_valid_keys():
    k1, k2 = generate_key(), generate_key()
    assert k1 != k2 and len(k1.secret) == 32
    assert k1.public_key().is_valid() and k1.public_key().verify(7, k1.sign(7))


def test_json_round_trip_is_decimal_strings():
    assert PUB.to_json() == {"x": str(PUB.x), "y": str(PUB.y)}
    assert PublicKey.from_json(json.loads(json.dumps(PUB.to_json()))) == PUB
    assert Signature.from_json(json.loads(json.dumps(SIG.to_json()))) == SIG
    assert set(SIG.to_json()) == {"r8x", "r8y", "s"}


# --------------------------------------------------------------------------- forgeries (tamper table)


def _with_torsion_key():
    """A' = A + (0, -1) and a signature under A' made with the same secret: it satisfies
    S*B8 == R8 + 8h*A' (8 * torsion = 0), as circomlibjs and the circuit check, but A' is no
    prime-order key: one secret would have several public keys."""
    a2 = bj.add((PUB.x, PUB.y), (0, P - 1))
    s, _ = KEY._expand()
    r = 12345
    r8 = bj.mul(BASE8, r)
    h = poseidon([*r8, *a2, MSG])
    sig = Signature(*r8, (r + h * s) % L)
    assert bj.mul(BASE8, sig.s) == bj.add(r8, bj.mul(a2, 8 * h))  # the bare equation holds
    return PublicKey(*a2), sig


TORSION_PUB, TORSION_SIG = _with_torsion_key()
# A of order 2 makes 8h*A vanish: S = 0, R8 = identity satisfies the equation for every message
SMALL_PUB, SMALL_SIG = PublicKey(0, P - 1), Signature(0, 1, 0)

TAMPER = [  # (description, public key, msg, signature); the first row is the valid baseline
    ("baseline", PUB, MSG, SIG),
    ("S + 1", PUB, MSG, Signature(SIG.r8x, SIG.r8y, SIG.s + 1)),
    ("S + l (malleability; the equation still holds)", PUB, MSG, Signature(SIG.r8x, SIG.r8y, SIG.s + L)),
    ("S - 1", PUB, MSG, Signature(SIG.r8x, SIG.r8y, SIG.s - 1)),
    ("negative S", PUB, MSG, Signature(SIG.r8x, SIG.r8y, -SIG.s)),
    ("other message", PUB, MSG + 1, SIG),
    ("msg + p (same field element)", PUB, MSG + P, SIG),
    ("negative msg", PUB, MSG - P, SIG),
    ("other key", OTHER_PUB, MSG, SIG),
    ("R8 off the curve", PUB, MSG, Signature(SIG.r8x, (SIG.r8y + 1) % P, SIG.s)),
    ("R8x non-canonical (+ p)", PUB, MSG, Signature(SIG.r8x + P, SIG.r8y, SIG.s)),
    ("R8 negated", PUB, MSG, Signature((-SIG.r8x) % P, SIG.r8y, SIG.s)),
    ("A off the curve", PublicKey(PUB.x, (PUB.y + 1) % P), MSG, SIG),
    ("A non-canonical (+ p)", PublicKey(PUB.x + P, PUB.y), MSG, SIG),
    ("A small order, S = 0, R8 = identity", SMALL_PUB, MSG, SMALL_SIG),
    ("A = identity, S = 0, R8 = identity", PublicKey(*IDENTITY), MSG, Signature(0, 1, 0)),
    ("A with a 2-torsion component (equation holds)", TORSION_PUB, MSG, TORSION_SIG),
    ("not a Signature", PUB, MSG, (SIG.r8x, SIG.r8y, SIG.s)),
    ("msg not an int", PUB, str(MSG), SIG),
]


@pytest.mark.parametrize("what,pub,msg,sig", TAMPER, ids=[row[0] for row in TAMPER])
def test_tamper_table(what, pub, msg, sig):
    assert pub.verify(msg, sig) is (what == "baseline"), what


def test_sign_rejects_messages_outside_the_field():
    for bad in (P, -1, P + MSG, "1"):
        with pytest.raises(ValueError, match="field element"):
            KEY.sign(bad)


@pytest.mark.parametrize("secret", [b"", bytes(31), bytes(33), "0" * 32, bytearray(32)])
def test_private_key_must_be_32_bytes(secret):
    with pytest.raises(ValueError, match="32 bytes"):
        PrivateKey(secret)


def test_private_key_repr_hides_the_secret():
    assert KEY.secret.hex() not in repr(KEY) and str(PUB.x) in repr(KEY)


@pytest.mark.parametrize(
    "obj,match",
    [
        ({"x": "1"}, "missing field 'y'"),
        ({"x": "1", "y": "2", "z": "3"}, "unknown fields"),
        ({"x": 1, "y": "2"}, "decimal string"),
        ({"x": "0x1", "y": "2"}, "decimal string"),
        ({"x": "-1", "y": "2"}, "decimal string"),
        ({"x": "01", "y": "2"}, "decimal string"),
        ({"x": str(P), "y": "2"}, "decimal string"),
        (["1", "2"], "missing field"),
    ],
)
def test_public_key_from_json_rejects_malformed(obj, match):
    with pytest.raises(ValueError, match=match):
        PublicKey.from_json(obj)


def test_signature_from_json_rejects_malformed():
    with pytest.raises(ValueError, match="signature.s"):
        Signature.from_json({**SIG.to_json(), "s": " 1"})
    with pytest.raises(ValueError, match="missing field 'r8y'"):
        Signature.from_json({"r8x": "1", "s": "2"})
    # s >= l is well-formed JSON; verify rejects it
    big = Signature.from_json({**SIG.to_json(), "s": str(SIG.s + L)})
    assert not PUB.verify(MSG, big)


# --------------------------------------------------------------------------- circomlibjs under Node

_NODE_PRELUDE = r"""
const fs = require("fs");
const { buildEddsa } = require("circomlibjs");
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = (x) => { process.stdout.write(JSON.stringify(x)); process.exit(0); };
(async () => {
  const eddsa = await buildEddsa();
  const F = eddsa.babyJub.F;
  const pt = (p) => [F.e(p[0]), F.e(p[1])];
  const dec = (p) => [F.toObject(p[0]).toString(), F.toObject(p[1]).toString()];
  __BODY__
})().catch((e) => { console.error(e); process.exit(1); });
"""


def _node(tmp_path, body: str, payload) -> object:
    """Run ``body`` (with ``eddsa``, ``F``, ``input`` in scope; it calls ``out(json)``) under Node."""
    script = tmp_path / "check.js"
    script.write_text(_NODE_PRELUDE.replace("__BODY__", body))
    data = tmp_path / "input.json"
    data.write_text(json.dumps(payload))
    env = {**os.environ, "NODE_PATH": str(REPO / "node_modules")}
    proc = subprocess.run(
        ["node", str(script), str(data)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"node failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


_VERIFY_JS = """
  out(input.map((c) => eddsa.verifyPoseidon(F.e(c.msg), {R8: pt(c.r8), S: BigInt(c.s)}, pt(c.pub))));
"""


def _case(pub: PublicKey, msg: int, sig: Signature) -> dict:
    return {
        "pub": [str(pub.x), str(pub.y)],
        "msg": str(msg),
        "r8": [str(sig.r8x), str(sig.r8y)],
        "s": str(sig.s),
    }


def test_python_signatures_verify_in_circomlibjs(tmp_path):
    rnd = random.Random(2026)
    cases = []
    for msg in (0, 1, P - 1, *(rnd.randrange(P) for _ in range(5))):
        key = PrivateKey(rnd.randbytes(32))
        cases.append(_case(key.public_key(), msg, key.sign(msg)))
    forged = [  # controls: circomlibjs must say false, or the check above proves nothing
        _case(PUB, MSG, Signature(SIG.r8x, SIG.r8y, SIG.s + 1)),
        _case(PUB, MSG + 1, SIG),
        _case(OTHER_PUB, MSG, SIG),
    ]
    assert _node(tmp_path, _VERIFY_JS, cases + forged) == [True] * len(cases) + [False] * len(forged)


def test_circomlibjs_signatures_verify_in_python_byte_for_byte(tmp_path):
    rnd = random.Random(7)
    msgs = (0, P - 1, *(rnd.randrange(P) for _ in range(4)))
    cases = [{"prv": rnd.randbytes(32).hex(), "msg": str(m)} for m in msgs]
    body = """
  out(input.map((c) => {
    const prv = Buffer.from(c.prv, "hex");
    const sig = eddsa.signPoseidon(prv, F.e(c.msg));
    return {pub: dec(eddsa.prv2pub(prv)), r8: dec(sig.R8), s: sig.S.toString()};
  }));
"""
    for case, got in zip(cases, _node(tmp_path, body, cases), strict=True):
        pub = PublicKey(*map(int, got["pub"]))
        sig = Signature(*map(int, got["r8"]), int(got["s"]))
        assert pub.verify(int(case["msg"]), sig)  # (2): a circomlibjs signature verifies here
        key = PrivateKey(bytes.fromhex(case["prv"]))
        assert key.public_key() == pub and key.sign(int(case["msg"])) == sig  # same derivation


def test_small_order_and_torsion_keys_pass_circomlibjs_but_not_verify(tmp_path):
    """circomlibjs verifyPoseidon checks only that A is on the curve; ours rejects both forgeries."""
    cases = [_case(SMALL_PUB, MSG, SMALL_SIG), _case(TORSION_PUB, MSG, TORSION_SIG)]
    assert _node(tmp_path, _VERIFY_JS, cases) == [True, True]
    assert not SMALL_PUB.verify(MSG, SMALL_SIG)
    assert not TORSION_PUB.verify(MSG, TORSION_SIG)


def test_blake512_matches_blake_hash_at_padding_boundaries(tmp_path):
    lengths = [0, 1, 32, 44, 64, 110, 111, 112, 127, 128, 129, 239, 240, 256, 300]
    body = """
  const blake = require("blake-hash");
  out(input.map((n) => blake("blake512").update(Buffer.alloc(n, 0xa5)).digest("hex")));
"""
    got = _node(tmp_path, body, lengths)
    assert got == [blake512(bytes([0xA5]) * n).hex() for n in lengths]
