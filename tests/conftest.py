"""Session fixtures shared by the end-to-end tests: the real snapshot, spec, the three signed demo
venue statements and the demo policy, and one real proof bundle of the attested demo book under
the 3-venue x 4-position circuit (dev setup)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = REPO / "fixtures" / "snapshots" / "deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
PORTFOLIO = REPO / "fixtures" / "portfolios" / "demo_hedged_book.json"  #: the same book, unsigned (what-if)
STATEMENTS = tuple(REPO / "fixtures" / "statements" / f"{v}.json" for v in ("deribit", "okx", "bybit"))
VENUE_KEYS = {v: REPO / "fixtures" / "venues" / f"{v}.key.json" for v in ("deribit", "okx", "bybit")}
POLICY = REPO / "fixtures" / "policies" / "demo_venue.json"
SPEC = REPO / "fixtures" / "spec" / "deribit_pm_v1.json"
IDENTITY = REPO / "fixtures" / "traders" / "demo_trader.identity.json"  #: the demo trader (public DEMO secret)


def demo_trader():
    """The demo trader's TraderIdentity: the policy's applicant and the statements' identity."""
    from prover.trader.identity import load_identity

    return load_identity(IDENTITY)


@pytest.fixture(scope="session")
def market():
    from public.methodology.snapshot import load_snapshot
    from public.methodology.spec import load_spec

    return load_snapshot(SNAPSHOT), load_spec(SPEC)


@pytest.fixture(scope="session")
def demo_policy():
    from verifier.policy import load_policy

    return load_policy(POLICY)


@pytest.fixture(scope="session")
def demo_keys():
    """The demo circuit compiled and set up (dev, groth16py) once per session unless current keys exist."""
    from prover.toolchain import setup as su
    from prover.toolchain import snarkjs
    from public.circuit import circuit_params
    from public.errors import ToolchainError

    params = circuit_params()
    snarkjs.compile_circuit(params)
    try:
        rec = su.load_setup(params)
    except ToolchainError:
        rec = su.dev_setup(params, force=True)
    return params, rec


@pytest.fixture(scope="session")
def demo_proof(tmp_path_factory, market, demo_policy, demo_keys):
    """(outcome, bundle path, at) of the attested demo book proved against the demo policy."""
    from prover.proving.pipeline import prove_bundle
    from prover.venue.attestation import load_statement

    snapshot, spec = market
    params, _ = demo_keys
    at = snapshot.timestamp + timedelta(minutes=2)
    out = tmp_path_factory.mktemp("demo") / "bundle.json"
    statements = [load_statement(p) for p in STATEMENTS]
    outcome = prove_bundle(params, snapshot, spec, statements, demo_policy, demo_policy.challenge, out, identity=demo_trader(), salt=12345, at=at)
    return outcome, out, at


@pytest.fixture(scope="session")
def demo_statements():
    from prover.venue.attestation import load_statement

    return [load_statement(p) for p in STATEMENTS]


@pytest.fixture(scope="session")
def demo_vk(demo_keys):
    return json.loads(demo_keys[1].verification_key_path.read_text())
