"""The verification service's database: issued challenges and every decision (SQLAlchemy Core).

SQLite by default (a file, WAL journal; nothing to install or start), PostgreSQL by URL
(``postgresql+psycopg://user@host/db``) for venues that run several service instances on one
database. Two tables:

- ``challenges``: challenge (hex, primary key), applicant (trader identity commitment, hex),
  issued_at_ms, expires_at_ms, used_at_ms (NULL until consumed), decision_id;
- ``decisions``: id (random hex, primary key), challenge, applicant, bundle_sha256, created_at_ms,
  accepted, result (the decision JSON, ``zkmargin verify --json``'s object).

``record_decision`` consumes the challenge and writes the decision in **one transaction**: the
conditional ``UPDATE ... WHERE used_at_ms IS NULL AND expires_at_ms > now`` lets exactly one of
two racing verifications win (PostgreSQL re-reads the row after the first commits; SQLite
serialises writers), and a crash before the commit leaves neither the consumption nor the row.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from sqlalchemy import BigInteger, Boolean, Column, MetaData, String, Table, Text, create_engine, event, func, insert, select, update

from verifier.trusted import ConfigError

META = MetaData()
CHALLENGES = Table(
    "challenges", META,
    Column("challenge", String(66), primary_key=True),
    Column("applicant", String(66), nullable=False),
    Column("issued_at_ms", BigInteger, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False),
    Column("used_at_ms", BigInteger, nullable=True),
    Column("decision_id", String(32), nullable=True),
)  # fmt: skip
DECISIONS = Table(
    "decisions", META,
    Column("id", String(32), primary_key=True),
    Column("challenge", String(66), nullable=True),
    Column("applicant", String(66), nullable=True),
    Column("bundle_sha256", String(64), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("result", Text, nullable=False),
)  # fmt: skip


@dataclass(frozen=True)
class ChallengeRow:
    """One issued challenge (times in ms since the epoch, UTC)."""

    challenge: str
    applicant: str
    issued_at_ms: int
    expires_at_ms: int
    used_at_ms: int | None
    decision_id: str | None


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # a committed decision survives a power cut
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Store:
    """The service's database at ``url`` (SQLAlchemy URL; ``sqlite:///path`` or ``postgresql+psycopg://...``).

    Raises ConfigError when the URL is not one of those or the database cannot be reached.
    """

    def __init__(self, url: str):
        if not (url.startswith("sqlite:///") or url.startswith("postgresql+psycopg://")):
            raise ConfigError(f"database URL {url!r}: use sqlite:///FILE or postgresql+psycopg://USER@HOST/DB")
        try:
            if url.startswith("sqlite"):
                self.engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                # READ COMMITTED: the loser of a race re-reads the winner's row instead of a serialization failure
                self.engine = create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=72, isolation_level="READ COMMITTED")
            try:
                META.create_all(self.engine)
            except Exception:  # another instance created the tables at the same moment
                META.create_all(self.engine)
        except Exception as exc:  # the driver's own error types differ per backend
            raise ConfigError(f"cannot open database {url.split('@')[-1]}: {str(exc).splitlines()[0]}") from None
        self.url = url

    def issue_challenge(self, applicant: str, now_ms: int, ttl_s: int, bits: int) -> ChallengeRow:
        """A fresh random challenge below 2^bits for ``applicant``, stored; expires ``ttl_s`` later."""
        row = ChallengeRow(hex(secrets.randbelow(2**bits - 1) + 1), applicant, now_ms, now_ms + ttl_s * 1000, None, None)
        with self.engine.begin() as conn:
            conn.execute(insert(CHALLENGES).values(challenge=row.challenge, applicant=row.applicant, issued_at_ms=row.issued_at_ms,
                                                   expires_at_ms=row.expires_at_ms))  # fmt: skip
        return row

    def challenge(self, challenge: str) -> ChallengeRow | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(CHALLENGES).where(CHALLENGES.c.challenge == challenge)).mappings().first()
        return ChallengeRow(**r) if r else None

    def record_decision(self, challenge: str | None, applicant: str | None, bundle_sha256: str, now_ms: int, finish) -> tuple[str, dict]:
        """Consume ``challenge`` (if given) and store the decision, atomically (module docstring).

        ``finish(consumed: bool, used_by: str | None) -> dict``: the decision JSON, told whether this
        call consumed the challenge (False: already used, by decision ``used_by``, expired or
        unknown by the time of the commit); an exception it raises rolls everything back. Returns
        (decision id, the stored JSON).
        """
        did = secrets.token_hex(16)
        with self.engine.begin() as conn:
            consumed, used_by = False, None
            if challenge is not None:
                r = conn.execute(update(CHALLENGES).where(CHALLENGES.c.challenge == challenge, CHALLENGES.c.used_at_ms.is_(None),
                                                          CHALLENGES.c.expires_at_ms > now_ms).values(used_at_ms=now_ms, decision_id=did))  # fmt: skip
                consumed = r.rowcount == 1
                if not consumed:  # on this connection: a second one from the pool could wait on ours
                    used_by = conn.execute(select(CHALLENGES.c.decision_id).where(CHALLENGES.c.challenge == challenge)).scalar()
            result = finish(consumed, used_by)
            result = {**result, "decision_id": did}
            conn.execute(insert(DECISIONS).values(id=did, challenge=challenge, applicant=applicant, bundle_sha256=bundle_sha256,
                                                  created_at_ms=now_ms, accepted=bool(result["accepted"]), result=json.dumps(result)))  # fmt: skip
        return did, result

    def decision(self, decision_id: str) -> dict | None:
        """The stored decision: {id, challenge, applicant, bundle_sha256, created_at_ms, accepted, result}."""
        with self.engine.connect() as conn:
            r = conn.execute(select(DECISIONS).where(DECISIONS.c.id == decision_id)).mappings().first()
        if r is None:
            return None
        return {**dict(r), "result": json.loads(r["result"])}

    def count(self) -> dict[str, int]:
        """Rows per table and consumed challenges (for tests and the health endpoint)."""
        with self.engine.connect() as conn:
            n_c = conn.execute(select(func.count()).select_from(CHALLENGES)).scalar()
            n_used = conn.execute(select(func.count()).select_from(CHALLENGES).where(CHALLENGES.c.used_at_ms.is_not(None))).scalar()
            n_d = conn.execute(select(func.count()).select_from(DECISIONS)).scalar()
        return {"challenges": n_c, "challenges_used": n_used, "decisions": n_d}
