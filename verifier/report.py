"""A venue decision for people and for machines (``zkmargin verify``, ``zkmargin serve``)."""

from __future__ import annotations

SCHEMA = "zkmargin-verify/1"  #: ``zkmargin verify --json`` and the service's /v1/verify


def trusted_circuit_of(bundle: dict, circuits):
    """The venue's own trusted circuit whose key a structure-checked bundle names, or None."""
    return next((c for c in circuits if c.vk_sha256 == bundle["circuit"]["verification_key_sha256"]), None)


def decision_json(decision, circuit, elapsed: float) -> dict:
    """The decision as ``zkmargin-verify/1`` JSON, with ``circuit`` (trusted_circuit_of, or None)
    described from the venue's key directory and the verification time in seconds."""
    trusted = {"circuit": circuit.name, "verification_key_sha256": circuit.vk_sha256, "setup": circuit.provenance.to_json()} if circuit else None
    return {"schema": SCHEMA, **decision.to_json(), "exit_code": 0 if decision.accepted else 1, "trusted_circuit": trusted, "verify_s": elapsed}


def render_decision(decision) -> str:
    """One line per check and the verdict (``zkmargin verify``)."""
    lines = [f"  {'PASS' if c.passed else 'FAIL'}  {c.name:<22} {c.reason}" for c in decision.checks]
    verdict = "ACCEPTED: grant cross-venue margin credit" if decision.accepted else f"REJECTED: {len(decision.failed)} check(s) failed"
    return "\n".join(lines + ["", f"decision: {verdict}"])
