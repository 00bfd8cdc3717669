"""A throw-away installation for the in-process benchmarks: a temporary data directory, a
fresh field key, and on PostgreSQL a database of its own, dropped afterwards."""

import base64
import os
import tempfile
from contextlib import contextmanager

PG = os.environ.get("KEFU_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


@contextmanager
def throwaway(database: str, prefix: str):
    """Point this process's Kefu at a new installation (DATABASE = sqlite or postgres) for the
    duration of the block; call it before Django is set up."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KEFU_DATA_DIR"] = tmp
        os.environ["KEFU_FIELD_KEYS"] = "b1:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
        name = None
        if database == "postgres":
            import psycopg

            name = f"kefu_bench_{prefix}_{os.getpid()}"
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            os.environ["DATABASE_URL"] = f"{PG}/{name}"
        try:
            yield
        finally:
            if name:
                from django.db import connections

                connections.close_all()
                with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def blanks(c, table, given) -> tuple[list[str], list[str]]:
    """TABLE's columns other than GIVEN that need a value (NOT NULL without a default) and each
    one's empty value ('' for text, 0 for numbers, false for flags, {} for JSON), for benchmarks
    that fill tables with INSERT … SELECT: a column added later does not break them. C: a psycopg
    connection."""
    empty = {"text": "''", "character varying": "''", "boolean": "false", "jsonb": "'{}'"}
    rows = c.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
                     "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'", [table]).fetchall()
    rows = [(name, kind) for name, kind in rows if name not in given]
    return [name for name, _kind in rows], [empty.get(kind, "0") for _name, kind in rows]
