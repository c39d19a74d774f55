"""Scratch databases for the benchmarks: a temporary SQLite file, or a PostgreSQL schema dropped afterwards."""

from __future__ import annotations

import os
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
