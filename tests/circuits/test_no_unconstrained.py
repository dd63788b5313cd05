"""No template of ours assigns a signal with ``<--`` (the classic under-constrained pitfall), and no
range check is wider than 252 bits (Num2Bits aliasing): static checks over circuits/*.circom."""

import re

import pytest

from public.circuit import CIRCUITS_DIR

SOURCES = sorted(CIRCUITS_DIR.rglob("*.circom"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_unconstrained_assignment(path):
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(), flags=re.DOTALL)
    assert "<--" not in code and "-->" not in code


def test_range_templates_refuse_widths_beyond_252():
    src = (CIRCUITS_DIR / "range.circom").read_text()
    assert "assert(BITS <= 252);" in src and "assert(BITS <= 251);" in src
