"""End to end on the demo circuit (margin_3x4, 35 scenarios, depth 6): a short-put book whose BTC
collateral is attested as BTC-SPOT is proved under the coin-collateral spec and ACCEPTED by the
venue that configured that spec; the same bundle is REJECTED by a venue on the default spec (its
spec hash and risk root differ)."""

import json
from datetime import timedelta

import pytest

from prover.proving.pipeline import prove_bundle
from prover.venue.attestation import attest, read_key
from public.methodology.spec import load_spec
from tests.conftest import POLICY, REPO, VENUE_KEYS, demo_trader
from verifier.policy import parse_policy
from verifier.trusted import load_trusted_circuit
from verifier.verify import verify_bundle

COIN = REPO / "fixtures/spec/deribit_pm_coin_collateral_v1.json"
TRADER = demo_trader()
EPOCH = 1787412600
ASSETS = ("USDC", "USDT", "BTC", "ETH")


def _statements():
    def st(venue, positions, collateral):
        return attest(read_key(VENUE_KEYS[venue]), venue, "spot-desk", TRADER.commitment, EPOCH, positions, collateral, 4, ASSETS)

    return [
        st("deribit", [("BTC-25SEP26-70000-P", "-5"), ("BTC-SPOT", "2")], {"USDC": "50000"}),
        st("okx", [("ETH-SPOT", "10")], {}),
        st("bybit", [], {"USDC": "1000"}),
    ]


def _policy(spec_path):
    obj = json.loads(POLICY.read_text())
    obj["spec"] = str(spec_path)
    return parse_policy(obj, POLICY.parent, source="coin-collateral policy")


@pytest.mark.slow
def test_spot_collateral_is_proved_and_verified_under_its_spec(tmp_path, market, demo_keys):
    snapshot, default_spec = market
    params, _ = demo_keys
    spec, policy = load_spec(COIN), _policy(COIN)
    at = snapshot.timestamp + timedelta(minutes=2)
    out = tmp_path / "bundle.json"
    outcome = prove_bundle(params, snapshot, spec, _statements(), policy, policy.challenge, out, identity=TRADER, salt=7, at=at)
    assert outcome.decision.accepted and out.exists()
    btc = outcome.report.underlyings[0]
    assert "BTC" in btc.worst_label and outcome.report.asset_value_e14["BTC"] == 0  # the coins count as spot positions only
    trusted = load_trusted_circuit(params.keys_dir)
    bundle = json.loads(out.read_text())
    again = verify_bundle(bundle, policy, trusted, spec=spec, snapshot=snapshot, at=at, applicant=TRADER.commitment)
    assert again.accepted
    other = verify_bundle(bundle, _policy(REPO / "fixtures/spec/deribit_pm_v1.json"), trusted, spec=default_spec, snapshot=snapshot, at=at, applicant=TRADER.commitment)
    assert not other.accepted and {"spec_hash", "risk_root"} <= {c.name for c in other.failed}
