"""End to end, a book proved in chunks (prover/proving/chunked_pipeline.py; issue 11) on the real
snapshot: small test circuits (MarginChunk of 3 slots and MarginAggregate of 3 statements, the
real 35 scenarios and depth-6 tree, dev keys), the demo book's 10 positions signed as chunked
statements (format 3), so 5 chunks. The bundle is ACCEPTED by the venue, its margin is the
one-proof pipeline's; every forged bundle (a chunk dropped, duplicated, reordered or spliced in from
another proof of the book; each chunk public signal and proof element tampered; the aggregate's
linking values tampered; an unaccepted chunk key) is REJECTED, by py_ecc's batch and natively."""

import copy
import dataclasses
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from prover.proving.chunked_pipeline import prove_chunked_bundle
from prover.venue.attestation import attest, load_statement, read_key
from public.circuit import CircuitParams
from public.errors import PolicyNotMet, PortfolioError
from tests.conftest import POLICY, STATEMENTS, VENUE_KEYS, demo_trader
from verifier.policy import parse_policy
from verifier.trusted import load_trusted_circuit
from verifier.verify import verify_bundle

pytestmark = pytest.mark.slow
TRADER = demo_trader()
SLOTS = 3


@pytest.fixture(scope="module")
def circuits():
    from prover.toolchain import setup as su
    from prover.toolchain import snarkjs
    from prover.toolchain.variants import write_chunked_variant
    from public.errors import ToolchainError

    out = []
    for p in (CircuitParams.chunk("test_chunk_3", SLOTS, 35, 2, 3, 6), CircuitParams.aggregate("test_aggregate_3", 3, 35, 2, 4, 14)):
        p = write_chunked_variant(p)
        snarkjs.compile_circuit(p)
        try:
            su.load_setup(p)
        except ToolchainError:
            su.dev_setup(p, force=True)
        out.append(p)
    return out


def chunked_statements(paths=STATEMENTS):
    """The demo statements' positions and collateral, signed again as format-3 statements."""
    out = []
    for path, venue in zip(paths, VENUE_KEYS):
        st = load_statement(path)
        positions = [(e.name, str(Decimal(e.qty_e8) / 10**8)) for e in st.positions]
        collateral = {a: str(Decimal(v) / 10**8) for a, v in st.collateral_e8.items()}
        out.append(attest(read_key(VENUE_KEYS[venue]), st.venue, st.account, st.identity, st.epoch, positions, collateral, None, st.assets))
    return out


def venue_policy(circuits):
    obj = json.loads(POLICY.read_text())
    obj["circuits"] = [{"keys": str(p.keys_dir)} for p in circuits]
    return parse_policy(obj, POLICY.parent, source="chunked policy")


@pytest.fixture(scope="module")
def proved(tmp_path_factory, market, circuits):
    snapshot, spec = market
    policy = venue_policy(circuits)
    at = snapshot.timestamp + timedelta(minutes=2)
    d = tmp_path_factory.mktemp("chunked")
    runs = []
    for k in range(2):  # the same book twice: other blindings, so a spliced chunk cannot link
        seen = []
        outcome = prove_chunked_bundle(*circuits, snapshot, spec, chunked_statements(), policy, policy.challenge, d / f"bundle{k}.json", identity=TRADER,
                                       salt=9, at=at, workers=0, chunk_progress=lambda done, total: seen.append((done, total)))  # fmt: skip
        runs.append((outcome, json.loads((d / f"bundle{k}.json").read_text()), seen))
    trusted = [load_trusted_circuit(p.keys_dir) for p in circuits]
    return runs, trusted, policy, at


def decide(bundle, proved, market, engine="py_ecc"):
    _, trusted, policy, at = proved
    snapshot, spec = market
    return verify_bundle(bundle, policy, trusted, spec=spec, snapshot=snapshot, at=at, applicant=TRADER.commitment, engine=engine)


def test_the_chunked_book_is_proved_and_accepted(proved, market, demo_proof):
    (outcome, bundle, seen), _ = proved[0]
    assert outcome.n_chunks == 5 and len(bundle["chunks"]) == 5 and bundle["format"] == "zkmargin-proof-bundle/3"
    assert seen == [(k, 5) for k in range(1, 6)]  # progress after every chunk
    for engine in ("py_ecc", "native"):
        d = decide(bundle, proved, market, engine)
        assert d.accepted, [c for c in d.failed]
        assert d.check("chunk_links").passed and "5 chunk proofs" in d.check("chunk_links").reason
    assert "all 6 proofs" in decide(bundle, proved, market).check("groth16.pairing").reason
    assert outcome.report.to_json() == demo_proof[0].report.to_json()  # the same book in one proof: the same margin
    assert len(json.dumps(bundle)) < 12_000 + 1_100 * 5


