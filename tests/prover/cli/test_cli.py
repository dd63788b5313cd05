"""The CLI as a trader and a venue use it: outputs, exit codes, and bad input that loses nothing.

Every named error must reach the user as one ``error: ...`` line with exit code 2, never a
traceback, and must leave no file behind at --out. ``prove`` takes the three signed demo venue
statements (fixtures/statements/{deribit,okx,bybit}.json, epoch 1787412600 = 15:30Z); a bad
statement is a minimal-diff twin written to tmp_path: re-signed by its demo venue key where the
test is about what a venue signed (another epoch, too many positions, an insolvent book), left
unsigned where it is about tampering.
"""

import dataclasses
import json

import pytest

from prover.venue.attestation import attest, load_statement, read_key
from tests.prover.cli.runner import assert_named_error, run
from tests.conftest import IDENTITY, POLICY, PORTFOLIO, SNAPSHOT, STATEMENTS, VENUE_KEYS, demo_trader

TRADER = demo_trader()

AT = "2026-08-22T15:35:00Z"
ASSETS = ("USDC", "USDT", "BTC", "ETH")



def write_book(tmp_path, **over):
    book = json.loads(PORTFOLIO.read_text())
    book.update(over)
    path = tmp_path / "book.json"
    path.write_text(json.dumps(book))
    return path


def prove_args(out, market=SNAPSHOT, statements=STATEMENTS, at=AT, challenge=None):
    challenge = challenge or json.loads(POLICY.read_text())["challenge"]
    args = ["prove", "--market", market, *statement_args(statements), "--policy", POLICY, "--challenge", challenge, "--out", out, "--identity", IDENTITY]
    return args + (["--at", at] if at else [])


def statement_args(statements=STATEMENTS):
    """``--statement P`` for each path."""
    return [a for st in statements for a in ("--statement", st)]


def write_statement(path, st):
    """Write a VenueStatement as a statement file."""
    path.write_text(json.dumps(st.to_json(), indent=1))
    return path


def resigned(path, venue, **changes):
    """The fixture statement of ``venue`` with ``changes``, signed again by the venue's demo key."""
    i = ("deribit", "okx", "bybit").index(venue)
    st = dataclasses.replace(load_statement(STATEMENTS[i]), **changes)
    st = dataclasses.replace(st, signature=read_key(VENUE_KEYS[venue]).sign(st.message()))
    assert st.signature_valid()
    return write_statement(path, st)


def replacing(i, path):
    """The three fixture statements with the i-th replaced by ``path``."""
    sts = list(STATEMENTS)
    sts[i] = path
    return sts


# --- risk -----------------------------------------------------------------------------------------


def test_risk_prints_the_margin_breakdown():
    r = run("risk", "--market", SNAPSHOT, "--portfolio", PORTFOLIO, "--policy", POLICY)
    assert r.exit_code == 0, r.output
    for word in ("worst-case loss", "initial margin (IM)", "maintenance margin (MM)", "collateral value", "PASS  solvency", "BTC", "ETH"):
        assert word in r.output


def test_risk_json_is_machine_readable():
    r = run("risk", "--market", SNAPSHOT, "--portfolio", PORTFOLIO, "--json")
    obj = json.loads(r.output)
    m = obj["margin"]
    assert {u["underlying"] for u in m["underlyings"]} == {"BTC", "ETH"}
    im = float(m["initial_margin_usd"])
    assert im == pytest.approx(sum(float(u["worst_loss_usd"]) for u in m["underlyings"]) + float(m["add_on_usd"]), abs=1e-5)
    assert float(m["maintenance_margin_usd"]) == pytest.approx(0.8 * im, abs=1e-5)
    assert all(u["worst_scenario_label"] for u in m["underlyings"])


