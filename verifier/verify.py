"""Every verifier duty of SPEC section 6 on one proof bundle, as a Decision with one Check each.

A verified Groth16 proof alone shows nothing about solvency until the public signals it binds are
checked against the venue's own data (docs/security.md, "Checks outside the circuit"). The verifier
trusts nothing it did not configure: the circuit (key, shape, so every public-signal name, and
setup provenance) comes from the venue's key directories (verifier/trusted.py), the market from its
own snapshot and spec; a bundle field that repeats a trusted value is only checked equal to it.

==================  ============================================================================
check               passes when
==================  ============================================================================
verification_key    the bundle names (by sha256) a verification key of a circuit the venue accepts
circuit             the bundle's circuit section (name, shape, compiler, hashes, setup) is exactly
                    the trusted circuit's
setup               the trusted provenance is not dev (verifier/trusted.py), or the policy allows dev
groth16.*           canonical public signals < r, proof points on curve and in subgroup, pairing
statement           the bundle's named statement is exactly what the public signals say
market              the bundle's market section names the venue's own snapshot and spec (hashes)
spec_hash           public spec_hash = hash of the venue's own copy of the spec file
snapshot            a snapshot was given and its epoch equals the public snapshot_epoch
risk_root           the venue's own evaluation of the snapshot commits to the public risk_root;
                    with a published risk table: its root matches and each record is within
                    ``tolerance_e6`` of the venue's evaluation and inside RECORD_BITS
collateral_prices   public haircut prices = spec haircuts applied to the snapshot's spot
freshness           0 <= at - snapshot_epoch <= policy.max_snapshot_age_s (+60 s clock skew)
challenge           public challenge = the challenge the venue issued
identity            public trader_identity = the identity commitment of the applicant onboarded
venue_keys          every venue key the proof relies on is in the policy's accepted venues
attestation_fresh   0 <= at - attestation_epoch <= policy.max_attestation_age_s (+60 s skew)
policy              public k, delta and vega limits = the policy's
chunk_circuit       (chunked bundle) the chunk key is an accepted chunk circuit of the aggregate's
                    shape, its section exactly the trusted one (verifier/chunked.py)
chunk_links         (chunked bundle) the chunk proofs link acc_initial to acc_final, one risk_root
==================  ============================================================================

A chunked bundle's groth16.* checks cover every proof in it, verified as one batch.
"""

from __future__ import annotations

from datetime import datetime, timezone

from public.bundle_format import FORMAT_CHUNKED, check_structure
from public.errors import BundleError, RangeError, ZkMarginError
from public.methodology.risk_table import RiskTable, cached_risk_table
from public.methodology.spec import haircut_prices_e6
from public.statement import named_signals, statement, utc_time, venue_keys
from verifier.chunked import CHECK_LINKS, chunk_signals, chunked_groth16_checks, find_chunk_circuit, link_problems
from verifier.decision import Decision
from verifier.sections import differs as _differs
from verifier.groth16 import groth16_checks, groth16_checks_native
from verifier.trusted import TrustedCircuit


class VerifierUsageError(ZkMarginError, TypeError):
    """A caller mistake in the Python API: a policy that is not a Policy, a naive time, no trusted circuit."""


CLOCK_SKEW_S = 60
DEFAULT_TOLERANCE_E6 = 2  #: 2 micro-USD per coin: float noise across platforms, far below a cent


def _check_table(d: Decision, published: dict, own: RiskTable, root: int, tolerance_e6: int) -> None:
    shape_ok = isinstance(published, dict) and published.get("depth") == own.depth and isinstance(published.get("records"), list) and len(published["records"]) == len(own)
    if not shape_ok:  # before any hashing: a published depth drives the cost of rebuilding its tree
        d.add("risk_root", False, f"published risk table is not of the venue's shape (depth {own.depth}, {len(own)} records)")
        return
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


ENGINES = ("py_ecc", "native")  #: the pairing's engine: pure Python (default) or groth16py's Rust verifier


