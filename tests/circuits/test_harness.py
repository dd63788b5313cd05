"""Tests of the witness-test harness itself, on the toy templates of tests/circuits/toy/toy.circom.

Each of the three kinds of STYLE.md section 3 is shown to work: exact outputs, a witness our
generator refuses (WitnessFailure naming the template), and a forged witness the R1CS rejects
(ConstraintViolation) - plus the point of the third kind: an under-constrained template
(ToyIsZeroBroken) ACCEPTS a forged witness, which only the R1CS check can reveal.
"""

import re
import subprocess
import time

import pytest

from tests.circuits import harness
from tests.circuits.compiler import compile_template
from tests.circuits.harness import ConstraintViolation, InputError, P, WitnessFailure

TOY = "tests/circuits/toy/toy.circom"


@pytest.fixture(scope="module")
def muladd():
    return compile_template(TOY, "ToyMulAdd", public=["a"])


@pytest.fixture(scope="module")
def toy_range():
    return compile_template(TOY, "ToyRange", params=[8])


# --------------------------------------------------------------------------- kind 1: exact outputs


def test_outputs_are_exact(muladd):
    w = muladd.witness({"a": 3, "b": 4, "c": 5})
    assert w[0] == 1
    assert muladd.outputs(w) == {"prod": 12, "sum": 17, "sq": [9, 16]}
    assert muladd.get(w, "main.sum") == muladd.get(w, "sum") == 17
    assert muladd.is_satisfied(w)


def test_negative_inputs_are_mapped_mod_p(muladd):
    w = muladd.witness({"a": 3, "b": -4, "c": "5"})
    assert muladd.outputs(w) == {"prod": -12 % P, "sum": -7 % P, "sq": [9, 16]}
    assert muladd.get(w, "b") == P - 4
    assert muladd.witness({"a": 3, "b": P - 4, "c": "0x5"}) == w  # same field elements


def test_two_dimensional_outputs_nest():
    c = compile_template(TOY, "ToyOuter", params=[2])
    w = c.witness({"a": [2, 3], "b": [5, -7]})
    assert c.outputs(w) == {"m": [[10, -14 % P], [15, -21 % P]]}
    assert c.get(w, "m[1]") == [15, -21 % P]


def test_counts_match_header(muladd):
    assert (muladd.n_constraints, muladd.n_wires, muladd.n_public) == (4, 8, 5)  # 4 outputs + a


# --------------------------------------------------------------------------- kind 2: generator refuses


def test_assert_failure_names_template():
    c = compile_template(TOY, "ToyInverse")
    err = c.expect_witness_failure({"x": 0})
    assert "ToyInverse" in err and "Assert Failed" in err


def test_failed_equality_constraint_names_template():
    c = compile_template(TOY, "ToyHalf")
    err = c.expect_witness_failure({"x": 3})  # 2 * half === x fails for odd x
    assert "ToyHalf" in err


def test_range_overflow_names_num2bits(toy_range):
    err = toy_range.expect_witness_failure({"x": 256})
    assert "Num2Bits" in err
    with pytest.raises(WitnessFailure, match=r"Error in template Num2Bits_\d+ line: \d+"):
        toy_range.witness({"x": -1})


def test_expect_witness_failure_raises_when_generator_accepts(toy_range):
    with pytest.raises(AssertionError, match="accepted"):
        toy_range.expect_witness_failure({"x": 255})


def test_misspelt_input_is_not_a_witness_failure(muladd):
    with pytest.raises(InputError, match=r"signal d\b|Signal d\b"):
        muladd.expect_witness_failure({"a": 1, "b": 2, "c": 3, "d": 4})
    with pytest.raises(InputError, match="Not all inputs"):
        muladd.witness({"a": 1, "b": 2})
    with pytest.raises(InputError, match="Too many values"):
        muladd.witness({"a": [1, 2], "b": 2, "c": 3})
    with pytest.raises(InputError, match="not an integer"):
        muladd.witness({"a": "one", "b": 2, "c": 3})


# --------------------------------------------------------------------------- kind 3: forged witness


def test_forged_output_fails_r1cs(muladd):
    w = muladd.witness({"a": 3, "b": 4, "c": 5})
    forged = muladd.edit(w, {"main.sum": 18})
    assert forged[muladd.signal_index("sum")] == 18 and w[muladd.signal_index("sum")] == 17
    with pytest.raises(ConstraintViolation, match=r"main\.sum") as exc:
        muladd.check_constraints(forged)
    assert exc.value.index >= 0
    assert "main.sum" in [name for name, _, _ in exc.value.signals]
    assert not muladd.is_satisfied(forged)


def test_forged_hint_fails_r1cs():
    c = compile_template(TOY, "ToyInverse")
    w = c.witness({"x": 5})
    assert c.get(w, "inv") * 5 % P == 1
    c.check_constraints(w)
    with pytest.raises(ConstraintViolation, match=r"main\.inv"):
        c.check_constraints(c.edit(w, {"inv": 7}))


def test_forged_odd_half_is_caught_by_range_check():
    """x = 7 has no integer half, but the field one, (7 + p) / 2, passes 2 * half === x."""
    c = compile_template(TOY, "ToyHalf")
    w = c.witness({"x": 6})
    assert c.outputs(w) == {"half": 3}
    c.check_constraints(w)
    assert not c.is_satisfied(c.edit(w, {"half": 4}))
    field_half = (7 + P) // 2
    assert 2 * field_half % P == 7
    forged = c.edit(w, {"x": 7, "half": field_half})
    with pytest.raises(ConstraintViolation, match=r"main\.half|main\.r\.out"):
        c.check_constraints(forged)  # only Num2Bits(15) on half stands in the way