def test_risk_of_the_statements_equals_the_unsigned_book():
    """The three signed statements hold the demo book split across venues; the unsigned portfolio
    holds it netted per instrument. The circuit's scenario sums net, so every margin figure agrees."""
    r = run("risk", "--market", SNAPSHOT, *statement_args(), "--json")
    assert r.exit_code == 0, r.output
    signed = json.loads(r.output)
    r = run("risk", "--market", SNAPSHOT, "--portfolio", PORTFOLIO, "--json")
    assert r.exit_code == 0, r.output
    unsigned = json.loads(r.output)
    assert signed["risk_root"] == unsigned["risk_root"]
    assert signed["margin"] == unsigned["margin"]
    m = signed["margin"]
    assert float(m["collateral_value_usd"]) > float(m["initial_margin_usd"]) > 0


def test_risk_of_the_statements_prints_the_breakdown_and_policy_checks():
    r = run("risk", "--market", SNAPSHOT, *statement_args(), "--policy", POLICY)
    assert r.exit_code == 0, r.output
    for word in ("worst-case loss", "initial margin (IM)", "collateral value", "PASS  solvency"):
        assert word in r.output


def test_risk_needs_exactly_one_of_portfolio_or_statements():
    assert_named_error(run("risk", "--market", SNAPSHOT), "--portfolio", "--statement")
    assert_named_error(run("risk", "--market", SNAPSHOT, "--portfolio", PORTFOLIO, *statement_args()), "either")


def test_risk_refuses_a_tampered_statement(tmp_path):
    obj = json.loads(STATEMENTS[1].read_text())
    obj["positions"][0]["quantity_e8"] = str(int(obj["positions"][0]["quantity_e8"]) // 3)
    bad = tmp_path / "okx_edited.json"
    bad.write_text(json.dumps(obj))
    assert_named_error(run("risk", "--market", SNAPSHOT, *statement_args(replacing(1, bad))), "okx_edited.json", "signature does not verify")


def test_risk_unknown_instrument_in_a_statement_is_a_named_error(tmp_path):
    key = read_key(VENUE_KEYS["okx"])
    st = attest(key, "okx", "demo-desk-1", TRADER.commitment, 1787412600, [("BTC-25SEP26-81234-C", "1")], {}, 4, ASSETS)
    path = write_statement(tmp_path / "okx_unlisted.json", st)
    assert_named_error(run("risk", "--market", SNAPSHOT, "--statement", path), "unknown instrument", "BTC-20260925-81234-C")


def test_risk_unknown_instrument_is_a_named_error(tmp_path):
    book = write_book(tmp_path, positions=[{"instrument": "BTC-25SEP26-81234-C", "quantity": "1"}])
    assert_named_error(run("risk", "--market", SNAPSHOT, "--portfolio", book), "unknown instrument", "BTC-25SEP26-81234-C")


@pytest.mark.parametrize("qty", ["1e9", "-200000", "0.123456789", "ten"])
def test_risk_absurd_quantity_is_a_named_error(tmp_path, qty):
    book = write_book(tmp_path, positions=[{"instrument": "BTC-PERPETUAL", "quantity": qty}])
    assert_named_error(run("risk", "--market", SNAPSHOT, "--portfolio", book), "position 1")


def test_risk_malformed_snapshot_row_names_the_line(tmp_path):
    lines = SNAPSHOT.read_text().splitlines(keepends=True)
    lines[6] = lines[6].replace("BTC-", "BTC-", 1).replace(",call,", ",cal,").replace(",put,", ",pt,")
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines))
    assert_named_error(run("risk", "--market", bad, "--portfolio", PORTFOLIO), "line 7")


def test_missing_snapshot_file_is_a_named_error(tmp_path):
    assert_named_error(run("risk", "--market", tmp_path / "nope.csv", "--portfolio", PORTFOLIO), "nope.csv", "No such file")


def test_missing_statement_file_is_a_named_error(tmp_path):
    assert_named_error(run("risk", "--market", SNAPSHOT, "--statement", tmp_path / "nope.json"), "statement file not found", "nope.json")
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, statements=replacing(2, tmp_path / "nope.json"))), "statement file not found", "nope.json")
    assert not out.exists()


# --- prove: refusals write nothing ------------------------------------------------------------------


