"""prover/venue/attestation.py: what a venue signs, the statement and key files, and the refusals of
``check_statements`` before any proving.

The signed fixtures are the three demo statements (fixtures/statements/{deribit,okx,bybit}.json,
epoch 1787412600) under the demo venue keys (fixtures/venues/*.key.json, public on purpose).
Every "changed" statement below is a minimal-diff twin of a fixture: one field edited, the
signature left as the venue made it, so the test shows the message moved and the signature broke.
"""

import dataclasses
import json
import os
import re
import stat

import pytest

from prover.venue.attestation import (
    FORMAT,
    KEY_FORMAT,
    STATEMENT_TAG,
    StatementEntry,
    VenueStatement,
    account_field,
    attest,
    check_statements,
    load_statement,
    parse_statement,
    portfolio_from_statements,
    read_key,
    statement_message,
    write_key,
)
from public.circuit import REPO, circuit_params
from public.crypto import babyjub
from public.crypto.eddsa import PrivateKey, PublicKey, Signature, generate_key
from public.crypto.poseidon import poseidon_chain
from public.errors import PortfolioError
from public.fixed_point import QTY_BITS, to_field
from tests.conftest import STATEMENTS, VENUE_KEYS, demo_trader

TRADER = demo_trader()

CAPACITY = 4
ASSETS = ("USDC", "USDT", "BTC", "ETH")


@pytest.fixture(scope="module")
def statements():
    """[deribit (4 entries), okx (4), bybit (2)] as loaded from the fixture files."""
    return [load_statement(p) for p in STATEMENTS]


@pytest.fixture(scope="module")
def keys():
    return {v: read_key(p) for v, p in VENUE_KEYS.items()}


def resign(st: VenueStatement, key: PrivateKey, **changes) -> VenueStatement:
    """``st`` with ``changes`` applied and signed again by ``key`` (the venue issuing it so)."""
    new = dataclasses.replace(st, **changes)
    return dataclasses.replace(new, signature=key.sign(new.message()))


# --- the fixtures are what the module documents ---------------------------------------------------


def test_fixture_statements_verify_under_their_venue_keys(statements, keys):
    for st, venue in zip(statements, ("deribit", "okx", "bybit")):
        assert st.venue == venue and st.epoch == 1787412600
        assert st.capacity == CAPACITY == circuit_params().n_pos and st.assets == ASSETS
        assert st.public_key == keys[venue].public_key()
        assert st.signature_valid()


def test_message_is_the_documented_poseidon_chain(statements):
    """M = PoseidonChain(TAG, account, epoch, n, (id, qty) x capacity with (0, 0) padding, amounts)."""
    st = statements[2]  # bybit: 2 entries, 2 padded
    assert len(st.positions) == 2
    values = [STATEMENT_TAG, account_field(st.account), st.identity, st.epoch, 2]
    for e in st.positions:
        values += [e.instrument_id, to_field(e.qty_e8)]
    values += [0, 0, 0, 0]
    values += [st.collateral_e8[a] for a in ASSETS]
    assert st.message() == poseidon_chain(values)


def test_account_field_is_248_bits_of_sha256():
    import hashlib

    assert account_field("demo-desk-1") == int.from_bytes(hashlib.sha256(b"demo-desk-1").digest()[:31], "big")
    assert account_field("demo-desk-1") < 2**248


def test_statement_tag_equals_the_circuit_constant():
    src = (REPO / "circuits" / "attest.circom").read_text()
    m = re.search(r"function\s+STATEMENT_TAG\(\)\s*\{\s*return\s+(\d+)\s*;\s*\}", src)
    assert m, "circuits/attest.circom defines no STATEMENT_TAG()"
    assert int(m.group(1)) == STATEMENT_TAG == int.from_bytes(FORMAT.encode(), "big")


# --- the message covers everything -------------------------------------------------------------------

OTHER = StatementEntry(1120261225000000090000001, "BTC-20261225-90000-C", 2000000000)  # in deribit's list, not okx's


