"""gateway.store.models: how the embedded database is opened."""
from __future__ import annotations

from gateway.store.migrate import open_database


def test_sqlite_commits_are_on_disk_when_they_return(tmp_path):
    """synchronous=full: what follows a commit (250 to the SMTP client, the IMAP move) is irreversible."""
    database = open_database(f"sqlite:///{tmp_path}/gateway.db")
    try:
        assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        database.close()
