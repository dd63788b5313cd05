"""A 1-venue, 1-position, 2-scenario, depth-1 instance of MarginSolvency (under 8k constraints at
--O2 with one collateral asset, a 2^13 ptau): small enough for a real snarkjs phase 1 in CI (about 2.5 min on 2 cores,
cached in build/ptau/), so the snarkjs prover path (zkey, ``snarkjs groth16 prove``, groth16py
importing the zkey) is exercised end to end, venue signature included."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from prover.proving.witness import build_witness
from prover.toolchain.variants import write_variant
from prover.venue.attestation import attest
from public.crypto.eddsa import PrivateKey
from public.methodology.instrument import parse_instrument_name
from public.methodology.risk_table import RiskRecord, RiskTable
from tests.conftest import demo_trader
from verifier.policy import parse_policy

TRADER = demo_trader()

E6 = 10**6
SPEC = SimpleNamespace(underlyings=("BTC", "ETH"), assets=("USDC",), gain_offset=0.0, mm_factor=0.8, valuation="usd_linear")
PRICES = {"USDC": E6}
BTC_CALL, ETH_CALL = parse_instrument_name("BTC-25SEP26-80000-C"), parse_instrument_name("ETH-25SEP26-2600-C")
TABLE = RiskTable(
    [
        RiskRecord(BTC_CALL.instrument_id, 0, (-4_000 * E6, 6_000 * E6), 45_000 * E6, 95 * E6, 385 * E6, 3_000 * E6, BTC_CALL.canonical_name),
        RiskRecord(ETH_CALL.instrument_id, 1, (-150 * E6, 200 * E6), 1_300 * E6, 3 * E6, 12 * E6, 100 * E6, ETH_CALL.canonical_name),
    ],
    depth=1,
)
POLICY = parse_policy(
    {"format": "zkmargin-policy/1", "multiplier_k": "1.5", "delta_limit_usd": {"BTC": "200000", "ETH": "100000"},
     "vega_limit_usd": {"BTC": "2000", "ETH": "500"}, "max_snapshot_age_s": 900, "challenge": "0xabc123"}
)
EPOCH = 1_787_412_600
KEY = PrivateKey(hashlib.sha256(b"zkmargin tiny test venue").digest())


def params():
    return write_variant("test_margin_1x1", 1, 1, 2, 2, 1, 1)


def witness(qty: str = "2", usdc: str = "50000"):
    st = attest(KEY, "tiny", "acct", TRADER.commitment, EPOCH, [(BTC_CALL.canonical_name, qty)], {"USDC": usdc}, 1, SPEC.assets)
    return build_witness(params(), TABLE, [st], SPEC, PRICES, POLICY, POLICY.challenge, EPOCH + 200, 4242, 99, identity=TRADER)
