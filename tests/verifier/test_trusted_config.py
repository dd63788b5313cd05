"""The verifier trusts nothing it did not configure (issue 8): named regressions and a bundle fuzzer.

- the relabel attack: a bundle that re-declares the circuit's shape (n_venues 0, n_assets 10) so
  that the venue-key signals would be read as collateral prices is REJECTED, and the names of the
  public signals come from the venue's key directory whatever the bundle says;
- a dev key (no recorded ceremony, or a beacon-only one) under ``allow_dev_setup: false`` is
  REJECTED, whatever its own setup.json claims;
- every metadata field of the bundle is checked against the venue's configuration;
- caller mistakes in the Python API are their own error;
- hypothesis mutates the valid bundle at every JSON path: nothing raises past BundleError and
  nothing is ACCEPTED unless it is, as JSON, the original.
"""

import copy
import json
import shutil
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from public.errors import BundleError
from verifier.trusted import ConfigError, load_trusted_circuit
from verifier.verify import VerifierUsageError, verify_bundle


@pytest.fixture(scope="module")
def base(demo_proof, market, demo_policy, demo_keys):
    outcome, path, at = demo_proof
    snapshot, spec = market
    return json.loads(path.read_text()), demo_policy, load_trusted_circuit(demo_keys[0].keys_dir), dict(spec=spec, snapshot=snapshot, at=at)


def decide(base, bundle=None, policy=None, trusted=None, **over):
    b, p, t, kw = base
    return verify_bundle(bundle if bundle is not None else b, policy or p, trusted or t, **{**kw, **over})


def test_relabelled_shape_is_rejected_and_names_come_from_the_venue(base):
    b = copy.deepcopy(base[0])
    b["circuit"]["params"].update(n_venues=0, n_assets=10)
    d = decide(base, bundle=b)
    assert not d.accepted
    assert not d.check("circuit").passed and "circuit.params.n_venues" in d.check("circuit").reason
    assert d.check("venue_keys").passed  # three venue keys read where the venue's circuit has them
    assert d.check("groth16.pairing").passed and d.check("statement").passed


def test_relabelled_statement_to_match_a_claimed_shape_is_rejected(base):
    b = copy.deepcopy(base[0])
    b["circuit"]["params"].update(n_venues=0, n_assets=10)
    b["statement"]["public"]["venue_keys"] = []
    d = decide(base, bundle=b)
    assert not d.accepted and not d.check("statement").passed and not d.check("circuit").passed


def test_venue_keys_check_never_passes_on_an_empty_list(base):
    policy = replace(base[1], accepted_venues={})
    assert not decide(base, policy=policy).check("venue_keys").passed


def _copy_keys(src, dst, *names):
    dst.mkdir()
    for n in names:
        shutil.copyfile(src / n, dst / n)
    return dst


def test_dev_key_rejected_under_allow_dev_setup_false_whatever_setup_json_says(base, tmp_path):
    src = base[2].keys_dir
    rec = json.loads((src / "setup.json").read_text())
    rec.update(dev=False, kind="ceremony", label="PRODUCTION CEREMONY (claimed)")
    keys = _copy_keys(src, tmp_path / "k", "verification_key.json")
    (keys / "setup.json").write_text(json.dumps(rec))
    tc = load_trusted_circuit(keys)
    assert tc.provenance.dev and "no recorded ceremony" in tc.provenance.label
    strict = replace(base[1], allow_dev_setup=False)
    d = decide(base, policy=strict, trusted=tc)
    assert not d.accepted and not d.check("setup").passed
    assert "claimed" not in d.check("setup").reason and d.check("setup").reason.startswith("DEV - NOT FOR PRODUCTION")


def test_beacon_only_ceremony_counts_as_dev(tmp_path):
    from tests.conftest import REPO

    tc = load_trusted_circuit(REPO / "fixtures" / "keys" / "margin_3x4")
    assert tc.provenance.kind == "ceremony" and tc.provenance.dev and tc.provenance.participants == ()
    assert tc.provenance.label.startswith("DEV - NOT FOR PRODUCTION")


def test_policy_pin_of_another_key_is_a_config_error(base):
    with pytest.raises(ConfigError, match="pins"):
        load_trusted_circuit(base[2].keys_dir, "0" * 64)


def test_key_directory_whose_shape_does_not_match_the_key_is_a_config_error(base, tmp_path):
    src = base[2].keys_dir
    keys = _copy_keys(src, tmp_path / "k", "verification_key.json", "setup.json")
    rec = json.loads((keys / "setup.json").read_text())
    rec["params"]["n_venues"] = 2
    (keys / "setup.json").write_text(json.dumps(rec))
    with pytest.raises(ConfigError, match="public signals"):
        load_trusted_circuit(keys)


@pytest.mark.parametrize(
    "path,value,check",
    [
        (("circuit", "name"), "margin_9x9", "circuit"),
        (("circuit", "r1cs_sha256"), "00" * 32, "circuit"),
        (("circuit", "source_sha256"), "11" * 32, "circuit"),
        (("circuit", "compiler"), "circom 9", "circuit"),
        (("circuit", "flags"), ["--O0"], "circuit"),
        (("circuit", "setup", "label"), "production ceremony, 40 participants", "circuit"),
        (("circuit", "setup", "dev"), False, "circuit"),
        (("market", "snapshot_sha256"), "22" * 32, "market"),
        (("market", "spec"), "other", "market"),
        (("market", "snapshot_epoch"), 1, "market"),
    ],
)
def test_every_metadata_field_is_checked(base, path, value, check):
    b = copy.deepcopy(base[0])
    node = b
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    d = decide(base, bundle=b)
    assert not d.accepted and not d.check(check).passed


