"""Venue attestation in circuits/margin.circom (steps 2b and 11) and circuits/attest.circom.

Every position and collateral amount the circuit counts must come from a statement that a public
venue key signed for the public attestation epoch. Each attack below starts from honest inputs
(prover/proving/witness.py over statements signed with the test keys of tests/circuits/margin_cases.py)
and changes what an adversary with their own witness generator would change; the witness
generator must refuse it at the line of the family that owns it (``failed_at``), and where an
edit of a valid witness is the adversary's move, the R1CS must reject it. A mutated book also gets
its worst-loss hint recomputed (``rehint``) and, where it matters, its commitment (``recommit``),
so that only the attestation checks are left to catch it. build_witness refuses the same attacks
before the circuit sees them (PortfolioError): tested too, but only the circuit protects a verifier.

Signature refusals: circom runs VenueSignature (circomlib EdDSAPoseidonVerifier) when its last
input is assigned, so its trace ends in MarginSolvency at ``signature[v].message <== message[v].message``.
"""

import dataclasses
import re

import pytest

from tests.conftest import demo_trader
from prover.venue.attestation import STATEMENT_TAG, account_field
from public.crypto.babyjub import L
from public.circuit import CIRCUITS_DIR
from public.errors import PortfolioError
from public.fixed_point import FIELD_P as P
from prover.proving.witness import build_witness
from tests.circuits.margin_cases import (
    BTC_C, BTC_F, EPOCH, ETH_P, KEY_A, KEY_B, KEY_OTHER, PARAMS, POLICY, PRICES, SALT, SPEC, TABLE,
    SIGNATURE_LINE, copy_inputs, failed_at, forged_fails, hedged, iid, inputs, message_of, recommit, rehint, venue_a, venue_b,
)


TRADER = demo_trader()

SAME_STATEMENT = "same_key[v * N_VENUES + w].out * same_account[v * N_VENUES + w].out === 0"
PAD_QTY = "qty_e8[i] * is_pad[i].out === 0"
RECORD_IS_ATTESTED = "(record_id[i] - instrument_id[i]) * (1 - is_pad[i].out) === 0"
SLOT_FIELDS = ("qty_e8", "instrument_id", "record_id", "underlying", "pnl_e6", "delta_e6", "vega_e6", "add_on_e6", "mark_e6",
               "path_index", "path_elements")


def signature_refused(err: str) -> bool:
    """The EdDSA verifier of a statement refused, reached through MarginSolvency's signature line."""
    return "EdDSAPoseidonVerifier" in err and "VenueSignature" in err and failed_at(err, SIGNATURE_LINE)


# --- slot surgery on an input dict -----------------------------------------------------------------


def put_record(inp: dict, i: int, index: int) -> None:
    """Slot i opens leaf ``index`` of TABLE (record fields and Merkle path), in place."""
    rec, (path_index, path_elements) = TABLE.records[index], TABLE.path(index)
    inp["record_id"][i], inp["underlying"][i], inp["pnl_e6"][i] = rec.instrument_id, rec.underlying, list(rec.pnl_e6)
    inp["delta_e6"][i], inp["vega_e6"][i], inp["add_on_e6"][i], inp["mark_e6"][i] = rec.delta_e6, rec.vega_e6, rec.add_on_e6, rec.mark_e6
    inp["path_index"][i], inp["path_elements"][i] = path_index, path_elements


def set_entry(inp: dict, i: int, name: str | None, qty_e8: int) -> dict:
    """Copy of ``inp`` with slot i holding (name, qty) and its record, or an unused entry if name is None."""
    out = copy_inputs(inp)
    out["instrument_id"][i] = iid(name) if name else 0
    out["qty_e8"][i] = qty_e8
    put_record(out, i, TABLE.index_of(iid(name)) if name else 0)
    return out


def swap_slots(inp: dict, i: int, j: int) -> dict:
    out = copy_inputs(inp)
    for f in SLOT_FIELDS:
        out[f][i], out[f][j] = out[f][j], out[f][i]
    return out


def with_signature(inp: dict, v: int, sig) -> dict:
    out = copy_inputs(inp)
    out["sig_r8x"][v], out["sig_r8y"][v], out["sig_s"][v] = sig.r8x, sig.r8y, sig.s
    return out


