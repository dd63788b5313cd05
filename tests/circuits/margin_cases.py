"""A small synthetic instance of MarginSolvency and its honest witness, for the soundness tests.

MarginSolvency(3, 5, 2, 4, 2): 3 slots, 5 scenarios, BTC/ETH, 4 assets, a depth-2 tree (16 leaves)
of hand-made records. Inputs come from prover/witness.py exactly as for the real circuit, so the
tests exercise the real witness builder; only the sizes are small so that each test is fast.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from prover.circuit import CIRCUITS_DIR, CircuitParams
from prover.portfolio import Portfolio, Position
from prover.risk_table import RiskRecord, RiskTable
from prover.witness import build_witness, portfolio_commitment
from verifier.policy import parse_policy

PARAMS = CircuitParams("test_margin_3x5", 3, 5, 2, 4, 2)
PUBLIC = ["risk_root", "spec_hash", "snapshot_epoch", "challenge", "portfolio_commitment", "multiplier_k_e6",
          "delta_limit_e6", "vega_limit_e6", "collateral_price_e6"]
SPEC = SimpleNamespace(underlyings=("BTC", "ETH"), assets=("USDC", "USDT", "BTC", "ETH"), gain_offset=0.0, mm_factor=0.8)
PRICES = {"USDC": 1_000_000, "USDT": 1_000_000, "BTC": 69_000_000_000, "ETH": 2_100_000_000}
E6 = 10**6


def records() -> list[RiskRecord]:
    """Six instruments: a BTC call, put and future; an ETH call, put and perpetual (USD e6 per coin)."""
    return [
        RiskRecord(11, 0, (-3_000 * E6, -1_000 * E6, 0, 2_000 * E6, 9_000 * E6), 40_000 * E6, 90 * E6, 385 * E6, 3_500 * E6, "BTC-C"),
        RiskRecord(12, 0, (8_000 * E6, 2_500 * E6, 0, -900 * E6, -1_500 * E6), -30_000 * E6, 80 * E6, 385 * E6, 2_000 * E6, "BTC-P"),
        RiskRecord(13, 0, (-12_000 * E6, -6_000 * E6, 0, 6_000 * E6, 12_000 * E6), 77_000 * E6, 0, 770 * E6, 0, "BTC-F"),
        RiskRecord(21, 1, (-100 * E6, -40 * E6, 0, 70 * E6, 300 * E6), 1_200 * E6, 3 * E6, 12 * E6, 110 * E6, "ETH-C"),
        RiskRecord(22, 1, (260 * E6, 90 * E6, 0, -30 * E6, -50 * E6), -1_000 * E6, 3 * E6, 12 * E6, 95 * E6, "ETH-P"),
        RiskRecord(23, 1, (-400 * E6, -200 * E6, 0, 200 * E6, 400 * E6), 2_400 * E6, 0, 24 * E6, 0, "ETH-PERP"),
    ]


TABLE = RiskTable(records(), depth=2, labels={"BTC": ["-20%", "-10%", "0", "+10%", "+20%"], "ETH": ["-20%", "-10%", "0", "+10%", "+20%"]})

POLICY = parse_policy(
    {
        "format": "zkmargin-policy/1",
        "multiplier_k": "1.25",
        "delta_limit_usd": {"BTC": "100000", "ETH": "50000"},
        "vega_limit_usd": {"BTC": "1000", "ETH": "500"},
        "max_snapshot_age_s": 900,
        "challenge": "0xc0ffee",
    }
)


def book(qty: dict[int, str], collateral=None, salt: int = 12345) -> Portfolio:
    """Portfolio of instrument id -> quantity in coins (decimal string)."""
    from decimal import Decimal

    pos = tuple(
        Position(TABLE.index_of(iid), iid, TABLE.records[TABLE.index_of(iid)].name, int(Decimal(q) * 10**8), ("test",))
        for iid, q in sorted(qty.items())
    )
    coll = {"USDC": 0, "USDT": 0, "BTC": 0, "ETH": 0}
    coll.update(collateral if collateral is not None else {"USDC": 20_000 * 10**8})
    return Portfolio("test", pos, coll, salt)


#: short 1 BTC call hedged with 0.5 BTC future, long 10 ETH puts and 3 ETH perps: 3 slots, solvent
HEDGED = {11: "-1", 13: "0.5", 22: "10"}


def inputs(portfolio: Portfolio, policy=POLICY) -> dict:
    """Circuit input dict (signal name -> ints) for ``portfolio``, as prover/witness.py builds it."""
    return build_witness(PARAMS, TABLE, portfolio, SPEC, PRICES, policy, policy.challenge, 1_787_412_831, 777).inputs


def report(portfolio: Portfolio, policy=POLICY):
    return build_witness(PARAMS, TABLE, portfolio, SPEC, PRICES, policy, policy.challenge, 1_787_412_831, 777).report


def recommit(inp: dict) -> dict:
    """The inputs with ``portfolio_commitment`` recomputed, so that only the mutated family fails."""
    out = dict(inp)
    out["portfolio_commitment"] = portfolio_commitment(inp["instrument_id"], inp["qty_e8"], inp["collateral_amount_e8"], inp["salt"])
    return out


def source_line(fragment: str) -> int:
    """1-based line of the unique line of circuits/margin.circom containing ``fragment``."""
    lines = [i for i, line in enumerate((CIRCUITS_DIR / "margin.circom").read_text().splitlines(), 1) if fragment in line]
    assert len(lines) == 1, f"{fragment!r} found on lines {lines}"
    return lines[0]


def failed_at(err: str, fragment: str) -> bool:
    """True if circom's failure trace passes through MarginSolvency at the line holding ``fragment``."""
    line = source_line(fragment)
    return re.search(rf"MarginSolvency_\d+ line: {line}\b", err) is not None


__all__ = ["PARAMS", "PUBLIC", "TABLE", "POLICY", "HEDGED", "book", "inputs", "report", "recommit", "failed_at"]
