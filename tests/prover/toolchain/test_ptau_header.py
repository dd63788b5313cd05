"""``ptau_file_power`` reads the power of a snarkjs ptau from its header section (what a fixture key
directory records, so an auditor regenerates the same dev ptau), and refuses what is not a ptau."""

import struct

import pytest

from prover.toolchain.setup import ptau_file_power
from public.errors import ToolchainError


def ptau_bytes(power: int, sections_before=((2, b"\x00" * 40),)) -> bytes:
    header = struct.pack("<I", 32) + b"\x01" * 32 + struct.pack("<II", power, power)
    sections = [*sections_before, (1, header)]
    out = b"ptau" + struct.pack("<II", 1, len(sections))
    return out + b"".join(struct.pack("<IQ", kind, len(data)) + data for kind, data in sections)


@pytest.mark.parametrize("power", [8, 13, 17, 28])
def test_the_power_comes_from_the_header_section_wherever_it_is(tmp_path, power):
    (tmp_path / "a.ptau").write_bytes(ptau_bytes(power))
    (tmp_path / "b.ptau").write_bytes(ptau_bytes(power, sections_before=()))
    assert ptau_file_power(tmp_path / "a.ptau") == ptau_file_power(tmp_path / "b.ptau") == power


@pytest.mark.parametrize("data", [b"", b"zkey" + b"\x00" * 20, ptau_bytes(17)[:30]], ids=["empty", "another magic", "truncated"])
def test_what_is_not_a_whole_ptau_is_refused(tmp_path, data):
    (tmp_path / "x.ptau").write_bytes(data)
    with pytest.raises(ToolchainError):
        ptau_file_power(tmp_path / "x.ptau")
