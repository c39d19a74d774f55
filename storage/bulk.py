"""Many rows updated at once, each named by its key: the morning pass's chunks of members and nudges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, func, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session


def update_each(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    fixed: Mapping[str, Any] | None = None,
) -> None:
    """UPDATE `table` once for each of `rows`: a row names its record by the `keys` columns and gives the other
    columns' new values; `fixed` values are set on every record. All rows must name the same columns.

    On PostgreSQL it is one statement joining the rows, passed as one array per column: one execution on the server
    instead of one per row (psycopg pipelines an executemany, but the server still runs each). Elsewhere it is one
    statement run once per row, which SQLite loops over in C.
    """
    if not rows:
        return
    names = tuple(rows[0])
    changed = tuple(name for name in names if name not in keys)
    settled = tuple(sorted((fixed or {}).items()))
    if session.connection().dialect.name == "postgresql":
        session.execute(
            _joined(table, names, tuple(keys), settled),
            {f"each_{name}": [row[name] for row in rows] for name in names},
        )
        return
    session.execute(
        _each(table, tuple(keys), changed, settled),
        [{**{f"key_{key}": row[key] for key in keys}, **{name: row[name] for name in changed}} for row in rows],
    )


@lru_cache(maxsize=32)
def _joined(table: Table, names: tuple[str, ...], keys: tuple[str, ...], settled: tuple[tuple[str, Any], ...]) -> Any:
    # Built once per shape: the rows as one array per column, unnested side by side into a row source (a VALUES
    # list would make a new statement, compiled anew, for every number of rows).
    given = (
        func.unnest(*(bindparam(f"each_{name}", type_=ARRAY(table.c[name].type)) for name in names))
        .table_valued(*names)
        .render_derived(name="given")
    )
    return (
        update(table)
        .where(*(table.c[key] == given.c[key] for key in keys))
        .values({**{name: given.c[name] for name in names if name not in keys}, **dict(settled)})
    )


@lru_cache(maxsize=32)
def _each(table: Table, keys: tuple[str, ...], changed: tuple[str, ...], settled: tuple[tuple[str, Any], ...]) -> Any:
    # Built once per shape: each row's key as `key_<column>` (SQLAlchemy keeps the column's own name for its value).
    return (
        update(table)
        .where(*(table.c[key] == bindparam(f"key_{key}") for key in keys))
        .values({**{name: bindparam(name) for name in changed}, **dict(settled)})
    )
