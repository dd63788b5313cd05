"""The proof-bundle format ``zkmargin-proof-bundle/2`` and its structural check.

A bundle is a JSON object with exactly these sections (nothing else is allowed anywhere)::

    format          "zkmargin-proof-bundle/2"
    statement       {"claim": str, "public": {...}}   the named statement (public/statement.py)
    public_signals  [decimal str, ...]                 snarkjs public.json
    proof           {"pi_a": [3 str], "pi_b": [3 x [2 str]], "pi_c": [3 str], "protocol": str, "curve": str}
    circuit         {"name", "params": {n_venues, n_pos, n_scen, n_und, n_assets, depth}, "compiler",
                     "flags": [str], "source_sha256", "r1cs_sha256", "verification_key_sha256",
                     "setup": {"kind", "dev": bool, "label"}}
    market          {"snapshot_sha256", "snapshot_epoch": int, "spec", "spec_sha256",
                     "underlyings": [str], "assets": [str]}

A chunked bundle (``zkmargin-proof-bundle/3``, a book proved in chunks: circuits/chunk.circom) has
the same sections, with ``public_signals``/``proof``/``circuit`` those of the aggregate proof, and two
more::

    chunks          [{"public_signals": [3 decimal str], "proof": {...}}, ...]   1..MAX_CHUNKS, chain order
    chunk_circuit   the chunk circuit's section, as ``circuit``

and ``circuit.params`` / ``chunk_circuit.params`` are ``{"kind": "aggregate"|"chunk", ...}``
(public/circuit.py KIND_FIELDS).

``check_structure`` refuses (BundleError, exit code 2) what is not of this shape: a missing or extra
key, a wrong type, an oversized string or list, nesting deeper than MAX_DEPTH. It looks at no
value: whether the values are right is the verifier's checks (verifier/verify.py), which compare
every field against the venue's own configuration and recomputation. Cost is linear in the size
and bounded by MAX_NODES, whatever the input.
"""

from __future__ import annotations

from pathlib import Path

from public.errors import BundleError
from public.json_input import read_json_file

FORMAT = "zkmargin-proof-bundle/2"
FORMAT_CHUNKED = "zkmargin-proof-bundle/3"
MAX_DEPTH = 8  #: the format's own depth is 5 (chunks[k].proof.pi_b); statement.public 3
MAX_CHUNKS = 512  #: chunk proofs in one bundle (2,000 positions of 28 slots: about 75)
MAX_NODES = 40_000
MAX_STR = 512
MAX_SIGNALS = 512
MAX_BYTES = 1 * 2**20  #: a bundle is about 5 KB, plus about 1 KB a chunk; 1 MiB bounds parsing cost and memory

SECTIONS = ("format", "statement", "public_signals", "proof", "circuit", "market")
CHUNKED_SECTIONS = SECTIONS + ("chunks", "chunk_circuit")
PROOF_KEYS = ("pi_a", "pi_b", "pi_c", "protocol", "curve")
CIRCUIT_KEYS = ("name", "params", "compiler", "flags", "source_sha256", "r1cs_sha256", "verification_key_sha256", "setup")
PARAM_KEYS = ("n_venues", "n_pos", "n_scen", "n_und", "n_assets", "depth")
SETUP_KEYS = ("kind", "dev", "label")
MARKET_KEYS = ("snapshot_sha256", "snapshot_epoch", "spec", "spec_sha256", "underlyings", "assets")


def _bounded(obj) -> None:
    """Depth <= MAX_DEPTH, nodes <= MAX_NODES, strings <= 8 * MAX_STR, JSON types only (iterative)."""
    stack = [(obj, 1)]
    nodes = 0
    while stack:
        v, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise BundleError(f"bundle has more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise BundleError(f"bundle nested deeper than {MAX_DEPTH} levels")
        if isinstance(v, dict):
            for k, x in v.items():
                if not isinstance(k, str) or len(k) > MAX_STR:
                    raise BundleError("bundle has a non-string or oversized key")
                stack.append((x, depth + 1))
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)
        elif isinstance(v, str):
            if len(v) > 8 * MAX_STR:
                raise BundleError(f"bundle has a string of {len(v):,} characters")
        elif isinstance(v, int) and not isinstance(v, bool):
            if not -(2**256) < v < 2**256:
                raise BundleError("bundle holds an integer beyond 256 bits")
        elif v is not None and not isinstance(v, bool):
            raise BundleError(f"bundle holds a {type(v).__name__} (only JSON strings, integers, booleans, lists and objects)")


def _keys(obj, keys, where: str) -> dict:
    if not isinstance(obj, dict):
        raise BundleError(f"bundle {where} is a {type(obj).__name__}, not an object")
    if set(obj) != set(keys):
        extra, missing = sorted(set(obj) - set(keys)), sorted(set(keys) - set(obj))
        parts = ([f"unknown field(s) {', '.join(extra)[:200]}"] if extra else []) + ([f"missing {', '.join(missing)}"] if missing else [])
        raise BundleError(f"bundle {where}: {'; '.join(parts)}")
    return obj


