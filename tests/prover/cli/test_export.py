"""``zkmargin export solidity``: the two contracts and deployment.json from the venue's own files
(values as decimal strings), compiled with --compile; named errors and nothing half-written."""

import json
import re

from tests.conftest import POLICY
from tests.prover.cli.runner import assert_named_error, run
from verifier.policy import load_policy


def test_export_writes_the_contracts_and_the_policy_values(tmp_path, demo_keys):
    r = run("export", "solidity", "--policy", POLICY, "--out", tmp_path, "--compile", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["files"] == ["Groth16Verifier.sol", "MarginCredit.sol", "deployment.json", "contracts.json"]
    dep = json.loads((tmp_path / "deployment.json").read_text())
    pol = load_policy(POLICY)
    assert dep["multiplier_k_e6"] == str(pol.multiplier_k_e6) and dep["delta_limit_e6"] == [str(pol.delta_limit_e6[u]) for u in ("BTC", "ETH")]
    assert sorted((int(x), int(y)) for x, y in dep["venue_keys"]) == sorted(pol.accepted_venues)
    sol = (tmp_path / "MarginCredit.sol").read_text()
    names = demo_keys[0].public_signal_names()
    assert f"I_CHALLENGE = {names.index('challenge')};" in sol and f"uint256[{len(names)}] calldata input" in sol
    contracts = json.loads((tmp_path / "contracts.json").read_text())
    assert re.fullmatch(r"[0-9a-f]+", contracts["MarginCredit"]["bytecode"]) and any(e.get("name") == "submit" for e in contracts["MarginCredit"]["abi"])


def test_export_errors_write_nothing(tmp_path):
    assert_named_error(run("export", "solidity", "--policy", POLICY, "--out", tmp_path / "missing"), "does not exist")
    assert_named_error(run("export", "solidity", "--policy", POLICY, "--out", tmp_path, "--keys", tmp_path / "nokeys"), "verification key")
    assert list(tmp_path.iterdir()) == []
