"""The book ``zkmargin derisk`` trades to is provable: the demo book fails a stricter venue
(k = 1.8); its least-cost trades are attested by the three demo venues and ``prove`` writes a
bundle that the venue's verifier ACCEPTS (prove_bundle verifies it before writing)."""

import json
from datetime import timedelta

import pytest

from prover.proving.pipeline import prove_bundle
from prover.trader.derisk import solve
from prover.trader.portfolio import load_portfolio
from prover.venue.attestation import attest, read_key
from public.errors import PolicyNotMet
from public.methodology.risk_table import build_risk_table
from public.methodology.spec import haircut_prices_e6
from tests.conftest import POLICY, PORTFOLIO, VENUE_KEYS, demo_trader, STATEMENTS
from verifier.policy import parse_policy

TRADER = demo_trader()
ASSETS = ("USDC", "USDT", "BTC", "ETH")


def _decimal(v_e8: int) -> str:
    sign = "-" if v_e8 < 0 else ""
    return f"{sign}{abs(v_e8) // 10**8}.{abs(v_e8) % 10**8:08d}"


@pytest.mark.slow
def test_the_derisked_book_is_proved_and_accepted(tmp_path, market, demo_keys, demo_statements):
    snapshot, spec = market
    params, _ = demo_keys
    obj = json.loads(POLICY.read_text())
    obj["multiplier_k"] = "1.8"
    policy = parse_policy(obj, POLICY.parent)
    at = snapshot.timestamp + timedelta(minutes=2)
    with pytest.raises(PolicyNotMet, match="zkmargin derisk"):
        prove_bundle(params, snapshot, spec, demo_statements, policy, policy.challenge, tmp_path / "no.json", identity=TRADER, salt=3, at=at)
    table = build_risk_table(snapshot, spec, params.depth)
    plan = solve(load_portfolio(PORTFOLIO, snapshot, spec), table, spec, snapshot, haircut_prices_e6(spec, snapshot.spot), policy, 0.05)
    assert plan.passes and plan.trades
    positions = [(p.name, _decimal(p.qty_e8)) for p in plan.portfolio.positions]
    assert len(positions) <= 12
    chunks = [positions[i:i + 4] for i in range(0, 12, 4)]
    collateral = [{a: _decimal(v) for a, v in plan.portfolio.collateral_e8.items() if v}, {}, {}]
    sts = [attest(read_key(VENUE_KEYS[v]), v, "demo-desk-1", TRADER.commitment, demo_statements[0].epoch, chunks[j], collateral[j], 4, ASSETS)
           for j, v in enumerate(("deribit", "okx", "bybit"))]  # fmt: skip
    out = tmp_path / "bundle.json"
    outcome = prove_bundle(params, snapshot, spec, sts, policy, policy.challenge, out, identity=TRADER, salt=3, at=at)
    assert outcome.decision.accepted and out.exists()
    assert outcome.report.im_e14 == plan.report.im_e14 and outcome.report.collateral_e14 == plan.report.collateral_e14
    assert STATEMENTS  # the demo statements are the book before trading
