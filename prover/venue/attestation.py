"""Venue account statements: a venue signs every position and the collateral of one account for one
epoch with EdDSA-Poseidon on BabyJubJub (public/crypto/eddsa.py), and the circuit checks the signature.

Signed message (circuits/attest.circom StatementMessage, one field element)::

    M = PoseidonChain(STATEMENT_TAG, account, identity, epoch, n_positions,
                      instrument_id_0, qty_e8_0, ..., instrument_id_{C-1}, qty_e8_{C-1},
                      collateral_e8[asset_0], ..., collateral_e8[asset_{A-1}])

with C = the statement capacity (positions per statement, a circuit parameter), unused entries
(0, 0), quantities as field elements (negative = p - |q|), assets in the spec's order, ``account``
the first 248 bits of sha256 of the account name, ``identity`` the account holder's trader identity
commitment (prover/trader/identity.py), which the venue registered with the account. Dropping, adding,
reordering or changing any entry, the count, the collateral, the epoch, the account or the identity
changes M and breaks the signature: a statement serves only the trader who holds the identity's secret.

File format (JSON, ``zkmargin-statement/2``)::

    {"format": "zkmargin-statement/2", "venue": "deribit", "account": "desk-7", "identity": "0x...", "epoch": 1787412600,
     "capacity": 4, "assets": ["USDC", "USDT", "BTC", "ETH"],
     "positions": [{"instrument": "BTC-20260925-80000-C", "instrument_id": "...", "quantity_e8": "-2500000000"}],
     "collateral_e8": {"USDC": "10000000000000", ...},
     "public_key": {"x": "...", "y": "..."}, "signature": {"r8x": "...", "r8y": "...", "s": "..."}}

A large account (hundreds of positions, proved in chunks: circuits/chunk.circom, issue 11) is signed
over a commitment to its whole position list instead (``zkmargin-statement/3``, no ``capacity``)::

    h_0 = Poseidon(CHAIN_TAG), h_{j+1} = Poseidon(h_j, instrument_id_j, qty_e8_j)   (venue order)
    M3  = PoseidonChain(STATEMENT_V3_TAG, account, identity, epoch, n_positions, h_n,
                        collateral_e8[asset_0], ..., collateral_e8[asset_{A-1}])

(circuits/chunk.circom StatementRootMessage). Its file carries ``"signed_over": "positions_root"`` and
``"positions_root"`` (h_n, hex; recomputed and compared when read), and at most MAX_CHUNKED_POSITIONS
positions. Each chunk proof extends h position by position, so the aggregate's check h_n = signed
root shows every signed position counted once, in order, at its index.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from prover.trader.portfolio import Portfolio, Position, parse_collateral
from public.crypto.eddsa import PrivateKey, PublicKey, Signature
from public.crypto.identity import parse_commitment
from public.crypto.poseidon import poseidon, poseidon_chain
from public.errors import PortfolioError, RangeError
from public.fixed_point import AMOUNT_BITS, EPOCH_BITS, FIELD_P, QTY_BITS, QTY_SCALE, decimal_to_fixed, to_field
from public.json_input import read_json_file
from public.methodology.instrument import parse_instrument_name

FORMAT = "zkmargin-statement/2"
FORMAT_CHUNKED = "zkmargin-statement/3"  #: signed over the position list's chain (module docstring)
KEY_FORMAT = "zkmargin-venue-key/1"
STATEMENT_TAG = int.from_bytes(FORMAT.encode(), "big")  #: domain separation: no other message hashes alike
STATEMENT_V3_TAG = int.from_bytes(FORMAT_CHUNKED.encode(), "big")  #: circuits/chunk.circom STATEMENT_V3_TAG
CHAIN_TAG = int.from_bytes(b"zkmargin-positions/1", "big")  #: circuits/chunk.circom CHAIN_TAG
#: positions of one chunked statement: the aggregate's count range with 8 statements (SLOT_BITS 14 - 3 bits)
MAX_CHUNKED_POSITIONS = 2047


def account_field(account: str) -> int:
    """Account name -> field element: first 248 bits of sha256(name)."""
    return int.from_bytes(hashlib.sha256(account.encode()).digest()[:31], "big")


@dataclass(frozen=True)
class StatementEntry:
    """One attested position: canonical id and name, signed quantity (coins x 1e8)."""

    instrument_id: int
    name: str
    qty_e8: int


@dataclass(frozen=True)
class VenueStatement:
    """A signed account statement of one venue for one epoch."""

    venue: str
    account: str
    identity: int  #: the trader identity commitment the venue signed (prover/trader/identity.py)
    epoch: int
    capacity: int | None  #: positions per statement (format 2); None: signed over the positions root (format 3)
    assets: tuple[str, ...]
    positions: tuple[StatementEntry, ...]
    collateral_e8: dict[str, int]
    public_key: PublicKey
    signature: Signature
    source: str = ""

    @property
    def chunked(self) -> bool:
        """True for a format-3 statement (signed over its positions root, proved in chunks)."""
        return self.capacity is None

    def message(self) -> int:
        """The signed field element M, or M3 for a chunked statement (module docstring)."""
        if self.chunked:
            return statement_root_message(self)
        return statement_message(self.account, self.identity, self.epoch, self.positions, self.collateral_e8, self.capacity, self.assets)

    def signature_valid(self) -> bool:
        return self.public_key.verify(self.message(), self.signature)

    def to_json(self) -> dict:
        size = {"signed_over": "positions_root", "positions_root": hex(positions_root(self.positions))} if self.chunked else {"capacity": self.capacity}
        return {
            "format": FORMAT_CHUNKED if self.chunked else FORMAT,
            "venue": self.venue,
            "account": self.account,
            "identity": hex(self.identity),
            "epoch": self.epoch,
            **size,
            "assets": list(self.assets),
            "positions": [{"instrument": e.name, "instrument_id": str(e.instrument_id), "quantity_e8": str(e.qty_e8)} for e in self.positions],
            "collateral_e8": {a: str(v) for a, v in self.collateral_e8.items()},
            "public_key": self.public_key.to_json(),
            "signature": self.signature.to_json(),
        }


def statement_message(account: str, identity: int, epoch: int, positions, collateral_e8: dict[str, int], capacity: int, assets) -> int:
    """M over the padded position list (capacity entries) and the collateral in ``assets`` order."""
    if len(positions) > capacity:
        raise PortfolioError(f"{len(positions)} positions exceed the statement capacity {capacity}")
    values = [STATEMENT_TAG, account_field(account), int(identity), int(epoch), len(positions)]
    for e in positions:
        values += [e.instrument_id, to_field(e.qty_e8)]
    values += [0, 0] * (capacity - len(positions))
    return poseidon_chain(values + [collateral_e8.get(a, 0) for a in assets])


def chain_start() -> int:
    """h_0 of every statement's position chain: Poseidon(CHAIN_TAG)."""
    return poseidon([CHAIN_TAG])


