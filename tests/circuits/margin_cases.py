"""A small synthetic instance of MarginSolvency, signed venue statements and their honest witness.

MarginSolvency(2, 2, 5, 2, 4, 2): 2 venue statements x 2 positions (4 slots), 5 scenarios, BTC/ETH,
4 assets, a depth-2 tree (16 leaves) of six hand-made records with real canonical instrument ids
(public/methodology/instrument.py), so that prover/attestation.attest can sign statements naming them. Venue
keys are deterministic test keys (sha256 of a label). Inputs come from prover/proving/witness.py exactly
as for the real circuit, so the tests exercise the real witness builder; only the sizes are small
so that each test is fast.
"""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace

import pytest

from prover.proving.witness import build_witness, portfolio_commitment
from prover.venue.attestation import STATEMENT_TAG, attest
from public.circuit import CIRCUITS_DIR, CircuitParams
from public.crypto.eddsa import PrivateKey
from public.crypto.poseidon import poseidon_chain
from public.methodology.instrument import parse_instrument_name
from public.methodology.risk_table import RiskRecord, RiskTable
from tests.circuits.harness import ConstraintViolation
from tests.conftest import demo_trader
from verifier.policy import parse_policy

TRADER = demo_trader()

PARAMS = CircuitParams("test_margin_2x2", 2, 2, 5, 2, 4, 2)
PUBLIC = ["risk_root", "spec_hash", "snapshot_epoch", "attestation_epoch", "challenge", "trader_identity", "portfolio_commitment",
          "multiplier_k_e6", "delta_limit_e6", "vega_limit_e6", "collateral_price_e6", "venue_key_x", "venue_key_y"]
SPEC = SimpleNamespace(underlyings=("BTC", "ETH"), assets=("USDC", "USDT", "BTC", "ETH"), gain_offset=0.0, mm_factor=0.8, valuation="usd_linear")
PRICES = {"USDC": 1_000_000, "USDT": 1_000_000, "BTC": 69_000_000_000, "ETH": 2_100_000_000}
E6 = 10**6
EPOCH = 1_787_412_600  #: snapshot and attestation epoch of every honest case
SALT = 12345

# the six instruments, by canonical name (Deribit spellings parse to the same ids)
BTC_C = parse_instrument_name("BTC-25SEP26-80000-C").canonical_name
BTC_P = parse_instrument_name("BTC-25SEP26-80000-P").canonical_name
BTC_F = parse_instrument_name("BTC-25DEC26").canonical_name
ETH_C = parse_instrument_name("ETH-25SEP26-2200-C").canonical_name
ETH_P = parse_instrument_name("ETH-25SEP26-2200-P").canonical_name
ETH_PERP = parse_instrument_name("ETH-PERPETUAL").canonical_name


def iid(name: str) -> int:
    """Canonical instrument id of a name."""
    return parse_instrument_name(name).instrument_id


def records() -> list[RiskRecord]:
    """A BTC call, put and future; an ETH call, put and perpetual (USD e6 per coin), in id order."""
    return [
        RiskRecord(iid(BTC_C), 0, (-3_000 * E6, -1_000 * E6, 0, 2_000 * E6, 9_000 * E6), 40_000 * E6, 90 * E6, 385 * E6, 3_500 * E6, BTC_C),
        RiskRecord(iid(BTC_P), 0, (8_000 * E6, 2_500 * E6, 0, -900 * E6, -1_500 * E6), -30_000 * E6, 80 * E6, 385 * E6, 2_000 * E6, BTC_P),
        RiskRecord(iid(BTC_F), 0, (-12_000 * E6, -6_000 * E6, 0, 6_000 * E6, 12_000 * E6), 77_000 * E6, 0, 770 * E6, 0, BTC_F),
        RiskRecord(iid(ETH_C), 1, (-100 * E6, -40 * E6, 0, 70 * E6, 300 * E6), 1_200 * E6, 3 * E6, 12 * E6, 110 * E6, ETH_C),
        RiskRecord(iid(ETH_P), 1, (260 * E6, 90 * E6, 0, -30 * E6, -50 * E6), -1_000 * E6, 3 * E6, 12 * E6, 95 * E6, ETH_P),
        RiskRecord(iid(ETH_PERP), 1, (-400 * E6, -200 * E6, 0, 200 * E6, 400 * E6), 2_400 * E6, 0, 24 * E6, 0, ETH_PERP),
    ]


TABLE = RiskTable(records(), depth=2, labels={"BTC": ["-20%", "-10%", "0", "+10%", "+20%"], "ETH": ["-20%", "-10%", "0", "+10%", "+20%"]})
assert [r.instrument_id for r in TABLE.records] == sorted(r.instrument_id for r in TABLE.records)

POLICY = parse_policy(
    {
        "format": "zkmargin-policy/1",
        "multiplier_k": "1.25",
        "delta_limit_usd": {"BTC": "100000", "ETH": "50000"},
        "vega_limit_usd": {"BTC": "1000", "ETH": "500"},
        "max_snapshot_age_s": 900,
        "challenge": "0xc0ffee",
    }
)


def venue_key(label: str) -> PrivateKey:
    """Deterministic venue key for the tests: secret = sha256(label)."""
    return PrivateKey(hashlib.sha256(label.encode()).digest())


KEY_A = venue_key("zkmargin test venue A")
KEY_B = venue_key("zkmargin test venue B")
KEY_OTHER = venue_key("zkmargin test venue not accepted")


