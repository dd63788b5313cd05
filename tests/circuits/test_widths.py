"""circuits/widths.circom returns exactly public/fixed_point.py's widths (one source of truth each side)."""

import re

import pytest

from public import fixed_point as fp
from public.circuit import CIRCUITS_DIR

SRC = (CIRCUITS_DIR / "widths.circom").read_text()


@pytest.mark.parametrize("name", ["QTY_BITS", "RECORD_BITS", "AMOUNT_BITS", "PRICE_BITS", "LIMIT_BITS", "K_BITS", "EPOCH_BITS", "K_SCALE", "QTY_SCALE",
                                  "OFFSET_BITS", "RATE_BITS", "RATE_DIVISOR"])
def test_constant_matches_python(name):
    m = re.search(rf"function {name}\(\) {{ return (\d+); }}", SRC)
    assert m, f"{name} missing in widths.circom"
    assert int(m.group(1)) == getattr(fp, name)


def test_bounds_hold_for_every_supported_size():
    fp.check_bounds()
    for n in (1, 2, 3, 8, 32, 256):
        assert fp.agg_bits(n) + 1 < 252


def test_check_bounds_refuses_widths_that_could_wrap(monkeypatch):
    monkeypatch.setattr(fp, "QTY_BITS", 200)
    with pytest.raises(ValueError):
        fp.check_bounds()