def _edits(st: VenueStatement):
    """(what changed, changed statement with the original signature) for one fixture statement."""
    pos = st.positions
    e0 = pos[0]
    first_asset = next(a for a in ASSETS if st.collateral_e8.get(a))
    return [
        ("one quantity", dataclasses.replace(st, positions=(dataclasses.replace(e0, qty_e8=e0.qty_e8 + 1),) + pos[1:])),
        ("one quantity's sign", dataclasses.replace(st, positions=(dataclasses.replace(e0, qty_e8=-e0.qty_e8),) + pos[1:])),
        ("one instrument", dataclasses.replace(st, positions=(dataclasses.replace(OTHER, qty_e8=e0.qty_e8),) + pos[1:])),
        ("the order of two entries", dataclasses.replace(st, positions=(pos[1], pos[0]) + pos[2:])),
        ("an entry dropped", dataclasses.replace(st, positions=pos[:-1])),
        ("an entry added", dataclasses.replace(st, positions=pos[:-1] + (OTHER,) + pos[-1:]) if len(pos) < st.capacity else None),
        ("the count (an explicit (0, 0) entry)", dataclasses.replace(st, positions=pos + (StatementEntry(0, "", 0),)) if len(pos) < st.capacity else None),
        ("the epoch", dataclasses.replace(st, epoch=st.epoch + 1)),
        ("the account", dataclasses.replace(st, account=st.account + "x")),
        ("one collateral amount", dataclasses.replace(st, collateral_e8={**st.collateral_e8, first_asset: st.collateral_e8[first_asset] + 1})),
        ("collateral moved to another asset", dataclasses.replace(st, collateral_e8={**st.collateral_e8, "USDT": st.collateral_e8["USDC"], "USDC": st.collateral_e8["USDT"]}) if st.collateral_e8["USDC"] != st.collateral_e8["USDT"] else None),
    ]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["deribit", "okx", "bybit"])
def test_any_change_moves_the_message_and_breaks_the_signature(statements, which):
    st = statements[which]
    assert st.signature_valid()
    checked = 0
    for what, changed in _edits(st):
        if changed is None:  # an edit that statement's shape does not allow (full list)
            continue
        assert changed.message() != st.message(), what
        assert not changed.signature_valid(), f"{what}: the original signature still verifies"
        checked += 1
    assert checked >= 8


def test_a_full_list_cannot_take_one_more_entry(statements):
    st = statements[0]
    assert len(st.positions) == st.capacity
    with pytest.raises(PortfolioError, match="exceed the statement capacity 4"):
        dataclasses.replace(st, positions=st.positions + (OTHER,)).message()


def test_collateral_padding_of_absent_assets_is_zero(statements):
    """An asset missing from collateral_e8 hashes as 0, exactly as an explicit 0 (the same signed claim)."""
    st = statements[2]  # bybit: ETH only
    sparse = {a: v for a, v in st.collateral_e8.items() if v}
    assert set(sparse) == {"ETH"}
    assert dataclasses.replace(st, collateral_e8=sparse).message() == st.message()


# --- padding to capacity ------------------------------------------------------------------------------


def test_positions_are_padded_with_zero_entries_to_capacity(statements):
    st = statements[2]
    base = [STATEMENT_TAG, account_field(st.account), st.identity, st.epoch, len(st.positions)]
    for e in st.positions:
        base += [e.instrument_id, to_field(e.qty_e8)]
    coll = [st.collateral_e8[a] for a in ASSETS]
    for capacity in (2, 3, 4, 7):
        expected = poseidon_chain(base + [0, 0] * (capacity - 2) + coll)
        assert statement_message(st.account, st.identity, st.epoch, st.positions, st.collateral_e8, capacity, ASSETS) == expected


def test_capacity_is_part_of_the_message(statements):
    """The same two entries in a capacity-4 and a capacity-5 statement hash differently: a statement
    signed for one circuit does not verify for another."""
    st = statements[2]
    assert dataclasses.replace(st, capacity=5).message() != st.message()
    assert not dataclasses.replace(st, capacity=5).signature_valid()


def test_more_positions_than_capacity_is_refused():
    with pytest.raises(PortfolioError, match="3 positions exceed the statement capacity 2"):
        statement_message("a", TRADER.commitment, 1, [OTHER, OTHER, OTHER], {}, 2, ASSETS)


