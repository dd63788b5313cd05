"""Named errors of zkmargin: each becomes one ``error: ...`` line and a non-zero exit in the CLI.

Every error says what went wrong (the input, the row, the instrument), never where in the code.
"""


class ZkMarginError(Exception):
    """Base class: the CLI turns any subclass into ``error: <message>`` and exit code 2."""


class SnapshotError(ZkMarginError):
    """Market snapshot unreadable, malformed (names file and row), inconsistent or stale."""


class StaleSnapshotError(SnapshotError):
    """Snapshot older than the policy's ``max_snapshot_age_s`` at the evaluation time."""


class SpecError(ZkMarginError):
    """Scenario spec file missing a field, out of range, or of an unknown version."""


class PortfolioError(ZkMarginError):
    """Portfolio file malformed, unknown instrument, quantity out of range, too many positions."""


class PolicyError(ZkMarginError):
    """Venue policy file malformed or out of range (k < 1, negative limits, bad challenge)."""


class PolicyNotMet(ZkMarginError):
    """The portfolio does not satisfy the policy; the prover refuses to build a proof (exit code 1).

    ``failed``: the failed checks as (name, reason) pairs, for machine-readable output."""

    def __init__(self, message: str, failed=()):
        super().__init__(message)
        self.failed = [{"name": n, "reason": r} for n, r in failed]


class RangeError(ZkMarginError):
    """A fixed-point value does not fit its documented bit width (docs/bounds.md)."""


class ToolchainError(ZkMarginError):
    """Node, circom2 or snarkjs missing or failing; names the command and its stderr tail."""


class BundleError(ZkMarginError):
    """Proof bundle unreadable or structurally malformed (not: verification failed)."""


class FixtureError(ZkMarginError):
    """An audit fixture case that cannot be read: no case.json, a bad format, a missing field."""