def _usage(bundle, policy, trusted, spec, snapshot, at, applicant, tolerance_e6, engine="py_ecc") -> list[TrustedCircuit]:
    """Refuse caller mistakes (VerifierUsageError) before looking at the bundle."""
    from public.methodology.snapshot import MarketSnapshot
    from public.methodology.spec import ScenarioSpec
    from verifier.policy import Policy

    if not isinstance(policy, Policy):
        raise VerifierUsageError(f"policy must be a verifier.policy.Policy (load_policy / parse_policy), not {type(policy).__name__}")
    circuits = [trusted] if isinstance(trusted, TrustedCircuit) else list(trusted) if isinstance(trusted, (list, tuple)) else None
    if not circuits or not all(isinstance(c, TrustedCircuit) for c in circuits):
        raise VerifierUsageError("trusted must be a verifier.trusted.TrustedCircuit or a non-empty list of them (load_trusted_circuit / policy_circuits), not a raw key")
    if spec is not None and not isinstance(spec, ScenarioSpec):
        raise VerifierUsageError(f"spec must be a ScenarioSpec (public.methodology.spec.load_spec), not {type(spec).__name__}")
    if snapshot is not None and not isinstance(snapshot, MarketSnapshot):
        raise VerifierUsageError(f"snapshot must be a MarketSnapshot (public.methodology.snapshot.load_snapshot), not {type(snapshot).__name__}")
    if at is not None and (not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None):
        raise VerifierUsageError("at must be a timezone-aware datetime (e.g. datetime.now(timezone.utc)); a naive time is ambiguous")
    if not isinstance(bundle, dict):
        raise BundleError(f"a bundle is a JSON object, not a {type(bundle).__name__}")
    if applicant is not None and (type(applicant) is not int or applicant <= 0):
        raise VerifierUsageError("applicant must be the identity commitment as an int (verifier.policy.parse_identity)")
    if type(tolerance_e6) is not int or not 0 <= tolerance_e6 <= 10**6:
        raise VerifierUsageError("tolerance_e6 must be an int in 0..1e6 (micro-USD per coin)")
    if engine not in ENGINES:
        raise VerifierUsageError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    return circuits


def verify_bundle(bundle: dict, policy, trusted, *, spec=None, snapshot=None, risk_table: dict | None = None,
                  at: datetime | None = None, applicant: int | None = None, tolerance_e6: int = DEFAULT_TOLERANCE_E6,
                  engine: str = "py_ecc") -> Decision:
    """Run every verifier duty; returns the Decision (``accepted`` only if all checks pass).

    Parameters
    ----------
    bundle : dict, a parsed ``zkmargin-proof-bundle/2`` (prover.proving.bundle.read_bundle).
    policy : verifier.policy.Policy, the venue's own.
    trusted : verifier.trusted.TrustedCircuit, or a list of them: the circuits the venue accepts
        (verifier.trusted.policy_circuits(policy)); the bundle's key is looked up among them.
    spec : the venue's ScenarioSpec (public.methodology.spec.load_spec); required for spec_hash and prices.
    snapshot : the public MarketSnapshot the proof claims; without it the market checks fail.
    risk_table : optional published risk table (RiskTable.to_json form) to compare record by record.
    at : timezone-aware time of the freshness checks (default now, UTC).
    applicant : the onboarded applicant's trader identity commitment (default policy.applicant_identity).
    tolerance_e6 : per-value tolerance against a published risk table, micro-USD per coin.
    engine : "py_ecc" (default, pure Python) or "native" (groth16py's Rust pairing; the signal and
        point checks stay py_ecc's: verifier.groth16.groth16_checks_native); the same verdicts.

    Raises VerifierUsageError for a caller mistake (wrong argument types, a naive ``at``) and
    BundleError for a bundle that is not of the format's shape (public/bundle_format.py); every
    hostile value inside a well-formed bundle is a failed check. Cost is bounded whatever the bundle
    holds: every shape comes from ``trusted``.
    """
    circuits = _usage(bundle, policy, trusted, spec, snapshot, at, applicant, tolerance_e6, engine)
    check_structure(bundle)
    return _verify(bundle, policy, circuits, spec=spec, snapshot=snapshot, risk_table=risk_table, at=at or datetime.now(timezone.utc),
                   applicant=policy.applicant_identity if applicant is None else applicant, tolerance_e6=tolerance_e6, engine=engine)


