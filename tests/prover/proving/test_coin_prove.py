"""End to end on the real snapshot under the coin-margined spec (Deribit S:PM per settlement
currency, circuits/margin.circom step 13), on a small coin circuit (2 statements x 2 positions,
the real 35 scenarios and depth-6 tree): the book is proved and ACCEPTED by the venue that
configured the coin spec; its numbers are Deribit's rules (public/methodology/deribit_pm.py) to the
fixed-point rounding; each coin public value tampered, or the USD-linear spec, is REJECTED; and a
book solvent in USD but short of BTC cannot be proved."""

import json
from datetime import timedelta

import pytest

from prover.proving.pipeline import prove_bundle
from prover.venue.attestation import attest, read_key
from public.errors import PolicyNotMet
from public.fixed_point import AGG_SCALE
from public.methodology.coin_margin import deribit_model_params
from public.methodology.deribit_pm import simulate_book
from public.methodology.spec import load_spec
from tests.conftest import POLICY, REPO, VENUE_KEYS, demo_trader
from verifier.policy import parse_policy
from verifier.trusted import load_trusted_circuit
from verifier.groth16 import CHECK_PAIRING
from verifier.verify import verify_bundle

COIN = REPO / "fixtures/spec/deribit_spm_coin_v1.json"
TRADER = demo_trader()
EPOCH = 1787412600
ASSETS = ("USDC", "USDT", "BTC", "ETH")


@pytest.fixture(scope="module")
def coin_keys():
    from prover.toolchain import setup as su
    from prover.toolchain import snarkjs
    from prover.toolchain.variants import write_variant
    from public.errors import ToolchainError

    params = write_variant("test_coin_2x2", 2, 2, 35, 2, 4, 6, n_std_coin=27)
    snarkjs.compile_circuit(params)
    try:
        su.load_setup(params)
    except ToolchainError:
        su.dev_setup(params, force=True)
    return params


def _statements(btc="3", eth="40"):
    def st(venue, positions, collateral):
        return attest(read_key(VENUE_KEYS[venue]), venue, "coin-desk", TRADER.commitment, EPOCH, positions, collateral, 2, ASSETS)

    return [
        st("deribit", [("BTC-25SEP26-70000-P", "-5"), ("BTC-25DEC26", "1.5")], {"BTC": btc, "USDC": "1000000"}),
        st("okx", [("ETH-25SEP26-2200-C", "-20"), ("ETH-PERPETUAL", "5")], {"ETH": eth}),
    ]


def _policy(spec_path, keys_dir):
    obj = json.loads(POLICY.read_text())
    obj["spec"] = str(spec_path)
    obj["circuits"] = [{"keys": str(keys_dir)}]
    return parse_policy(obj, POLICY.parent, source="coin policy")


@pytest.fixture(scope="module")
def proved(tmp_path_factory, market, coin_keys):
    snapshot, _ = market
    spec, policy = load_spec(COIN), _policy(COIN, coin_keys.keys_dir)
    at = snapshot.timestamp + timedelta(minutes=2)
    out = tmp_path_factory.mktemp("coin") / "bundle.json"
    outcome = prove_bundle(coin_keys, snapshot, spec, _statements(), policy, policy.challenge, out, identity=TRADER, salt=9, at=at)
    return outcome, json.loads(out.read_text()), spec, policy, at


@pytest.mark.slow
def test_coin_book_is_proved_and_verified(proved, market):
    outcome, bundle, spec, policy, at = proved
    assert outcome.decision.accepted
    assert "coin_params" in {c.name for c in outcome.decision.checks if c.passed}
    assert bundle["statement"]["public"]["coin_margined"]["BTC"]["collateral_price_coin"] == {"USDC": "0", "USDT": "0", "BTC": "1", "ETH": "0"}
    # the proved numbers are Deribit's S:PM rules, to the rounding of records at 1e-6 coin per coin
    snapshot, _ = market
    sim = simulate_book(deribit_model_params(spec, snapshot), snapshot, _book(snapshot, spec))
    for um in outcome.report.underlyings:
        s = sim[um.underlying.lower()]
        assert um.worst_loss_e14 / AGG_SCALE == pytest.approx(s.worst_case, abs=1e-5)
        assert um.roll_shock_e14 / AGG_SCALE == pytest.approx(s.roll_shock, abs=1e-5)
        assert um.im_e14 / AGG_SCALE == pytest.approx(s.risk_matrix_margin, abs=2e-5)


