"""A 1-slot, 2-scenario, depth-1 instance of MarginSolvency (3,547 constraints at --O2): small enough
for a real snarkjs phase 1 (2^12 ptau, about 75 s on 2 cores) in CI, so the snarkjs prover path
(zkey, ``snarkjs groth16 prove``, groth16py importing the zkey) is exercised end to end."""

from __future__ import annotations

from types import SimpleNamespace

from prover.circuit import write_variant
from prover.portfolio import Portfolio, Position
from prover.risk_table import RiskRecord, RiskTable
from prover.witness import build_witness
from verifier.policy import parse_policy

E6 = 10**6
SPEC = SimpleNamespace(underlyings=("BTC", "ETH"), assets=("USDC", "USDT", "BTC", "ETH"), gain_offset=0.0, mm_factor=0.8)
PRICES = {"USDC": E6, "USDT": E6, "BTC": 69_000 * E6, "ETH": 2_100 * E6}
TABLE = RiskTable(
    [
        RiskRecord(11, 0, (-4_000 * E6, 6_000 * E6), 45_000 * E6, 95 * E6, 385 * E6, 3_000 * E6, "BTC-C"),
        RiskRecord(21, 1, (-150 * E6, 200 * E6), 1_300 * E6, 3 * E6, 12 * E6, 100 * E6, "ETH-C"),
    ],
    depth=1,
)
POLICY = parse_policy(
    {"format": "zkmargin-policy/1", "multiplier_k": "1.5", "delta_limit_usd": {"BTC": "200000", "ETH": "100000"},
     "vega_limit_usd": {"BTC": "2000", "ETH": "500"}, "max_snapshot_age_s": 900, "challenge": "0xabc123"}
)


def params():
    return write_variant("test_margin_1x2", 1, 2, 2, 4, 1)


def witness(qty_btc_e8: int = 2 * 10**8, usdc: int = 50_000):
    book = Portfolio("tiny", (Position(0, 11, "BTC-C", qty_btc_e8, ("t",)),), {"USDC": usdc * 10**8, "USDT": 0, "BTC": 0, "ETH": 0}, 99)
    return build_witness(params(), TABLE, book, SPEC, PRICES, POLICY, POLICY.challenge, 1_787_412_831, 4242)