def test_attest_pads_and_signs(keys):
    st = attest(keys["bybit"], "bybit", "acct", TRADER.commitment, 1787412600, [("ETH-PERPETUAL", "5")], {"USDC": "10.5"}, 4, ASSETS)
    assert st.positions == (StatementEntry(st.positions[0].instrument_id, "ETH-PERP", 500000000),)
    assert st.collateral_e8 == {"USDC": 1050000000, "USDT": 0, "BTC": 0, "ETH": 0}
    assert st.signature_valid()
    assert st.message() == statement_message("acct", TRADER.commitment, 1787412600, st.positions, st.collateral_e8, 4, ASSETS)


def test_attest_is_deterministic_and_reproduces_the_fixture(statements, keys):
    """The fixture deribit.json is attest() of deribit_positions.json / deribit_collateral.json."""
    d = REPO / "fixtures" / "statements"
    pos = [(p["instrument"], p["quantity"]) for p in json.loads((d / "deribit_positions.json").read_text())]
    coll = json.loads((d / "deribit_collateral.json").read_text())
    st = attest(keys["deribit"], "deribit", "demo-desk-1", TRADER.commitment, 1787412600, pos, coll, 4, ASSETS)
    assert st.to_json() == statements[0].to_json()


@pytest.mark.parametrize(
    "positions, collateral, capacity, words",
    [
        ([("BTC-FOO", "1")], {}, 4, ["position 1", "BTC-FOO"]),
        ([("ETH-PERPETUAL", "1"), ("XRP-PERPETUAL", "1")], {}, 4, ["position 2", "XRP"]),
        ([("ETH-PERPETUAL", "0")], {}, 4, ["position 1", "non-zero"]),
        ([("ETH-PERPETUAL", "1e9")], {}, 4, ["position 1", "non-zero"]),
        ([("ETH-PERPETUAL", "-200000")], {}, 4, ["position 1"]),
        ([("ETH-PERPETUAL", "0.123456789")], {}, 4, ["position 1", "precision"]),
        ([("ETH-PERPETUAL", "ten")], {}, 4, ["position 1", "not a number"]),
        ([("ETH-PERPETUAL", "1")], {"DOGE": "1"}, 4, ["DOGE", "USDC"]),
        ([("ETH-PERPETUAL", "1")], {"USDC": "-1"}, 4, ["collateral USDC"]),
        ([("ETH-PERPETUAL", "1")], {"USDC": "1e12"}, 4, ["collateral USDC"]),
        ([("ETH-PERPETUAL", "1")], {"USDC": "lots"}, 4, ["collateral USDC"]),
        ([("ETH-PERPETUAL", "1")] * 3, {}, 2, ["3 positions", "capacity 2"]),
    ],
)
def test_attest_refuses_bad_input(keys, positions, collateral, capacity, words):
    with pytest.raises(PortfolioError) as exc:
        attest(keys["okx"], "okx", "a", TRADER.commitment, 1, positions, collateral, capacity, ASSETS)
    for w in words:
        assert w in str(exc.value)


# --- statement files ----------------------------------------------------------------------------------


def test_to_json_and_parse_statement_round_trip(statements):
    for st in statements:
        obj = json.loads(json.dumps(st.to_json()))
        back = parse_statement(obj, st.source)
        assert back == st
        assert back.signature_valid()
        assert back.to_json() == obj


def test_load_statement_names_the_file_as_source(statements):
    assert [st.source for st in statements] == ["deribit.json", "okx.json", "bybit.json"]


def _bad_twins():
    """(what changed, edit of the deribit statement object) each making it malformed."""

    def drop(key):
        return lambda o: o.pop(key)

    def setk(key, value):
        return lambda o: o.__setitem__(key, value)

    def pos(key, value):
        return lambda o: o["positions"][0].__setitem__(key, value)

    return [
        ("format", setk("format", "zkmargin-statement/1")),
        ("no identity", drop("identity")),
        ("identity not hex", setk("identity", "123")),
        ("no format", drop("format")),
        ("no positions", drop("positions")),
        ("no signature", drop("signature")),
        ("no public key", drop("public_key")),
        ("positions not a list", setk("positions", 5)),
        ("entry not an object", setk("positions", ["BTC-PERPETUAL"])),
        ("entry without quantity", lambda o: o["positions"][0].pop("quantity_e8")),
        ("quantity not an integer", pos("quantity_e8", "1.5")),
        ("quantity beyond 2^44", pos("quantity_e8", str(2**QTY_BITS))),
        ("quantity below -2^44", pos("quantity_e8", str(-(2**QTY_BITS) - 1))),
        ("instrument id not an integer", pos("instrument_id", "BTC")),
        ("epoch not an integer", setk("epoch", "tomorrow")),
        ("capacity missing", drop("capacity")),
        ("negative collateral", lambda o: o["collateral_e8"].__setitem__("BTC", "-1")),
        ("collateral beyond 2^64", lambda o: o["collateral_e8"].__setitem__("BTC", str(2**64))),
        ("collateral asset not in assets", lambda o: o["collateral_e8"].__setitem__("DOGE", "1")),
        ("public key not decimal", lambda o: o["public_key"].__setitem__("x", "0x12")),
        ("public key extra field", lambda o: o["public_key"].__setitem__("z", "1")),
        ("signature field missing", lambda o: o["signature"].pop("s")),
        ("signature not below p", lambda o: o["signature"].__setitem__("s", str(babyjub.P))),
    ]


