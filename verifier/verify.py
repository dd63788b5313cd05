"""Every verifier duty of SPEC section 6 on one proof bundle, as a Decision with one Check each.

A verified Groth16 proof alone shows nothing about solvency until the public signals it binds are
checked against the venue's own data (docs/security.md, "Checks outside the circuit"):

==================  ============================================================================
check               passes when
==================  ============================================================================
verification_key    the bundle was made under the key the venue trusts (sha256 and public count)
setup               the key's setup is not a dev setup, or the policy allows dev setups
groth16.*           canonical public signals < r, proof points on curve and in subgroup, pairing
statement           the bundle's named statement is exactly what the public signals say
spec_hash           public spec_hash = hash of the venue's own copy of the spec file
snapshot            a snapshot was given and its epoch equals the public snapshot_epoch
risk_root           the venue's own evaluation of the snapshot commits to the public risk_root;
                    with a published risk table: its root matches and each record is within
                    ``tolerance_e6`` of the venue's evaluation and inside RECORD_BITS
freshness           0 <= at - snapshot_epoch <= policy.max_snapshot_age_s (+60 s clock skew)
challenge           public challenge = the challenge the venue issued
venue_keys          every venue key the proof relies on is in the policy's accepted venues
attestation_fresh   0 <= at - attestation_epoch <= policy.max_attestation_age_s (+60 s skew)
policy              public k, delta and vega limits = the policy's
collateral_prices   public haircut prices = spec haircuts applied to the snapshot's spot
==================  ============================================================================
"""

from __future__ import annotations

from datetime import datetime, timezone

from prover.circuit import CircuitParams, canonical_sha256
from prover.errors import BundleError, RangeError, ZkMarginError
from prover.risk_table import RiskTable, cached_risk_table
from prover.spec import haircut_prices_e6
from verifier.decision import Decision
from verifier.groth16 import groth16_checks, load_verification_key
from verifier.statement import CLAIM, describe, named_signals, utc_time, venue_keys

CLOCK_SKEW_S = 60
DEFAULT_TOLERANCE_E6 = 2  #: 2 micro-USD per coin: float noise across platforms, far below a cent


def _params(bundle: dict) -> CircuitParams:
    c = bundle["circuit"]
    p = c["params"]
    return CircuitParams(str(c["name"]), int(p["n_venues"]), int(p["n_pos"]), int(p["n_scen"]), int(p["n_und"]), int(p["n_assets"]), int(p["depth"]))


def _check_table(d: Decision, published: dict, own: RiskTable, root: int, tolerance_e6: int) -> None:
    try:
        table = RiskTable.from_json(published)
    except ZkMarginError as exc:
        d.add("risk_root", False, f"published risk table unreadable: {exc}")
        return
    if table.root != root:
        d.add("risk_root", False, f"published risk table root {hex(table.root)[:18]}... != public risk_root {hex(root)[:18]}...")
        return
    if [r.instrument_id for r in table.records] != [r.instrument_id for r in own.records]:
        d.add("risk_root", False, "published risk table lists other instruments than the snapshot")
        return
    for pub, mine in zip(table.records, own.records):
        try:
            pub.check_ranges()
        except RangeError as exc:
            d.add("risk_root", False, f"published record out of range: {exc}")
            return
        diffs = [abs(a - b) for a, b in zip(list(pub.pnl_e6) + pub.values(), list(mine.pnl_e6) + mine.values())]
        if pub.underlying != mine.underlying or max(diffs) > tolerance_e6:
            d.add("risk_root", False, f"record {mine.name} differs from the venue's evaluation by {max(diffs)} micro-USD (tolerance {tolerance_e6})")
            return
    d.add("risk_root", True, f"published table of {len(table)} records matches root and the venue's evaluation within {tolerance_e6} micro-USD")


def verify_bundle(bundle: dict, policy, verification_key: dict, **kwargs) -> Decision:
    """Run every verifier duty; returns the Decision (``accepted`` only if all checks pass).

    Parameters
    ----------
    bundle : dict from prover.bundle.read_bundle.
    policy : verifier.policy.Policy, the venue's own.
    verification_key : the venue's trusted snarkjs verification_key.json (parsed).
    spec : the venue's ScenarioSpec (prover.spec.load_spec); required for spec_hash and prices.
    snapshot : the public MarketSnapshot the proof claims; without it the market checks fail.
    risk_table : optional published risk table (RiskTable.to_json form) to compare record by record.
    setup_record : the venue's setup.json for its key (kind, dev); None = provenance unknown.
    at : time of the freshness check (default now, UTC).
    tolerance_e6 : per-value tolerance against a published risk table, micro-USD per coin.

    Raises BundleError only for a structurally malformed bundle or key (a section of the wrong
    type, a missing field): hostile values inside a well-formed bundle are failed checks.
    """
    try:
        return _verify(bundle, policy, verification_key, **kwargs)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise BundleError(f"malformed bundle: {type(exc).__name__}: {exc}") from None


