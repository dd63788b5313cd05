"""Fixtures of the margin-circuit soundness tests (test_margin.py, test_attest.py): the synthetic
MarginSolvency instance of margin_cases.py compiled once, an honest input and its witness."""

import pytest

from tests.circuits.compiler import compile_template
from tests.circuits.margin_cases import PARAMS, PUBLIC, hedged, inputs


@pytest.fixture(scope="module")
def circuit():
    return compile_template(
        "margin.circom", "MarginSolvency",
        [PARAMS.n_venues, PARAMS.n_pos, PARAMS.n_scen, PARAMS.n_und, PARAMS.n_assets, PARAMS.depth, 0], public=PUBLIC,
    )


@pytest.fixture(scope="module")
def valid():
    return inputs(hedged())


@pytest.fixture(scope="module")
def witness(circuit, valid):
    return circuit.witness(valid)
