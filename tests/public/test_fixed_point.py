"""public/fixed_point.py: rounding, exact decimal parsing, field encoding of signed values."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from public.errors import RangeError
from public.fixed_point import FIELD_P, check_signed, decimal_to_fixed, from_field, to_field, to_fixed


def test_rounds_half_away_from_zero():
    assert to_fixed([2.5, -2.5, 1.5, -1.5, 0.5, -0.5], 1).tolist() == [3, -3, 2, -2, 1, -1]


def test_just_below_a_half_rounds_down():
    # floor(x + 0.5) would give 1 here: 0.49999999999999994 + 0.5 rounds to 1.0 in float64
    assert to_fixed(0.49999999999999994, 1).tolist() == 0


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_rounding_error_is_at_most_half_a_unit(x):
    assert abs(int(to_fixed(x, 10**6)) - x * 10**6) <= 0.5 + 1e-6 * abs(x)


def test_non_finite_values_are_refused():
    with pytest.raises(RangeError):
        to_fixed(float("nan"), 10**6)


@pytest.mark.parametrize("text,scale,expected", [("1.5", 10**8, 150_000_000), ("-0.00000001", 10**8, -1), ("250000", 10**6, 250_000_000_000), (3, 10**8, 300_000_000)])
def test_decimal_to_fixed_is_exact(text, scale, expected):
    assert decimal_to_fixed(text, scale, "x") == expected


@pytest.mark.parametrize("text", ["0.123456789", "1e-9", "abc", "nan", "inf"])
def test_decimal_to_fixed_refuses_precision_loss_and_non_numbers(text):
    with pytest.raises(RangeError):
        decimal_to_fixed(text, 10**8, "quantity")


@given(st.integers(min_value=-(2**250), max_value=2**250))
def test_field_encoding_round_trips(v):
    assert from_field(to_field(v)) == v
    assert 0 <= to_field(v) < FIELD_P


def test_check_signed_names_the_value():
    with pytest.raises(RangeError, match="qty"):
        check_signed(2**44, 44, "qty")