def _book(snapshot, spec):
    from prover.venue.attestation import portfolio_from_statements
    from public.methodology.risk_table import cached_risk_table

    return portfolio_from_statements(_statements(), cached_risk_table(snapshot, spec), 0)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["coin_price_e6[0][2]", "coin_price_e6[0][0]", "pnl_offset_e14[0]", "dampener_e14[1]", "index_e6[0]",
                                  "delta_threshold_e6[1]", "max_delta_shock_e6[0]", "m_inc_e6[1]"])  # fmt: skip
def test_each_tampered_coin_signal_is_rejected(proved, market, coin_keys, name):
    _, bundle, spec, policy, at = proved
    snapshot, _ = market
    tc = load_trusted_circuit(coin_keys.keys_dir)
    i = tc.public_signal_names().index(name)
    bad = json.loads(json.dumps(bundle))
    bad["public_signals"][i] = str(int(bad["public_signals"][i]) + 1)
    d = verify_bundle(bad, policy, tc, spec=spec, snapshot=snapshot, at=at, applicant=TRADER.commitment)
    failed = {c.name for c in d.failed}
    assert not d.accepted and {"coin_params", CHECK_PAIRING} <= failed, failed


@pytest.mark.slow
def test_the_usd_linear_venue_rejects_a_coin_proof(proved, market, coin_keys):
    _, bundle, _, _, at = proved
    snapshot, usd_spec = market
    policy = _policy(REPO / "fixtures/spec/deribit_pm_v1.json", coin_keys.keys_dir)
    d = verify_bundle(bundle, policy, load_trusted_circuit(coin_keys.keys_dir), spec=usd_spec, snapshot=snapshot, at=at, applicant=TRADER.commitment)
    assert not d.accepted and {"spec_hash", "coin_params"} <= {c.name for c in d.failed}


@pytest.mark.slow
def test_a_book_short_of_btc_is_not_proved_whatever_its_usdc(tmp_path, market, coin_keys):
    """0.5 BTC against a BTC requirement of several BTC, with USD 1,000,000 of USDC: solvent in USD, not per currency."""
    snapshot, _ = market
    spec, policy = load_spec(COIN), _policy(COIN, coin_keys.keys_dir)
    with pytest.raises(PolicyNotMet, match=r"solvency\.BTC.*\n.*shortfall [0-9.]+ BTC"):
        prove_bundle(coin_keys, snapshot, spec, _statements(btc="0.5"), policy, policy.challenge, tmp_path / "b.json", identity=TRADER, salt=9,
                     at=snapshot.timestamp + timedelta(minutes=2))  # fmt: skip
    assert not (tmp_path / "b.json").exists()


@pytest.mark.slow
def test_the_venue_service_accepts_a_coin_proof_for_its_issued_challenge(tmp_path, market, coin_keys):
    """zkmargin serve with a coin-margined policy (challenge "issued"): the risk tables, the coin
    checks and the decision are the service's own, as for a USD-linear proof."""
    from fastapi.testclient import TestClient

    from tests.conftest import SNAPSHOT
    from verifier.service.app import create_app
    from verifier.service.cli import load_config

    snapshot, _ = market
    obj = json.loads(POLICY.read_text())
    obj.update(spec=str(COIN), circuits=[{"keys": str(coin_keys.keys_dir)}], challenge="issued")
    path = tmp_path / "coin_policy.json"
    path.write_text(json.dumps(obj))
    at = snapshot.timestamp + timedelta(minutes=2)
    cfg = load_config(path, [SNAPSHOT], f"sqlite:///{tmp_path / 's.sqlite3'}", "venue-api-key-0123456789", at=at)
    client = TestClient(create_app(cfg), raise_server_exceptions=False)
    r = client.post("/v1/challenges", json={"applicant": hex(TRADER.commitment)}, headers={"X-API-Key": "venue-api-key-0123456789"})
    assert r.status_code == 201, r.text
    nonce = r.json()["challenge"]
    policy = parse_policy(obj, POLICY.parent, source="coin policy")
    out = tmp_path / "bundle.json"
    prove_bundle(coin_keys, snapshot, load_spec(COIN), _statements(), policy, int(nonce, 16), out, identity=TRADER, salt=11, at=at)
    r = client.post("/v1/verify", json={"challenge": nonce, "bundle": json.loads(out.read_text())})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["accepted"] and "coin_params" in {c["name"] for c in d["checks"] if c["passed"]}