def test_prove_refuses_an_insolvent_book_and_writes_nothing(tmp_path, demo_keys):
    """deribit attests the same positions with no collateral: $154k left against an IM of $252k."""
    poor = resigned(tmp_path / "deribit_poor.json", "deribit", collateral_e8={a: 0 for a in ASSETS})
    out = tmp_path / "bundle.json"
    r = run(*prove_args(out, statements=replacing(0, poor)))
    assert_named_error(r, "does not meet the policy", "solvency", "shortfall $", "`zkmargin derisk`", code=1)
    assert list(tmp_path.iterdir()) == [poor]


def test_prove_refuses_a_stale_snapshot_and_writes_nothing(tmp_path, demo_keys):
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, at=None)), "old")
    assert not out.exists()


def test_prove_refuses_a_challenge_the_policy_did_not_issue(tmp_path, demo_keys):
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, challenge="0x1234")), "challenge", code=1)
    assert not out.exists()


@pytest.mark.slow
def test_a_policy_that_issues_challenges_takes_the_issued_one(tmp_path, demo_keys):
    obj = json.loads(POLICY.read_text())
    obj["challenge"] = "issued"
    obj["spec"] = str((POLICY.parent / obj["spec"]).resolve())
    obj["circuits"] = [{"keys": str((POLICY.parent / c["keys"]).resolve())} for c in obj["circuits"]]
    pol = tmp_path / "issued.json"
    pol.write_text(json.dumps(obj))
    out, issued = tmp_path / "bundle.json", "0xabcdef0123456789"
    args = prove_args(out, challenge=issued)
    args[args.index(str(POLICY)) if str(POLICY) in args else args.index(POLICY)] = pol
    r = run(*args)
    assert r.exit_code == 0, r.output
    v = run("verify", out, "--policy", pol, "--market", SNAPSHOT, "--at", AT, "--challenge", issued, "--json")
    assert v.exit_code == 0 and json.loads(v.output)["accepted"], v.output
    other = run("verify", out, "--policy", pol, "--market", SNAPSHOT, "--at", AT, "--challenge", "0x99", "--json")
    assert other.exit_code == 1 and not {c["name"]: c["passed"] for c in json.loads(other.output)["checks"]}["challenge"]


def test_prove_refuses_a_malformed_snapshot_and_writes_nothing(tmp_path):
    lines = SNAPSHOT.read_text().splitlines(keepends=True)
    cols = lines[3].split(",")
    cols[5] = "abc"  # strike
    lines[3] = ",".join(cols)
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines))
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, market=bad)), "line 4")
    assert not out.exists()


def test_prove_refuses_a_statement_with_more_positions_than_the_circuit_holds(tmp_path, demo_keys):
    """A venue signs 5 positions in a capacity-5 statement; the circuit takes 4 per statement."""
    names = ["BTC-25SEP26-80000-C", "BTC-25SEP26-70000-P", "BTC-25DEC26-90000-C", "ETH-25SEP26-2600-C", "ETH-25DEC26-2000-P"]
    st = attest(read_key(VENUE_KEYS["deribit"]), "deribit", "demo-desk-1", TRADER.commitment, 1787412600, [(n, "1") for n in names], {"USDC": "100000"}, 5, ASSETS)
    assert st.signature_valid()
    wide = write_statement(tmp_path / "deribit_wide.json", st)
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, statements=replacing(0, wide))), "deribit_wide.json", "capacity", "(5,", "(4,")
    assert list(tmp_path.iterdir()) == [wide]


@pytest.mark.parametrize("n", [1, 2])
def test_prove_refuses_the_wrong_number_of_statements(tmp_path, demo_keys, n):
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, statements=STATEMENTS[:n])), f"{n} venue statements given", "exactly 3")
    assert not out.exists()


