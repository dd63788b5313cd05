"""Every verifier duty (SPEC section 6) on a real bundle: one tamper per row, the check that catches it.

Baseline: the attested demo book (3 signed venue statements) on the real snapshot, proved under the
3-venue x 4-position circuit. Each row changes one thing (a public signal, a proof element, the
statement, the venue's policy, spec, snapshot, key, accepted venues or clock) and names the check
that must fail; the baseline (``None``) must be accepted.
"""

import copy
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from public.fixed_point import FIELD_P
from public.methodology.risk_table import RiskTable
from verifier.verify import verify_bundle


def decide(base, bundle=None, policy=None, trusted=None, **over):
    b, p, t, kwargs, _ = base
    return verify_bundle(bundle or b, policy or p, trusted or t, **{**kwargs, **over})


def test_baseline_is_accepted(base):
    d = decide(base)
    assert d.accepted, [c for c in d.failed]
    assert {c.name for c in d.checks} >= {
        "verification_key", "setup", "groth16.public_signals", "groth16.proof_points", "groth16.pairing", "statement",
        "spec_hash", "snapshot", "risk_root", "collateral_prices", "freshness", "challenge", "policy",
        "venue_keys", "attestation_fresh", "circuit", "market", "identity",
    }


N_PUBLIC = 22  # 3 venues: tests/circuits/test_statement_doc.py checks the count against the circuit


@pytest.mark.parametrize("index", range(N_PUBLIC))
def test_each_public_signal_tampered_fails_the_pairing(base, index):
    b = copy.deepcopy(base[0])
    b["public_signals"][index] = str((int(b["public_signals"][index]) + 1) % FIELD_P)
    d = decide(base, bundle=b)
    assert not d.accepted
    assert not d.check("groth16.pairing").passed


@pytest.mark.parametrize("index", [0, 5, 20])
def test_public_signal_plus_r_is_rejected_not_reduced(base, index):
    b = copy.deepcopy(base[0])
    b["public_signals"][index] = str(int(b["public_signals"][index]) + FIELD_P)
    d = decide(base, bundle=b)
    assert not d.check("groth16.public_signals").passed


@pytest.mark.parametrize(
    "element,path",
    [("pi_a.x", ("pi_a", 0)), ("pi_a.y", ("pi_a", 1)), ("pi_c.x", ("pi_c", 0)), ("pi_c.y", ("pi_c", 1)),
     ("pi_b.x.c0", ("pi_b", 0, 0)), ("pi_b.x.c1", ("pi_b", 0, 1)), ("pi_b.y.c0", ("pi_b", 1, 0)), ("pi_b.y.c1", ("pi_b", 1, 1))],
)
def test_each_proof_coordinate_tampered_is_rejected(base, element, path):
    b = copy.deepcopy(base[0])
    node = b["proof"]
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = str(int(node[path[-1]]) + 1)
    d = decide(base, bundle=b)
    assert not d.accepted
    assert not d.check("groth16.proof_points").passed


def test_swapped_proof_points_fail_the_pairing(base):
    b = copy.deepcopy(base[0])
    b["proof"]["pi_a"], b["proof"]["pi_c"] = b["proof"]["pi_c"], b["proof"]["pi_a"]
    assert not decide(base, bundle=b).check("groth16.pairing").passed


def test_statement_text_that_lies_is_rejected(base):
    b = copy.deepcopy(base[0])
    b["statement"]["public"]["multiplier_k"] = "2"
    assert not decide(base, bundle=b).check("statement").passed


def test_other_challenge_is_rejected(base):
    d = decide(base, policy=replace(base[1], challenge=base[1].challenge + 1))
    assert not d.check("challenge").passed
    assert d.check("groth16.pairing").passed  # the proof is fine: it was made for another challenge


def test_a_policy_that_issues_challenges_needs_the_issued_one(base, tmp_path):
    from tests.conftest import POLICY
    from verifier.policy import load_policy

    obj = json.loads(POLICY.read_text())
    obj["challenge"] = "issued"
    obj["spec"] = str((POLICY.parent / obj["spec"]).resolve())
    obj["circuits"] = [{"keys": str((POLICY.parent / c["keys"]).resolve())} for c in obj["circuits"]]
    (tmp_path / "issued.json").write_text(json.dumps(obj))
    issued = load_policy(tmp_path / "issued.json")
    assert issued.challenge is None
    d = decide(base, policy=issued)
    assert not d.check("challenge").passed and "--challenge" in d.check("challenge").reason
    assert decide(base, policy=replace(issued, challenge=base[1].challenge)).accepted


@pytest.mark.parametrize("field,value", [("multiplier_k_e6", 1_300_000), ("delta_limit_e6", {"BTC": 1, "ETH": 1}), ("vega_limit_e6", {"BTC": 10**12, "ETH": 1})])
def test_policy_values_differing_from_the_venues_are_rejected(base, field, value):
    assert not decide(base, policy=replace(base[1], **{field: value})).check("policy").passed


def test_stale_snapshot_is_rejected(base):
    at = base[3]["at"] + timedelta(seconds=base[1].max_snapshot_age_s + 3600)
    assert not decide(base, at=at).check("freshness").passed


