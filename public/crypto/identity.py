"""Trader identity commitments: ``Poseidon(IDENTITY_TAG, secret)`` (circuits/attest.circom
TraderIdentity), the public value every venue statement carries and the verifier compares with the
applicant (public signal ``trader_identity``). The secret and its file live on the trader's side
(prover/trader/identity.py).
"""

from __future__ import annotations

from public.crypto.poseidon import poseidon
from public.errors import PortfolioError
from public.fixed_point import FIELD_P

FORMAT = "zkmargin-identity/1"
IDENTITY_TAG = int.from_bytes(FORMAT.encode(), "big")  #: domain separation of identity commitments


def identity_commitment(secret: int) -> int:
    """Poseidon(IDENTITY_TAG, secret): the public identity of the holder of ``secret``."""
    return poseidon([IDENTITY_TAG, secret])


def parse_commitment(text) -> int:
    """A '0x'-prefixed hex identity commitment -> int < 2^254; PortfolioError otherwise."""
    s = str(text).strip().lower() if isinstance(text, str) else ""
    if not s.startswith("0x") or not 3 <= len(s) <= 66:
        raise PortfolioError(f"identity commitment {text!r} must be '0x' and 1..64 hex digits")
    try:
        v = int(s[2:], 16)
    except ValueError:
        raise PortfolioError(f"identity commitment {text!r} is not hex") from None
    if not 0 < v < FIELD_P:
        raise PortfolioError(f"identity commitment {text!r} is not a non-zero field element")
    return v
