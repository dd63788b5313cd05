"""circuits/hash.circom and inclusion.circom against public/crypto/poseidon.py and public/methodology/risk_table.py."""

import random

import pytest

from public.crypto.poseidon import poseidon_chain
from public.methodology.risk_table import RiskRecord, RiskTable
from tests.circuits.compiler import compile_template
from tests.circuits.harness import ConstraintViolation


@pytest.fixture(scope="module")
def chain():
    return compile_template("hash.circom", "PoseidonChain", [25])


@pytest.fixture(scope="module")
def record_hash():
    return compile_template("hash.circom", "RiskRecordHash", [35])


@pytest.fixture(scope="module")
def quad():
    return compile_template("inclusion.circom", "QuadMerkleRoot", [3])


def test_chain_matches_python(chain):
    vals = [random.Random(1).randrange(-(2**60), 2**60) for _ in range(25)]
    assert chain.outputs(chain.witness({"in": vals}))["out"] == poseidon_chain(vals)


def _record(seed, n_scen=35):
    rnd = random.Random(seed)
    return RiskRecord(
        instrument_id=1_1_20260925_00000008000000_1 + seed,
        underlying=seed % 2,
        pnl_e6=tuple(rnd.randrange(-(2**41), 2**41) for _ in range(n_scen)),
        delta_e6=rnd.randrange(-(2**41), 2**41),
        vega_e6=rnd.randrange(0, 2**30),
        add_on_e6=rnd.randrange(0, 2**30),
        mark_e6=rnd.randrange(0, 2**35),
    )


def _record_input(r):
    return {
        "instrument_id": r.instrument_id,
        "underlying": r.underlying,
        "pnl_e6": list(r.pnl_e6),
        "delta_e6": r.delta_e6,
        "vega_e6": r.vega_e6,
        "add_on_e6": r.add_on_e6,
        "mark_e6": r.mark_e6,
    }


def test_record_leaf_matches_python_with_negative_values(record_hash):
    r = _record(7)
    assert record_hash.outputs(record_hash.witness(_record_input(r)))["leaf"] == r.leaf()


@pytest.fixture(scope="module")
def table():
    return RiskTable([_record(i, 3) for i in range(50)], depth=3)


@pytest.mark.parametrize("index", [0, 1, 2, 3, 5, 17, 49])
def test_quad_root_matches_python_at_every_position(quad, table, index):
    pi, pe = table.path(index)
    out = quad.outputs(quad.witness({"leaf": table.leaves[index], "path_index": pi, "path_elements": pe}))
    assert out["root"] == table.root


def test_padding_leaf_zero_is_in_the_tree_but_opens_to_no_record(table):
    # leaves beyond the records are 0; no RiskRecord hashes to 0 (it would be a Poseidon preimage of 0)
    assert table.levels[0][len(table)] == 0
    assert all(leaf != 0 for leaf in table.leaves)


def test_wrong_path_index_gives_another_root(quad, table):
    pi, pe = table.path(5)
    pi[0] = (pi[0] + 1) % 4
    out = quad.outputs(quad.witness({"leaf": table.leaves[5], "path_index": pi, "path_elements": pe}))
    assert out["root"] != table.root


def test_path_index_beyond_three_is_refused(quad, table):
    pi, pe = table.path(5)
    pi[1] = 4
    assert "Num2Bits" in quad.expect_witness_failure({"leaf": table.leaves[5], "path_index": pi, "path_elements": pe})


def test_forged_root_fails_r1cs(quad, table):
    pi, pe = table.path(5)
    w = quad.witness({"leaf": table.leaves[5], "path_index": pi, "path_elements": pe})
    with pytest.raises(ConstraintViolation):
        quad.check_constraints(quad.edit(w, {"main.root": table.root + 1}))


def test_forged_non_boolean_index_bit_fails_r1cs(quad, table):
    # path_index 2 = bits (0, 1); claim bits (2, 0): same weighted sum, not boolean
    pi, pe = table.path(2)
    w = quad.witness({"leaf": table.leaves[2], "path_index": pi, "path_elements": pe})
    forged = quad.edit(w, {"main.bits[0].out[0]": 2, "main.bits[0].out[1]": 0})
    with pytest.raises(ConstraintViolation):
        quad.check_constraints(forged)
