"""Plain-text report of a venue decision for people (``zkmargin verify``)."""

from __future__ import annotations


def render_decision(decision) -> str:
    """One line per check and the verdict (``zkmargin verify``)."""
    lines = [f"  {'PASS' if c.passed else 'FAIL'}  {c.name:<22} {c.reason}" for c in decision.checks]
    verdict = "ACCEPTED: grant cross-venue margin credit" if decision.accepted else f"REJECTED: {len(decision.failed)} check(s) failed"
    return "\n".join(lines + ["", f"decision: {verdict}"])