@pytest.mark.parametrize("what, edit", _bad_twins(), ids=[w for w, _ in _bad_twins()])
def test_parse_statement_rejects_a_malformed_file_naming_it(tmp_path, what, edit):
    obj = json.loads(STATEMENTS[0].read_text())
    edit(obj)
    path = tmp_path / "bad_deribit.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(PortfolioError, match="bad_deribit.json"):
        load_statement(path)
    with pytest.raises(PortfolioError, match="^given-name"):
        parse_statement(obj, "given-name")


@pytest.mark.parametrize("obj", [[], "statement", None, 5])
def test_parse_statement_rejects_a_non_object(obj):
    with pytest.raises(PortfolioError, match="stmt.json: not a zkmargin-statement/2 or zkmargin-statement/3 file"):
        parse_statement(obj, "stmt.json")


def test_load_statement_missing_file_and_not_json(tmp_path):
    with pytest.raises(PortfolioError, match="statement file not found: .*nope.json"):
        load_statement(tmp_path / "nope.json")
    bad = tmp_path / "trunc.json"
    bad.write_text(STATEMENTS[0].read_text()[:100])
    with pytest.raises(PortfolioError, match="trunc.json: not valid JSON"):
        load_statement(bad)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PortfolioError, match="bin.json"):
        load_statement(binary)


# --- key files ----------------------------------------------------------------------------------------


def test_write_key_read_key_round_trip_mode_0600(tmp_path):
    key = generate_key()
    path = tmp_path / "venue.key.json"
    write_key(key, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    back = read_key(path)
    assert back.secret == key.secret and back.public_key() == key.public_key()
    obj = json.loads(path.read_text())
    assert obj["format"] == KEY_FORMAT and PublicKey.from_json(obj["public_key"]) == key.public_key()


def test_write_key_never_overwrites(tmp_path):
    path = tmp_path / "venue.key.json"
    write_key(generate_key(), path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        write_key(generate_key(), path)
    assert path.read_bytes() == before


def test_write_key_is_0600_even_under_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        write_key(generate_key(), tmp_path / "k.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "k.json").st_mode) == 0o600


def test_demo_key_files_match_the_policy_and_statements(keys, statements):
    for st in statements:
        assert keys[st.venue].public_key() == st.public_key


def test_read_key_rejects_a_public_key_that_does_not_match(tmp_path):
    obj = json.loads(VENUE_KEYS["deribit"].read_text())
    obj["public_key"] = json.loads(VENUE_KEYS["okx"].read_text())["public_key"]
    path = tmp_path / "swapped.key.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(PortfolioError, match="swapped.key.json: .*public key does not match"):
        read_key(path)


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda o: o.__setitem__("format", "other/1"), "not a zkmargin-venue-key/1"),
        (lambda o: o.pop("secret"), "not a zkmargin-venue-key/1"),
        (lambda o: o.__setitem__("secret", "abcd"), "not a zkmargin-venue-key/1"),
        (lambda o: o.__setitem__("secret", "zz" * 32), "not a zkmargin-venue-key/1"),
    ],
    ids=["format", "no secret", "short secret", "secret not hex"],
)
def test_read_key_rejects_malformed_key_files(tmp_path, edit, words):
    obj = json.loads(VENUE_KEYS["deribit"].read_text())
    edit(obj)
    path = tmp_path / "bad.key.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(PortfolioError, match=words):
        read_key(path)


