"""Readers for iden3's binary ``.r1cs`` and ``.wtns`` files, as circom writes them (BN254 only).

Formats (github.com/iden3/r1csfile, snarkjs ``src/wtns_utils.js``): little-endian, 4-byte magic
(``r1cs`` / ``wtns``) + u32 version + u32 section count, then sections (u32 type, u64 size, body).

- ``.wtns``: section 1 = u32 n8, prime (n8 bytes), u32 n; section 2 = n values of n8 bytes.
- ``.r1cs`` version 1: section 1 (header) = u32 n8, prime, u32 wires, public outputs, public inputs,
  private inputs, u64 labels, u32 constraints; section 2 = the constraints, each A, B, C as u32
  term count then (u32 wire, n8-byte coefficient) terms.

Both readers raise ValueError for a wrong magic or a prime other than ``P``; ``R1CS`` also for
stray bytes after the last constraint.
"""

from __future__ import annotations

import os
from pathlib import Path

P = 21888242871839275222246405745257275088548364400416034343698204186575808495617  #: BN254 scalar field


def _sections(data: bytes, magic: bytes, what: str) -> dict[int, memoryview]:
    if data[:4] != magic:
        raise ValueError(f"{what}: bad magic {data[:4]!r}, expected {magic!r}")
    n_sections = int.from_bytes(data[8:12], "little")
    view = memoryview(data)
    out: dict[int, memoryview] = {}
    pos = 12
    for _ in range(n_sections):
        kind = int.from_bytes(data[pos : pos + 4], "little")
        size = int.from_bytes(data[pos + 4 : pos + 12], "little")
        out[kind] = view[pos + 12 : pos + 12 + size]
        pos += 12 + size
    return out


def read_wtns(path: str | os.PathLike) -> list[int]:
    """Witness values of a ``.wtns`` file (section 1: n8, prime, n; section 2: n values, LE)."""
    sec = _sections(Path(path).read_bytes(), b"wtns", str(path))
    head = sec[1]
    n8 = int.from_bytes(head[0:4], "little")
    prime = int.from_bytes(head[4 : 4 + n8], "little")
    if prime != P:
        raise ValueError(f"{path}: prime {prime} is not the BN254 scalar field")
    n = int.from_bytes(head[4 + n8 : 8 + n8], "little")
    body = bytes(sec[2])
    return [int.from_bytes(body[i * n8 : (i + 1) * n8], "little") for i in range(n)]


class R1CS:
    """Header and (lazily) constraints of a circom ``.r1cs`` file, version 1."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._data = self.path.read_bytes()
        sec = _sections(self._data, b"r1cs", str(path))
        self._sec = sec
        h = sec[1]
        self.n8 = n8 = int.from_bytes(h[0:4], "little")
        self.prime = int.from_bytes(h[4 : 4 + n8], "little")
        if self.prime != P:
            raise ValueError(f"{path}: prime {self.prime} is not the BN254 scalar field")
        o = 4 + n8
        (self.n_wires, self.n_pub_out, self.n_pub_in, self.n_prv_in) = (
            int.from_bytes(h[o + 4 * i : o + 4 * i + 4], "little") for i in range(4)
        )
        self.n_labels = int.from_bytes(h[o + 16 : o + 24], "little")
        self.n_constraints = int.from_bytes(h[o + 24 : o + 28], "little")
        self._constraints: list | None = None

    @property
    def constraints(self) -> list[tuple[list[tuple[int, int]], ...]]:
        """``[(A, B, C), ...]``, each a list of (wire, coeff) terms; parsed on first use."""
        if self._constraints is None:
            self._constraints = self._parse_constraints()
            self._sec = self._data = None  # the raw bytes are no longer needed
        return self._constraints

    def _parse_constraints(self) -> list:
        body = bytes(self._sec[2])
        n8, frm = self.n8, int.from_bytes
        step = 4 + n8
        pos = 0
        out = []
        intern = {}.setdefault  # one object per repeated coefficient (1, p-1, 2^i): less memory
        for _ in range(self.n_constraints):
            abc = []
            for _ in range(3):
                n_terms = frm(body[pos : pos + 4], "little")
                pos += 4
                terms = [
                    (frm(body[p : p + 4], "little"), intern(c := frm(body[p + 4 : p + step], "little"), c))
                    for p in range(pos, pos + n_terms * step, step)
                ]
                pos += n_terms * step
                abc.append(terms)
            out.append(tuple(abc))
        if pos != len(body):
            raise ValueError(f"{self.path}: constraint section has {len(body) - pos} stray bytes")
        return out
