"""BLAKE-512 (the original SHA-3 finalist, not BLAKE2), which hashlib lacks.

circomlibjs derives an EdDSA scalar from a private key with BLAKE-512 (its ``blake-hash``
dependency); public/crypto/eddsa.py does the same so that one venue key gives the same public key and
signatures here as in circomlibjs. Source: Aumasson, Henzen, Meier, Phan, "SHA-3 proposal BLAKE"
(v1.3, 2010), sections 2.1-2.2; tests/public/crypto/test_eddsa.py checks the paper's examples and
Node's ``blake-hash`` at every padding boundary.
"""

from __future__ import annotations

import struct

_IV = (  # BLAKE-512 IV = SHA-512 IV (spec section 2.2.1)
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)
_C = (  # first digits of pi (spec section 2.2.1)
    0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89,
    0x452821E638D01377, 0xBE5466CF34E90C6C, 0xC0AC29B7C97C50DD, 0x3F84D5B5B5470917,
    0x9216D5D98979FB1B, 0xD1310BA698DFB5AC, 0x2FFD72DBD01ADFB7, 0xB8E1AFED6A267E96,
    0xBA7C9045F12C7F99, 0x24A19947B3916CF7, 0x0801F2E2858EFC16, 0x636920D871574E69,
)
_SIGMA = (  # message permutations, round r uses _SIGMA[r % 10] (spec section 2.1.2)
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)
_G_LANES = ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),  # columns
            (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14))  # diagonals
_M64 = (1 << 64) - 1


def _ror(x: int, n: int) -> int:
    return ((x >> n) | (x << (64 - n))) & _M64


def _compress(h: list[int], block: bytes, t: int) -> None:
    """One BLAKE-512 compression of a 128-byte block into ``h`` (in place); ``t`` = bit counter."""
    m = struct.unpack(">16Q", block)
    v = h[:] + list(_C[:4]) + [(t & _M64) ^ _C[4], (t & _M64) ^ _C[5], (t >> 64) ^ _C[6], (t >> 64) ^ _C[7]]
    for rnd in range(16):
        s = _SIGMA[rnd % 10]
        for i, (a, b, c, d) in enumerate(_G_LANES):
            j, k = s[2 * i], s[2 * i + 1]
            v[a] = (v[a] + v[b] + (m[j] ^ _C[k])) & _M64
            v[d] = _ror(v[d] ^ v[a], 32)
            v[c] = (v[c] + v[d]) & _M64
            v[b] = _ror(v[b] ^ v[c], 25)
            v[a] = (v[a] + v[b] + (m[k] ^ _C[j])) & _M64
            v[d] = _ror(v[d] ^ v[a], 16)
            v[c] = (v[c] + v[d]) & _M64
            v[b] = _ror(v[b] ^ v[c], 11)
    for i in range(8):
        h[i] ^= v[i] ^ v[i + 8]  # salt is zero


def blake512(data: bytes) -> bytes:
    """BLAKE-512 digest (64 bytes) of ``data``; the original SHA-3 finalist, not BLAKE2b.

    Padding (spec section 2.2.2): 0x80, zeros, 0x01 (0x81 when they share a byte), 128-bit
    big-endian bit length. The counter of a block is the message bits up to its end, or 0 for a
    block holding padding only.
    """
    n = len(data)
    pad = b"\x81" if n % 128 == 111 else b"\x80" + b"\x00" * ((110 - n) % 128) + b"\x01"
    msg = data + pad + (8 * n).to_bytes(16, "big")
    h = list(_IV)
    for off in range(0, len(msg), 128):
        _compress(h, msg[off : off + 128], min(8 * n, 8 * (off + 128)) if off < n else 0)
    return struct.pack(">8Q", *h)