def test_prove_refuses_a_venue_the_policy_does_not_accept(tmp_path, demo_keys):
    """bybit's statement, content unchanged and validly signed, but by a key not in accepted_venues."""
    from public.crypto.eddsa import generate_key

    st = dataclasses.replace(load_statement(STATEMENTS[2]), venue="bybit-unlisted")
    key = generate_key()
    st = dataclasses.replace(st, public_key=key.public_key(), signature=key.sign(st.message()))
    assert st.signature_valid()
    path = write_statement(tmp_path / "bybit_unlisted.json", st)
    out = tmp_path / "bundle.json"
    r = run(*prove_args(out, statements=replacing(2, path)))
    assert_named_error(r, "bybit_unlisted.json", "not in the policy's accepted venues", "no proof written", code=1)
    assert list(tmp_path.iterdir()) == [path]


def test_prove_refuses_a_statement_from_another_epoch(tmp_path, demo_keys):
    later = resigned(tmp_path / "okx_later.json", "okx", epoch=1787412600 + 60)
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, statements=replacing(1, later))), "okx_later.json", "epoch 1787412660", "1787412600")
    assert list(tmp_path.iterdir()) == [later]


def test_prove_refuses_statements_older_than_the_policy_accepts(tmp_path, demo_keys):
    """All three re-signed one epoch 2 h earlier (policy: max_attestation_age_s 3600)."""
    old = [resigned(tmp_path / f"{v}_old.json", v, epoch=1787412600 - 7200) for v in ("deribit", "okx", "bybit")]
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, statements=old)), "1787405400", "3600", code=1)
    assert not out.exists()


def test_prove_refuses_the_same_statement_twice(tmp_path, demo_keys):
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, statements=[STATEMENTS[0], STATEMENTS[1], STATEMENTS[0]])), "deribit.json", "statement twice")
    assert not out.exists()


def test_prove_refuses_a_copy_of_a_statement_under_another_name(tmp_path, demo_keys):
    copy = tmp_path / "deribit_copy.json"
    copy.write_text(STATEMENTS[0].read_text())
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, statements=replacing(2, copy))), "deribit_copy.json", "same venue as deribit.json", "statement twice")
    assert list(tmp_path.iterdir()) == [copy]


@pytest.mark.parametrize(
    "edit",
    [
        lambda o: o["positions"][1].__setitem__("quantity_e8", str(int(o["positions"][1]["quantity_e8"]) + 1)),
        lambda o: o["collateral_e8"].__setitem__("USDC", str(10 * int(o["collateral_e8"]["USDC"]) + 1)),
        lambda o: o.__setitem__("positions", o["positions"][:-1]),
        lambda o: o.__setitem__("account", "someone-else"),
    ],
    ids=["one quantity", "collateral", "a position dropped", "account"],
)
def test_prove_refuses_a_tampered_statement_and_writes_nothing(tmp_path, demo_keys, edit):
    obj = json.loads(STATEMENTS[0].read_text())
    edit(obj)
    bad = tmp_path / "deribit_edited.json"
    bad.write_text(json.dumps(obj, indent=1))
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, statements=replacing(0, bad))), "deribit_edited.json", "signature does not verify")
    assert list(tmp_path.iterdir()) == [bad]


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda o: o["positions"][0].__setitem__("quantity_e8", str(2**44)), ["quantity of BTC-20260925-80000-C out of range"]),
        (lambda o: o.pop("signature"), ["malformed statement"]),
        (lambda o: o.__setitem__("format", "zkmargin-portfolio/1"), ["not a zkmargin-statement/2 or zkmargin-statement/3 file"]),
    ],
    ids=["absurd quantity", "no signature", "not a statement"],
)
def test_prove_refuses_a_malformed_statement_naming_it(tmp_path, edit, words):
    obj = json.loads(STATEMENTS[0].read_text())
    edit(obj)
    bad = tmp_path / "deribit_bad.json"
    bad.write_text(json.dumps(obj))
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, statements=replacing(0, bad))), "deribit_bad.json", *words)
    assert not out.exists()


def test_prove_refuses_an_instrument_not_in_the_snapshot(tmp_path, demo_keys):
    st = attest(read_key(VENUE_KEYS["bybit"]), "bybit", "demo-desk-1", TRADER.commitment, 1787412600, [("BTC-25SEP26-81234-C", "1")], {"ETH": "25"}, 4, ASSETS)
    path = write_statement(tmp_path / "bybit_unlisted.json", st)
    out = tmp_path / "bundle.json"
    assert_named_error(run(*prove_args(out, statements=replacing(2, path))), "unknown instrument", "BTC-20260925-81234-C")
    assert not out.exists()