def _verify(bundle: dict, policy, circuits: list[TrustedCircuit], *, spec, snapshot, risk_table, at: datetime, applicant, tolerance_e6: int,
            engine: str = "py_ecc") -> Decision:
    """The checks of ``verify_bundle``, in order, on a structurally valid bundle."""
    d = Decision()
    claimed = bundle["circuit"]["verification_key_sha256"]
    tc = next((c for c in circuits if c.vk_sha256 == claimed), None)
    if tc is None:
        known = ", ".join(f"{c.name} ({c.vk_sha256[:16]}...)" for c in circuits)
        d.add("verification_key", False, f"the bundle names key {claimed[:16]}..., not one the venue accepts: {known}")
        return d
    chunked = bundle["format"] == FORMAT_CHUNKED
    if tc.params.kind != ("aggregate" if chunked else "solvency"):
        d.add("verification_key", False, f"key {claimed[:16]}... is the venue's {tc.params.kind} circuit {tc.name}, which does not prove a {'chunked' if chunked else 'one-proof'} bundle's statement")
        return d
    d.add("verification_key", True, f"circuit {tc.name}, venue key sha256 {tc.vk_sha256[:16]}... with {tc.vk.n_public} public inputs")
    bad = _differs(bundle["circuit"], tc.bundle_section(), "circuit.")
    d.add("circuit", not bad, f"circuit identity and setup as the venue's key directory records them ({tc.name})" if not bad else f"the bundle's circuit section differs from the trusted circuit's: {', '.join(bad[:8])}")
    chunk_tc, depth = None, tc.params.depth
    if chunked:
        chunk_tc, check = find_chunk_circuit(bundle, tc, circuits)
        d.checks.append(check)
        depth = chunk_tc.params.depth if chunk_tc is not None else None
    setups = [tc] + ([chunk_tc] if chunk_tc is not None else [])
    dev = any(c.provenance.dev for c in setups)
    label = "; ".join(dict.fromkeys(c.provenance.label for c in setups))
    d.add("setup", (not dev) or policy.allow_dev_setup, label + ("" if (not dev) or policy.allow_dev_setup else ": the policy does not allow dev setups"))
    if chunked:
        d.checks.extend(chunked_groth16_checks(tc, chunk_tc, bundle, engine))
    elif engine == "native":
        d.checks.extend(groth16_checks_native(tc.vk, tc.verification_key, bundle["proof"], bundle["public_signals"]))
    else:
        d.checks.extend(groth16_checks(tc.vk, bundle["proof"], bundle["public_signals"]))
    try:
        named = named_signals(bundle["public_signals"], tc.public_signal_names())
    except (ValueError, TypeError) as exc:
        d.add("statement", False, f"public signals unreadable: {exc}")
        return d
    if chunked:
        links = chunk_signals(bundle)
        if links is None:
            d.add(CHECK_LINKS, False, "a chunk's public signals are not three integers (risk_root, acc_in, acc_out)")
            return d
        named = {"risk_root": links[0][0], **named}  # every chunk's root must be this one (links), and it the venue's (risk_root)
        problems = link_problems(named["acc_initial"], named["acc_final"], links, named["risk_root"])
        d.add(CHECK_LINKS, not problems, f"{len(links)} chunk proofs link acc_initial to acc_final over one risk_root" if not problems else "; ".join(problems[:4]))
    underlyings = list(spec.underlyings) if spec is not None else []
    assets = list(spec.assets) if spec is not None else []
    shape_ok = spec is not None and (len(underlyings), len(assets)) == (tc.params.n_und, tc.params.n_assets)
    if not shape_ok:
        d.add("statement", False, "no spec given to the verifier" if spec is None else f"the venue's spec has {len(underlyings)} underlyings and {len(assets)} assets, circuit {tc.name} {tc.params.n_und} and {tc.params.n_assets}")
    else:
        ok = not _differs(bundle["statement"], statement(named, underlyings, assets), "")
        d.add("statement", ok, "named statement matches the public signals" if ok else "the bundle's statement text differs from its public signals")

    if spec is None or snapshot is None:
        d.add("market", False, "the verifier needs its own snapshot and spec (pass --market; the spec comes from the policy or --spec)")
    else:
        want = {"snapshot_sha256": snapshot.sha256, "snapshot_epoch": snapshot.epoch, "spec": spec.name, "spec_sha256": spec.sha256,
                "underlyings": underlyings, "assets": assets}
        bad = _differs(bundle["market"], want, "market.")
        d.add("market", not bad, f"snapshot sha256 {snapshot.sha256[:16]}... and spec {spec.name} are the venue's own" if not bad else f"the bundle's market section differs from the venue's snapshot/spec: {', '.join(bad)}")

    if spec is None:
        d.add("spec_hash", False, "no spec given to the verifier")
    else:
        same_kind = (spec.valuation == "coin_margined") == tc.params.coin_margined
        ok = spec.spec_hash == named["spec_hash"] and shape_ok and spec.n_scenarios == tc.params.n_scen and same_kind
        d.add("spec_hash", ok, f"spec {spec.name} sha256 {spec.sha256[:16]}... " + ("matches" if ok else "does not match the public spec_hash (or its shape or valuation is not the circuit's)"))

    if snapshot is None:
        d.add("snapshot", False, "no snapshot given: pass --market SNAPSHOT (the root cannot be recomputed)")
    else:
        ok = snapshot.epoch == named["snapshot_epoch"]
        d.add("snapshot", ok, f"snapshot {snapshot.source} epoch {snapshot.epoch} " + ("= public snapshot_epoch" if ok else f"!= public {named['snapshot_epoch']}"))
        if spec is not None and shape_ok and depth is not None:
            own = cached_risk_table(snapshot, spec, depth)
            if risk_table is not None:
                # coin records are coin x 1e6 per coin: the USD tolerance's worth in coin (2e-6 USD) is 0 units
                _check_table(d, risk_table, own, named["risk_root"], 0 if tc.params.coin_margined else tolerance_e6)
            else:
                ok = own.root == named["risk_root"]
                d.add("risk_root", ok, f"venue's own risk table ({len(own)} records, depth {depth}) " + ("commits to the public risk_root" if ok else "has another root"))
            if tc.params.coin_margined:
                _check_coin(d, named, own, spec, tc)
            else:
                prices = haircut_prices_e6(spec, snapshot.spot)
                bad = [a for i, a in enumerate(spec.assets) if named.get(f"collateral_price_e6[{i}]") != prices[a]]
                d.add("collateral_prices", not bad, "haircut prices match spec and snapshot spot" if not bad else f"haircut price differs for {', '.join(bad)}")
        else:
            d.add("risk_root", False, "the risk root cannot be recomputed without a spec of the circuit's shape")

    _fresh(d, "freshness", "snapshot", named["snapshot_epoch"], at, policy.max_snapshot_age_s)
    if policy.challenge is None:
        d.add("challenge", False, "the policy issues a challenge per application: give the issued one (zkmargin verify --challenge, or zkmargin serve)")
    else:
        ok = named["challenge"] == policy.challenge
        d.add("challenge", ok, "public challenge is the one issued" if ok else f"public challenge {hex(named['challenge'])[:20]} is not the issued {hex(policy.challenge)[:20]}")
    if applicant is None:
        d.add("identity", False, "no applicant identity: set applicant_identity in the policy or pass --applicant")
    else:
        ok = named["trader_identity"] == applicant
        d.add("identity", ok, f"statements issued to the applicant's identity {hex(applicant)[:14]}..." if ok else f"the proof is for trader identity {hex(named['trader_identity'])[:14]}..., not the applicant's {hex(applicant)[:14]}...")
    keys = venue_keys(named)
    unlisted = [f"{hex(x)[:12]}..." for x, y in keys if (x, y) not in policy.accepted_venues]
    listed = ", ".join(policy.accepted_venues.get(k, "?") for k in keys)
    ok = bool(keys) and not unlisted
    d.add("venue_keys", ok, f"statements signed by accepted venues: {listed}" if ok else "the proof names no venue key" if not keys else f"statement key(s) not in the policy's accepted venues: {', '.join(unlisted)}")
    _fresh(d, "attestation_fresh", "statements", named["attestation_epoch"], at, policy.max_attestation_age_s)
    try:
        wanted = policy.public_values(underlyings)
    except KeyError as exc:
        d.add("policy", False, f"the spec names underlying {exc.args[0]!r}, for which the policy has no limits")
        return d
    bad = [k for k, v in wanted.items() if k != "challenge" and named.get(k) != v]
    ok = bool(underlyings) and not bad
    d.add("policy", ok, "k and delta/vega limits equal the policy's" if ok else f"public values differ from the policy: {', '.join(bad) or 'no spec'}")
    return d


