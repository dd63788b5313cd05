"""A small synthetic instance of the coin-margined MarginSolvency (circuits/margin.circom step 13).

MarginSolvency(2, 2, 5, 2, 4, 2, 3): the venues, keys and statements of margin_cases.py; five
scenarios, the first three standard (-10 %, 0, +10 %) and two extended (-20 %, +20 %); records
valued in coin x 1e6 per coin (an inverse future is ``1 - 1 / (1 + m)``), USD delta and vega; the
coin parameters are chosen so that the dampener, the roll shock and both branches of the delta
shock all matter. Inputs come from prover/proving/witness.py, as for the real circuit.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from prover.proving.witness import build_witness
from public.circuit import CircuitParams
from public.methodology.coin_margin import CoinParams
from public.methodology.risk_table import RiskRecord, RiskTable
from tests.circuits.margin_cases import (
    BTC_C, BTC_F, BTC_P, EPOCH, ETH_C, ETH_P, ETH_PERP, PRICES, SALT, TRADER, iid,
)
from tests.circuits.margin_cases import POLICY as USD_POLICY

PARAMS = CircuitParams("test_coin_2x2", 2, 2, 5, 2, 4, 2, n_std_coin=3)
PUBLIC = [p.strip() for p in PARAMS.public_inputs.split(",")]
#: the grid of the five scenarios: one price bucket at unchanged vol (-10 %, 0, +10 % of R = 0.1), then
#: the extended moves -2 R and +2 R (spec.scenario_bucket reads these, as for a real coin spec)
SPEC = SimpleNamespace(name="test-coin", underlyings=("BTC", "ETH"), assets=("USDC", "USDT", "BTC", "ETH"), gain_offset=0.0, mm_factor=0.8,
                       valuation="coin_margined", grid="deribit", price_buckets=1, vol_states=("same",), extended_moves=(-2.0, 2.0), n_scenarios=5)  # fmt: skip
E6 = 10**6
E14 = 10**14
S_BTC, S_ETH = 69_000, 2_100
MOVES = (-0.1, 0.0, 0.1, -0.2, 0.2)


def inverse(m: float) -> int:
    """An inverse future's coin P&L per coin at move m, coin x 1e6."""
    return round((1 - 1 / (1 + m)) * E6)


def records() -> list[RiskRecord]:
    """BTC call, put, future; ETH call, put, perpetual (coin x 1e6 per coin; delta, vega USD x 1e6)."""
    fut = tuple(inverse(m) for m in MOVES)
    return [
        RiskRecord(iid(BTC_C), 0, (-20_000, 0, 30_000, -25_000, 60_000), 40_000 * E6, 90 * E6, 0, 50_000, BTC_C),
        RiskRecord(iid(BTC_P), 0, (40_000, 0, -25_000, 90_000, -30_000), -30_000 * E6, 80 * E6, 0, 30_000, BTC_P),
        RiskRecord(iid(BTC_F), 0, fut, S_BTC * E6, 0, 12_500, 0, BTC_F),
        RiskRecord(iid(ETH_C), 1, (-25_000, 0, 35_000, -30_000, 70_000), 1_200 * E6, 3 * E6, 0, 40_000, ETH_C),
        RiskRecord(iid(ETH_P), 1, (30_000, 0, -20_000, 70_000, -25_000), -1_000 * E6, 3 * E6, 0, 20_000, ETH_P),
        RiskRecord(iid(ETH_PERP), 1, fut, S_ETH * E6, 0, 10_000, 0, ETH_PERP),
    ]


COIN = CoinParams(
    underlyings=SPEC.underlyings, assets=SPEC.assets, n_std=3,
    pnl_offset_e14=(0, 0),
    dampener_e14=(5 * 10**12, 5 * 10**13),  # 0.05 BTC, 0.5 ETH of relief on the extended scenarios
    index_e6=(S_BTC * E6, S_ETH * E6),
    delta_threshold_e6=(50_000 * E6, 20_000_000 * E6),  # BTC: a shock above USD 50,000 of net delta
    max_delta_shock_e6=(100_000, 100_000),  # 0.1
    m_inc_e6=(2 * E6, 50),  # BTC: 2 per USD 1e6 of excess, so the shock is visible in small books
    coin_price_e6=((0, 0, E6, 0), (0, 0, 0, E6)),  # each currency's own coin at haircut 0; stablecoins count 0
)
TABLE = RiskTable(records(), depth=2, labels={u: ["-10%", "0", "+10%", "-20% ext", "+20% ext"] for u in SPEC.underlyings}, coin=COIN)
#: margin_cases' policy with room for 2 BTC futures of delta (the delta-shock cases)
POLICY = dataclasses.replace(USD_POLICY, delta_limit_e6={**USD_POLICY.delta_limit_e6, "BTC": 200_000 * E6})


def witness_of(statements, policy=POLICY, salt: int = SALT):
    """The prover/proving/witness.py Witness of ``statements`` under the coin table."""
    return build_witness(PARAMS, TABLE, statements, SPEC, PRICES, policy, policy.challenge, EPOCH, 777, salt, identity=TRADER)


__all__ = ["PARAMS", "PUBLIC", "SPEC", "TABLE", "COIN", "POLICY", "E6", "E14", "S_BTC", "witness_of", "BTC_C", "BTC_P", "BTC_F", "ETH_P", "ETH_C", "ETH_PERP"]