def with_key(inp: dict, v: int, key) -> dict:
    out = copy_inputs(inp)
    pub = key.public_key()
    out["venue_key_x"][v], out["venue_key_y"][v] = pub.x, pub.y
    return out


# --- honest statements ----------------------------------------------------------------------------


def test_statement_tag_is_the_circuit_constant():
    src = (CIRCUITS_DIR / "attest.circom").read_text()
    m = re.search(r"function STATEMENT_TAG\(\)\s*\{\s*return\s+(\d+);", src)
    assert m and int(m.group(1)) == STATEMENT_TAG == int.from_bytes(b"zkmargin-statement/2", "big")


def test_honest_statements_satisfy_r1cs(circuit, witness, valid):
    circuit.check_constraints(witness)
    st = hedged()
    assert [message_of(valid, v) for v in range(2)] == [s.message() for s in st]
    assert valid["venue_key_x"] == [KEY_A.public_key().x, KEY_B.public_key().x]
    assert valid["attestation_epoch"] == EPOCH


# --- build_witness refuses what the circuit refuses -----------------------------------------------


@pytest.mark.parametrize(
    "what,statements",
    [
        ("another epoch", lambda: [venue_a([(BTC_C, "-1")], {"USDC": "20000"}, epoch=EPOCH + 1), venue_b([(ETH_P, "10")])]),
        ("S + 1", lambda: [dataclasses.replace(hedged()[0], signature=dataclasses.replace(hedged()[0].signature, s=hedged()[0].signature.s + 1)), hedged()[1]]),
        ("other key's signature", lambda: [dataclasses.replace(hedged()[0], signature=KEY_OTHER.sign(hedged()[0].message())), hedged()[1]]),
        ("altered collateral", lambda: [dataclasses.replace(hedged()[0], collateral_e8={**hedged()[0].collateral_e8, "USDC": 10**15}), hedged()[1]]),
        ("the same statement twice", lambda: [hedged()[0], hedged()[0]]),
        ("one statement for two", lambda: [hedged()[0]]),
    ],
)
def test_build_witness_refuses(what, statements):
    with pytest.raises(PortfolioError):
        build_witness(PARAMS, TABLE, statements(), SPEC, PRICES, POLICY, POLICY.challenge, EPOCH, 777, SALT, identity=TRADER)


# --- forged signatures ----------------------------------------------------------------------------


def test_signature_scalar_plus_one_is_refused(circuit, valid):
    err = circuit.expect_witness_failure({**valid, "sig_s": [valid["sig_s"][0] + 1, valid["sig_s"][1]]})
    assert signature_refused(err)


def test_signature_scalar_plus_l_is_refused(circuit, valid):
    # S + l verifies the same group equation: circomlib's CompConstant (S < l) is what refuses it
    err = circuit.expect_witness_failure({**valid, "sig_s": [valid["sig_s"][0] + L, valid["sig_s"][1]]})
    assert signature_refused(err) and "ForceEqualIfEnabled" not in err


def test_other_keys_signature_is_refused(circuit, valid):
    sig = KEY_OTHER.sign(hedged()[0].message())  # the right message, the wrong signer
    assert signature_refused(circuit.expect_witness_failure(with_signature(valid, 0, sig)))


def test_signature_over_another_message_is_refused(circuit, valid):
    # venue A's genuine signature of another statement (less short calls) on this one
    other = venue_a([(BTC_C, "-0.1"), (BTC_F, "0.5")], {"USDC": "20000"})
    assert signature_refused(circuit.expect_witness_failure(with_signature(valid, 0, other.signature)))


def test_venue_b_signature_on_venue_a_statement_is_refused(circuit, valid):
    assert signature_refused(circuit.expect_witness_failure(with_signature(valid, 0, KEY_B.sign(hedged()[0].message()))))


def test_forged_signature_scalar_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.sig_s[0]": circuit.get(witness, "main.sig_s[0]") + 1})


def test_forged_signature_point_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.sig_r8x[1]": P - circuit.get(witness, "main.sig_r8x[1]")})


# --- venue keys -----------------------------------------------------------------------------------


def test_other_venue_key_is_refused(circuit, valid):
    assert signature_refused(circuit.expect_witness_failure(with_key(valid, 0, KEY_OTHER)))