def chain_step(h: int, instrument_id: int, qty_e8: int) -> int:
    """h_{j+1} = Poseidon(h_j, instrument_id, qty_e8 as a field element)."""
    return poseidon([h, instrument_id, to_field(qty_e8)])


def positions_root(entries) -> int:
    """The chain over a statement's entries (objects with instrument_id and qty_e8), venue order."""
    h = chain_start()
    for e in entries:
        h = chain_step(h, e.instrument_id, e.qty_e8)
    return h


def statement_root_message(st) -> int:
    """M3, what a venue signs for a chunked statement (circuits/chunk.circom StatementRootMessage):
    PoseidonChain(STATEMENT_V3_TAG, account, identity, epoch, n_positions, positions_root, amounts)."""
    values = [STATEMENT_V3_TAG, account_field(st.account), int(st.identity), int(st.epoch), len(st.positions), positions_root(st.positions)]
    return poseidon_chain(values + [st.collateral_e8.get(a, 0) for a in st.assets])


def attest(key: PrivateKey, venue: str, account: str, identity: int, epoch: int, positions: list[tuple[str, str]], collateral: dict[str, str], capacity: int | None, assets) -> VenueStatement:
    """Sign a statement (the venue back end's API).

    identity: the account holder's trader identity commitment (int, prover/trader/identity.py), as registered
    with the account; positions: (instrument name, quantity in coins as a decimal string); collateral:
    asset -> amount; capacity: positions per statement of the circuit (format 2), or None: sign a
    chunked statement over the positions root (format 3, up to MAX_CHUNKED_POSITIONS positions).
    Raises PortfolioError on an unknown instrument name, a quantity or amount out of range, an asset
    not in ``assets``, or more positions than ``capacity`` (or MAX_CHUNKED_POSITIONS).
    """
    entries = []
    for n, (name, qty) in enumerate(positions, start=1):
        try:
            ik = parse_instrument_name(str(name))
            q = decimal_to_fixed(qty, QTY_SCALE, f"position {n} quantity")
        except (ValueError, RangeError) as exc:
            raise PortfolioError(f"position {n}: {exc}") from None
        if not -(2**QTY_BITS) <= q < 2**QTY_BITS or q == 0:
            raise PortfolioError(f"position {n}: quantity {qty} must be non-zero and |quantity| < {2**QTY_BITS / QTY_SCALE:,.0f} coins")
        entries.append(StatementEntry(ik.instrument_id, ik.canonical_name, q))
    coll = parse_collateral(collateral, assets)
    if not isinstance(identity, int) or not 0 < identity < FIELD_P:
        raise PortfolioError("the trader identity must be a non-zero field element")
    if capacity is None:
        if len(entries) > MAX_CHUNKED_POSITIONS:
            raise PortfolioError(f"{len(entries)} positions exceed the {MAX_CHUNKED_POSITIONS} of one chunked statement: split the account")
        unsigned = VenueStatement(venue, account, identity, int(epoch), None, tuple(assets), tuple(entries), coll, key.public_key(), Signature(0, 0, 0))
        return dataclasses.replace(unsigned, signature=key.sign(statement_root_message(unsigned)))
    msg = statement_message(account, identity, epoch, entries, coll, capacity, assets)
    return VenueStatement(venue, account, identity, int(epoch), capacity, tuple(assets), tuple(entries), coll, key.public_key(), key.sign(msg))