def test_unknown_field_is_a_bundle_error(base):
    for where in (None, "circuit", "market", "proof", "statement"):
        b = copy.deepcopy(base[0])
        (b if where is None else b[where])["extra"] = 1
        with pytest.raises(BundleError, match="unknown field"):
            decide(base, bundle=b)


def test_proof_for_another_trader_is_rejected(base):
    d = decide(base, applicant=base[1].applicant_identity + 1)
    assert not d.check("identity").passed and d.check("groth16.pairing").passed


def test_no_applicant_fails_identity(base):
    assert not decide(base, policy=replace(base[1], applicant_identity=None)).check("identity").passed


def test_caller_mistakes_are_usage_errors(base):
    b, p, t, kw = base
    with pytest.raises(VerifierUsageError, match="Policy"):
        verify_bundle(b, {"format": "zkmargin-policy/1"}, t, **kw)
    with pytest.raises(VerifierUsageError, match="timezone-aware"):
        verify_bundle(b, p, t, **{**kw, "at": datetime(2026, 8, 22, 15, 35)})
    with pytest.raises(VerifierUsageError, match="TrustedCircuit"):
        verify_bundle(b, p, t.verification_key, **kw)
    with pytest.raises(VerifierUsageError, match="TrustedCircuit"):
        verify_bundle(b, p, [], **kw)


# --- fuzzing ---------------------------------------------------------------------------------------

def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


_json_leaf = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.sampled_from([0, -1, 1, 2**63, 2**254, 2**256, 10**80]),
    st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0.5, 6.9, -0.0, 1e300]),
    st.text(max_size=20),
    st.sampled_from(["", "0", "00", "01", "+1", "-1", " 1", "1e3", "0x10", "NaN", "Infinity", "x" * 5000, "9" * 100]),
)
_json_value = st.recursive(_json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=8)


def _deep(n):
    v = 0
    for _ in range(n):
        v = [v]
    return v


def _mutate(bundle, path, op, value):
    b = copy.deepcopy(bundle)
    if not path:
        return value if op == "replace" else b
    parent = b
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    if op == "replace":
        parent[key] = value
    elif op == "delete":
        del parent[key]
    elif op == "insert":
        if isinstance(parent, list):
            parent.insert(key, value)
        else:
            parent[f"{key}_extra"] = value
    elif op == "stringify":
        parent[key] = json.dumps(parent[key]) if not isinstance(parent[key], str) else parent[key] + " "
    elif op == "deep":
        parent[key] = _deep(5000)
    elif op == "numeric":
        old = parent[key]
        if isinstance(old, str) and old.isdigit():
            parent[key] = {"int": int(old), "lead0": "0" + old, "plus_r": str(int(old) + 21888242871839275222246405745257275088548364400416034343698204186575808495617), "neg": "-" + old}[value] if value in ("int", "lead0", "plus_r", "neg") else old + "0"
        elif isinstance(old, int) and not isinstance(old, bool):
            parent[key] = {"int": str(old), "lead0": float(old), "plus_r": old + 1, "neg": -old}.get(value, old * 10)
        else:
            parent[key] = value
    return b


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_fuzzed_bundle_is_rejected_or_is_the_original(base, data):
    original = base[0]
    paths = list(_paths(original))
    path = data.draw(st.sampled_from(paths), label="path")
    op = data.draw(st.sampled_from(["replace", "delete", "insert", "stringify", "deep", "numeric"]), label="op")
    value = data.draw(st.sampled_from(["int", "lead0", "plus_r", "neg"]) if op == "numeric" else _json_value, label="value")
    try:
        mutant = _mutate(original, path, op, value)
    except (KeyError, IndexError, TypeError):
        return  # the operation does not apply at this path
    try:
        d = verify_bundle(mutant, base[1], base[2], **base[3])
    except BundleError:
        return
    if d.accepted:
        assert json.dumps(mutant, sort_keys=True) == json.dumps(original, sort_keys=True), (path, op)


# --- review findings: hostile values are failed checks or named errors, at bounded cost ------------


@pytest.mark.parametrize("index", [7, 8, 12])
def test_huge_policy_signal_is_a_failed_check_not_a_crash(base, index):
    b = copy.deepcopy(base[0])
    b["public_signals"][index] = "1" * 400
    d = decide(base, bundle=b)
    assert not d.accepted and not d.check("groth16.public_signals").passed


def test_published_table_of_another_depth_is_refused_before_hashing(base):
    import time

    from public.methodology.risk_table import cached_risk_table

    own = cached_risk_table(base[3]["snapshot"], base[3]["spec"], base[2].params.depth).to_json()
    for depth in (8, 40):
        t = time.perf_counter()
        d = decide(base, risk_table={**own, "depth": depth})
        assert not d.check("risk_root").passed and "shape" in d.check("risk_root").reason
        assert time.perf_counter() - t < 5


def test_oversized_bundle_file_is_refused_cheaply(tmp_path):
    from public.bundle_format import read_bundle

    p = tmp_path / "big.json"
    p.write_text("[" + ",".join(["{}"] * 600_000) + "]")  # 1.8 MB, over MAX_BYTES (1 MiB)
    with pytest.raises(BundleError, match="larger than"):
        read_bundle(p)


def test_huge_integer_anywhere_is_a_bundle_error(base):
    b = copy.deepcopy(base[0])
    b["statement"]["public"]["snapshot_epoch"] = 2**300
    with pytest.raises(BundleError, match="256 bits"):
        decide(base, bundle=b)


def test_applicant_as_a_string_is_a_usage_error(base):
    with pytest.raises(VerifierUsageError, match="applicant"):
        decide(base, applicant="0x240e")
