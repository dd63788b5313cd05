"""Databases for the service tests: a SQLite file, and a real PostgreSQL server started here."""

import pytest

from tests.verifier.service.pg import postgres_server


@pytest.fixture(scope="session")
def postgres_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.sqlite3'}"
    from sqlalchemy import create_engine, text

    url = request.getfixturevalue("postgres_url")
    with create_engine(url).begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS challenges, decisions"))
    return url