def statement(key: PrivateKey, positions, collateral=None, venue: str = "venue-a", account: str = "desk-7", epoch: int = EPOCH):
    """A statement signed by ``key``: positions [(name, coins as a decimal string)], collateral
    {asset: units as a decimal string} (default none), capacity PARAMS.n_pos, the spec's assets."""
    return attest(key, venue, account, TRADER.commitment, epoch, list(positions), dict(collateral or {}), capacity=PARAMS.n_pos, assets=SPEC.assets)


def venue_a(positions, collateral=None, **kw):
    return statement(KEY_A, positions, collateral, venue="venue-a", **kw)


def venue_b(positions, collateral=None, **kw):
    return statement(KEY_B, positions, collateral, venue="venue-b", **kw)


def hedged(collateral_a=None):
    """Venue A: short 1 BTC call hedged with 0.5 BTC future, 20,000 USDC; venue B: long 10 ETH puts
    (one unused entry), no collateral. Three used slots and slot 3 unused; solvent under POLICY."""
    return [
        venue_a([(BTC_C, "-1"), (BTC_F, "0.5")], collateral_a if collateral_a is not None else {"USDC": "20000"}),
        venue_b([(ETH_P, "10")]),
    ]


def witness_of(statements, policy=POLICY, salt: int = SALT):
    """The prover/proving/witness.py Witness (inputs, public, report) of ``statements``."""
    return build_witness(PARAMS, TABLE, statements, SPEC, PRICES, policy, policy.challenge, EPOCH, 777, salt, identity=TRADER)


def inputs(statements, policy=POLICY, salt: int = SALT) -> dict:
    """Circuit input dict (signal name -> ints) for ``statements``, as prover/proving/witness.py builds it."""
    return witness_of(statements, policy, salt).inputs


def report(statements, policy=POLICY, salt: int = SALT):
    return witness_of(statements, policy, salt).report


def copy_inputs(inp: dict) -> dict:
    """A deep copy of an input dict (nested lists copied), to mutate one entry."""
    return {k: [list(x) if isinstance(x, list) else x for x in v] if isinstance(v, list) else v for k, v in inp.items()}


def message_of(inp: dict, v: int) -> int:
    """Statement v's message M as circuits/attest.circom StatementMessage computes it from ``inp``."""
    n = PARAMS.n_pos
    values = [STATEMENT_TAG, inp["account"][v], inp["trader_identity"], inp["attestation_epoch"], inp["n_positions"][v]]
    for j in range(n):
        values += [inp["instrument_id"][v * n + j], inp["qty_e8"][v * n + j]]
    return poseidon_chain(values + list(inp["collateral_amount_e8"][v]))


def recommit(inp: dict) -> dict:
    """The inputs with ``portfolio_commitment`` recomputed from the (possibly mutated) statement
    fields, so that the commitment line is not the one that fails."""
    return {**inp, "portfolio_commitment": portfolio_commitment([message_of(inp, v) for v in range(PARAMS.n_venues)], inp["salt"])}


def rehint(inp: dict) -> dict:
    """The inputs with ``worst_loss_e14`` recomputed from the slots' quantities and records (gain
    offset 0: W_u = max(0, -min_s P_u[s])), so that the worst-case lines accept a mutated book."""
    totals = [[0] * PARAMS.n_scen for _ in range(PARAMS.n_und)]
    for i, q in enumerate(inp["qty_e8"]):
        for s in range(PARAMS.n_scen):
            totals[inp["underlying"][i]][s] += q * inp["pnl_e6"][i][s]
    return {**inp, "worst_loss_e14": [max(0, -min(t)) for t in totals]}


def source_line(fragment: str) -> int:
    """1-based line of the unique line of circuits/margin.circom containing ``fragment``."""
    lines = [i for i, line in enumerate((CIRCUITS_DIR / "margin.circom").read_text().splitlines(), 1) if fragment in line]
    assert len(lines) == 1, f"{fragment!r} found on lines {lines}"
    return lines[0]


def failed_at(err: str, fragment: str) -> bool:
    """True if circom's failure trace passes through MarginSolvency at the line holding ``fragment``."""
    line = source_line(fragment)
    return re.search(rf"MarginSolvency_\d+ line: {line}\b", err) is not None


def forged_fails(circuit, w, edits) -> None:
    """Assert that the witness ``w`` with the named signals edited fails the R1CS (a forged witness)."""
    with pytest.raises(ConstraintViolation):
        circuit.check_constraints(circuit.edit(w, edits))


#: the line through which every signature refusal passes: the last input of VenueSignature, after
#: which circom runs the EdDSA verifier (its ForceEqualIfEnabled / CompConstant checks)
SIGNATURE_LINE = "signature[v].message <== message[v].message"

__all__ = [
    "PARAMS", "PUBLIC", "SPEC", "PRICES", "TABLE", "POLICY", "EPOCH", "SALT", "KEY_A", "KEY_B", "KEY_OTHER",
    "BTC_C", "BTC_P", "BTC_F", "ETH_C", "ETH_P", "ETH_PERP", "iid", "venue_key", "statement", "venue_a", "venue_b",
    "hedged", "witness_of", "inputs", "report", "copy_inputs", "message_of", "recommit", "rehint", "failed_at",
    "SIGNATURE_LINE", "forged_fails",
]

