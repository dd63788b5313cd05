"""The trader's pipeline: snapshot + spec + venue statements + policy -> risk table -> witness -> proof -> bundle.

``margin_report`` stops after the margin breakdown (``zkmargin risk``); ``prove_bundle`` refuses
an insolvent or out-of-limit book before any proving (PolicyNotMet), proves, writes the bundle to a
temporary file, verifies what was written with the venue-side verifier, and only then renames it
into place (``zkmargin prove``).
"""

from __future__ import annotations

import dataclasses

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from prover.proving.bundle import make_bundle
from prover.proving.prove import ProofResult, prove
from prover.proving.witness import build_witness
from prover.toolchain import snarkjs
from prover.toolchain.setup import load_setup
from public.circuit import CircuitParams
from public.errors import BundleError, PolicyNotMet
from public.fixed_point import CHALLENGE_BITS
from public.methodology.margin import MarginReport, compute_margin
from public.methodology.risk_table import RiskTable, cached_risk_table
from public.methodology.snapshot import check_fresh
from public.methodology.spec import haircut_prices_e6


@dataclass
class ProveOutcome:
    """What ``prove_bundle`` produced: the bundle (as written), margin report, proof, decision, timings."""

    bundle: dict
    report: MarginReport
    result: ProofResult
    decision: object
    table: RiskTable
    timings: dict = field(default_factory=dict)


def margin_report(snapshot, spec, portfolio, depth: int) -> tuple[MarginReport, RiskTable]:
    """Risk table of the snapshot and the portfolio's margin under it (no proving)."""
    table = cached_risk_table(snapshot, spec, depth)
    return compute_margin(portfolio, table, spec, haircut_prices_e6(spec, snapshot.spot)), table


def refuse_unless_met(report: MarginReport, policy) -> None:
    """Raise PolicyNotMet listing every failed solvency / limit check of ``policy``, with the
    collateral shortfall and a pointer to ``zkmargin derisk`` (the least-cost trades that fix it)."""
    from prover.trader.derisk import shortfall_usd

    failed = [(name, reason) for name, ok, reason in report.policy_checks(policy) if not ok]
    if failed:
        if report.coin_margined:
            short = report.shortfall(policy)  # per currency, in coin
        else:
            usd = shortfall_usd(report, policy)
            short = f"${usd:,.2f}" if usd else ""
        hint = (f"shortfall {short} of collateral; " if short else "") + "`zkmargin derisk` (same --market, book and --policy) lists the least-cost trades that make it pass"
        raise PolicyNotMet("the portfolio does not meet the policy, no proof written:\n  " + "\n  ".join(f"{n}: {r}" for n, r in failed) + f"\n  {hint}", failed)


def refuse_unlisted_venues(statements, policy, at: datetime) -> None:
    """Raise PolicyNotMet if a statement's key is not accepted by the policy or the statements are
    older than its max_attestation_age_s: the venue would reject the proof."""
    for st in statements:
        if (st.public_key.x, st.public_key.y) not in policy.accepted_venues:
            raise PolicyNotMet(f"{st.source or st.venue}: venue key not in the policy's accepted venues, no proof written")
    from verifier.verify import CLOCK_SKEW_S

    age = at.timestamp() - statements[0].epoch
    if not -CLOCK_SKEW_S <= age <= policy.max_attestation_age_s + CLOCK_SKEW_S:
        raise PolicyNotMet(f"statements of epoch {statements[0].epoch} are {age:,.0f} s old at {at.isoformat()}, the policy accepts {policy.max_attestation_age_s} s")


def prove_bundle(
    params: CircuitParams,
    snapshot,
    spec,
    statements,
    policy,
    challenge: int,
    out,
    *,
    identity,
    salt: int | None = None,
    backend: str = "auto",
    at: datetime | None = None,
    progress=lambda msg: None,
) -> ProveOutcome:
    """Prove the book attested by ``statements`` (prover/venue/attestation.py) meets ``policy``; write a
    verified bundle to ``out``. ``identity``: the trader's prover.trader.identity.TraderIdentity (every
    statement must carry its commitment). ``salt`` blinds the commitment (random if None).

    ``out`` is checked before any work; the bundle is verified in memory by the venue-side
    verifier under the prover's own key directory, then written atomically: an interrupted run
    leaves nothing at ``out`` and no unverified bundle beside it.

    Raises OutputPathError (``out`` cannot be written), StaleSnapshotError (snapshot older than the
    policy allows at ``at``), PolicyNotMet (insolvent, over a limit, a venue key the policy does
    not accept, stale statements), PortfolioError (statements the circuit would reject: forged,
    altered, duplicated, other epochs, another trader's, unknown instruments), ToolchainError (no
    build or keys), BundleError (the bundle failed its own verification; nothing written).
    """
    from prover.files import atomic_write_text, check_out_path
    from verifier.trusted import load_trusted_circuit
    from verifier.verify import verify_bundle

    out = check_out_path(out, "proof bundle")
    at = at or datetime.now(timezone.utc)
    timings = {}
    check_fresh(snapshot, policy.max_snapshot_age_s, at)
    if policy.challenge is None:  # a venue that issues one per application: this is the issued one
        policy = dataclasses.replace(policy, challenge=challenge)
    if challenge != policy.challenge:
        raise PolicyNotMet(f"challenge {hex(challenge)} is not the one in the policy ({hex(policy.challenge)}): the venue would reject the proof")
    snarkjs.compile_circuit(params)
    setup = load_setup(params)
    trusted = load_trusted_circuit(params.keys_dir)
    progress("risk table: evaluating the snapshot and committing the records")
    t = time.perf_counter()
    table = cached_risk_table(snapshot, spec, params.depth)
    _ = table.root  # the Poseidon tree (built lazily) belongs to this step's time
    timings["risk_table_s"] = time.perf_counter() - t
    prices = haircut_prices_e6(spec, snapshot.spot)
    salt = secrets.randbits(CHALLENGE_BITS) if salt is None else salt
    witness = build_witness(params, table, statements, spec, prices, policy, challenge, snapshot.epoch, spec.spec_hash, salt, identity=identity)
    refuse_unless_met(witness.report, policy)
    refuse_unlisted_venues(statements, policy, at)
    progress(f"proving with circuit {params.name} ({trusted.provenance.label})")
    result = prove(params, setup, witness, backend)
    timings.update(result.timings)
    text = json.dumps(make_bundle(trusted, result, snapshot, spec), indent=1)
    progress("verifying the bundle as the venue will, before writing it")
    t = time.perf_counter()
    bundle = json.loads(text)
    decision = verify_bundle(bundle, policy, trusted, spec=spec, snapshot=snapshot, at=at, applicant=identity.commitment)
    timings["verify_s"] = time.perf_counter() - t
    if not decision.accepted:
        reasons = "; ".join(f"{c.name}: {c.reason}" for c in decision.failed)
        raise BundleError(f"the proof bundle failed its own verification, nothing written: {reasons}")
    atomic_write_text(out, text)
    return ProveOutcome(bundle, witness.report, result, decision, table, timings)