def test_swapped_venue_keys_are_refused(circuit, valid):
    # A's statement presented as B's and vice versa: each signature fails under the other key
    bad = {**valid, "venue_key_x": valid["venue_key_x"][::-1], "venue_key_y": valid["venue_key_y"][::-1]}
    assert signature_refused(circuit.expect_witness_failure(bad))


def test_forged_venue_key_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.venue_key_x[0]": KEY_OTHER.public_key().x, "main.venue_key_y[0]": KEY_OTHER.public_key().y})


def test_self_signed_statement_passes_only_under_its_own_public_key(circuit, valid):
    # an adversary signing their own statement with their own key gets a valid witness, but the key
    # is a public signal: the verifier's list of accepted venue keys is what refuses it (docs/security.md)
    st = hedged()
    st[0] = dataclasses.replace(st[0], public_key=KEY_OTHER.public_key(), signature=KEY_OTHER.sign(st[0].message()))
    inp = inputs(st)
    circuit.check_constraints(circuit.witness(inp))
    assert inp["venue_key_x"][0] == KEY_OTHER.public_key().x != valid["venue_key_x"][0]


# --- epoch ----------------------------------------------------------------------------------------


def test_statement_of_another_epoch_is_refused(circuit, valid):
    # venue A's statement for EPOCH + 1, proven with B's at EPOCH under attestation_epoch = EPOCH
    late = venue_a([(BTC_C, "-1"), (BTC_F, "0.5")], {"USDC": "20000"}, epoch=EPOCH + 1)
    assert signature_refused(circuit.expect_witness_failure(with_signature(valid, 0, late.signature)))


def test_claimed_attestation_epoch_is_refused(circuit, valid):
    # every statement is for EPOCH: claiming a fresher public epoch breaks both signatures
    assert signature_refused(circuit.expect_witness_failure({**valid, "attestation_epoch": EPOCH + 60}))


def test_old_statements_cannot_claim_a_new_epoch(circuit):
    # all statements signed for EPOCH - 3600, claimed as EPOCH
    old = [venue_a([(BTC_C, "-1"), (BTC_F, "0.5")], {"USDC": "20000"}, epoch=EPOCH - 3600), venue_b([(ETH_P, "10")], epoch=EPOCH - 3600)]
    inp = inputs(old)
    assert inp["attestation_epoch"] == EPOCH - 3600
    circuit.check_constraints(circuit.witness(inp))
    assert signature_refused(circuit.expect_witness_failure({**inp, "attestation_epoch": EPOCH}))


def test_forged_attestation_epoch_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.attestation_epoch": EPOCH + 60})


# --- statement content ----------------------------------------------------------------------------


