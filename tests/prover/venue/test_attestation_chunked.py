"""prover/venue/attestation.py, format 3: a large account signed over the chain of its whole
position list (``statement_root_message``, circuits/chunk.circom StatementRootMessage).

Every altered twin below keeps the venue's signature and recomputes the file's positions_root (so
the file parses): the signature must then break, which is what the aggregate circuit checks.
"""

import dataclasses

import pytest

from prover.venue.attestation import (
    FORMAT_CHUNKED,
    MAX_CHUNKED_POSITIONS,
    attest,
    check_statements,
    chain_start,
    chain_step,
    load_statement,
    parse_statement,
    positions_root,
    read_key,
    statement_message,
    statement_root_message,
)
from public.errors import PortfolioError
from tests.conftest import STATEMENTS, VENUE_KEYS, demo_trader

TRADER = demo_trader()
ASSETS = ("USDC", "USDT", "BTC", "ETH")
EPOCH = 1787412600
POSITIONS = [("BTC-25SEP26-80000-C", "-2.5"), ("BTC-PERPETUAL", "1.25"), ("ETH-25SEP26-3000-P", "40"), ("BTC-25SEP26-80000-C", "0.5")]


@pytest.fixture(scope="module")
def key():
    return read_key(VENUE_KEYS["deribit"])


@pytest.fixture(scope="module")
def chunked(key):
    return attest(key, "deribit", "mm-1", TRADER.commitment, EPOCH, POSITIONS, {"USDC": "250000", "BTC": "1.5"}, None, ASSETS)


def test_a_chunked_statement_is_signed_over_its_positions_root(chunked):
    assert chunked.chunked and chunked.capacity is None
    assert chunked.message() == statement_root_message(chunked)
    assert chunked.signature_valid()
    h = chain_start()
    for e in chunked.positions:
        h = chain_step(h, e.instrument_id, e.qty_e8)
    assert h == positions_root(chunked.positions)
    doc = chunked.to_json()
    assert doc["format"] == FORMAT_CHUNKED and doc["signed_over"] == "positions_root" and "capacity" not in doc
    assert doc["positions_root"] == hex(h)


def test_the_file_round_trips(chunked):
    again = parse_statement(chunked.to_json(), "s.json")
    assert again.to_json() == chunked.to_json() and again.signature_valid()


def test_it_never_hashes_like_a_format_2_statement(chunked):
    n = len(chunked.positions)
    assert chunked.message() != statement_message(chunked.account, chunked.identity, chunked.epoch, chunked.positions, chunked.collateral_e8, n, chunked.assets)


def _twin(st, **changes):
    doc = dataclasses.replace(st, **changes).to_json()  # positions_root recomputed, signature kept
    return parse_statement(doc, "twin.json")


@pytest.mark.parametrize("change", ["drop_last", "drop_first", "swap", "quantity", "duplicate", "collateral", "epoch", "account", "identity"])
def test_every_alteration_breaks_the_signature(chunked, change):
    ps = list(chunked.positions)
    changes = {
        "drop_last": {"positions": tuple(ps[:-1])},
        "drop_first": {"positions": tuple(ps[1:])},
        "swap": {"positions": (ps[1], ps[0], *ps[2:])},
        "quantity": {"positions": (dataclasses.replace(ps[0], qty_e8=ps[0].qty_e8 + 1), *ps[1:])},
        "duplicate": {"positions": (*ps, ps[-1])},
        "collateral": {"collateral_e8": {**chunked.collateral_e8, "USDC": chunked.collateral_e8["USDC"] + 1}},
        "epoch": {"epoch": chunked.epoch + 1},
        "account": {"account": "mm-2"},
        "identity": {"identity": chunked.identity + 1},
    }[change]
    assert not _twin(chunked, **changes).signature_valid()


@pytest.mark.parametrize("edit, says", [
    (lambda d: d.update(capacity=4), "has no capacity"),
    (lambda d: d.pop("signed_over"), "signed over"),
    (lambda d: d.update(positions_root=hex(int(d["positions_root"], 16) ^ 1)), "positions_root is not the chain"),
    (lambda d: d.pop("positions_root"), "positions_root"),
    (lambda d: d["positions"].pop(), "positions_root is not the chain"),
])  # fmt: skip
def test_a_malformed_chunked_file_is_a_named_error(chunked, edit, says):
    doc = chunked.to_json()
    edit(doc)
    with pytest.raises(PortfolioError, match=says):
        parse_statement(doc, "bad.json")


def test_more_positions_than_a_chunked_statement_holds_are_refused(key, chunked):
    too_many = [("BTC-PERPETUAL", "1")] * (MAX_CHUNKED_POSITIONS + 1)
    with pytest.raises(PortfolioError, match="exceed the 2047"):
        attest(key, "deribit", "mm-1", TRADER.commitment, EPOCH, too_many, {}, None, ASSETS)
    doc = chunked.to_json()
    doc["positions"] = doc["positions"] * (MAX_CHUNKED_POSITIONS // len(doc["positions"]) + 1)
    with pytest.raises(PortfolioError, match="more than the 2047"):
        parse_statement(doc, "big.json")


def test_the_single_proof_circuit_refuses_a_chunked_statement(chunked):
    fixture = [load_statement(p) for p in STATEMENTS]
    with pytest.raises(PortfolioError, match="capacity/assets"):
        check_statements([chunked, *fixture[1:]], 4, ASSETS, 3, TRADER.commitment)