def _check_coin(d: Decision, named: dict, own: RiskTable, spec, tc) -> None:
    """Coin-margined circuit: the spec is coin-margined with the circuit's standard-table size, and
    every step 13 public value (coin prices, pnl_offset, dampener, index, delta-shock parameters)
    equals the venue's own recomputation from its spec and snapshot (``own.coin``)."""
    if own.coin is None or own.coin.n_std != tc.params.n_std_coin:
        d.add("coin_params", False, f"circuit {tc.name} proves the coin-margined statement, the venue's spec {spec.name} is not coin-margined with {tc.params.n_std_coin} standard scenarios")
        return
    bad = sorted(k for k, v in own.coin.public_values().items() if named.get(k) != v)
    d.add("coin_params", not bad, "coin prices, pnl_offset, dampener, index and delta-shock parameters equal the venue's spec and snapshot"
          if not bad else f"public coin parameters differ from the venue's: {', '.join(bad[:8])}")  # fmt: skip


def _fresh(d: Decision, name: str, what: str, epoch: int, at: datetime, limit_s: int) -> None:
    """Add a freshness check: 0 <= at - epoch <= limit (with CLOCK_SKEW_S either side)."""
    t = utc_time(epoch)
    if t is None:
        d.add(name, False, f"{what} epoch {epoch} is not a valid time")
        return
    age = (at - t).total_seconds()
    ok = -CLOCK_SKEW_S <= age <= limit_s + CLOCK_SKEW_S
    d.add(name, ok, f"{what} age {age:,.0f} s at {at.isoformat(timespec='seconds')}, limit {limit_s} s")
