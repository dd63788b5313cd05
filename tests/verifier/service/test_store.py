"""verifier/service/store.py on SQLite and on a real PostgreSQL server: a challenge is consumed at
most once even by racing verifications, never after its expiry, and only together with its
decision (one transaction: a failure before the commit leaves neither)."""

import threading

import pytest

from verifier.service.store import Store
from verifier.trusted import ConfigError

APPLICANT = "0x" + "ab" * 32
T0 = 1_787_412_951_000


def finish_with(consumed_log):
    def finish(consumed, used_by):
        consumed_log.append(consumed)
        return {"accepted": consumed, "checks": [{"name": "challenge.single_use", "passed": consumed, "reason": ""}]}

    return finish


def test_a_challenge_is_issued_stored_and_consumed_once(db_url):
    store = Store(db_url)
    row = store.issue_challenge(APPLICANT, T0, 600, 248)
    assert 0 < int(row.challenge, 16) < 2**248 and store.challenge(row.challenge) == row
    log = []
    did, result = store.record_decision(row.challenge, APPLICANT, "00" * 32, T0 + 1000, finish_with(log))
    assert log == [True] and result["decision_id"] == did
    again, _ = store.record_decision(row.challenge, APPLICANT, "00" * 32, T0 + 2000, finish_with(log))
    assert log == [True, False]
    stored = store.decision(did)
    assert stored["accepted"] and stored["result"] == result and stored["applicant"] == APPLICANT
    assert not store.decision(again)["accepted"]
    assert store.challenge(row.challenge).decision_id == did and store.challenge(row.challenge).used_at_ms == T0 + 1000
    assert store.count() == {"challenges": 1, "challenges_used": 1, "decisions": 2}


def test_racing_verifications_consume_a_challenge_exactly_once(db_url):
    store = Store(db_url)
    row = store.issue_challenge(APPLICANT, T0, 600, 248)
    log, barrier = [], threading.Barrier(8)

    def go():
        barrier.wait()
        store.record_decision(row.challenge, APPLICANT, "11" * 32, T0 + 5, finish_with(log))

    threads = [threading.Thread(target=go) for _ in range(8)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert sorted(log) == [False] * 7 + [True]
    assert store.count() == {"challenges": 1, "challenges_used": 1, "decisions": 8}


def test_an_expired_or_unknown_challenge_is_not_consumed(db_url):
    store = Store(db_url)
    row = store.issue_challenge(APPLICANT, T0, 60, 248)
    log = []
    store.record_decision(row.challenge, APPLICANT, "22" * 32, T0 + 60_000, finish_with(log))  # at the expiry: too late
    store.record_decision("0x1234", None, "22" * 32, T0, finish_with(log))
    assert log == [False, False] and store.challenge(row.challenge).used_at_ms is None
    assert store.challenge("0x1234") is None


def test_a_failure_before_the_commit_leaves_the_challenge_unused_and_no_row(db_url):
    store = Store(db_url)
    row = store.issue_challenge(APPLICANT, T0, 600, 248)

    def broken(consumed, used_by):
        raise RuntimeError("crash while writing the decision")

    with pytest.raises(RuntimeError):
        store.record_decision(row.challenge, APPLICANT, "33" * 32, T0 + 1, broken)
    assert store.challenge(row.challenge).used_at_ms is None and store.count()["decisions"] == 0


def test_a_bad_database_url_is_a_named_error(tmp_path):
    with pytest.raises(ConfigError, match="sqlite:///FILE or postgresql"):
        Store("mysql://x")
    with pytest.raises(ConfigError, match="cannot open database"):
        Store(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
