"""``zkmargin bench`` runs to the end (a benchmark, not a timed test: only that it measures and
prints the SPEC section 8 figures; a bench that crashed after its first minute went unnoticed once,
when make_bundle's signature changed). About a minute on 2 cores with --repeat 1."""

import json

import pytest

from tests.prover.cli.runner import run

pytestmark = pytest.mark.slow


def test_bench_measures_every_figure_and_prints_json():
    r = run("bench", "--repeat", "1", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output[r.output.index("{") :])
    figures = out.get("figures", out)
    for name in ("risk_array_s", "constraints_per_slot", "verify_py_ecc_s", "verify_batch_32_s", "verify_one_by_one_32_s", "verify_native_32_s", "bundle_bytes"):
        assert isinstance(figures[name], (int, float)) and figures[name] > 0, name
    assert figures["verify_batch_32_s"] < figures["verify_one_by_one_32_s"]  # the batch is what it is for
