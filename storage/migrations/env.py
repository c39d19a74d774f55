"""Alembic's entry point: runs our migrations against the configured URL."""

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import make_engine
from storage.installations import INSTALL_METADATA

# The members' records, and Slack's installation bookkeeping (tables slack_sdk's stores use, in a MetaData of their
# own): both are made by migrations and checked by `alembic check`.
TARGET_METADATA = [SQLModel.metadata, INSTALL_METADATA]

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "sqlalchemy.url must be set"

if context.is_offline_mode():
    context.configure(url=url, target_metadata=TARGET_METADATA, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a SQLite table (copy, drop, rename); with foreign keys enforced, dropping a
            # referenced table would cascade into the rows pointing at it. SQLite's own recipe: keys off outside
            # the transaction (the pragma is ignored inside one), checked before it commits.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        context.configure(connection=connection, target_metadata=TARGET_METADATA, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
    engine.dispose()
