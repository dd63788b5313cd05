"""The trader's identity: a Semaphore-style commitment to a secret only the trader holds.

``commitment = Poseidon(IDENTITY_TAG, secret)`` (circuits/attest.circom TraderIdentity), with
``secret`` a uniformly random field element below 2^248. The trader registers the commitment with
each venue that holds an account of theirs; the venue signs it into every account statement
(prover/venue/attestation.py), and the margin circuit proves knowledge of the secret and that every
statement carries the same commitment, which is a public signal (``trader_identity``). The venue
receiving the proof checks that public value against the applicant it is onboarding.

What it reveals (docs/threat-model.md): the commitment is a stable pseudonym, so venues that see
proofs of one trader can link them to each other; it reveals nothing about positions.

Identity file (JSON, ``zkmargin-identity/1``, created 0600, never overwritten)::

    {"format": "zkmargin-identity/1", "secret": "0x...", "commitment": "0x..."}
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from public.crypto.identity import FORMAT, identity_commitment, parse_commitment
from public.errors import PortfolioError
from public.fixed_point import CHALLENGE_BITS
from public.json_input import read_json_file

SECRET_BITS = CHALLENGE_BITS  #: 248: any such integer is a canonical BN254 field element


@dataclass(frozen=True)
class TraderIdentity:
    """A trader's secret (int < 2^248) and its commitment; never print or log ``secret``."""

    secret: int
    commitment: int

    def to_json(self) -> dict:
        return {"format": FORMAT, "secret": hex(self.secret), "commitment": hex(self.commitment)}


def new_identity() -> TraderIdentity:
    """A fresh identity from the OS's random source."""
    s = secrets.randbits(SECRET_BITS)
    return TraderIdentity(s, identity_commitment(s))


def write_identity(identity: TraderIdentity, path) -> None:
    """Create the identity file with permissions 0600; refuses to overwrite (PortfolioError)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise PortfolioError(f"{path} exists: refusing to overwrite a trader identity") from None
    except OSError as exc:
        raise PortfolioError(f"cannot write trader identity {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as f:
        json.dump(identity.to_json(), f, indent=1)


def load_identity(path) -> TraderIdentity:
    """Read an identity file; PortfolioError if missing, malformed, or its commitment does not
    open to its secret."""
    path = Path(path)
    obj = read_json_file(path, PortfolioError, "trader identity file")
    if not isinstance(obj, dict) or obj.get("format") != FORMAT or set(obj) != {"format", "secret", "commitment"}:
        raise PortfolioError(f"{path.name}: not a {FORMAT} file")
    secret_text = obj["secret"]
    if not isinstance(secret_text, str) or not secret_text.startswith("0x"):
        raise PortfolioError(f"{path.name}: secret must be a '0x' hex string")
    try:
        secret = int(secret_text[2:], 16)
    except ValueError:
        raise PortfolioError(f"{path.name}: secret is not hex") from None
    if not 0 <= secret < 2**SECRET_BITS:
        raise PortfolioError(f"{path.name}: secret out of range (< 2^{SECRET_BITS})")
    commitment = parse_commitment(obj["commitment"])
    if identity_commitment(secret) != commitment:
        raise PortfolioError(f"{path.name}: the commitment does not open to the secret")
    return TraderIdentity(secret, commitment)
