"""Bounded cost, named errors (issue 8): out-of-range options are usage errors, hostile JSON is one
``error: ...`` line; never a traceback, never a file written.

Option values are refused by click while parsing (exit code 2, ``Error: Invalid value for
'--OPTION'``) before any input is read; a JSON input that is too deep, too large or not strictly
JSON is a named error (exit code 2, one ``error:`` line) from public/json_input.py read_json_file.
"""

import json

import pytest

from tests.prover.cli.runner import assert_named_error, run
from tests.conftest import PORTFOLIO, REPO, SNAPSHOT, VENUE_KEYS, demo_trader

FIX = REPO / "fixtures" / "statements"
DEEP = 200_000


def attest_args(out, epoch):
    return ["venue", "attest", "--key", VENUE_KEYS["okx"], "--venue", "okx", "--account", "demo-desk-1", "--identity", hex(demo_trader().commitment), "--epoch", epoch,
            "--positions", FIX / "okx_positions.json", "--collateral", FIX / "okx_collateral.json", "--out", out]


def assert_usage_error(result, option):
    """Exit code 2, click's one ``Error: Invalid value for '--option'`` line, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and f"'{option}'" in errors[0], result.output


# --- venue attest --epoch -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "epoch",
    ["1e80", "1.5", "1787412600.0", "-1787412600", "99999999999999999999999", "9" * 5000, "0", "1230767999", "4133980800",
     "1900-01-01T00:00:00Z", "2101-01-01T00:00:00Z", "9999-12-31T23:59:59", "", "0x6a8b6b78", "١٧٨٧٤١٢٦٠٠"],
    ids=["exponent", "fraction", "float", "negative", "beyond 2**64", "5000 digits", "zero", "just before 2009", "2101",
         "iso 1900", "iso 2101", "iso 9999", "empty", "hex", "arabic digits"],
)
def test_attest_refuses_an_epoch_no_reader_would_accept(tmp_path, epoch):
    out = tmp_path / "s.json"
    r = run(*attest_args(out, epoch))
    assert_usage_error(r, "--epoch")
    assert list(tmp_path.iterdir()) == []


def test_attest_epoch_message_says_what_is_accepted(tmp_path):
    r = run(*attest_args(tmp_path / "s.json", "1e80"))
    assert "neither unix seconds (an integer) nor an ISO time" in r.output
    r = run(*attest_args(tmp_path / "s.json", "2200-01-01T00:00:00Z"))
    assert "outside 2009-01-01 .. 2100-12-31 UTC" in r.output


@pytest.mark.parametrize("capacity", ["0", "-1", "65", "1e3"])
def test_attest_refuses_a_capacity_outside_1_to_64(tmp_path, capacity):
    out = tmp_path / "s.json"
    r = run(*attest_args(out, "1787412600"), "--capacity", capacity)
    assert_usage_error(r, "--capacity")
    assert list(tmp_path.iterdir()) == []


# --- bench --repeat -------------------------------------------------------------------------------


@pytest.mark.parametrize("repeat", ["0", "-3", "1001", "2.5"])
def test_bench_refuses_a_repeat_count_below_one_before_measuring(repeat):
    r = run("bench", "--repeat", repeat)
    assert_usage_error(r, "--repeat")
    assert "Usage:" in r.output


# --- risk with hostile JSON -----------------------------------------------------------------------


def risk(portfolio):
    return run("risk", "--market", SNAPSHOT, "--portfolio", portfolio)


def one_error_line(result, *words):
    assert_named_error(result, *words)
    assert sum(line.startswith("error: ") for line in result.output.splitlines()) == 1, result.output


def test_risk_refuses_a_portfolio_nested_200000_deep(tmp_path):
    book = tmp_path / "deep.json"
    book.write_text("[" * DEEP + "]" * DEEP)
    one_error_line(risk(book), "deep.json", "nested deeper than 64 levels")
    book.write_text('{"positions": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}")
    one_error_line(risk(book), "deep.json", "nested deeper than 64 levels")


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda t: t.replace("{", '{"account": "x", ', 1), ["duplicate key 'account'"]),
        (lambda t: t.rstrip()[:-1] + ', "fee": NaN}', ["non-finite number NaN"]),
        (lambda t: t.rstrip()[:-1] + ', "fee": 1e400}', ["non-finite number 1e400"]),
        (lambda t: t.rstrip()[:-1] + ', "fee": ' + "7" * 10**6 + "}", ["more than 100 digits"]),
    ],
    ids=["duplicate key", "NaN", "1e400", "million digits"],
)
def test_risk_refuses_a_portfolio_that_is_not_strict_json(tmp_path, edit, words):
    text = PORTFOLIO.read_text()
    assert '"account"' in text
    book = tmp_path / "book.json"
    book.write_text(edit(text))
    one_error_line(risk(book), "book.json", *words)


def test_risk_refuses_a_portfolio_over_4_mib_unread(tmp_path):
    obj = json.loads(PORTFOLIO.read_text())
    obj["note"] = "x" * (4 * 2**20)
    book = tmp_path / "big.json"
    book.write_text(json.dumps(obj))
    one_error_line(risk(book), "big.json", "larger than 4 MiB")