def test_read_key_missing_or_not_json(tmp_path):
    with pytest.raises(PortfolioError, match="venue key not found"):
        read_key(tmp_path / "nope.key.json")
    (tmp_path / "x.key.json").write_text("{")
    with pytest.raises(PortfolioError, match="x.key.json"):
        read_key(tmp_path / "x.key.json")



@pytest.mark.parametrize("edit", [lambda o: o.pop("public_key"), lambda o: o["public_key"].__setitem__("x", "abc")], ids=["no public key", "public key not decimal"])
def test_read_key_rejects_a_missing_or_malformed_public_key(tmp_path, edit):
    obj = json.loads(VENUE_KEYS["deribit"].read_text())
    edit(obj)
    path = tmp_path / "bad.key.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(PortfolioError, match="bad.key.json"):
        read_key(path)


# --- check_statements ----------------------------------------------------------------------------------


def test_check_statements_accepts_the_demo_set_and_returns_its_epoch(statements):
    assert check_statements(statements, CAPACITY, ASSETS, 3) == 1787412600
    assert check_statements(statements[:1], CAPACITY, ASSETS) == 1787412600


def _named(st, name):
    return dataclasses.replace(st, source=name)


def test_check_statements_refuses_no_statement():
    with pytest.raises(PortfolioError, match="no venue statement"):
        check_statements([], CAPACITY, ASSETS, 3)


@pytest.mark.parametrize("n", [1, 2])
def test_check_statements_refuses_the_wrong_count(statements, n):
    with pytest.raises(PortfolioError, match=f"{n} venue statements given, the circuit takes exactly 3"):
        check_statements(statements[:n], CAPACITY, ASSETS, 3)
    with pytest.raises(PortfolioError, match="4 venue statements given, the circuit takes exactly 3"):
        check_statements(statements + statements[:1], CAPACITY, ASSETS, 3)


def test_check_statements_refuses_another_capacity(statements, keys):
    wide = attest(keys["bybit"], "bybit", "demo-desk-1", TRADER.commitment, 1787412600, [("ETH-PERPETUAL", "5")] * 5, {"USDC": "1"}, 5, ASSETS)
    assert wide.signature_valid()
    with pytest.raises(PortfolioError, match=r"^bybit5.json: statement capacity/assets \(5, .*differ from the circuit's \(4,"):
        check_statements(statements[:2] + [_named(wide, "bybit5.json")], CAPACITY, ASSETS, 3)


def test_check_statements_refuses_other_assets(statements, keys):
    other = ("USDT", "USDC", "BTC", "ETH")
    st = attest(keys["bybit"], "bybit", "demo-desk-1", TRADER.commitment, 1787412600, [("ETH-PERPETUAL", "5")], {"USDC": "1"}, 4, other)
    with pytest.raises(PortfolioError, match="^reordered.json: .*USDT, USDC, BTC, ETH"):
        check_statements(statements[:2] + [_named(st, "reordered.json")], CAPACITY, ASSETS, 3)


def test_check_statements_refuses_two_epochs(statements, keys):
    later = _named(resign(statements[1], keys["okx"], epoch=statements[1].epoch + 60), "okx_later.json")
    assert later.signature_valid()
    with pytest.raises(PortfolioError, match="^okx_later.json: statement epoch 1787412660 differs from 1787412600"):
        check_statements([statements[0], later, statements[2]], CAPACITY, ASSETS, 3)


def test_check_statements_refuses_a_small_order_key(statements):
    """circomlibjs and the circuit accept A = (0, p - 1) of order 2, for which S = 0, R8 = (0, 1)
    "signs" every message; the prover refuses such a key before proving."""
    weak = PublicKey(0, babyjub.P - 1)
    forged = _named(dataclasses.replace(statements[2], public_key=weak, signature=Signature(0, 1, 0)), "weak.json")
    with pytest.raises(PortfolioError, match="^weak.json: venue key is not a valid BabyJubJub key"):
        check_statements(statements[:2] + [forged], CAPACITY, ASSETS, 3)


def test_check_statements_refuses_an_off_curve_key(statements):
    off = _named(dataclasses.replace(statements[2], public_key=PublicKey(1, 2)), "off.json")
    with pytest.raises(PortfolioError, match="^off.json: venue key is not a valid"):
        check_statements(statements[:2] + [off], CAPACITY, ASSETS, 3)


