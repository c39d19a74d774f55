"""Many rows updated at once by key: every named row gets its own values, NULLs included; no other row changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, insert
from sqlmodel import select

from storage import bulk
from storage.db import unit_of_work
from storage.models import ClaimStatus, Member, Nudge

AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
DAY = date(2026, 11, 23)


def test_each_named_row_gets_its_own_values_and_the_others_are_left_alone(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.execute(
            insert(Member),
            [
                {"team_id": team, "user_id": user, "name": user, "created_at": AT}
                for team, user in (("T1", "UA"), ("T1", "UB"), ("T2", "UA"))
            ],
        )
    with unit_of_work(engine) as session:
        bulk.update_each(
            session,
            Member.__table__,  # type: ignore[attr-defined]
            [
                {"team_id": "T1", "user_id": "UA", "next_nudge_at": datetime(2026, 11, 24, 8, 0, tzinfo=UTC)},
                {"team_id": "T1", "user_id": "UB", "next_nudge_at": None},
            ],
            keys=("team_id", "user_id"),
        )
    with unit_of_work(engine, read_only=True) as session:
        found = {(m.team_id, m.user_id): m.next_nudge_at for m in session.exec(select(Member))}
    assert found == {("T1", "UA"): datetime(2026, 11, 24, 8, 0, tzinfo=UTC), ("T1", "UB"): None, ("T2", "UA"): None}


def test_fixed_values_are_set_on_every_named_row_and_a_column_of_nulls_stays_null(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.execute(
            insert(Nudge),
            [
                {
                    "team_id": "T1",
                    "user_id": user,
                    "local_date": DAY,
                    "status": ClaimStatus.CLAIMED,
                    "claimed_at": AT,
                    "created_at": AT,
                    "check_in_id": 7,
                }
                for user in ("UA", "UB", "UC")
            ],
        )
    with unit_of_work(engine) as session:
        bulk.update_each(
            session,
            Nudge.__table__,  # type: ignore[attr-defined]
            [
                {"team_id": "T1", "user_id": user, "local_date": DAY, "message_ts": f"1.{n}", "check_in_id": None}
                for n, user in enumerate(("UA", "UB"))
            ],
            keys=("team_id", "user_id", "local_date"),
            fixed={"status": ClaimStatus.SENT},
        )
    with unit_of_work(engine, read_only=True) as session:
        found = {n.user_id: (n.status, n.message_ts, n.check_in_id) for n in session.exec(select(Nudge))}
    assert found == {
        "UA": (ClaimStatus.SENT, "1.0", None),
        "UB": (ClaimStatus.SENT, "1.1", None),
        "UC": (ClaimStatus.CLAIMED, None, 7),
    }
