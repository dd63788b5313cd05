"""Exact formatting of the fixed-point aggregates (x 1e14) for people and for JSON."""

from __future__ import annotations

from public.fixed_point import AGG_SCALE


def usd_str(v_e14: int) -> str:
    """USD x 1e14 -> exact decimal string with 6 places, truncated toward zero."""
    sign = "-" if v_e14 < 0 else ""
    q, r = divmod(abs(v_e14), AGG_SCALE)
    return f"{sign}{q}.{r * 10**6 // AGG_SCALE:06d}"


def usd(v_e14: int) -> str:
    """USD x 1e14 -> '$1,234,567.89' for people."""
    return f"{'-' if v_e14 < 0 else ''}${abs(v_e14) / AGG_SCALE:,.2f}"