def _verify(
    bundle: dict,
    policy,
    verification_key: dict,
    *,
    spec=None,
    snapshot=None,
    risk_table: dict | None = None,
    setup_record: dict | None = None,
    at: datetime | None = None,
    tolerance_e6: int = DEFAULT_TOLERANCE_E6,
) -> Decision:
    """The checks of ``verify_bundle``, in order; structural errors propagate to it."""
    d = Decision()
    at = at or datetime.now(timezone.utc)
    vk = load_verification_key(verification_key)
    params = _params(bundle)
    names = params.public_signal_names()
    vk_hash = canonical_sha256(verification_key)
    claimed = bundle["circuit"].get("verification_key_sha256")
    ok = vk.n_public == len(names) and claimed == vk_hash
    d.add(
        "verification_key",
        ok,
        f"venue key sha256 {vk_hash[:16]}... with {vk.n_public} public inputs"
        + ("" if ok else f"; bundle names key {str(claimed)[:16]}... and {len(names)} public signals ({params.name})"),
    )
    dev = bool(setup_record.get("dev")) if setup_record else None
    if dev is None:
        d.add("setup", True, "setup provenance not given; the venue trusts its key file as is")
    else:
        d.add("setup", (not dev) or policy.allow_dev_setup, f"{setup_record.get('label', setup_record.get('kind'))}" + ("" if (not dev) or policy.allow_dev_setup else ": policy does not allow dev setups"))
    d.checks.extend(groth16_checks(vk, bundle["proof"], bundle["public_signals"]))
    try:
        named = named_signals(bundle["public_signals"], names)
    except (ValueError, TypeError) as exc:
        d.add("statement", False, f"public signals unreadable: {exc}")
        return d
    underlyings = bundle["market"].get("underlyings", [])
    assets = bundle["market"].get("assets", [])
    stated = bundle["statement"]
    want = describe(named, underlyings, assets)
    ok = stated.get("claim") == CLAIM and stated.get("public") == want
    d.add("statement", ok, "named statement matches the public signals" if ok else "the bundle's statement text differs from its public signals")

    if spec is None:
        d.add("spec_hash", False, "no spec given to the verifier")
    else:
        ok = spec.spec_hash == named["spec_hash"] and list(spec.underlyings) == underlyings and list(spec.assets) == assets
        d.add("spec_hash", ok, f"spec {spec.name} sha256 {spec.sha256[:16]}... " + ("matches" if ok else "does not match the public spec_hash (or its underlyings/assets differ)"))

    if snapshot is None:
        d.add("snapshot", False, "no snapshot given: pass --market SNAPSHOT (the root cannot be recomputed)")
    else:
        ok = snapshot.epoch == named["snapshot_epoch"]
        d.add("snapshot", ok, f"snapshot {snapshot.source} epoch {snapshot.epoch} " + ("= public snapshot_epoch" if ok else f"!= public {named['snapshot_epoch']}"))
        if spec is not None:
            own = cached_risk_table(snapshot, spec, params.depth)
            if risk_table is not None:
                _check_table(d, risk_table, own, named["risk_root"], tolerance_e6)
            else:
                ok = own.root == named["risk_root"]
                d.add("risk_root", ok, f"venue's own risk table ({len(own)} records, depth {params.depth}) " + ("commits to the public risk_root" if ok else "has another root"))
            prices = haircut_prices_e6(spec, snapshot.spot)
            bad = [a for i, a in enumerate(spec.assets) if named.get(f"collateral_price_e6[{i}]") != prices[a]]
            d.add("collateral_prices", not bad, "haircut prices match spec and snapshot spot" if not bad else f"haircut price differs for {', '.join(bad)}")

    _fresh(d, "freshness", "snapshot", named["snapshot_epoch"], at, policy.max_snapshot_age_s)
    ok = named["challenge"] == policy.challenge
    d.add("challenge", ok, "public challenge is the one issued" if ok else f"public challenge {hex(named['challenge'])} is not the issued {hex(policy.challenge)}")
    keys = venue_keys(named)
    unlisted = [f"#{v} ({hex(x)[:12]}...)" for v, (x, y) in enumerate(keys) if (x, y) not in policy.accepted_venues]
    listed = ", ".join(policy.accepted_venues.get(k, "?") for k in keys)
    d.add("venue_keys", not unlisted, f"statements signed by accepted venues: {listed}" if not unlisted else f"statement key(s) not in the policy's accepted venues: {', '.join(unlisted)}")
    _fresh(d, "attestation_fresh", "statements", named["attestation_epoch"], at, policy.max_attestation_age_s)
    try:
        wanted = policy.public_values(underlyings)
    except KeyError as exc:
        d.add("policy", False, f"the bundle names underlying {exc.args[0]!r}, for which the policy has no limits")
        return d
    bad = [k for k, v in wanted.items() if k != "challenge" and named.get(k) != v]
    d.add("policy", not bad, "k and delta/vega limits equal the policy's" if not bad else f"public values differ from the policy: {', '.join(bad)}")
    return d


def _fresh(d: Decision, name: str, what: str, epoch: int, at: datetime, limit_s: int) -> None:
    """Add a freshness check: 0 <= at - epoch <= limit (with CLOCK_SKEW_S either side)."""
    t = utc_time(epoch)
    if t is None:
        d.add(name, False, f"{what} epoch {epoch} is not a valid time")
        return
    age = (at - t).total_seconds()
    ok = -CLOCK_SKEW_S <= age <= limit_s + CLOCK_SKEW_S
    d.add(name, ok, f"{what} age {age:,.0f} s at {at.isoformat(timespec='seconds')}, limit {limit_s} s")
