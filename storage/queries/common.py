"""What every query module shares: reading one row of a workspace, and compare-and-set."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, SQLModel

Row = TypeVar("Row", bound=SQLModel)


def get_scoped(
    model: type[Row], row_id: int, *, team_id: str, session: Session, for_update: bool = False
) -> Row | None:
    """The row with `row_id`, only if it belongs to `team_id`; `for_update` locks it until the commit."""
    row = session.get(model, row_id, with_for_update=for_update or None)
    if row is None or getattr(row, "team_id", None) != team_id:
        return None
    return row


def compare_and_set(
    model: type[Row], row_id: int, *, team_id: str, expected: dict[str, Any], values: dict[str, Any], session: Session
) -> bool:
    """Write `values` to the row only if it still holds `expected`: of two racing moves, only one applies.

    The database decides, whatever isolation the transaction has; the row in the session follows the write.
    """
    table: Any = model
    moved = session.execute(
        update(table)
        .where(table.id == row_id, table.team_id == team_id, *(getattr(table, k) == v for k, v in expected.items()))
        .values(**values)
        .returning(table.id)
    ).first()
    return moved is not None