def parse_statement(obj: dict, source: str = "statement") -> VenueStatement:
    """Validate a statement object (format, fields, ranges); raises PortfolioError naming the field.

    The signature is NOT checked here: ``signature_valid`` does, and the prover refuses invalid ones.
    """
    if not isinstance(obj, dict) or obj.get("format") not in (FORMAT, FORMAT_CHUNKED):
        raise PortfolioError(f"{source}: not a {FORMAT} or {FORMAT_CHUNKED} file")
    chunked = obj["format"] == FORMAT_CHUNKED
    if chunked and ("capacity" in obj or obj.get("signed_over") != "positions_root"):
        raise PortfolioError(f"{source}: a {FORMAT_CHUNKED} statement is signed over \"positions_root\" and has no capacity")
    try:
        entries = tuple(StatementEntry(_integer(p["instrument_id"]), str(p["instrument"]), _integer(p["quantity_e8"])) for p in obj["positions"])
        coll = {str(a): _integer(v) for a, v in obj["collateral_e8"].items()}
        st = VenueStatement(
            str(obj["venue"]), str(obj["account"]), parse_commitment(obj["identity"]), _integer(obj["epoch"]), None if chunked else _integer(obj["capacity"]), tuple(obj["assets"]), entries, coll,
            PublicKey.from_json(obj["public_key"]), Signature.from_json(obj["signature"]), source,
        )
    except (KeyError, TypeError, ValueError, AttributeError, PortfolioError) as exc:
        raise PortfolioError(f"{source}: malformed statement ({exc})") from None
    if not 0 <= st.epoch < 2**EPOCH_BITS or not (chunked or 1 <= st.capacity <= 64) or not all(isinstance(a, str) for a in st.assets):
        raise PortfolioError(f"{source}: epoch, capacity or assets out of range")
    if chunked:
        if len(st.positions) > MAX_CHUNKED_POSITIONS:
            raise PortfolioError(f"{source}: {len(st.positions)} positions, more than the {MAX_CHUNKED_POSITIONS} of a chunked statement")
        if not isinstance(obj.get("positions_root"), str):
            raise PortfolioError(f"{source}: malformed statement (positions_root)")
    for e in st.positions:
        if not -(2**QTY_BITS) <= e.qty_e8 < 2**QTY_BITS:
            raise PortfolioError(f"{source}: quantity of {e.name} out of range")
        try:
            named = parse_instrument_name(e.name).instrument_id
        except ValueError:
            named = None
        if named != e.instrument_id:
            raise PortfolioError(f"{source}: instrument name {e.name!r} does not match its instrument_id {e.instrument_id}")
    for a, v in st.collateral_e8.items():
        if a not in st.assets or not 0 <= v < 2**AMOUNT_BITS:
            raise PortfolioError(f"{source}: collateral {a} out of range or not in the statement's assets")
    if chunked and str(obj["positions_root"]) != hex(positions_root(st.positions)):
        raise PortfolioError(f"{source}: positions_root is not the chain of its positions (list altered?)")
    return st


