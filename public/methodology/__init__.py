"""The public margin methodology: snapshot -> risk arrays (Black-76) -> risk table -> margin (SPEC sections 3-5)."""
