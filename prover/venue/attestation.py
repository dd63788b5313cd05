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
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from prover.trader.portfolio import Portfolio, Position, parse_collateral
from public.crypto.eddsa import PrivateKey, PublicKey, Signature
from public.crypto.identity import parse_commitment
from public.crypto.poseidon import poseidon_chain
from public.errors import PortfolioError, RangeError
from public.fixed_point import AMOUNT_BITS, EPOCH_BITS, FIELD_P, QTY_BITS, QTY_SCALE, decimal_to_fixed, to_field
from public.json_input import read_json_file
from public.methodology.instrument import parse_instrument_name

FORMAT = "zkmargin-statement/2"
KEY_FORMAT = "zkmargin-venue-key/1"
STATEMENT_TAG = int.from_bytes(FORMAT.encode(), "big")  #: domain separation: no other message hashes alike


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
    capacity: int
    assets: tuple[str, ...]
    positions: tuple[StatementEntry, ...]
    collateral_e8: dict[str, int]
    public_key: PublicKey
    signature: Signature
    source: str = ""

    def message(self) -> int:
        """The signed field element M (module docstring)."""
        return statement_message(self.account, self.identity, self.epoch, self.positions, self.collateral_e8, self.capacity, self.assets)

    def signature_valid(self) -> bool:
        return self.public_key.verify(self.message(), self.signature)

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "venue": self.venue,
            "account": self.account,
            "identity": hex(self.identity),
            "epoch": self.epoch,
            "capacity": self.capacity,
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


def attest(key: PrivateKey, venue: str, account: str, identity: int, epoch: int, positions: list[tuple[str, str]], collateral: dict[str, str], capacity: int, assets) -> VenueStatement:
    """Sign a statement (the venue back end's API).

    identity: the account holder's trader identity commitment (int, prover/trader/identity.py), as registered
    with the account; positions: (instrument name, quantity in coins as a decimal string); collateral:
    asset -> amount.
    Raises PortfolioError on an unknown instrument name, a quantity or amount out of range, an asset
    not in ``assets``, or more positions than ``capacity``.
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
    msg = statement_message(account, identity, epoch, entries, coll, capacity, assets)
    return VenueStatement(venue, account, identity, int(epoch), capacity, tuple(assets), tuple(entries), coll, key.public_key(), key.sign(msg))


def parse_statement(obj: dict, source: str = "statement") -> VenueStatement:
    """Validate a statement object (format, fields, ranges); raises PortfolioError naming the field.

    The signature is NOT checked here: ``signature_valid`` does, and the prover refuses invalid ones.
    """
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise PortfolioError(f"{source}: not a {FORMAT} file")
    try:
        entries = tuple(StatementEntry(_integer(p["instrument_id"]), str(p["instrument"]), _integer(p["quantity_e8"])) for p in obj["positions"])
        coll = {str(a): _integer(v) for a, v in obj["collateral_e8"].items()}
        st = VenueStatement(
            str(obj["venue"]), str(obj["account"]), parse_commitment(obj["identity"]), _integer(obj["epoch"]), _integer(obj["capacity"]), tuple(obj["assets"]), entries, coll,
            PublicKey.from_json(obj["public_key"]), Signature.from_json(obj["signature"]), source,
        )
    except (KeyError, TypeError, ValueError, AttributeError, PortfolioError) as exc:
        raise PortfolioError(f"{source}: malformed statement ({exc})") from None
    if not 0 <= st.epoch < 2**EPOCH_BITS or not 1 <= st.capacity <= 64:
        raise PortfolioError(f"{source}: epoch or capacity out of range")
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
