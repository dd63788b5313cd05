"""``verify_bundle(..., engine="native")`` (zkmargin verify / serve --engine native): groth16py's
Rust pairing with this package's own signal and point checks gives the py_ecc engine's verdict,
check for check, on the honest demo bundle and on every tampered public signal and proof element."""

import copy

import pytest

from public.fixed_point import FIELD_P
from tests.verifier.test_verify_bundle import N_PUBLIC, decide


def _verdicts(base, bundle):
    ours, native = decide(base, bundle=bundle), decide(base, bundle=bundle, engine="native")
    assert [(c.name, c.passed) for c in native.checks] == [(c.name, c.passed) for c in ours.checks]
    return native


def _tampered(bundle, path, value):
    b = copy.deepcopy(bundle)
    node = b
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value(node[path[-1]])
    return b


def test_the_honest_bundle_is_accepted_natively(base):
    d = _verdicts(base, base[0])
    assert d.accepted and "native verifier" in d.check("groth16.pairing").reason


CASES = (
    [(("public_signals", i), lambda v: str((int(v) + 1) % FIELD_P)) for i in range(N_PUBLIC)]
    + [(("public_signals", i), lambda v: str(int(v) + FIELD_P)) for i in (0, 5, 20)]
    + [(("proof", "pi_a", 0), lambda v: str(int(v) + 1)), (("proof", "pi_c", 1), lambda v: str(int(v) + 1)),
       (("proof", "pi_b", 0, 1), lambda v: str(int(v) + 1)), (("proof", "pi_b", 1, 0), lambda v: str(int(v) + 1)),
       (("proof", "pi_a", 1), lambda v: str(21888242871839275222246405745257275088696311157297823662689037894645226208583 - int(v)))]  # -A
)  # fmt: skip


@pytest.mark.parametrize("path, value", CASES, ids=[".".join(map(str, p)) + f"#{i}" for i, (p, _) in enumerate(CASES)])
def test_every_tampering_gets_the_same_verdict_natively(base, path, value):
    assert not _verdicts(base, _tampered(base[0], path, value)).accepted


def test_swapped_proof_points(base):
    b = copy.deepcopy(base[0])
    b["proof"]["pi_a"], b["proof"]["pi_c"] = b["proof"]["pi_c"], b["proof"]["pi_a"]
    assert not _verdicts(base, b).check("groth16.pairing").passed


def test_an_unknown_engine_is_a_usage_error(base):
    from verifier.verify import VerifierUsageError

    with pytest.raises(VerifierUsageError, match="engine"):
        decide(base, engine="gpu")


def test_zkmargin_verify_engine_native(base, tmp_path):
    import json

    from tests.conftest import POLICY, SNAPSHOT
    from tests.prover.cli.runner import run

    bundle, _, trusted, kwargs, _ = base
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    args = ["verify", path, "--policy", POLICY, "--market", SNAPSHOT, "--keys", trusted.keys_dir, "--at", kwargs["at"].isoformat(), "--json"]
    ours, native = run(*args), run(*args, "--engine", "native")
    assert ours.exit_code == native.exit_code == 0, native.output
    assert [c["name"] for c in json.loads(native.output)["checks"]] == [c["name"] for c in json.loads(ours.output)["checks"]]