def _content_attacks(valid):
    half = set_entry(valid, 0, BTC_C, valid["qty_e8"][0] // 2)  # half the short call
    dropped = set_entry(valid, 0, None, 0)  # hide the short call
    dropped_n = {**dropped, "n_positions": [1, valid["n_positions"][1]]}
    dup = set_entry(valid, 3, ETH_P, valid["qty_e8"][2])  # B's ETH put again in B's unused entry
    dup_n = {**dup, "n_positions": [valid["n_positions"][0], 2]}
    coll = copy_inputs(valid)
    coll["collateral_amount_e8"][0][0] *= 10
    acct = copy_inputs(valid)
    acct["account"][1] = account_field("desk-8")  # B's statement is for desk-7
    n_pos = {**valid, "n_positions": [valid["n_positions"][0], 2]}
    moved = set_entry(set_entry(valid, 3, BTC_C, valid["qty_e8"][0]), 0, None, 0)  # A's short call into B's unused entry
    return {
        "quantity changed": half,
        "entry dropped": dropped,
        "entry dropped, count fixed": dropped_n,
        "entry duplicated into an unused slot": dup,
        "entry duplicated, count fixed": dup_n,
        "entries of one statement reordered": swap_slots(valid, 0, 1),
        "collateral inflated": coll,
        "n_positions changed": n_pos,
        "account changed": acct,
        "position moved to another venue": moved,
    }


ATTACKS = list(_content_attacks(inputs(hedged())))


@pytest.mark.parametrize("what", ATTACKS)
def test_altered_statement_is_refused_by_its_signature(circuit, valid, what):
    bad = recommit(rehint(_content_attacks(valid)[what]))
    assert bad != valid
    assert signature_refused(circuit.expect_witness_failure(bad)), what


def test_forged_quantity_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.qty_e8[0]": -(10**7)})


# --- the same statement twice ---------------------------------------------------------------------


def test_same_statement_twice_is_refused(circuit, valid):
    # statement A in both statement slots, with its genuine signature and key: every signature verifies
    bad = copy_inputs(valid)
    n = PARAMS.n_pos
    for f in SLOT_FIELDS:
        bad[f][n:] = [bad[f][j] for j in range(n)]
    for f in ("account", "n_positions", "collateral_amount_e8", "sig_r8x", "sig_r8y", "sig_s", "venue_key_x", "venue_key_y"):
        bad[f][1] = bad[f][0]
    bad = recommit(rehint(bad))
    assert message_of(bad, 0) == message_of(bad, 1)
    err = circuit.expect_witness_failure(bad)
    assert failed_at(err, SAME_STATEMENT) and "EdDSAPoseidonVerifier" not in err


def test_forged_inverse_of_key_difference_fails_r1cs(circuit, witness):
    # IsZero(key_0 - key_1): with inv forged to 0 the out wire would read 1 (equal keys)
    forged_fails(circuit, witness, {"main.same_key[1].inv": 0})


def test_a_second_statement_of_the_same_account_at_the_same_venue_is_refused(circuit):
    # a corrected statement and the original, both genuinely signed for one epoch: only one may count
    first = venue_a([(BTC_C, "-1"), (BTC_F, "0.5")], {"USDC": "20000"})
    second = venue_a([(BTC_F, "0.5")], {"USDC": "20000"})
    assert first.message() != second.message()
    with pytest.raises(PortfolioError, match="second statement of account"):
        inputs([first, second])
    # the same two statements, built through a stand-in account for slot 1, then given the real
    # account and the second statement's genuine signature: every signature verifies
    bad = copy_inputs(inputs([first, venue_a([(BTC_F, "0.5")], {"USDC": "20000"}, account="desk-8")]))
    bad["account"][1] = bad["account"][0]
    bad["sig_r8x"][1], bad["sig_r8y"][1], bad["sig_s"][1] = second.signature.r8x, second.signature.r8y, second.signature.s
    bad = recommit(rehint(bad))
    assert message_of(bad, 1) == second.message()
    assert failed_at(circuit.expect_witness_failure(bad), SAME_STATEMENT)


# --- trader identity (issue 8): statements serve only the trader they were signed for --------------


def test_identity_tag_is_the_circuit_constant():
    from public.crypto.identity import IDENTITY_TAG

    src = (CIRCUITS_DIR / "attest.circom").read_text()
    m = re.search(r"function IDENTITY_TAG\(\)\s*\{\s*return\s+(\d+);", src)
    assert m and int(m.group(1)) == IDENTITY_TAG == int.from_bytes(b"zkmargin-identity/1", "big")


def test_wrong_identity_secret_is_refused(circuit, valid):
    # the public identity of the statements, without its secret: the holder of stolen statements
    err = circuit.expect_witness_failure({**valid, "identity_secret": valid["identity_secret"] + 1})
    assert "MarginSolvency" in err


def test_claiming_another_identity_breaks_every_signature(circuit, valid):
    from public.crypto.identity import identity_commitment

    thief = 0x7E57
    err = circuit.expect_witness_failure({**valid, "identity_secret": thief, "trader_identity": identity_commitment(thief)})
    assert signature_refused(err)


def test_statement_signed_for_another_trader_is_refused(circuit, valid):
    from public.crypto.identity import identity_commitment

    other = dataclasses.replace(hedged()[0], identity=identity_commitment(0xA11CE))
    theirs = KEY_A.sign(other.message())  # venue A's genuine signature, issued to another trader
    assert signature_refused(circuit.expect_witness_failure(with_signature(valid, 0, theirs)))


def test_forged_identity_secret_fails_r1cs(circuit, witness):
    forged_fails(circuit, witness, {"main.identity_secret": 12345})


def test_build_witness_refuses_another_traders_statements():
    from prover.trader.identity import TraderIdentity
    from public.crypto.identity import identity_commitment

    thief = TraderIdentity(0x7E57, identity_commitment(0x7E57))
    with pytest.raises(PortfolioError, match="issued to trader identity"):
        build_witness(PARAMS, TABLE, hedged(), SPEC, PRICES, POLICY, POLICY.challenge, EPOCH, 777, SALT, identity=thief)
