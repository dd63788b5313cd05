"""``zkmargin prove`` over chunked statements (format 3; issue 11): the CLI takes the chunked path,
shows a progress bar of chunks, prints the summary or --json, and ``zkmargin verify`` accepts the
bundle; mixed statements and one-proof options are usage errors. The test circuits of
tests/prover/proving/test_chunked_pipeline.py stand in for chunk_28x8/aggregate_8 (a patched
circuit_params), so the wiring is tested at the size CI can afford."""

import json

import pytest

from tests.conftest import IDENTITY, POLICY, SNAPSHOT, STATEMENTS
from tests.prover.cli.runner import assert_named_error, run
from tests.prover.proving.test_chunked_pipeline import chunked_statements, circuits  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
AT = "2026-08-22T15:35:00Z"


@pytest.fixture
def setup(tmp_path, circuits, monkeypatch):  # noqa: F811
    import public.circuit

    by_name = {"test_chunk": circuits[0], "test_aggregate": circuits[1]}
    real = public.circuit.circuit_params
    monkeypatch.setattr(public.circuit, "circuit_params", lambda name="margin_3x4": by_name.get(name) or real(name))
    obj = json.loads(POLICY.read_text())
    obj["circuits"] = [{"keys": str(p.keys_dir)} for p in circuits]
    obj["spec"] = str((POLICY.parent / obj["spec"]).resolve())
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(obj))
    paths = []
    for k, st in enumerate(chunked_statements()):
        paths.append(tmp_path / f"statement{k}.json")
        paths[-1].write_text(json.dumps(st.to_json()))
    return policy, paths


def prove_args(out, policy, statements, *extra):
    args = ["prove", "--market", SNAPSHOT, "--policy", policy, "--challenge", json.loads(policy.read_text())["challenge"], "--out", out,
            "--identity", IDENTITY, "--at", AT]  # fmt: skip
    for s in statements:
        args += ["--statement", s]
    return [*args, *extra]


def test_prove_takes_the_chunked_path_and_verify_accepts_it(tmp_path, setup):
    policy, statements = setup
    out = tmp_path / "bundle.json"
    r = run(*prove_args(out, policy, statements, "--chunk-circuit", "test_chunk", "--aggregate-circuit", "test_aggregate", "--workers", "0",
                        "--pad-to", "6", "--json"))  # fmt: skip
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["format"] == "zkmargin-proof-bundle/3" and obj["chunks"] == 6 and obj["timings_s"]["chunk_workers"] == 0
    assert "chunks proved: 1/6" in r.stderr and "chunks proved: 6/6" in r.stderr
    bundle = json.loads(out.read_text())
    assert len(bundle["chunks"]) == 6 and bundle["chunk_circuit"]["name"] == "test_chunk_3"
    v = run("verify", out, "--policy", policy, "--market", SNAPSHOT, "--at", AT)
    assert v.exit_code == 0 and "ACCEPTED" in v.output and "chunk_links" in v.output, v.output
    out.unlink()
    r = run(*prove_args(out, policy, statements, "--chunk-circuit", "test_chunk", "--aggregate-circuit", "test_aggregate", "--workers", "0"))
    assert r.exit_code == 0 and "5 chunk proofs + 1 aggregate proof" in r.stdout and "verified before writing: ACCEPTED" in r.stdout, r.output


def test_mixed_statements_and_one_proof_options_are_usage_errors(tmp_path, setup):
    policy, statements = setup
    out = tmp_path / "bundle.json"
    mixed = run(*prove_args(out, policy, [statements[0], STATEMENTS[1], statements[2]]))
    assert mixed.exit_code == 2 and "chunked and one-proof statements mixed" in mixed.output and not out.exists()
    wrong = run(*prove_args(out, policy, statements, "--circuit", "margin_4x8"))
    assert wrong.exit_code == 2 and "not --circuit/--backend" in wrong.output
    flat = run(*prove_args(out, POLICY, STATEMENTS, "--workers", "2"))
    assert flat.exit_code == 2 and "--workers: only for chunked statements" in flat.output
    swapped = run(*prove_args(out, policy, statements, "--chunk-circuit", "test_aggregate", "--aggregate-circuit", "test_chunk"))
    assert swapped.exit_code == 2 and "must name a chunk circuit" in swapped.output and not out.exists()


def test_too_few_chunks_for_pad_to_is_a_named_error(tmp_path, setup):
    policy, statements = setup
    out = tmp_path / "bundle.json"
    r = run(*prove_args(out, policy, statements, "--chunk-circuit", "test_chunk", "--aggregate-circuit", "test_aggregate", "--workers", "0",
                        "--pad-to", "3"))  # fmt: skip
    assert_named_error(r, "pad")
    assert not out.exists()
