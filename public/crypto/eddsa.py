"""EdDSA-Poseidon on BabyJubJub, as circomlibjs signs and circomlib's ``EdDSAPoseidonVerifier`` checks.

A venue signs one field element ``msg`` (an account statement hashed to 0 <= msg < p) with a
32-byte private key. With ``B8 = babyjub.BASE8``, ``l = babyjub.L`` and ``H = BLAKE-512``:

    hk = H(secret)                          # 64 bytes
    s  = prune(hk[0:32]) as little-endian   # clear bits 0-2 and 255, set bit 254
    A  = (s >> 3) * B8                      # public key, in the prime-order subgroup
    r  = H(hk[32:64] || msg as 32 bytes LE) as LE int, mod l   # deterministic nonce, no RNG
    R8 = r * B8
    h  = Poseidon(R8x, R8y, Ax, Ay, msg)    # public.crypto.poseidon.poseidon, arity 5
    S  = (r + h * s) mod l

and a signature ``(R8, S)`` verifies iff ``S * B8 == R8 + (8 * h) * A`` (since 8 | s, h * s * B8 =
8h * A). This is circomlibjs 0.1.7 ``src/eddsa.js`` (``prv2pub``, ``signPoseidon``,
``verifyPoseidon``) step for step, so one private key gives the same public key and the same
signature bytes here as in circomlibjs (tests/public/crypto/test_eddsa.py reproduces circomlibjs
``test/eddsa.js`` "Sign (using Poseidon) a single 10 bytes from 0 to 9" and compares with
circomlibjs under Node).

Key derivation: BLAKE-512, chosen over SHA-512 for key portability. A venue that already holds a
circomlibjs (or zk-kit ``eddsa-poseidon``, same derivation) key gets the same public key here,
and signatures can be compared byte for byte with circomlibjs in tests. hashlib has only BLAKE2,
and no maintained original-BLAKE package installs from PyPI here, so ``public/crypto/blake512.py`` is the
SHA-3 finalist BLAKE-512 (Aumasson et al., "SHA-3 proposal BLAKE", v1.3, 2010: 16 rounds,
rotations 32/25/16/11, zero salt), checked against the spec's example (one 0x00 byte) and
against Node's ``blake-hash`` (circomlibjs's dependency). The verifier does not depend on it.

``verify`` is stricter than circomlibjs ``verifyPoseidon`` and the circuit. It returns False (never
raises) when S >= l (the circuit's ``CompConstant``; blocks S + l malleability), msg is not in
[0, p), R8 or A is off the curve or non-canonical (the circuit does not check R8 at all),
or A is not in the prime-order subgroup or is the identity. circomlibjs accepts any on-curve A,
including the small-order (0, p - 1), for which S = 0, R8 = (0, 1) verifies every message; the
circuit only rejects A with 8 * A = identity. Register venue keys with ``PublicKey.is_valid``.

Left out: signing is not constant time (pure-Python big ints; ``babyjub.mul`` branches on bits);
keep venue keys on a machine where timing is not observable. Not audited.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from public.crypto import babyjub
from public.crypto.babyjub import BASE8, L, P
from public.crypto.blake512 import blake512
from public.crypto.poseidon import poseidon

SECRET_BYTES = 32

# --------------------------------------------------------------------------- keys and signatures

_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,80})")


def _field_from_json(obj: dict, key: str, what: str) -> int:
    """A decimal-string field element ``obj[key]`` in [0, p); ValueError naming ``what.key``."""
    if not isinstance(obj, dict) or key not in obj:
        raise ValueError(f"{what}: missing field {key!r}")
    raw = obj[key]
    if not isinstance(raw, str) or not _DECIMAL.fullmatch(raw) or int(raw) >= P:
        raise ValueError(f"{what}.{key}: expected a decimal string of a field element < p, got {raw!r}")
    return int(raw)


def _check_fields(obj: dict, keys: tuple[str, ...], what: str) -> None:
    extra = set(obj) - set(keys) if isinstance(obj, dict) else set()
    if extra:
        raise ValueError(f"{what}: unknown fields {sorted(extra)}")


@dataclass(frozen=True)
class Signature:
    """EdDSA-Poseidon signature: nonce point ``R8 = (r8x, r8y)`` and scalar ``s`` (0 <= s < l)."""

    r8x: int
    r8y: int
    s: int

    def to_json(self) -> dict:
        """``{"r8x", "r8y", "s"}`` as decimal strings (the circuit's R8x, R8y, S)."""
        return {"r8x": str(self.r8x), "r8y": str(self.r8y), "s": str(self.s)}

    @classmethod
    def from_json(cls, obj: dict) -> "Signature":
        """Inverse of ``to_json``. Raises ValueError for a missing/unknown field or a value that is
        not a canonical decimal string < p. Curve membership and s < l are ``verify``'s checks."""
        keys = ("r8x", "r8y", "s")
        _check_fields(obj, keys, "signature")
        return cls(*(_field_from_json(obj, k, "signature") for k in keys))


@dataclass(frozen=True)
class PublicKey:
    """Venue public key ``A = (x, y)`` on BabyJubJub, coordinates in [0, p)."""

    x: int
    y: int

    def is_valid(self) -> bool:
        """True iff A is on the curve, in the prime-order subgroup and not the identity."""
        pt = (self.x, self.y)
        return babyjub.in_subgroup(pt) and pt != babyjub.IDENTITY

    def verify(self, msg: int, sig: Signature) -> bool:
        """True iff ``sig`` is a valid signature of ``msg`` under this key.

        Parameters
        ----------
        msg : int
            The signed field element, 0 <= msg < p (out of range: False, not reduced mod p).
        sig : Signature
            s < l, R8 on the curve with canonical coordinates.

        Returns
        -------
        bool
            ``S * B8 == R8 + (8h) * A`` with h = Poseidon(R8x, R8y, Ax, Ay, msg), after the checks
            in the module docstring; False for anything malformed, never an exception.
        """
        if not isinstance(sig, Signature) or not isinstance(msg, int) or not 0 <= msg < P:
            return False
        if not (isinstance(sig.s, int) and 0 <= sig.s < L):
            return False
        r8 = (sig.r8x, sig.r8y)
        if not babyjub.is_on_curve(r8) or not self.is_valid():
            return False
        h = poseidon([sig.r8x, sig.r8y, self.x, self.y, msg])
        right = babyjub.add(r8, babyjub.mul((self.x, self.y), 8 * h))
        return babyjub.mul(BASE8, sig.s) == right

    def to_json(self) -> dict:
        """``{"x", "y"}`` as decimal strings (the circuit's Ax, Ay)."""
        return {"x": str(self.x), "y": str(self.y)}

    @classmethod
    def from_json(cls, obj: dict) -> "PublicKey":
        """Inverse of ``to_json``. Raises ValueError for a missing/unknown field or a value that is
        not a canonical decimal string < p. Curve and subgroup membership: ``is_valid``."""
        _check_fields(obj, ("x", "y"), "public key")
        return cls(_field_from_json(obj, "x", "public key"), _field_from_json(obj, "y", "public key"))


@dataclass(frozen=True, repr=False)
class PrivateKey:
    """32 secret bytes, used as circomlibjs uses its ``prv`` buffer (module docstring).

    ``repr`` hides the secret. Raises ValueError unless ``secret`` is exactly 32 bytes.
    """

    secret: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or len(self.secret) != SECRET_BYTES:
            raise ValueError(f"private key: expected {SECRET_BYTES} bytes")

    def __repr__(self) -> str:
        return f"PrivateKey(<secret>, public={self.public_key()!r})"

    def _expand(self) -> tuple[int, bytes]:
        """(pruned scalar s, nonce prefix hk[32:64]) from BLAKE-512 of the secret."""
        hk = bytearray(blake512(self.secret))
        hk[0] &= 0xF8
        hk[31] &= 0x7F
        hk[31] |= 0x40
        return int.from_bytes(hk[:32], "little"), bytes(hk[32:])

    def public_key(self) -> PublicKey:
        """``A = (s >> 3) * B8``, equal to circomlibjs ``eddsa.prv2pub(secret)``."""
        s, _ = self._expand()
        return PublicKey(*babyjub.mul(BASE8, s >> 3))

    def sign(self, msg: int) -> Signature:
        """Deterministic EdDSA-Poseidon signature of ``msg``; equals circomlibjs ``signPoseidon``.

        Raises ValueError unless 0 <= msg < p (a larger value would be signed as msg mod p).
        """
        if not isinstance(msg, int) or not 0 <= msg < P:
            raise ValueError(f"message must be a field element 0 <= msg < p, got {msg!r}")
        s, prefix = self._expand()
        ax, ay = babyjub.mul(BASE8, s >> 3)
        r = int.from_bytes(blake512(prefix + msg.to_bytes(32, "little")), "little") % L
        r8x, r8y = babyjub.mul(BASE8, r)
        h = poseidon([r8x, r8y, ax, ay, msg])
        return Signature(r8x, r8y, (r + h * s) % L)


def generate_key() -> PrivateKey:
    """A fresh private key of 32 bytes from ``secrets.token_bytes`` (the OS CSPRNG)."""
    return PrivateKey(secrets.token_bytes(SECRET_BYTES))
