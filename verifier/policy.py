"""The venue's policy: multiplier k, delta/vega limits per underlying, freshness, challenge, keys.

File format (JSON, ``zkmargin-policy/1``; paths relative to the policy file)::

    {"format": "zkmargin-policy/1", "venue": "demo-venue", "multiplier_k": "1.25",
     "delta_limit_usd": {"BTC": "5000000", "ETH": "2000000"},
     "vega_limit_usd": {"BTC": "400000", "ETH": "150000"},
     "max_snapshot_age_s": 900, "max_attestation_age_s": 3600, "challenge": "0x5eed...",
     "accepted_venues": [{"venue": "deribit", "public_key": {"x": "...", "y": "..."}}],
     "spec": "../spec/deribit_pm_v1.json",
     "verification_key": "../../build/keys/margin_3x4/verification_key.json",
     "allow_dev_setup": false}

k >= 1 at 1e-6 precision; limits in USD (delta: USD of underlying; vega: USD per vol point) at
1e-6; the challenge is the nonce the venue issued (hex, < 2^248). ``accepted_venues`` are the
venue keys (BabyJubJub, prover/eddsa.py) whose account statements this venue trusts; a bundle
relying on any other key is rejected. ``allow_dev_setup`` lets a venue accept proofs under a
single-party dev key: for demos and tests only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prover.errors import PolicyError, RangeError, read_json_file
from prover.fixed_point import CHALLENGE_BITS, K_BITS, K_SCALE, LIMIT_BITS, USD_SCALE, decimal_to_fixed

FORMAT = "zkmargin-policy/1"


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
    challenge: int
    spec_path: Path | None
    verification_key_path: Path | None
    allow_dev_setup: bool
    source: str = ""

    def public_values(self, underlyings) -> dict[str, int]:
        """The policy's values as the circuit's public signals name them, for ``underlyings`` order."""
        out = {"challenge": self.challenge, "multiplier_k_e6": self.multiplier_k_e6}
        for i, u in enumerate(underlyings):
            out[f"delta_limit_e6[{i}]"] = self.delta_limit_e6[u]
        for i, u in enumerate(underlyings):
            out[f"vega_limit_e6[{i}]"] = self.vega_limit_e6[u]
        return out


def parse_challenge(text) -> int:
    """Hex ('0x...' or bare hex) challenge -> int < 2^248; PolicyError otherwise."""
    s = str(text).strip().lower()
    s = s[2:] if s.startswith("0x") else s
    try:
        v = int(s, 16)
    except ValueError:
        raise PolicyError(f"challenge {text!r} is not hex") from None
    if not s or not 0 <= v < 2**CHALLENGE_BITS:
        raise PolicyError(f"challenge must be 1..62 hex digits (< 2^{CHALLENGE_BITS})")
    return v


def _accepted_venues(raw, source) -> dict[tuple[int, int], str]:
    """[{"venue", "public_key": {"x", "y"}}] -> {(x, y): venue}; PolicyError on a malformed or invalid key."""
    from prover.eddsa import PublicKey

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
    try:
        k = _fixed(obj["multiplier_k"], K_SCALE, K_BITS, f"{source}: multiplier_k")
        limits = {}
        for field in ("delta_limit_usd", "vega_limit_usd"):
            raw = obj[field]
            missing = [u for u in underlyings if u not in raw]
            if missing:
                raise PolicyError(f"{source}: {field} has no limit for {', '.join(missing)}")
            limits[field] = {u: _fixed(raw[u], USD_SCALE, LIMIT_BITS, f"{source}: {field}.{u}") for u in underlyings}
        age = int(obj["max_snapshot_age_s"])
        attestation_age = int(obj.get("max_attestation_age_s", age))
        challenge = parse_challenge(obj["challenge"])
        venues = _accepted_venues(obj.get("accepted_venues", []), source)
    except KeyError as exc:
        raise PolicyError(f"{source}: missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise PolicyError(f"{source}: {exc}") from None
    if k < K_SCALE:
        raise PolicyError(f"{source}: multiplier_k must be >= 1, got {obj['multiplier_k']}")
    if age <= 0 or attestation_age <= 0:
        raise PolicyError(f"{source}: max_snapshot_age_s and max_attestation_age_s must be positive")
    base = base or Path.cwd()

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
        verification_key_path=resolve("verification_key"),
        allow_dev_setup=bool(obj.get("allow_dev_setup", False)),
        source=source,
    )


def load_policy(path, underlyings=("BTC", "ETH")) -> Policy:
    """Read a policy file; PolicyError if missing, not JSON, or invalid."""
    path = Path(path)
    obj = read_json_file(path, PolicyError, "policy file")
    return parse_policy(obj, path.parent, underlyings, path.name)