def test_prove_portfolio_option_is_gone(tmp_path):
    """A proof needs signed statements: the unsigned what-if portfolio is for ``risk`` only."""
    out = tmp_path / "bundle.json"
    challenge = json.loads(POLICY.read_text())["challenge"]
    r = run("prove", "--market", SNAPSHOT, "--portfolio", PORTFOLIO, "--policy", POLICY, "--challenge", challenge, "--out", out, "--at", AT)
    assert r.exit_code == 2 and "--portfolio" in r.output
    assert not out.exists()


# --- prove and verify ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proved(tmp_path_factory, demo_keys):
    out = tmp_path_factory.mktemp("cli") / "bundle.json"
    r = run(*prove_args(out))
    assert r.exit_code == 0, r.output
    return out, r.output


def test_prove_writes_a_verified_bundle(proved):
    out, output = proved
    assert out.exists() and "verified after writing: ACCEPTED" in output
    bundle = json.loads(out.read_text())
    assert len(out.read_bytes()) <= 10_000
    assert "NOT FOR PRODUCTION" in bundle["circuit"]["setup"]["label"]
    assert set(bundle["statement"]["public"]) >= {"risk_root", "spec_hash", "snapshot_epoch", "attestation_epoch", "challenge", "portfolio_commitment", "multiplier_k", "venue_keys"}
    assert bundle["statement"]["public"]["attestation_epoch"] == 1787412600


def test_verify_accepts_with_reasons(proved):
    out, _ = proved
    r = run("verify", out, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT)
    assert r.exit_code == 0, r.output
    assert "decision: ACCEPTED" in r.output and "PASS  risk_root" in r.output


def test_verify_json_decision(proved):
    out, _ = proved
    r = run("verify", out, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT, "--json")
    obj = json.loads(r.output)
    assert obj["accepted"] is True and all(c["passed"] for c in obj["checks"])


def test_verify_rejects_without_the_snapshot_and_says_why(proved):
    out, _ = proved
    r = run("verify", out, "--policy", POLICY, "--at", AT)
    assert r.exit_code == 1
    assert "FAIL  snapshot" in r.output and "--market" in r.output


def test_verify_rejects_a_tampered_bundle_exit_1(proved, tmp_path):
    out, _ = proved
    b = json.loads(out.read_text())
    b["public_signals"][5] = str(int(b["public_signals"][5]) - 1)
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(b))
    r = run("verify", bad, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT)
    assert r.exit_code == 1
    assert "FAIL  groth16.pairing" in r.output and "decision: REJECTED" in r.output


def test_verify_stale_without_at(proved):
    out, _ = proved
    r = run("verify", out, "--policy", POLICY, "--market", SNAPSHOT)
    assert r.exit_code == 1 and "FAIL  freshness" in r.output


def test_verify_unreadable_bundle_is_a_named_error(tmp_path):
    bad = tmp_path / "b.json"
    bad.write_text("{not json")
    assert_named_error(run("verify", bad, "--policy", POLICY), "not valid JSON")


def test_table_publishes_the_root(tmp_path, proved):
    out = tmp_path / "table.json"
    r = run("table", "--market", SNAPSHOT, "--out", out)
    assert r.exit_code == 0, r.output
    root = json.loads(out.read_text())["root"]
    assert root == json.loads(proved[0].read_text())["statement"]["public"]["risk_root"]


# --- exit codes and --json objects in every case (issue 8) ----------------------------------------


