"""verifier/onchain.py on a real EVM (py-evm via eth-tester): the exported Groth16 verifier and
MarginCredit accept a real proof made for a challenge the contract issued and record the credit;
a tampered proof, a signal >= r, a tampered public value, a contract with another policy value, a
replayed challenge, a stale or unknown risk root and an unaccepted venue key are each rejected
with the named error. Gas is printed (docs/benchmarks.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from public.fixed_point import FIELD_P
from tests.conftest import STATEMENTS, VENUE_KEYS, demo_trader

pytestmark = pytest.mark.slow
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583


@pytest.fixture(scope="module")
def compiled(demo_keys):
    from prover.toolchain.snarkjs import solc_compile
    from verifier.onchain import margin_credit_solidity, verifier_solidity

    params, rec = demo_keys
    vk = json.loads(rec.verification_key_path.read_text())
    return solc_compile({"Groth16Verifier.sol": verifier_solidity(vk), "MarginCredit.sol": margin_credit_solidity(params.public_signal_names())})


def ctor_args(dep: dict, verifier_address, **over):
    d = {**dep, **over}
    return (verifier_address, d["spec_hash"], d["multiplier_k_e6"], d["delta_limit_e6"], d["vega_limit_e6"], d["venue_keys"],
            d["max_snapshot_age_s"], d["max_attestation_age_s"], d["challenge_ttl_s"], d["credit_ttl_s"])  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory, compiled, market, demo_policy, demo_keys):
    """(chain, verifier, credit contract, deployment, calldata of a fresh valid proof, market args)."""
    from prover.proving.pipeline import prove_bundle
    from prover.venue.attestation import attest, load_statement, read_key
    from public.methodology.risk_table import cached_risk_table
    from public.methodology.spec import haircut_prices_e6
    from tests.verifier.evm import Chain
    from verifier.onchain import deployment
    from verifier.trusted import load_trusted_circuit

    snapshot, spec = market
    params, rec = demo_keys
    chain = Chain()
    verifier = chain.deploy(compiled["Groth16Verifier"])
    dep = deployment(demo_policy, spec, load_trusted_circuit(rec.keys_dir))
    # the chain's clock is the wall clock: the historical 2026-08-22 snapshot is accepted with a long max age here
    # (a contract with the policy's own max age refuses it: test_the_policy_snapshot_age_is_enforced)
    credit = chain.deploy(compiled["MarginCredit"], *ctor_args(dep, verifier.address, max_snapshot_age_s=10**9))
    prices = haircut_prices_e6(spec, snapshot.spot)
    root = cached_risk_table(snapshot, spec, params.depth).root
    market_args = (root, snapshot.epoch, [prices[a] for a in spec.assets])
    credit.transact("acceptMarket", *market_args, chain.timestamp + 3600)
    trader = demo_trader()
    ev = credit.transact("issueChallenge", trader.commitment)["events"][0]
    challenge = ev["args"]["challenge"]
    # statements attested now (the chain's clock is the wall clock), the historical snapshot accepted by the venue
    now = chain.timestamp
    statements = []
    for path in STATEMENTS:
        st = load_statement(path)
        statements.append(attest(read_key(VENUE_KEYS[st.venue]), st.venue, st.account, st.identity, now - 30,
                                 [(e.name, f"{e.qty_e8 / 1e8:.8f}") for e in st.positions],
                                 {a: f"{v / 1e8:.8f}" for a, v in st.collateral_e8.items() if v}, st.capacity, st.assets))  # fmt: skip
    policy = replace(demo_policy, challenge=challenge, max_snapshot_age_s=10**9)
    out = tmp_path_factory.mktemp("onchain") / "bundle.json"
    prove_bundle(params, snapshot, spec, statements, policy, challenge, out, identity=trader, salt=99, at=datetime.fromtimestamp(now, tz=timezone.utc))
    b = json.loads(out.read_text())
    p = b["proof"]
    a = [int(p["pi_a"][0]), int(p["pi_a"][1])]
    bb = [[int(p["pi_b"][0][1]), int(p["pi_b"][0][0])], [int(p["pi_b"][1][1]), int(p["pi_b"][1][0])]]
    c = [int(p["pi_c"][0]), int(p["pi_c"][1])]
    signals = [int(s) for s in b["public_signals"]]
    return chain, verifier, credit, dep, (a, bb, c, signals), market_args, params.public_signal_names()


def expect(err, contract, *args):
    from tests.verifier.evm import Reverted

    with pytest.raises(Reverted) as info:
        contract.transact("submit", *args)
    assert info.value.error == err, info.value


def test_the_exported_verifier_accepts_the_proof_and_rejects_a_tampered_one(world):
    chain, verifier, credit, dep, (a, b, c, s), *_ = world
    assert verifier.call("verifyProof", a, b, c, s) is True
    assert verifier.call("verifyProof", [a[0], Q - a[1]], b, c, s) is False  # -A: on the curve, wrong proof
    assert verifier.call("verifyProof", a, b, c, [s[0] + 1, *s[1:]]) is False


def test_every_forgery_is_rejected_then_the_proof_is_accepted_once(world, compiled, capsys):
    chain, verifier, credit, dep, (a, b, c, s), market_args, names = world
    i = {n: k for k, n in enumerate(names)}
    expect("InvalidProof", credit, [a[0], Q - a[1]], b, c, s)
    expect("InvalidProof", credit, a, b, [c[0], Q - c[1]], s)
    bad = list(s)
    bad[i["portfolio_commitment"]] += FIELD_P  # the same value mod r: never reduced
    expect("SignalOutOfField", credit, a, b, c, bad)
    for name, err in (("multiplier_k_e6", "PolicyMismatch"), ("delta_limit_e6[0]", "PolicyMismatch"), ("spec_hash", "PolicyMismatch"),
                      ("challenge", "UnknownChallenge"), ("trader_identity", "WrongIdentity"), ("risk_root", "UnknownRoot"),
                      ("snapshot_epoch", "MarketMismatch"), ("collateral_price_e6[0]", "MarketMismatch"), ("venue_key_x[1]", "VenueNotAccepted"),
                      ("attestation_epoch", "StaleAttestation")):  # fmt: skip
        forged = list(s)
        forged[i[name]] = (forged[i[name]] + 7) if name != "attestation_epoch" else forged[i[name]] - 10_000
        expect(err, credit, a, b, c, forged)
    # a contract holding another policy value refuses the same, valid proof
    other = chain.deploy(compiled["MarginCredit"], *ctor_args(dep, verifier.address, multiplier_k_e6=dep["multiplier_k_e6"] + 1, max_snapshot_age_s=10**9))
    expect("PolicyMismatch", other, a, b, c, s)
    # a stale root: the venue accepted the market until a time now past
    credit.transact("acceptMarket", *market_args, chain.timestamp + 5)
    chain.time_travel(chain.timestamp + 10)
    expect("StaleRoot", credit, a, b, c, s)
    credit.transact("acceptMarket", *market_args, chain.timestamp + 3600)
    assert credit.call("hasCredit", s[i["trader_identity"]]) is False
    receipt = credit.transact("submit", a, b, c, s)
    assert receipt["events"][0]["event"] == "CreditGranted" and receipt["events"][0]["args"]["identity"] == s[i["trader_identity"]]
    assert credit.call("hasCredit", s[i["trader_identity"]]) is True
    expect("ChallengeUsed", credit, a, b, c, s)
    verify_gas = verifier.estimate_gas("verifyProof", a, b, c, s)
    with capsys.disabled():
        print(f"\ngas: MarginCredit.submit {receipt['gas_used']:,} (accepted proof, {len(s)} public signals); Groth16Verifier.verifyProof "
              f"{verify_gas:,} (estimate, incl. 21,000 intrinsic); usual figure 200,000 + 6,500 x {len(s)} = {200_000 + 6_500 * len(s):,}; "
              f"deploy verifier {verifier.deploy_gas:,}, MarginCredit {credit.deploy_gas:,}")  # fmt: skip


def test_the_policy_snapshot_age_and_sorted_venue_keys_are_enforced(world, compiled):
    from tests.verifier.evm import Reverted

    chain, verifier, credit, dep, (a, b, c, s), market_args, names = world
    strict = chain.deploy(compiled["MarginCredit"], *ctor_args(dep, verifier.address))  # the policy's 900 s
    strict.transact("acceptMarket", *market_args, chain.timestamp + 3600)
    challenge = strict.transact("issueChallenge", s[names.index("trader_identity")])["events"][0]["args"]["challenge"]
    forged = list(s)
    forged[names.index("challenge")] = challenge
    with pytest.raises(Reverted) as info:
        strict.transact("submit", a, b, c, forged)
    assert info.value.error == "StaleSnapshot"
    with pytest.raises(Reverted):  # the constructor reverts: VenueKeysNotSorted
        chain.deploy(compiled["MarginCredit"], *ctor_args(dep, verifier.address, venue_keys=list(reversed(dep["venue_keys"]))))