def test_snapshot_from_the_future_is_rejected(base):
    assert not decide(base, at=base[3]["at"] - timedelta(hours=1)).check("freshness").passed


def test_other_spec_is_rejected(base, tmp_path):
    from public.methodology.spec import load_spec
    from tests.conftest import SPEC

    other = tmp_path / "spec.json"
    other.write_text(SPEC.read_text().replace('"gain_offset": 0.0', '"gain_offset": 0.5'))
    assert not decide(base, spec=load_spec(other)).check("spec_hash").passed


def test_missing_snapshot_fails_the_market_checks(base):
    d = decide(base, snapshot=None)
    assert not d.accepted and not d.check("snapshot").passed


def test_other_snapshot_gives_another_root(base, tmp_path):
    from public.methodology.snapshot import load_snapshot
    from tests.conftest import SNAPSHOT

    lines = SNAPSHOT.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace(",0.456,", ",0.466,")  # one option's mark IV + 1 vol point
    (tmp_path / "s.csv").write_text("".join(lines))
    d = decide(base, snapshot=load_snapshot(tmp_path / "s.csv"))
    assert not d.check("risk_root").passed


def test_published_table_with_one_record_changed_is_rejected(base):
    table = base[4].table.to_json()
    table["records"][10][3][0] += 5  # 5 micro-USD in one scenario of one record: beyond tolerance
    d = decide(base, risk_table=table)
    assert not d.check("risk_root").passed


def test_published_table_matching_the_root_is_accepted(base):
    assert decide(base, risk_table=base[4].table.to_json()).accepted


def test_published_table_within_tolerance_but_other_root_is_rejected(base):
    table = base[4].table.to_json()
    table["records"][10][3][0] += 1
    assert RiskTable.from_json(table).root != base[4].table.root
    assert not decide(base, risk_table=table).check("risk_root").passed


def test_dev_setup_rejected_unless_the_policy_allows_it(base):
    strict = replace(base[1], allow_dev_setup=False)
    assert not decide(base, policy=strict).check("setup").passed


def test_bundle_naming_another_key_is_rejected(base):
    b = copy.deepcopy(base[0])
    b["circuit"]["verification_key_sha256"] = "00" * 32
    assert not decide(base, bundle=b).check("verification_key").passed


def test_other_key_fails_the_pairing(base):
    from verifier.groth16 import load_verification_key

    vk = copy.deepcopy(base[2].verification_key)
    vk["IC"][1], vk["IC"][2] = vk["IC"][2], vk["IC"][1]
    d = decide(base, trusted=replace(base[2], vk=load_verification_key(vk)))
    assert not d.check("groth16.pairing").passed


def test_statement_from_a_venue_outside_the_policy_is_rejected(base):
    accepted = dict(base[1].accepted_venues)
    dropped = next(iter(accepted))
    name = accepted.pop(dropped)
    d = decide(base, policy=replace(base[1], accepted_venues=accepted))
    assert not d.check("venue_keys").passed and "not in the policy" in d.check("venue_keys").reason
    assert name not in d.check("venue_keys").reason  # it names the key, not a venue the policy does not know
    assert d.check("groth16.pairing").passed


def test_stale_statements_are_rejected(base):
    strict = replace(base[1], max_attestation_age_s=60)
    assert not decide(base, policy=strict).check("attestation_fresh").passed


def test_replay_against_another_venues_challenge_is_rejected(base):
    # the same bundle shown to a second venue that issued its own challenge
    other = replace(base[1], challenge=0xC0FFEE)
    d = decide(base, policy=other)
    assert not d.accepted and not d.check("challenge").passed


def test_statement_names_the_venue_keys(base):
    keys = base[0]["statement"]["public"]["venue_keys"]
    assert {(int(k["x"], 16), int(k["y"], 16)) for k in keys} == set(base[1].accepted_venues)


@pytest.mark.parametrize("index,name", [(2, "freshness"), (3, "attestation_fresh")])
def test_epoch_signal_beyond_any_date_fails_freshness_not_the_verifier(base, index, name):
    b = copy.deepcopy(base[0])
    b["public_signals"][index] = str(2**200)
    d = decide(base, bundle=b)
    assert not d.check(name).passed and "not a valid time" in d.check(name).reason
    assert not d.check("groth16.pairing").passed


def test_bundle_naming_an_underlying_the_venue_does_not_know_fails_market(base):
    b = copy.deepcopy(base[0])
    b["market"]["underlyings"] = ["BTC", "XRP"]
    d = decide(base, bundle=b)
    assert not d.check("market").passed and "market.underlyings" in d.check("market").reason


@pytest.mark.parametrize("section,value", [("market", "not a dict"), ("circuit", {"name": "margin_3x4"}), ("statement", None)])
def test_structurally_malformed_bundle_is_a_named_error(base, section, value):
    from public.errors import BundleError

    b = copy.deepcopy(base[0])
    b[section] = value
    with pytest.raises(BundleError, match="bundle"):
        decide(base, bundle=b)