def test_verify_json_exit_codes_accept_reject_bad_input(proved, tmp_path):
    out, _ = proved
    ok = run("verify", out, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT, "--json")
    assert ok.exit_code == 0 and json.loads(ok.output)["schema"] == "zkmargin-verify/1"
    rejected = run("verify", out, "--policy", POLICY, "--at", AT, "--json")
    obj = json.loads(rejected.output)
    assert rejected.exit_code == 1 and obj["accepted"] is False and obj["exit_code"] == 1
    assert obj["trusted_circuit"]["setup"]["dev"] is True  # what the venue's key directory says, not the bundle
    bad = tmp_path / "bad.json"
    b = json.loads(out.read_text())
    del b["circuit"]["setup"]
    bad.write_text(json.dumps(b))
    r = run("verify", bad, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT, "--json")
    err = json.loads(r.stdout)
    assert r.exit_code == 2 and err["schema"] == "zkmargin-error/1" and err["error"] == "BundleError" and "missing setup" in err["message"]


def test_verify_deeply_nested_bundle_is_a_named_error(tmp_path):
    bad = tmp_path / "deep.json"
    bad.write_text("[" * 100_000 + "]" * 100_000)  # under the 1 MiB bundle cap: the depth scan refuses it
    assert_named_error(run("verify", bad, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT), "nested deeper")
    bad.write_text("[" * 600_000 + "]" * 600_000)
    assert_named_error(run("verify", bad, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT), "larger than 1 MiB")


def test_verify_header_names_the_trusted_setup_not_the_bundles_label(proved, tmp_path):
    out, _ = proved
    b = json.loads(out.read_text())
    b["circuit"]["setup"]["label"] = "PRODUCTION CEREMONY, 40 participants"
    lying = tmp_path / "lying.json"
    lying.write_text(json.dumps(b))
    r = run("verify", lying, "--policy", POLICY, "--market", SNAPSHOT, "--at", AT)
    assert r.exit_code == 1 and "FAIL  circuit" in r.output
    assert "PRODUCTION CEREMONY" not in r.output.splitlines()[0] and "NOT FOR PRODUCTION" in r.output.splitlines()[0]


def test_refused_book_exits_1_and_prints_json(tmp_path, demo_keys):
    poor = resigned(tmp_path / "deribit_poor.json", "deribit", collateral_e8={a: 0 for a in ASSETS})
    out = tmp_path / "bundle.json"
    r = run(*prove_args(out, statements=replacing(0, poor)), "--json")
    assert r.exit_code == 1
    obj = json.loads(r.stdout)
    assert obj["schema"] == "zkmargin-error/1" and obj["error"] == "PolicyNotMet"
    assert "solvency" in [c["name"] for c in obj["failed_checks"]]
    assert not out.exists()


def test_prove_out_in_a_missing_directory_is_refused_before_any_work(tmp_path):
    out = tmp_path / "nope" / "bundle.json"
    assert_named_error(run(*prove_args(out)), "nope")
    assert not (tmp_path / "nope").exists()


def test_prove_challenge_must_be_0x_hex(tmp_path):
    assert_named_error(run(*prove_args(tmp_path / "b.json", challenge="123")), "'0x'")


def test_prove_with_another_traders_identity_is_refused(tmp_path):
    other = tmp_path / "thief.identity.json"
    assert run("identity", "new", "--out", other).exit_code == 0
    args = prove_args(tmp_path / "b.json")
    args[args.index("--identity") + 1] = other
    assert_named_error(run(*args), "issued to trader identity")


def test_demo_large_book_options_need_positions_and_the_range_is_checked():
    r = run("demo", "--workers", "2", "--pad-to", "4")
    assert r.exit_code == 2 and "--workers, --pad-to: only with --positions" in r.output
    assert run("demo", "--positions", "1").exit_code == 2 and run("demo", "--positions", "6001").exit_code == 2
    assert "--statements: only with --positions" in run("demo", "--statements", "5").output
    assert run("demo", "--positions", "100", "--statements", "9").exit_code == 2 and run("demo", "--positions", "100", "--statements", "0").exit_code == 2


def test_prove_chunk_options_on_one_proof_statements_are_usage_errors(tmp_path):
    r = run(*prove_args(tmp_path / "b.json"), "--ray-address", "127.0.0.1:1", "--pad-to", "3")
    assert r.exit_code == 2 and "--ray-address, --pad-to: only for chunked statements" in r.output and not (tmp_path / "b.json").exists()