def test_check_statements_refuses_a_bad_signature(statements):
    st = statements[1]
    e0 = st.positions[0]
    altered = _named(dataclasses.replace(st, positions=(dataclasses.replace(e0, qty_e8=e0.qty_e8 // 2),) + st.positions[1:]), "okx_altered.json")
    with pytest.raises(PortfolioError, match="^okx_altered.json: the venue signature does not verify"):
        check_statements([statements[0], altered, statements[2]], CAPACITY, ASSETS, 3)


def test_check_statements_refuses_a_signature_by_another_venue(statements, keys):
    """okx's content signed by deribit's key but presented under okx's key."""
    st = statements[1]
    stolen = _named(dataclasses.replace(st, signature=keys["deribit"].sign(st.message())), "okx_by_deribit.json")
    with pytest.raises(PortfolioError, match="^okx_by_deribit.json: the venue signature does not verify"):
        check_statements([statements[0], stolen, statements[2]], CAPACITY, ASSETS, 3)


def test_check_statements_refuses_the_same_statement_twice(statements):
    copy = _named(statements[0], "deribit_copy.json")
    with pytest.raises(PortfolioError, match=r"^deribit_copy.json: a second statement of account 'demo-desk-1' at the same venue as deribit.json \(the same statement twice\?\)"):
        check_statements([statements[0], statements[1], copy], CAPACITY, ASSETS, 3)


def test_check_statements_names_the_venue_without_a_source(statements):
    anon = dataclasses.replace(statements[1], source="", epoch=statements[1].epoch + 1)
    with pytest.raises(PortfolioError, match="^okx: "):
        check_statements([statements[0], anon, statements[2]], CAPACITY, ASSETS, 3)


# --- portfolio_from_statements --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table(market):
    from public.methodology.risk_table import cached_risk_table

    snapshot, spec = market
    return cached_risk_table(snapshot, spec, circuit_params().depth)


def test_portfolio_sums_collateral_and_keeps_positions_unnetted(statements, table):
    book = portfolio_from_statements(statements, table, salt=7)
    assert book.salt == 7
    assert book.account == "demo-desk-1,demo-desk-1,demo-desk-1"
    assert book.collateral_e8 == {"USDC": 200000 * 10**8, "USDT": 0, "BTC": 150000000, "ETH": 25 * 10**8}
    assert len(book.positions) == 10  # 4 + 4 + 2, in statement order
    want = [(e.instrument_id, e.qty_e8, (st.venue,)) for st in statements for e in st.positions]
    assert [(p.instrument_id, p.qty_e8, p.venues) for p in book.positions] == want
    for p in book.positions:
        assert table.index_of(p.instrument_id) == p.row
    short_calls = [p for p in book.positions if p.name == "BTC-20260925-80000-C"]
    assert [(p.qty_e8, p.venues) for p in short_calls] == [(-2500000000, ("deribit",)), (-1500000000, ("okx",))]
    assert sorted(p.venues[0] for p in book.positions if p.name == "ETH-PERP") == ["bybit", "okx"]


def test_portfolio_from_statements_nets_to_the_unsigned_demo_book(statements, table, market):
    """The unsigned what-if portfolio (fixtures/portfolios/demo_hedged_book.json) is the same book
    netted: per instrument the statement quantities sum to its netted quantity."""
    from prover.trader.portfolio import load_portfolio
    from tests.conftest import PORTFOLIO

    snapshot, spec = market
    netted = load_portfolio(PORTFOLIO, snapshot, spec)
    book = portfolio_from_statements(statements, table, salt=0)
    sums = {}
    for p in book.positions:
        sums[p.instrument_id] = sums.get(p.instrument_id, 0) + p.qty_e8
    assert sums == {p.instrument_id: p.qty_e8 for p in netted.positions}
    assert {a: v for a, v in book.collateral_e8.items() if v} == {a: v for a, v in netted.collateral_e8.items() if v}


def test_portfolio_from_statements_refuses_an_instrument_not_in_the_snapshot(statements, keys, table):
    st = attest(keys["okx"], "okx", "demo-desk-1", TRADER.commitment, 1787412600, [("BTC-25SEP26-81234-C", "1")], {}, 4, ASSETS)
    with pytest.raises(PortfolioError, match="okx: unknown instrument BTC-20260925-81234-C"):
        portfolio_from_statements([statements[0], st], table, 0)