def _integer(v) -> int:
    """A JSON integer or decimal-digit string (no floats, no '+', no spaces); ValueError otherwise."""
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise ValueError(f"{v!r} is not an integer")
    if isinstance(v, str) and not re.fullmatch(r"-?(0|[1-9][0-9]*)", v):
        raise ValueError(f"{v!r} is not a canonical integer")
    return int(v)


def load_statement(path) -> VenueStatement:
    """Read a statement file; PortfolioError if missing, not JSON or malformed."""
    path = Path(path)
    obj = read_json_file(path, PortfolioError, "statement file")
    return parse_statement(obj, path.name)


def write_key(key: PrivateKey, path) -> None:
    """Write a venue private key file with permissions 0600 (created so, never widened)."""
    path = Path(path)
    obj = {"format": KEY_FORMAT, "secret": key.secret.hex(), "public_key": key.public_key().to_json()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1)


def read_key(path) -> PrivateKey:
    """Read a venue private key file; PortfolioError if unreadable or inconsistent."""
    path = Path(path)
    try:
        obj = read_json_file(path, PortfolioError, "venue key", max_bytes=64 * 2**10)
        key = PrivateKey(bytes.fromhex(obj["secret"]))
        listed = PublicKey.from_json(obj["public_key"])
    except FileNotFoundError:
        raise PortfolioError(f"venue key not found: {path}") from None
    except (json.JSONDecodeError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise PortfolioError(f"{path.name}: not a {KEY_FORMAT} file ({exc})") from None
    if obj.get("format") != KEY_FORMAT or listed != key.public_key():
        raise PortfolioError(f"{path.name}: not a {KEY_FORMAT} file, or its public key does not match its secret")
    return key


def check_statements(statements, capacity: int, assets, n_venues: int | None = None, identity: int | None = None) -> int:
    """Refuse a statement set the circuit would reject, naming the statement; returns the common epoch.

    ``identity``: the prover's trader identity commitment; every statement must carry it (the circuit
    proves knowledge of its secret). Raises PortfolioError: wrong count for the circuit, other capacity
    or assets, different epochs, a statement issued to another trader identity,
    the same statement twice, a venue key outside the prime-order subgroup, a signature that does
    not verify, two statements of one account at one venue (the circuit allows one per (key, account)).
    """
    if not statements:
        raise PortfolioError("no venue statement given")
    if n_venues is not None and len(statements) != n_venues:
        raise PortfolioError(f"{len(statements)} venue statements given, the circuit takes exactly {n_venues}")
    seen = {}
    for st in statements:
        name = st.source or st.venue
        if st.capacity != capacity or tuple(st.assets) != tuple(assets):
            raise PortfolioError(f"{name}: statement capacity/assets ({st.capacity}, {', '.join(st.assets)}) differ from the circuit's ({capacity}, {', '.join(assets)})")
        if st.epoch != statements[0].epoch:
            raise PortfolioError(f"{name}: statement epoch {st.epoch} differs from {statements[0].epoch}: all statements must be for one epoch")
        want = statements[0].identity if identity is None else identity
        if st.identity != want:
            raise PortfolioError(f"{name}: the statement was issued to trader identity {hex(st.identity)[:14]}..., not {hex(want)[:14]}... (statements serve only the trader they were signed for)")
        if not st.public_key.is_valid():
            raise PortfolioError(f"{name}: venue key is not a valid BabyJubJub key (off curve or outside the prime-order subgroup)")
        if not st.signature_valid():
            raise PortfolioError(f"{name}: the venue signature does not verify (statement altered or forged)")
        holder = (st.public_key.x, account_field(st.account))
        if holder in seen:
            raise PortfolioError(f"{name}: a second statement of account {st.account!r} at the same venue as {seen[holder]} (the same statement twice?)")
        seen[holder] = name
    return statements[0].epoch


def portfolio_from_statements(statements, table, salt: int):
    """The book the statements attest, one position per entry (not netted: the circuit nets them
    in its scenario sums), collateral summed over venues. PortfolioError on an instrument missing
    from the risk table (not in the snapshot)."""
    positions, collateral = [], {}
    for st in statements:
        for e in st.positions:
            try:
                row = table.index_of(e.instrument_id)
            except KeyError:
                raise PortfolioError(f"{st.source or st.venue}: unknown instrument {e.name} (not in the snapshot)") from None
            positions.append(Position(row, e.instrument_id, e.name, e.qty_e8, (st.venue,), (e.qty_e8,)))
        for a, v in st.collateral_e8.items():
            collateral[a] = collateral.get(a, 0) + v
    return Portfolio(",".join(st.account for st in statements), tuple(positions), collateral, salt)