def test_sound_is_zero_rejects_forged_hint():
    c = compile_template(TOY, "ToyIsZeroSound")
    w = c.witness({"x": 5})
    assert c.outputs(w) == {"out": 0}
    c.check_constraints(w)
    forged = c.edit(w, {"inv": 0, "out": 1})  # claim 5 == 0
    with pytest.raises(ConstraintViolation):
        c.check_constraints(forged)


def test_under_constrained_template_accepts_forged_witness():
    """ToyIsZeroBroken lacks x * out === 0: the R1CS accepts 'x == 0' for x = 5.

    Our own generator never produces this witness, so tests of kinds 1 and 2 pass on the broken
    template; only the forged witness shows the bug.
    """
    c = compile_template(TOY, "ToyIsZeroBroken")
    w = c.witness({"x": 5})
    assert c.outputs(w) == {"out": 0}
    forged = c.edit(w, {"inv": 0, "out": 1})
    c.check_constraints(forged)  # does NOT raise: the bug the harness exists to catch
    assert c.is_satisfied(forged) and c.outputs(forged) == {"out": 1}


def test_wire_zero_must_be_one(muladd):
    w = muladd.witness({"a": 0, "b": 0, "c": 0})
    with pytest.raises(ConstraintViolation, match="wire 0"):
        muladd.check_constraints(muladd.edit(w, {0: 0}))  # the all-zero vector is no witness


def test_edit_reduces_mod_p(muladd):
    w = muladd.witness({"a": 3, "b": 4, "c": 5})
    assert muladd.edit(w, {"c": -1})[muladd.signal_index("c")] == P - 1
    assert muladd.edit(w, {"c": P + 5})[muladd.signal_index("c")] == 5
    assert w[muladd.signal_index("c")] == 5  # the original is untouched


def test_dense_poseidon_witness_satisfies_r1cs():
    """Poseidon's dense constraints (many terms, large coefficients) check out, one forged fails."""
    c = compile_template(TOY, "ToyWide", params=[3, 2])
    w = c.witness({"seed": 1, "x": [2**249, 12345]})
    c.check_constraints(w)
    with pytest.raises(ConstraintViolation):
        c.check_constraints(c.edit(w, {"digest": w[c.signal_index("digest")] + 1}))


# --------------------------------------------------------------------------- names


def test_unknown_signal_is_key_error(muladd):
    with pytest.raises(KeyError):
        muladd.signal_index("main.nope")
    with pytest.raises(KeyError):
        muladd.edit([1] * muladd.n_wires, {"sq[2]": 1})
    with pytest.raises(KeyError):
        muladd.get([1] * muladd.n_wires, "nope")


def test_signal_optimised_away_at_o1_is_value_error(toy_range):
    # n2b.out[i] is wired straight to main.bits[i]: --O1 keeps only the latter
    assert toy_range.signal_index("bits[3]") > 0
    with pytest.raises(ValueError, match="optimised away"):
        toy_range.signal_index("main.n2b.out[3]")


def test_o0_keeps_every_signal():
    c = compile_template(TOY, "ToyRange", params=[8], opt="O0")
    assert c.signal_index("main.n2b.out[3]") > 0
    assert c.n_constraints > compile_template(TOY, "ToyRange", params=[8]).n_constraints


# --------------------------------------------------------------------------- R1CS parser vs snarkjs


@pytest.mark.parametrize("template,params", [("ToyMulAdd", []), ("ToyRange", [8]), ("ToyWide", [3, 2])])
def test_r1cs_parser_agrees_with_snarkjs(template, params):
    c = compile_template(TOY, template, params=params, public=["a"] if template == "ToyMulAdd" else ())
    proc = subprocess.run(
        [harness._node(), str(harness.NODE_MODULES / "snarkjs" / "build" / "cli.cjs"), "r1cs", "info",
         str(c.r1cs_path)],
        capture_output=True, text=True, check=True, cwd=harness.REPO,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout)
    info = {k: int(v) for k, v in re.findall(r"# of ([A-Za-z ]+): (\d+)", text)}
    r = c.r1cs
    assert info == {
        "Wires": r.n_wires,
        "Constraints": r.n_constraints,
        "Private Inputs": r.n_prv_in,
        "Public Inputs": r.n_pub_in,
        "Labels": r.n_labels,
        "Outputs": r.n_pub_out,
    }
    assert len(r.constraints) == r.n_constraints


# --------------------------------------------------------------------------- errors


def test_missing_node_is_a_loud_toolchain_error(monkeypatch, muladd):
    monkeypatch.setattr(harness.shutil, "which", lambda name: None)
    with pytest.raises(harness.ToolchainError, match="node not found"):
        muladd.witness({"a": 1, "b": 2, "c": 3})


# --------------------------------------------------------------------------- speed


def test_checks_fifty_thousand_constraints_in_seconds():
    c = compile_template(TOY, "ToyWide", params=[60, 60])  # about 46,000 constraints
    assert c.n_constraints > 45_000
    w = c.witness({"seed": 3, "x": [2**250 - 1 - i for i in range(60)]})
    t = time.perf_counter()
    c.check_constraints(w)
    assert time.perf_counter() - t < 10  # measured: ~0.3 s parse + ~0.1 s check
