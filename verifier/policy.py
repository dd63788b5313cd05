"""The venue's policy: multiplier k, delta/vega limits per underlying, freshness, challenge, keys.

File format (JSON, ``zkmargin-policy/1``; paths relative to the policy file)::

    {"format": "zkmargin-policy/1", "venue": "demo-venue", "multiplier_k": "1.25",
     "delta_limit_usd": {"BTC": "5000000", "ETH": "2000000"},
     "vega_limit_usd": {"BTC": "400000", "ETH": "150000"},
     "max_snapshot_age_s": 900, "max_attestation_age_s": 3600, "challenge": "0x5eed...",
     "accepted_venues": [{"venue": "deribit", "public_key": {"x": "...", "y": "..."}}],
     "spec": "../spec/deribit_pm_v1.json",
     "circuits": [{"keys": "../keys/margin_3x4", "verification_key_sha256": "9cef..."}],
     "applicant_identity": "0x240e...",
     "allow_dev_setup": false}

k >= 1 at 1e-6 precision; limits in USD (delta: USD of underlying; vega: USD per vol point) at
1e-6; the challenge is the nonce the venue issued ('0x' and 1..62 hex digits, < 2^248), or
``"issued"`` for a venue that issues one per application (``zkmargin serve``: POST /v1/challenges;
the prover and ``zkmargin verify`` then take it with ``--challenge``); ages are
JSON integers of seconds, 1 s .. 1 year. ``accepted_venues`` are the venue keys (BabyJubJub,
public/crypto/eddsa.py) whose account statements this venue trusts; a bundle relying on any other key is
rejected. ``circuits`` are the key directories of the circuits the venue accepts, each optionally
pinned by its verification key's canonical sha256 (verifier/trusted.py reads shape and provenance
from there). ``applicant_identity`` is the trader identity commitment of the applicant being
onboarded (prover/trader/identity.py; ``zkmargin verify --applicant`` overrides it). ``allow_dev_setup``
(a JSON boolean) lets a venue accept proofs under a dev key (one without a multi-party ceremony,
verifier/trusted.py): for demos and tests only. Unknown fields are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from public.errors import PolicyError, RangeError
from public.fixed_point import CHALLENGE_BITS, K_BITS, K_SCALE, LIMIT_BITS, USD_SCALE, decimal_to_fixed
from public.json_input import read_json_file

FORMAT = "zkmargin-policy/1"
FIELDS = {
    "format", "venue", "description", "multiplier_k", "delta_limit_usd", "vega_limit_usd", "max_snapshot_age_s",
    "max_attestation_age_s", "challenge", "accepted_venues", "spec", "circuits", "applicant_identity", "allow_dev_setup",
}  # fmt: skip
MAX_AGE_S = 365 * 24 * 3600


@dataclass(frozen=True)
class CircuitEntry:
    """One accepted circuit: its key directory (absolute) and optional verification-key pin."""

    keys_dir: Path
    verification_key_sha256: str | None = None


@dataclass(frozen=True)
class Policy:
    """A venue policy in fixed point: k x 1e6, limits USD x 1e6 per underlying, challenge int."""

    venue: str
    multiplier_k_e6: int
    delta_limit_e6: dict[str, int]
    vega_limit_e6: dict[str, int]
    max_snapshot_age_s: int
    max_attestation_age_s: int
    accepted_venues: dict[tuple[int, int], str]  #: (key x, key y) -> venue name
    challenge: int | None  #: None: "issued", one challenge per application (zkmargin serve, or --challenge)
    spec_path: Path | None
    circuits: tuple[CircuitEntry, ...]
    allow_dev_setup: bool
    applicant_identity: int | None = None
    source: str = ""

    def public_values(self, underlyings) -> dict[str, int]:
        """The policy's values as the circuit's public signals name them, for ``underlyings`` order."""
        out = {"challenge": self.challenge, "multiplier_k_e6": self.multiplier_k_e6}
        for i, u in enumerate(underlyings):
            out[f"delta_limit_e6[{i}]"] = self.delta_limit_e6[u]
        for i, u in enumerate(underlyings):
            out[f"vega_limit_e6[{i}]"] = self.vega_limit_e6[u]
        return out


ISSUED = "issued"  #: the policy's "challenge" of a venue that issues one per application


def parse_challenge(text, what: str = "challenge") -> int:
    """'0x' + 1..62 hex digits -> int < 2^248; PolicyError otherwise (a bare number is refused:
    ``123`` is not read as hex)."""
    if not isinstance(text, str) or not re.fullmatch(r"0x[0-9a-fA-F]{1,62}", text):
        raise PolicyError(f"{what} {str(text)[:80]!r} must be '0x' followed by 1..62 hex digits (< 2^{CHALLENGE_BITS})")
    return int(text[2:], 16)


def _age(obj, key, default=None) -> int:
    v = obj.get(key, default)
    if type(v) is not int or not 1 <= v <= MAX_AGE_S:
        raise PolicyError(f"{key} = {str(v)[:40]} must be a JSON integer of seconds in 1..{MAX_AGE_S}")
    return v


def _circuits(raw, base: Path, source) -> tuple[CircuitEntry, ...]:
    if not isinstance(raw, list) or not raw or len(raw) > 16:
        raise PolicyError(f"{source}: circuits must be a list of 1..16 {{'keys': DIR}} entries")
    out = []
    for n, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("keys"), str) or not set(entry) <= {"keys", "verification_key_sha256"}:
            raise PolicyError(f"{source}: circuits[{n}] must be {{'keys': DIR, 'verification_key_sha256': HEX (optional)}}")
        pin = entry.get("verification_key_sha256")
        if pin is not None and not (isinstance(pin, str) and re.fullmatch(r"[0-9a-f]{64}", pin)):
            raise PolicyError(f"{source}: circuits[{n}].verification_key_sha256 must be 64 lower-case hex digits")
        out.append(CircuitEntry((base / entry["keys"]).resolve(), pin))
    return tuple(out)


def _accepted_venues(raw, source) -> dict[tuple[int, int], str]:
    """[{"venue", "public_key": {"x", "y"}}] -> {(x, y): venue}; PolicyError on a malformed or invalid key."""
    from public.crypto.eddsa import PublicKey

    out = {}
    if not isinstance(raw, list):
        raise PolicyError(f"{source}: accepted_venues must be a list")
    for n, entry in enumerate(raw, start=1):
        try:
            key = PublicKey.from_json(entry["public_key"])
            name = str(entry["venue"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError(f"{source}: accepted_venues[{n}] malformed ({exc})") from None
        if not key.is_valid():
            raise PolicyError(f"{source}: accepted_venues[{n}] ({name}) is not a valid BabyJubJub key")
        out[(key.x, key.y)] = name
    return out


def _fixed(value, scale, bits, what) -> int:
    try:
        v = decimal_to_fixed(value, scale, what)
    except RangeError as exc:
        raise PolicyError(str(exc)) from None
    if not 0 <= v < 2**bits:
        raise PolicyError(f"{what} = {value} out of range (0 <= x < {2**bits / scale:,.0f})")
    return v


def parse_policy(obj: dict, base: Path | None = None, underlyings=("BTC", "ETH"), source="policy") -> Policy:
    """Validate a policy object; relative paths resolve against ``base``. Raises PolicyError."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise PolicyError(f"{source}: not a {FORMAT} file (missing or wrong 'format')")
    unknown = sorted(set(obj) - FIELDS)
    if unknown:
        hint = " ('verification_key' is now 'circuits': [{'keys': DIR}])" if "verification_key" in unknown else ""
        raise PolicyError(f"{source}: unknown field(s) {', '.join(map(repr, unknown[:5]))}{hint}")
    base = base or Path.cwd()
    try:
        k = _fixed(obj["multiplier_k"], K_SCALE, K_BITS, f"{source}: multiplier_k")
        limits = {}
        for field in ("delta_limit_usd", "vega_limit_usd"):
            raw = obj[field]
            if not isinstance(raw, dict):
                raise PolicyError(f"{source}: {field} must be an object {{underlying: limit}}")
            missing = [u for u in underlyings if u not in raw]
            if missing:
                raise PolicyError(f"{source}: {field} has no limit for {', '.join(missing)}")
            limits[field] = {u: _fixed(raw[u], USD_SCALE, LIMIT_BITS, f"{source}: {field}.{u}") for u in underlyings}
        age = _age(obj, "max_snapshot_age_s")
        attestation_age = _age(obj, "max_attestation_age_s", age)
        challenge = None if obj["challenge"] == ISSUED else parse_challenge(obj["challenge"])
        venues = _accepted_venues(obj.get("accepted_venues", []), source)
        circuits = _circuits(obj["circuits"], base, source) if "circuits" in obj else ()
        dev_ok = obj.get("allow_dev_setup", False)
        if type(dev_ok) is not bool:
            raise PolicyError(f"allow_dev_setup must be a JSON boolean (true or false), not {str(dev_ok)[:20]!r}")
        applicant = obj.get("applicant_identity")
        if applicant is not None:
            applicant = parse_identity(applicant)
        for key in ("venue", "description", "spec"):
            if key in obj and not isinstance(obj[key], str):
                raise PolicyError(f"{key} must be a string")
    except KeyError as exc:
        raise PolicyError(f"{source}: missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise PolicyError(f"{source}: {exc}") from None
    except PolicyError as exc:
        raise PolicyError(str(exc) if str(exc).startswith(source) else f"{source}: {exc}") from None
    if k < K_SCALE:
        raise PolicyError(f"{source}: multiplier_k must be >= 1, got {obj['multiplier_k']}")

    def resolve(key):
        return (base / obj[key]).resolve() if obj.get(key) else None

    return Policy(
        venue=str(obj.get("venue", "")),
        multiplier_k_e6=k,
        delta_limit_e6=limits["delta_limit_usd"],
        vega_limit_e6=limits["vega_limit_usd"],
        max_snapshot_age_s=age,
        max_attestation_age_s=attestation_age,
        accepted_venues=venues,
        challenge=challenge,
        spec_path=resolve("spec"),
        circuits=circuits,
        allow_dev_setup=dev_ok,
        applicant_identity=applicant,
        source=source,
    )


def load_policy(path, underlyings=("BTC", "ETH")) -> Policy:
    """Read a policy file; PolicyError if missing, not JSON, or invalid."""
    path = Path(path)
    obj = read_json_file(path, PolicyError, "policy file", max_bytes=2**20)
    return parse_policy(obj, path.parent, underlyings, path.name)


def parse_identity(text) -> int:
    """A trader identity commitment ('0x' hex, a non-zero field element) -> int; PolicyError otherwise."""
    from public.crypto.identity import parse_commitment
    from public.errors import PortfolioError

    try:
        return parse_commitment(text)
    except PortfolioError as exc:
        raise PolicyError(str(exc)) from None
