"""The venue's decision: one ``Check(name, passed, reason)`` per verifier duty.

A decision grants cross-venue margin credit only when every check passed. Only malformed input
raises; a failed check is a value, with a reason a venue operator can act on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Check:
    """One verifier duty: ``name`` (stable, machine-readable), ``passed``, human ``reason``."""

    name: str
    passed: bool
    reason: str


@dataclass
class Decision:
    """All checks of one bundle; ``accepted`` iff every check passed and there is at least one."""

    checks: list[Check] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def check(self, name: str) -> Check:
        """The check called ``name``; raises KeyError if it was not run."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def add(self, name: str, passed: bool, reason: str) -> Check:
        c = Check(name, bool(passed), reason)
        self.checks.append(c)
        return c

    def to_json(self) -> dict:
        return {"accepted": self.accepted, "checks": [asdict(c) for c in self.checks]}