def forged(bundle, change):
    b = copy.deepcopy(bundle)
    change(b)
    return b


FORGERIES = {
    "drop_first": lambda b: b["chunks"].pop(0),
    "drop_middle": lambda b: b["chunks"].pop(2),
    "drop_last": lambda b: b["chunks"].pop(),
    "duplicate": lambda b: b["chunks"].insert(1, b["chunks"][1]),
    "swap": lambda b: b["chunks"].__setitem__(slice(1, 3), b["chunks"][2:0:-1]),
    "reverse": lambda b: b["chunks"].reverse(),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_chunk_dropped_duplicated_or_moved_is_rejected(proved, market, name):
    (_, bundle, _), _ = proved[0]
    d = decide(forged(bundle, FORGERIES[name]), proved, market)
    assert not d.accepted and not d.check("chunk_links").passed


def test_a_chunk_from_another_proof_of_the_same_book_does_not_link(proved, market):
    runs = proved[0]
    (_, one, _), (_, other, _) = runs
    spliced = forged(one, lambda b: b["chunks"].__setitem__(2, other["chunks"][2]))
    d = decide(spliced, proved, market)
    assert not d.accepted and not d.check("chunk_links").passed
    assert decide(other, proved, market).accepted  # the other proof is fine on its own


@pytest.mark.parametrize("k", [0, 4])
@pytest.mark.parametrize("i", [0, 1, 2])
@pytest.mark.parametrize("engine", ["py_ecc", "native"])
def test_each_chunk_public_signal_tampered_is_rejected(proved, market, k, i, engine):
    (_, bundle, _), _ = proved[0]

    def tamper(b):
        sig = b["chunks"][k]["public_signals"]
        sig[i] = str(int(sig[i]) + 1)

    d = decide(forged(bundle, tamper), proved, market, engine)
    assert not d.accepted and not d.check("groth16.pairing").passed
    assert f"chunk {k}" in d.check("groth16.pairing").reason


@pytest.mark.parametrize("element", ["pi_a", "pi_b", "pi_c"])
@pytest.mark.parametrize("engine", ["py_ecc", "native"])
def test_each_chunk_proof_element_tampered_is_rejected(proved, market, element, engine):
    (_, bundle, _), _ = proved[0]
    other = proved[0][1][1]

    def tamper(b):  # a valid point of another proof: on the curve, the pairing must catch it
        b["chunks"][3]["proof"][element] = other["chunks"][2]["proof"][element]

    d = decide(forged(bundle, tamper), proved, market, engine)
    assert not d.accepted and not d.check("groth16.pairing").passed and "chunk 3" in d.check("groth16.pairing").reason


@pytest.mark.parametrize("name", ["acc_initial", "acc_final"])
def test_the_aggregate_linking_values_tampered_are_rejected(proved, market, name):
    runs, trusted, _, _ = proved
    bundle = runs[0][1]
    index = trusted[1].public_signal_names().index(name)

    def tamper(b):
        b["public_signals"][index] = str(int(b["public_signals"][index]) + 1)

    d = decide(forged(bundle, tamper), proved, market)
    assert not d.accepted and not d.check("groth16.pairing").passed and not d.check("chunk_links").passed


def test_a_chunk_key_the_venue_does_not_accept_is_rejected(proved, market):
    (_, bundle, _), _ = proved[0]
    d = decide(forged(bundle, lambda b: b["chunk_circuit"].__setitem__("verification_key_sha256", "0" * 64)), proved, market)
    assert not d.accepted and not d.check("chunk_circuit").passed


def test_a_one_proof_bundle_cannot_name_the_aggregate_key(proved, market):
    (_, bundle, _), _ = proved[0]

    def as_v2(b):
        b["format"] = "zkmargin-proof-bundle/2"
        del b["chunks"], b["chunk_circuit"]

    d = decide(forged(bundle, as_v2), proved, market)
    assert not d.accepted and not d.check("verification_key").passed


def test_pad_to_hides_the_size_within_a_bucket(tmp_path, market, circuits):
    snapshot, spec = market
    policy = venue_policy(circuits)
    at = snapshot.timestamp + timedelta(minutes=2)
    outcome = prove_chunked_bundle(*circuits, snapshot, spec, chunked_statements(), policy, policy.challenge, tmp_path / "b.json", identity=TRADER,
                                   at=at, workers=0, pad_to=7)  # fmt: skip
    assert outcome.n_chunks == 7 and outcome.decision.accepted
    with pytest.raises(PortfolioError, match="needs 5 chunks, more than --pad-to 4"):
        prove_chunked_bundle(*circuits, snapshot, spec, chunked_statements(), policy, policy.challenge, tmp_path / "c.json", identity=TRADER, at=at,
                             workers=0, pad_to=4)  # fmt: skip
    assert not (tmp_path / "c.json").exists()


def test_fewer_statements_than_slots_leave_inert_empty_slots(tmp_path, market, circuits, proved):
    """Two statements in the 3-slot aggregate: the third slot is empty (venue key (0, 0)); the venue
    accepts, names only the two signing venues and the margin is the two statements' alone. Filling
    the empty slot's key with an accepted venue's key after proving breaks the proof."""
    snapshot, spec = market
    policy = venue_policy(circuits)
    at = snapshot.timestamp + timedelta(minutes=2)
    a, b = chunked_statements()[:2]  # b's collateral raised, so the two alone meet the policy
    positions = [(e.name, str(Decimal(e.qty_e8) / 10**8)) for e in b.positions]
    b = attest(read_key(VENUE_KEYS["okx"]), b.venue, b.account, b.identity, b.epoch, positions, {"USDC": "500000"}, None, b.assets)
    two = [a, b]
    outcome = prove_chunked_bundle(*circuits, snapshot, spec, two, policy, policy.challenge, tmp_path / "b.json", identity=TRADER, at=at, workers=0)
    bundle = json.loads((tmp_path / "b.json").read_text())
    assert outcome.decision.accepted
    keys = bundle["statement"]["public"]["venue_keys"]
    assert len(keys) == 2 and bundle["statement"]["public"]["statement_slots"] == 3
    assert {policy.accepted_venues[(int(k["x"], 16), int(k["y"], 16))] for k in keys} == {st.venue for st in two}
    assert sum(len(st.positions) for st in two) < sum(len(st.positions) for st in chunked_statements())
    for engine in ("py_ecc", "native"):
        assert decide(bundle, proved, market, engine).accepted
    names = load_trusted_circuit(circuits[1].keys_dir).public_signal_names()
    ix, iy = names.index("venue_key_x[2]"), names.index("venue_key_y[2]")
    assert bundle["public_signals"][ix] == bundle["public_signals"][iy] == "0"
    x, y = next(iter(policy.accepted_venues))

    def fill(b):
        b["public_signals"][ix], b["public_signals"][iy] = str(x), str(y)

    d = decide(forged(bundle, fill), proved, market)
    assert not d.accepted and not d.check("groth16.pairing").passed


def test_format_2_statements_or_another_count_are_refused_before_any_work(tmp_path, market, circuits):
    snapshot, spec = market
    policy = venue_policy(circuits)
    at = snapshot.timestamp + timedelta(minutes=2)
    sts = chunked_statements()
    fourth = attest(read_key(VENUE_KEYS["deribit"]), "deribit", "desk-4", TRADER.commitment, sts[0].epoch, [], {"USDC": "1"}, None, sts[0].assets)
    for given, says in (([load_statement(p) for p in STATEMENTS], "format 3"), ([*sts, fourth], "takes 1 to 3"), ([], "takes 1 to 3")):
        with pytest.raises(PortfolioError, match=says):
            prove_chunked_bundle(*circuits, snapshot, spec, given, policy, policy.challenge, tmp_path / "b.json", identity=TRADER, at=at, workers=0)
    forged_st = dataclasses.replace(chunked_statements()[0], collateral_e8={"USDC": 10**16})
    with pytest.raises(PortfolioError, match="does not verify"):
        prove_chunked_bundle(*circuits, snapshot, spec, [forged_st, *chunked_statements()[1:]], policy, policy.challenge, tmp_path / "b.json",
                             identity=TRADER, at=at, workers=0)  # fmt: skip
    assert not (tmp_path / "b.json").exists()


def test_an_insolvent_book_is_not_proved(tmp_path, market, circuits):
    snapshot, spec = market
    obj = json.loads(POLICY.read_text())
    obj["circuits"] = [{"keys": str(p.keys_dir)} for p in circuits]
    obj["multiplier_k"] = "40"
    policy = parse_policy(obj, POLICY.parent, source="strict policy")
    with pytest.raises(PolicyNotMet, match="solvency"):
        prove_chunked_bundle(*circuits, snapshot, spec, chunked_statements(), policy, policy.challenge, tmp_path / "b.json", identity=TRADER,
                             at=snapshot.timestamp + timedelta(minutes=2), workers=0)  # fmt: skip
    assert not (tmp_path / "b.json").exists()
