"""Bounded JSON input: every file a trader, a venue or an adversary hands zkmargin is parsed here.

Size is checked before reading, nesting depth is found by a linear scan before parsing (no
recursion), and NaN, duplicate keys and numbers of more than 100 digits are refused; each fault is
the caller's named error (public/errors.py), naming the file.
"""

from __future__ import annotations

from pathlib import Path

from public.errors import ZkMarginError


def _size_text(n: int) -> str:
    """A byte count as people read it: "4 MiB", "64 KiB", "1,000 bytes"."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n:,} bytes"


def json_depth(data: bytes | str) -> int:
    """Deepest nesting of arrays/objects in JSON text (0 for a scalar), found without parsing it
    (linear, no recursion; see _json_scan)."""
    return _json_scan(data)[0]


def _json_scan(data: bytes | str) -> tuple[int, int]:
    """(deepest array/object nesting, longest run of digits outside strings) of JSON text.

    Linear and vectorised (bytes.replace, numpy cumsum), no recursion: about 20-40 ms for 4 MiB of
    any content on one core. Brackets and digits inside strings do not count: escape pairs are
    dropped first (``\\\\`` left to right, then ``\\"``), after which every remaining ``"`` opens
    or closes a string. Malformed JSON can only be mis-counted, never crash it; json.loads refuses
    it anyway. Text (str) is scanned as UTF-8, where a byte below 0x80 is the ASCII character it
    reads as. A JSON integer is one run of digits, so the second figure bounds int() before it runs.
    """
    import numpy as np

    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    a = np.frombuffer(data, dtype=np.uint8)
    if a.size == 0:
        return 0, 0
    count = np.int32 if a.size < 2**31 else np.int64
    outside = (np.cumsum(a == 0x22, dtype=count) & 1) == 0  # a closing quote reads as outside: it is neither
    opens = ((a == 0x5B) | (a == 0x7B)) & outside  # [ {
    closes = ((a == 0x5D) | (a == 0x7D)) & outside  # ] }
    depth = max(int(np.cumsum(opens.view(np.int8) - closes.view(np.int8), dtype=count).max()), 0)
    digit = (a >= 0x30) & (a <= 0x39) & outside
    edges = np.flatnonzero(np.diff(digit.view(np.int8), prepend=np.int8(0), append=np.int8(0)))
    longest = int((edges[1::2] - edges[0::2]).max()) if edges.size else 0
    return depth, longest


def _json_hooks(error: type[ZkMarginError], name: str, max_digits: int) -> dict:
    """json.loads keyword hooks that refuse (``error``) NaN/Infinity, float literals beyond the
    float range or of more than ``max_digits`` digits, and a key twice in one object. (Integers
    keep the C parser: their length is bounded beforehand by _json_scan, and a hook costs ~15x.)"""

    def parse_constant(s: str):
        raise error(f"{name}: non-finite number {s} (not valid JSON)")

    def parse_float(s: str) -> float:
        if len(s) - sum(s.count(c) for c in "+-.eE") > max_digits:
            raise error(f"{name}: number with more than {max_digits} digits")
        x = float(s)
        if x in (float("inf"), float("-inf")):
            raise error(f"{name}: non-finite number {s} (beyond the float range)")
        return x

    def object_pairs(pairs: list) -> dict:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen = set()
            for k, _ in pairs:
                if k in seen:
                    raise error(f"{name}: duplicate key {k!r} in one object")
                seen.add(k)
        return obj

    return {"parse_constant": parse_constant, "parse_float": parse_float, "object_pairs_hook": object_pairs}


def parse_json_text(text: str | bytes, error: type[ZkMarginError], what: str, *, name: str | None = None,
                    max_bytes: int = 4 * 2**20, max_depth: int = 64, max_digits: int = 100):
    """Parse JSON text held in memory (a file's bytes, an HTTP body) with bounded cost and strictly.

    Refuses, raising ``error`` with a message that starts with ``name`` (default ``what``): more
    than ``max_bytes`` bytes of UTF-8 (default 4 MiB); nesting deeper than ``max_depth`` arrays or
    objects (default 64, checked by a linear scan before parsing, so deep input never reaches the
    recursive parser); NaN, Infinity, -Infinity or a float literal beyond the float range (1e400);
    a number literal of more than ``max_digits`` digits (default 100; a field element has 77);
    a key twice in one object; bytes that are not UTF-8; anything else json.loads refuses
    ("<name>: not valid JSON (...)"). Cost is linear in the size, whatever the input.
    """
    import json

    name = name or what
    if isinstance(text, str):
        data = text.encode("utf-8", "surrogatepass")
    else:
        data = bytes(text)
    if len(data) > max_bytes:
        raise error(f"{name}: larger than {_size_text(max_bytes)} ({len(data):,} bytes)")
    if not isinstance(text, str):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"{name}: not valid JSON ({exc})") from None
    depth, digits = _json_scan(data)
    if depth > max_depth:
        raise error(f"{name}: nested deeper than {max_depth} levels")
    if digits > max_digits:
        raise error(f"{name}: number with more than {max_digits} digits")
    try:
        return json.loads(text, **_json_hooks(error, name, max_digits))
    except json.JSONDecodeError as exc:
        raise error(f"{name}: not valid JSON ({exc})") from None
    except RecursionError:
        raise error(f"{name}: nested too deeply to parse") from None
    except ValueError as exc:  # int() beyond sys.get_int_max_str_digits(), should max_digits allow it
        raise error(f"{name}: number out of range ({exc})") from None


def read_json_file(path, error: type[ZkMarginError], what: str, *, max_bytes: int = 4 * 2**20, max_depth: int = 64):
    """Parse a JSON input file (statement, bundle, portfolio, policy, key, table) with bounded cost.

    ``max_bytes``: largest file accepted (default 4 MiB; checked with stat before reading, and at
    most max_bytes + 1 bytes are ever read); ``max_depth``: deepest array/object nesting accepted
    (default 64). Raises ``error`` naming ``what`` or the file: "<what> not found: <path>", "<what>
    <path> is a directory", "cannot read <what> <path>: ...", or, from parse_json_text, "<file
    name>: larger than 4 MiB", "...: nested deeper than 64 levels", "...: duplicate key 'x' in one
    object", "...: non-finite number NaN", "...: number with more than 100 digits", "...: not valid
    JSON (...)".
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError
        if size > max_bytes:
            raise error(f"{path.name}: larger than {_size_text(max_bytes)} ({size:,} bytes)")
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise error(f"{what} {path} is a directory") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    return parse_json_text(data, error, what, name=path.name, max_bytes=max_bytes, max_depth=max_depth)
