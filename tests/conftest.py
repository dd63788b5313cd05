"""Session fixtures shared by the end-to-end tests: the real snapshot, spec, demo book and policy,
and one real proof bundle of the demo book under the 8-slot circuit (dev setup)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = REPO / "fixtures" / "snapshots" / "deribit_btc_eth_snapshot_2026-08-22T1533Z.csv"
PORTFOLIO = REPO / "fixtures" / "portfolios" / "demo_hedged_book.json"
POLICY = REPO / "fixtures" / "policies" / "demo_venue.json"
SPEC = REPO / "fixtures" / "spec" / "deribit_pm_v1.json"


@pytest.fixture(scope="session")
def market():
    from prover.snapshot import load_snapshot
    from prover.spec import load_spec

    return load_snapshot(SNAPSHOT), load_spec(SPEC)


@pytest.fixture(scope="session")
def demo_policy():
    from verifier.policy import load_policy

    return load_policy(POLICY)


@pytest.fixture(scope="session")
def demo_keys():
    """margin_8 compiled and set up (dev, groth16py) once per session unless current keys exist."""
    from prover import setup as su
    from prover import snarkjs
    from prover.circuit import circuit_params
    from prover.errors import ToolchainError

    params = circuit_params("margin_8")
    snarkjs.compile_circuit(params)
    try:
        rec = su.load_setup(params)
    except ToolchainError:
        rec = su.dev_setup(params)
    return params, rec


@pytest.fixture(scope="session")
def demo_proof(tmp_path_factory, market, demo_policy, demo_keys):
    """(outcome, bundle path, at) of the demo book proved against the demo policy."""
    from prover.pipeline import prove_bundle
    from prover.portfolio import load_portfolio

    snapshot, spec = market
    params, _ = demo_keys
    at = snapshot.timestamp + timedelta(minutes=2)
    out = tmp_path_factory.mktemp("demo") / "bundle.json"
    book = load_portfolio(PORTFOLIO, snapshot, spec)
    outcome = prove_bundle(params, snapshot, spec, book, demo_policy, demo_policy.challenge, out, at=at)
    return outcome, out, at


@pytest.fixture(scope="session")
def demo_vk(demo_keys):
    return json.loads(demo_keys[1].verification_key_path.read_text())
