"""Scratch databases for the benchmarks: a temporary SQLite file, a PostgreSQL database, or a PostgreSQL schema,
each migrated to head and dropped afterwards."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.db import upgrade


@contextmanager
def sqlite_database(name: str) -> Iterator[str]:
    """A migrated SQLite file in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as directory:
        url = f"sqlite:///{directory}/coach.db"
        upgrade(url)
        yield url


@contextmanager
def scratch_schema(url: str, name: str) -> Iterator[str]:
    """The database at `url`, seen through a scratch schema migrated to head and dropped afterwards."""
    schema = f"{name.replace('-', '_')}_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
            scoped_url = scoped.render_as_string(hide_password=False)
            upgrade(scoped_url)
            yield scoped_url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


@contextmanager
def scratch_database(url: str, name: str) -> Iterator[str]:
    """A PostgreSQL database of its own on the server at `url`, migrated to head and dropped afterwards.

    `url` names any database the role can connect to (it is only used to create and drop the scratch one). A
    database rather than a schema: the app under test sees a plain URL, exactly as it would in production.
    """
    scratch = re.sub(r"[^a-z0-9_]", "_", f"{name.lower()}_{os.getpid()}")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{scratch}"'))
        try:
            scratch_url = make_url(url).set(database=scratch).render_as_string(hide_password=False)
            upgrade(scratch_url)
            yield scratch_url
        finally:
            with admin.connect() as connection:
                # FORCE: a server child that was killed may have left a connection behind.
                connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    finally:
        admin.dispose()
