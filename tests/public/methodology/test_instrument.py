"""public/methodology/instrument.py: Deribit and canonical names parse to packed canonical ids and round-trip;
bad names and inconsistent key fields raise ValueError."""

from datetime import date

import pytest

from public.methodology.instrument import InstrumentKey, canonical_id, canonical_name, parse_instrument_name

NAMES = [  # (Deribit or canonical name, key, canonical name, canonical id)
    ("BTC-25JUN27-150000-P", ("BTC", "option", date(2027, 6, 25), 150000.0, "put"), "BTC-20270625-150000-P",
     1_1_20270625_00000015000000_2),
    ("ETH-4SEP26-2400-C", ("ETH", "option", date(2026, 9, 4), 2400.0, "call"), "ETH-20260904-2400-C",
     2_1_20260904_00000000240000_1),
    ("ETH-4SEP26-2412d5-C", ("ETH", "option", date(2026, 9, 4), 2412.5, "call"), "ETH-20260904-2412.5-C",
     2_1_20260904_00000000241250_1),
    ("ETH-20260904-2412.25-P", ("ETH", "option", date(2026, 9, 4), 2412.25, "put"), "ETH-20260904-2412.25-P",
     2_1_20260904_00000000241225_2),
    ("BTC-25SEP26", ("BTC", "future", date(2026, 9, 25), None, None), "BTC-20260925-F", 1_2_20260925_00000000000000_0),
    ("BTC-20260925-F", ("BTC", "future", date(2026, 9, 25), None, None), "BTC-20260925-F", 1_2_20260925_00000000000000_0),
    ("BTC-PERPETUAL", ("BTC", "perpetual", None, None, None), "BTC-PERP", 1_3_00000000_00000000000000_0),
    ("ETH-PERP", ("ETH", "perpetual", None, None, None), "ETH-PERP", 2_3_00000000_00000000000000_0),
]  # fmt: skip


@pytest.mark.parametrize("name, fields, canon, iid", NAMES)
def test_names_parse_to_packed_ids_and_round_trip(name, fields, canon, iid):
    key = parse_instrument_name(name)
    assert key == InstrumentKey(*fields)
    assert key.canonical_name == canon == canonical_name(*fields)
    assert key.instrument_id == iid == canonical_id(*fields)
    assert parse_instrument_name(canon) == key


@pytest.mark.parametrize(
    "bad",
    ["", "BTC", "btc-25JUN27-150000-P", "BTC-25XYZ27-150000-P", "BTC-31FEB27-1000-C", "SOL-25JUN27-100-C",
     "BTC-25JUN27-150000-X", "BTC-25JUN27-0-C", "BTC-25JUN27-1000.005-C", "BTC-2027062-F", "BTC-PERPETUAL-C"],
)  # fmt: skip
def test_bad_names_raise_value_error(bad):
    with pytest.raises(ValueError, match="instrument name|underlying|strike"):
        parse_instrument_name(bad)


def test_inconsistent_key_fields_raise():
    with pytest.raises(ValueError, match="strike and option type"):
        InstrumentKey("BTC", "future", date(2026, 9, 25), 1000.0, None)
    with pytest.raises(ValueError, match="expiry"):
        InstrumentKey("BTC", "perpetual", date(2026, 9, 25), None, None)
