"""The human-readable statement of a proof bundle: every public signal named, in venue units.

The bundle carries this next to the raw public signals; the verifier rebuilds it from the signals
and rejects a bundle whose words say something the signals do not (check ``statement``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from fractions import Fraction

CLAIM = (
    "Across all positions of the venue statements signed by venue_keys for attestation_epoch to the trader "
    "identity trader_identity, whose secret the prover knows (committed "
    "by portfolio_commitment), under the scenario spec with hash spec_hash "
    "evaluated on the snapshot at snapshot_epoch (risk table risk_root): multiplier_k x (sum over "
    "underlyings of the worst-case loss + add-on) <= haircut collateral + mark value of the positions, "
    "and for every underlying |net delta| <= delta_limit and |net vega| <= vega_limit. "
    "Bound to the verifier's challenge."
)

CLAIM_COIN = (
    "Across all positions of the venue statements signed by venue_keys for attestation_epoch to the trader "
    "identity trader_identity, whose secret the prover knows (committed by portfolio_commitment), under the "
    "coin-margined scenario spec with hash spec_hash evaluated on the snapshot at snapshot_epoch (risk table "
    "risk_root): for every settlement currency c, in coin, multiplier_k x (worst case with pnl_offset on the "
    "standard table and the extended dampener + roll shock + delta shock at index_e6, delta_threshold, "
    "max_delta_shock, m_inc) <= the currency's collateral at coin_price + the coin mark value of its options, "
    "and for every underlying |net delta| <= delta_limit and |net vega| <= vega_limit (USD). "
    "Bound to the verifier's challenge."
)


CHUNKED_NOTE = (
    " Proved in chunks: each chunk proof adds its positions, as signed at their indices, to blinded running "
    "totals that link acc_initial (empty) to acc_final, on which the aggregate proof states the above. "
    "A statement slot of venue key (0, 0) is empty (not in venue_keys): no position, no collateral."
)


def is_coin(named: dict[str, int]) -> bool:
    """True if the public signals are the coin-margined statement's (circuits/margin.circom step 13)."""
    return "index_e6[0]" in named


def named_signals(public_signals, names) -> dict[str, int]:
    """Zip signal names with values; raises ValueError on a count mismatch or a non-integer."""
    if len(public_signals) != len(names):
        raise ValueError(f"{len(public_signals)} public signals, the circuit has {len(names)}")
    return {n: int(str(v)) for n, v in zip(names, public_signals)}


def utc_time(epoch: int) -> datetime | None:
    """Unix seconds -> aware UTC datetime, or None when out of range (a tampered signal)."""
    try:
        return datetime.fromtimestamp(epoch, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _iso(epoch: int) -> str:
    t = utc_time(epoch)
    return t.isoformat() if t else "out of range"


def _dec(v: int, scale: int) -> str:
    f = Fraction(v, scale)
    if f.denominator == 1:
        return str(f.numerator)
    if abs(v) < 2**53:  # exact in a float: the format every bundle so far was written with
        return f"{float(f):.6f}".rstrip("0")
    q, r = divmod(abs(v), scale)  # a tampered or huge value: exact, never an OverflowError
    return ("-" if v < 0 else "") + f"{q}.{r * 10**6 // scale:06d}".rstrip("0")


def describe(named: dict[str, int], underlyings, assets) -> dict:
    """The statement's public values in venue units (hex hashes, USD decimals, ISO time)."""
    return {
        "risk_root": hex(named["risk_root"]),
        "spec_hash": hex(named["spec_hash"]),
        "snapshot_epoch": named["snapshot_epoch"],
        "snapshot_time": _iso(named["snapshot_epoch"]),
        "attestation_epoch": named["attestation_epoch"],
        "attestation_time": _iso(named["attestation_epoch"]),
        "challenge": hex(named["challenge"]),
        "trader_identity": hex(named["trader_identity"]),
        "portfolio_commitment": hex(named["portfolio_commitment"]),
        "multiplier_k": _dec(named["multiplier_k_e6"], 10**6),
        "delta_limit_usd": {u: _dec(named[f"delta_limit_e6[{i}]"], 10**6) for i, u in enumerate(underlyings)},
        "vega_limit_usd_per_vol_point": {u: _dec(named[f"vega_limit_e6[{i}]"], 10**6) for i, u in enumerate(underlyings)},
        **({} if is_coin(named) else {"collateral_haircut_price_usd": {a: _dec(named[f"collateral_price_e6[{i}]"], 10**6) for i, a in enumerate(assets)}}),
        "venue_keys": [{"x": hex(x), "y": hex(y)} for x, y in venue_keys(named)],
        **({"statement_slots": venue_count(named)} if is_chunked(named) else {}),
        **(_describe_coin(named, underlyings, assets) if is_coin(named) else {}),
    }


def _describe_coin(named: dict[str, int], underlyings, assets) -> dict:
    """The coin statement's public parameters per settlement currency, in coin / USD decimals."""
    return {
        "coin_margined": {
            u: {
                "collateral_price_coin": {a: _dec(named[f"coin_price_e6[{i}][{j}]"], 10**6) for j, a in enumerate(assets)},
                "pnl_offset_coin": _dec(named[f"pnl_offset_e14[{i}]"], 10**14),
                "extended_dampener_coin": _dec(named[f"dampener_e14[{i}]"], 10**14),
                "index_usd": _dec(named[f"index_e6[{i}]"], 10**6),
                "delta_total_liq_shock_threshold_usd": _dec(named[f"delta_threshold_e6[{i}]"], 10**6),
                "max_delta_shock": _dec(named[f"max_delta_shock_e6[{i}]"], 10**6),
                "m_inc": _dec(named[f"m_inc_e6[{i}]"], 10**6),
            }
            for i, u in enumerate(underlyings)
        }
    }


def venue_count(named: dict[str, int]) -> int:
    """Number of venue statements the public signals name."""
    return sum(1 for k in named if k.startswith("venue_key_x["))


EMPTY_VENUE_KEY = (0, 0)  #: an aggregate's empty statement slot (circuits/chunk.circom MarginAggregate step 6); no BabyJubJub point


def venue_keys(named: dict[str, int]) -> list[tuple[int, int]]:
    """The (x, y) venue keys in the public signals, statement order; an aggregate's (chunked
    bundle's) empty statement slots, key EMPTY_VENUE_KEY, left out. In any other circuit (0, 0)
    is kept: it is no key a venue accepts, so such a proof fails check venue_keys."""
    keys = [(named[f"venue_key_x[{v}]"], named[f"venue_key_y[{v}]"]) for v in range(venue_count(named))]
    return [k for k in keys if k != EMPTY_VENUE_KEY] if is_chunked(named) else keys


def is_chunked(named: dict[str, int]) -> bool:
    """Whether the public signals are a chunked bundle's aggregate (MarginAggregate)."""
    return "acc_final" in named


def statement(named: dict[str, int], underlyings, assets) -> dict:
    """``{"claim": CLAIM or CLAIM_COIN, "public": describe(...)}``: the bundle's statement section."""
    if is_chunked(named):  # a chunked bundle's aggregate (circuits/chunk.circom MarginAggregate)
        public = {**describe(named, underlyings, assets), "acc_initial": hex(named["acc_initial"]), "acc_final": hex(named["acc_final"])}
        return {"claim": CLAIM + CHUNKED_NOTE, "public": public}
    return {"claim": CLAIM_COIN if is_coin(named) else CLAIM, "public": describe(named, underlyings, assets)}
