"""circuits/range.circom: UnsignedRange and SignedRange, honest and forged witnesses."""

import pytest

from tests.circuits.compiler import compile_template
from tests.circuits.harness import ConstraintViolation, P


@pytest.fixture(scope="module")
def unsigned():
    return compile_template("range.circom", "UnsignedRange", [8])


@pytest.fixture(scope="module")
def signed():
    return compile_template("range.circom", "SignedRange", [8])


@pytest.mark.parametrize("x", [0, 1, 200, 255])
def test_unsigned_accepts_values_in_range(unsigned, x):
    unsigned.check_constraints(unsigned.witness({"in": x}))


@pytest.mark.parametrize("x", [256, 2**20, -1, P - 1])
def test_unsigned_refuses_values_out_of_range(unsigned, x):
    err = unsigned.expect_witness_failure({"in": x})
    assert "Num2Bits" in err


def test_unsigned_forged_bits_for_out_of_range_value_fail_r1cs(unsigned):
    # an adversary keeps the bits of 255 but claims the input is 256
    w = unsigned.witness({"in": 255})
    forged = unsigned.edit(w, {"main.in": 256})
    with pytest.raises(ConstraintViolation):
        unsigned.check_constraints(forged)


def test_unsigned_non_boolean_bit_fails_r1cs(unsigned):
    # bit 0 set to 2 and bit 1 cleared keeps the weighted sum (2 = 2*1 + 0*2) but breaks b*(b-1)=0
    w = unsigned.witness({"in": 2})
    forged = unsigned.edit(w, {"main.bits.out[0]": 2, "main.bits.out[1]": 0})
    with pytest.raises(ConstraintViolation):
        unsigned.check_constraints(forged)


@pytest.mark.parametrize("x,nonneg,absolute", [(0, 1, 0), (5, 1, 5), (-5, 0, 5), (255, 1, 255), (-256, 0, 256)])
def test_signed_sign_and_abs_are_exact(signed, x, nonneg, absolute):
    out = signed.outputs(signed.witness({"in": x}))
    assert out["nonneg"] == nonneg and out["abs"] == absolute


@pytest.mark.parametrize("x", [256, -257, 2**100, P // 2])
def test_signed_refuses_values_out_of_range(signed, x):
    assert "Num2Bits" in signed.expect_witness_failure({"in": x})


def test_signed_forged_abs_fails_r1cs(signed):
    w = signed.witness({"in": -5})
    with pytest.raises(ConstraintViolation):
        signed.check_constraints(signed.edit(w, {"main.abs": P - 5}))


def test_signed_forged_sign_fails_r1cs(signed):
    w = signed.witness({"in": -5})
    with pytest.raises(ConstraintViolation):
        signed.check_constraints(signed.edit(w, {"main.nonneg": 1, "main.abs": P - 5}))