def _str(v, where: str, max_len: int = MAX_STR) -> None:
    if not isinstance(v, str) or len(v) > max_len:
        raise BundleError(f"bundle {where} must be a string of at most {max_len} characters")


def _strs(v, where: str, n: int | None = None, max_n: int = 64) -> None:
    if not isinstance(v, list) or (n is not None and len(v) != n) or len(v) > max_n:
        raise BundleError(f"bundle {where} must be a list of {n if n is not None else f'at most {max_n}'} strings")
    for i, x in enumerate(v):
        _str(x, f"{where}[{i}]")


def _int(v, where: str) -> None:
    if type(v) is not int or not -(2**63) <= v < 2**63:
        raise BundleError(f"bundle {where} must be a 64-bit integer")


def _proof(obj, where: str) -> None:
    proof = _keys(obj, PROOF_KEYS, where)
    _strs(proof["pi_a"], f"{where}.pi_a", 3)
    _strs(proof["pi_c"], f"{where}.pi_c", 3)
    if not isinstance(proof["pi_b"], list) or len(proof["pi_b"]) != 3:
        raise BundleError(f"bundle {where}.pi_b must be a list of 3 pairs of strings")
    for i, pair in enumerate(proof["pi_b"]):
        _strs(pair, f"{where}.pi_b[{i}]", 2)
    _str(proof["protocol"], f"{where}.protocol", 16)
    _str(proof["curve"], f"{where}.curve", 16)


def _circuit(obj, where: str) -> None:
    from public.circuit import KIND_FIELDS

    c = _keys(obj, CIRCUIT_KEYS, where)
    for k in ("name", "compiler", "source_sha256", "r1cs_sha256", "verification_key_sha256"):
        _str(c[k], f"{where}.{k}")
    _strs(c["flags"], f"{where}.flags", max_n=32)
    raw = c["params"]
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind is not None:
        if kind not in KIND_FIELDS:
            raise BundleError(f"bundle {where}.params.kind must be one of {', '.join(KIND_FIELDS)}")
        params = _keys(raw, ("kind",) + KIND_FIELDS[kind], f"{where}.params")
    else:
        coin = isinstance(raw, dict) and "n_std_coin" in raw
        params = _keys(raw, PARAM_KEYS + ("n_std_coin",) * coin, f"{where}.params")
    for k in params:
        if k != "kind":
            _int(params[k], f"{where}.params.{k}")
    setup = _keys(c["setup"], SETUP_KEYS, f"{where}.setup")
    _str(setup["kind"], f"{where}.setup.kind")
    _str(setup["label"], f"{where}.setup.label")
    if type(setup["dev"]) is not bool:
        raise BundleError(f"bundle {where}.setup.dev must be a boolean")


def check_structure(obj) -> dict:
    """Refuse anything that is not a ``zkmargin-proof-bundle/2`` or ``/3`` object (module
    docstring); returns it.

    Raises BundleError naming the section and field. Checks shapes and types only.
    """
    _bounded(obj)
    fmt = obj.get("format") if isinstance(obj, dict) else None
    _keys(obj, CHUNKED_SECTIONS if fmt == FORMAT_CHUNKED else SECTIONS, "top level")
    if obj["format"] not in (FORMAT, FORMAT_CHUNKED):
        raise BundleError(f"not a {FORMAT} or {FORMAT_CHUNKED} bundle (format {str(obj['format'])[:40]!r})")
    st = _keys(obj["statement"], ("claim", "public"), "statement")
    _str(st["claim"], "statement.claim", 2000)
    if not isinstance(st["public"], dict):
        raise BundleError("bundle statement.public must be an object")
    _strs(obj["public_signals"], "public_signals", max_n=MAX_SIGNALS)
    _proof(obj["proof"], "proof")
    _circuit(obj["circuit"], "circuit")
    if obj["format"] == FORMAT_CHUNKED:
        _circuit(obj["chunk_circuit"], "chunk_circuit")
        chunks = obj["chunks"]
        if not isinstance(chunks, list) or not 1 <= len(chunks) <= MAX_CHUNKS:
            raise BundleError(f"bundle chunks must be a list of 1..{MAX_CHUNKS} chunk proofs")
        for k, ch in enumerate(chunks):
            ch = _keys(ch, ("public_signals", "proof"), f"chunks[{k}]")
            _strs(ch["public_signals"], f"chunks[{k}].public_signals", max_n=8)
            _proof(ch["proof"], f"chunks[{k}].proof")
    m = _keys(obj["market"], MARKET_KEYS, "market")
    for k in ("snapshot_sha256", "spec", "spec_sha256"):
        _str(m[k], f"market.{k}")
    _int(m["snapshot_epoch"], "market.snapshot_epoch")
    _strs(m["underlyings"], "market.underlyings", max_n=16)
    _strs(m["assets"], "market.assets", max_n=32)
    return obj


def read_bundle(path) -> dict:
    """Load a bundle (bounded size and depth); BundleError if unreadable, not JSON, or not of the
    format's shape (check_structure)."""
    path = Path(path)
    obj = read_json_file(path, BundleError, "bundle", max_bytes=MAX_BYTES)
    try:
        return check_structure(obj)
    except BundleError as exc:
        raise BundleError(f"{path.name}: {exc}") from None
