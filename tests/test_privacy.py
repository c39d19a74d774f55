"""Export and forget-me against every table: every column that can hold a member's ID (or the address of their
DM) is listed here with what forget does to it, every table is filled with rows naming the member, and both
`/coach export` and `/coach forget me` are checked against all of them (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set).

The rule, kept by `test_every_column_that_can_name_a_member_is_classified`:
- a *member column* is one named `user_id`, `*_user_id`, `recipient_id` or `*_by` (`recap_set_by`): it holds a
  member's ID;
- an *address column* is one named `*channel`, `*channel_id`, `*_ts` or `lane`: it holds where a message went
  (a DM channel is as identifying as the member's ID, and a message's timestamp finds the message).
Each is classified as OWN (the row is the member's and forget deletes it), ANONYMISED (set to FORGOTTEN_USER on
a row that stays with the other member), CLEARED (set to NULL, the row stays) or NOT_PERSONAL (a workspace's
channel, never a member's DM). A new table or column matching the rule fails that test until it is classified
here, filled in `fill`, and handled by export and forget.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, Table, select
from sqlmodel import Session, SQLModel

from bot.clock import FixedClock
from bot.coach import Coach, MemberId
from storage.models import (
    FORGOTTEN_USER,
    Action,
    Breakdown,
    Breakthrough,
    ClaimStatus,
    Delivery,
    Follower,
    FollowUp,
    FollowUpKind,
    Idea,
    Member,
    Nudge,
    Outbox,
    Pause,
    Promise,
    PromiseStatus,
    Reading,
    Recap,
    Renegotiation,
    RenegotiationStatus,
    Request,
    RequestStatus,
    Share,
    Stand,
    StandDraft,
    Workspace,
)
from storage.queries.records import EXPORTED
from tests.conftest import MONDAY

T, ELSEWHERE = "T1", "T2"
ADA, BOB = "UADA", "UBOB"  # Ada asks to be forgotten; Bob shares records with her
ADA_DM, BOB_DM = "DADA", "DBOB"

OWN, ANONYMISED, CLEARED, NOT_PERSONAL = "own", "anonymised", "cleared", "not personal"

MEMBER_COLUMNS: dict[tuple[str, str], str] = {
    ("workspaces", "recap_set_by"): CLEARED,
    ("members", "user_id"): OWN,
    ("pauses", "user_id"): OWN,
    ("stands", "user_id"): OWN,
    ("stand_drafts", "user_id"): OWN,
    ("readings", "user_id"): OWN,
    ("ideas", "user_id"): OWN,
    ("followers", "user_id"): OWN,
    ("shares", "user_id"): OWN,
    ("shares", "told_user_id"): ANONYMISED,
    ("actions", "user_id"): OWN,
    ("requests", "user_id"): ANONYMISED,
    ("requests", "recipient_id"): ANONYMISED,
    ("promises", "user_id"): OWN,
    ("renegotiations", "user_id"): ANONYMISED,
    ("breakdowns", "user_id"): OWN,
    ("breakthroughs", "user_id"): OWN,
    ("nudges", "user_id"): OWN,
    ("recaps", "user_id"): CLEARED,
    ("follow_ups", "user_id"): OWN,
    ("outbox", "user_id"): OWN,
    ("deliveries", "user_id"): OWN,
}

ADDRESS_COLUMNS: dict[tuple[str, str], str] = {
    ("workspaces", "recap_channel_id"): NOT_PERSONAL,
    ("stands", "channel_id"): OWN,  # the member's own announcement
    ("stands", "message_ts"): OWN,
    ("stand_drafts", "channel_id"): OWN,
    ("requests", "requester_channel"): CLEARED,  # the requester's DM, on a row the recipient keeps
    ("requests", "requester_ts"): CLEARED,
    ("requests", "recipient_channel"): CLEARED,
    ("requests", "recipient_ts"): CLEARED,
    ("renegotiations", "channel_id"): CLEARED,  # the question in the requester's DM
    ("renegotiations", "message_ts"): CLEARED,
    ("breakthroughs", "channel_id"): OWN,
    ("breakthroughs", "message_ts"): OWN,
    ("nudges", "channel_id"): OWN,
    ("nudges", "message_ts"): OWN,
    ("recaps", "channel_id"): NOT_PERSONAL,  # the workspace's recap channel
    ("recaps", "message_ts"): NOT_PERSONAL,
    ("follow_ups", "channel_id"): OWN,
    ("follow_ups", "message_ts"): OWN,
    ("outbox", "lane"): OWN,
}

# Tables export leaves out, and why.
NOT_EXPORTED = {"deliveries": "requests from Slack already taken in: replay bookkeeping, deleted by forget"}

# Tables no column of which can name a member, and why (none yet).
NO_MEMBER_TABLES: dict[str, str] = {}

CONTRACT_LISTS = (
    "stands",
    "shares",
    "actions",
    "requests",
    "promises",
    "breakdowns",
    "breakthroughs",
    "nudges",
    "recaps",
)


def is_member_column(name: str) -> bool:
    """A column that holds a member's ID."""
    return name in ("user_id", "recipient_id") or name.endswith(("_user_id", "_by"))


def is_address_column(name: str) -> bool:
    """A column that holds where a message went: a channel (a DM is the member's), a timestamp, a lane."""
    return name == "lane" or name.endswith(("channel", "channel_id", "_ts"))


def classified(table: str, column: str) -> str:
    return MEMBER_COLUMNS.get((table, column)) or ADDRESS_COLUMNS[(table, column)]


def tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def test_every_column_that_can_name_a_member_is_classified() -> None:
    found_members = {(t.name, c.name) for t in tables() for c in t.columns if is_member_column(c.name)}
    found_addresses = {(t.name, c.name) for t in tables() for c in t.columns if is_address_column(c.name)}
    assert found_members == set(MEMBER_COLUMNS)
    assert found_addresses == set(ADDRESS_COLUMNS)
    # Every table can name a member or is said here why not, and every one is exported or said here why not.
    assert {t.name for t in tables()} == {table for table, _ in MEMBER_COLUMNS} | set(NO_MEMBER_TABLES)
    assert {name for name, _ in EXPORTED} | set(NOT_EXPORTED) == {t.name for t in tables()}
    assert {name: model.__tablename__ for name, model in EXPORTED} == {name: name for name, _ in EXPORTED}


class Fill:
    """Rows in every table naming Ada, on her own and shared with Bob, plus rows that are Bob's alone and Ada's
    in another workspace. Remembers every timestamp of a message of Ada's."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ada_ts: set[str] = set()
        self._ts = 0
        self.ids: dict[str, int] = {}

    def ts(self, *, ada: bool) -> str:
        self._ts += 1
        value = f"1795442400.{self._ts:06d}"
        if ada:
            self.ada_ts.add(value)
        return value

    def add(self, row: SQLModel, name: str | None = None) -> Any:
        self.session.add(row)
        self.session.flush()
        if name is not None:
            self.ids[name] = row.id  # type: ignore[attr-defined]
        return row


def fill(session: Session) -> Fill:
    """Every table, with Ada in every member and address column that can hold her."""
    f, now, today = Fill(session), MONDAY, MONDAY.date()
    at: dict[str, Any] = {"created_at": now}

    f.add(Workspace(team_id=T, recap_channel_id="CWINS", recap_set_by=ADA, **at))
    f.add(Workspace(team_id=ELSEWHERE, recap_channel_id="COTHER", recap_set_by=ADA, **at))
    for team, user in ((T, ADA), (T, BOB), (ELSEWHERE, ADA)):
        f.add(Member(team_id=team, user_id=user, name=user.title(), tz="Europe/Berlin", nudge_time="07:30", **at))
    for user in (ADA, BOB):
        f.add(Pause(team_id=T, user_id=user, started_at=now - timedelta(days=3), ended_at=now, **at))

    ada_stand = f.add(
        Stand(
            team_id=T,
            user_id=ADA,
            text="Ada's stand",
            program_started_on=today,
            channel_id="CGENERAL",
            message_ts=f.ts(ada=True),
            **at,
        ),
        "ada_stand",
    )
    bob_stand = f.add(Stand(team_id=T, user_id=BOB, text="Bob's stand", program_started_on=today, **at), "bob_stand")
    for user in (ADA, BOB):
        f.add(StandDraft(team_id=T, user_id=user, text=f"{user} draft", channel_id="CGENERAL", **at))
    for user, stand in ((ADA, ada_stand), (BOB, bob_stand)):
        f.add(Reading(team_id=T, user_id=user, stand_id=stand.id, value=12, note="a count", local_date=today, **at))
    f.add(Follower(team_id=T, stand_id=bob_stand.id, user_id=ADA, **at), "ada_follows_bob")
    f.add(Idea(team_id=T, user_id=ADA, stand_id=bob_stand.id, text="Ada's idea for Bob", **at), "ada_idea")
    f.add(Idea(team_id=T, user_id=BOB, stand_id=ada_stand.id, text="Bob's idea for Ada", **at), "bob_idea")
    f.add(Follower(team_id=T, stand_id=ada_stand.id, user_id=BOB, **at), "bob_follows_ada")
    f.add(Share(team_id=T, user_id=ADA, told_user_id=BOB, text="told Bob", local_date=today, **at))
    f.add(Share(team_id=T, user_id=BOB, told_user_id=ADA, text="told Ada", local_date=today, **at), "bob_told_ada")
    for user in (ADA, BOB):
        f.add(Action(team_id=T, user_id=user, text=f"{user} act", local_date=today, **at))
        f.add(Promise(team_id=T, user_id=user, text=f"{user} promise", updated_at=now, **at))
        f.add(Breakdown(team_id=T, user_id=user, text=f"{user} breakdown", **at))
    f.add(Action(team_id=ELSEWHERE, user_id=ADA, text="In the other workspace", local_date=today, **at))

    dm_of = {ADA: ADA_DM, BOB: BOB_DM, "UCY": "DCY"}

    def request(requester: str, recipient: str, status: RequestStatus, name: str, **more: Any) -> None:
        row = Request(
            team_id=T,
            user_id=requester,
            recipient_id=recipient,
            text=f"{name} text",
            status=status,
            local_date=today,
            requester_channel=dm_of[requester],
            requester_ts=f.ts(ada=requester == ADA),
            recipient_channel=dm_of[recipient],
            recipient_ts=f.ts(ada=recipient == ADA),
            updated_at=now,
            **more,
            **at,
        )
        f.add(row, name)

    accepted = {"promise_status": PromiseStatus.OPEN, "promised_on": today, "due_on": today + timedelta(days=7)}
    request(ADA, BOB, RequestStatus.ACCEPTED, "ada_asked_bob", stand_id=ada_stand.id, **accepted)
    request(BOB, ADA, RequestStatus.OPEN, "bob_asks_ada")
    request(BOB, ADA, RequestStatus.ACCEPTED, "bob_asked_ada", **accepted)
    ada_asked_bob, bob_asked_ada = f.ids["ada_asked_bob"], f.ids["bob_asked_ada"]
    request(BOB, "UCY", RequestStatus.OPEN, "bob_asks_cy")

    renegotiation: dict[str, Any] = {"new_due_on": today + timedelta(days=14), "asked_on": today, **at}
    f.add(  # Bob, who promised, asks Ada (the requester) in her DM
        Renegotiation(
            team_id=T,
            request_id=ada_asked_bob,
            user_id=BOB,
            status=RenegotiationStatus.ACCEPTED,
            channel_id=ADA_DM,
            message_ts=f.ts(ada=True),
            settled_at=now,
            **renegotiation,
        ),
        "bob_asked_ada_for_a_date",
    )
    f.add(  # Ada, who promised, asks Bob in his DM; still unanswered
        Renegotiation(
            team_id=T,
            request_id=bob_asked_ada,
            user_id=ADA,
            channel_id=BOB_DM,
            message_ts=f.ts(ada=False),
            **renegotiation,
        ),
        "ada_asks_bob_for_a_date",
    )
    for user in (ADA, BOB):
        f.add(
            Breakthrough(
                team_id=T,
                user_id=user,
                text=f"{user} breakthrough",
                stand_id=ada_stand.id if user == ADA else bob_stand.id,
                channel_id="CWINS",
                message_ts=f.ts(ada=user == ADA),
                **at,
            )
        )
        dm = dm_of[user]
        f.add(
            Nudge(
                team_id=T,
                user_id=user,
                local_date=today,
                status=ClaimStatus.SENT,
                channel_id=dm,
                message_ts=f.ts(ada=user == ADA),
                claimed_at=now,
                **at,
            )
        )
        f.add(
            FollowUp(
                team_id=T,
                user_id=user,
                kind=FollowUpKind.REQUEST,
                item_id=bob_asked_ada if user == ADA else ada_asked_bob,
                stage="due",
                local_date=today,
                status=ClaimStatus.SENT,
                channel_id=dm,
                message_ts=f.ts(ada=user == ADA),
                claimed_at=now,
                **at,
            )
        )
        f.add(
            Outbox(
                team_id=T,
                user_id=user,
                lane=f"dm:{T}:{user}",
                kind="dm",
                payload=f'{{"channel": "{user}", "text": "for {user}"}}',
                next_attempt_at=now,
                **at,
            )
        )
        f.add(Delivery(key=f"command:{user}", team_id=T, user_id=user, response="{}", updated_at=now, **at))
    f.add(Delivery(key="event:ada", team_id=None, user_id=ADA, updated_at=now, **at))
    f.add(
        Outbox(
            team_id=T,
            user_id=None,
            lane="channel:CWINS",
            kind="post",
            payload='{"channel": "CWINS"}',
            next_attempt_at=now,
            **at,
        )
    )
    week = date(2026, 11, 16)
    f.add(Recap(team_id=T, user_id=ADA, week=week, status=ClaimStatus.SENT, channel_id="CWINS", claimed_at=now, **at))
    f.add(Recap(team_id=T, user_id=BOB, week=week - timedelta(days=7), channel_id="CWINS", claimed_at=now, **at))
    session.commit()
    return f


Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table, by primary key."""
    found: Snapshot = {}
    with engine.connect() as connection:
        for table in tables():
            key = [c.name for c in table.primary_key.columns]
            rows = [dict(row._mapping) for row in connection.execute(select(table))]
            found[table.name] = {tuple(row[k] for k in key): row for row in rows}
    return found


def identifiers(f: Fill) -> set[str]:
    return {ADA, ADA_DM, *f.ada_ts}


def names(table: str, row: dict[str, Any], ids: set[str], *, how: Callable[[str], bool] = lambda _: True) -> bool:
    """Whether a member or address column of `row` (classified `how`) holds one of `ids` or the member's ID."""
    for column, value in row.items():
        if (table, column) not in MEMBER_COLUMNS and (table, column) not in ADDRESS_COLUMNS:
            continue
        if isinstance(value, str) and (value in ids or ADA in value) and how(classified(table, column)):
            return True
    return False


def in_workspace(row: dict[str, Any], team: str) -> bool:
    return row.get("team_id") in (team, None)


@pytest.fixture
def coach(engine: Engine, clock: FixedClock) -> Coach:
    return Coach(engine, clock, default_timezone="UTC")


@pytest.fixture
def filled(engine: Engine) -> Fill:
    with Session(engine) as session:
        return fill(session)


def test_the_fill_names_the_member_in_every_table_and_every_classified_column(engine: Engine, filled: Fill) -> None:
    before, ids = snapshot(engine), identifiers(filled)
    holding = {
        (table, column)
        for table, rows in before.items()
        for row in rows.values()
        for column, value in row.items()
        if isinstance(value, str) and (value in ids or ADA in value)
    }
    # Every member column, and every address column forget must clear on a row that stays.
    kept = {key for key, how in ADDRESS_COLUMNS.items() if how in (ANONYMISED, CLEARED)}
    assert (set(MEMBER_COLUMNS) | kept) - holding == set()


def export_keys(document: dict[str, list[dict[str, Any]]]) -> dict[str, set[tuple[Any, ...]]]:
    keys: dict[str, set[tuple[Any, ...]]] = {}
    by_name = {t.name: t for t in tables()}
    for name, items in document.items():
        key = [c.name for c in by_name[name].primary_key.columns]
        keys[name] = {tuple(item[k] for k in key) for item in items}
    return keys


def test_export_gives_every_row_that_names_the_member_and_only_those(
    engine: Engine, filled: Fill, coach: Coach
) -> None:
    before, ids = snapshot(engine), identifiers(filled)

    document = coach.export(team_id=T, user_id=ADA)

    expected = {
        name: {key for key, row in before[name].items() if in_workspace(row, T) and names(name, row, ids)}
        for name, _ in EXPORTED
    }
    # Beyond the rows that name her: the stand she follows, Bob's follow of her stand and his idea for it.
    expected["stands"].add((filled.ids["bob_stand"],))
    expected["followers"].add((filled.ids["bob_follows_ada"],))
    expected["ideas"].add((filled.ids["bob_idea"],))
    assert export_keys(document) == expected
    assert set(document) >= set(CONTRACT_LISTS)


def test_export_of_a_member_reads_like_the_contract_with_their_settings_added(
    engine: Engine, filled: Fill, coach: Coach
) -> None:
    document = coach.export(team_id=T, user_id=ADA)

    requests = {r["id"]: r for r in document["requests"]}
    received = requests[filled.ids["bob_asked_ada"]]
    assert (received["user_id"], received["recipient_id"], received["promise_status"]) == (BOB, ADA, "open")
    assert [s["told_user_id"] for s in document["shares"]] == [BOB, ADA]
    [settings] = document["members"]
    assert (settings["user_id"], settings["nudge_time"], settings["tz"], settings["paused"]) == (
        ADA,
        "07:30",
        "Europe/Berlin",
        False,
    )
    [workspace] = document["workspaces"]
    assert (workspace["team_id"], workspace["user_id"], workspace["recap_set_by"]) == (T, None, ADA)
    assert all({"team_id", "user_id", "created_at"} <= set(item) for items in document.values() for item in items)
    assert [item["lane"] for item in document["outbox"]] == [f"dm:{T}:{ADA}"]
    assert all("payload" not in item for item in document["outbox"])  # it may carry a response_url


def test_export_of_a_member_across_workspaces_includes_the_other_one(filled: Fill, coach: Coach) -> None:
    document = coach.export(user_id=ADA)
    assert [a["text"] for a in document["actions"]] == [f"{ADA} act", "In the other workspace"]
    assert [m["team_id"] for m in document["members"]] == [T, ELSEWHERE]


def test_forget_leaves_no_trace_of_the_member_and_keeps_the_others_rows_anonymised(
    engine: Engine, filled: Fill, coach: Coach
) -> None:
    before, ids = snapshot(engine), identifiers(filled)
    ada_stands = {key[0] for key, row in before["stands"].items() if row["user_id"] == ADA}

    coach.forget(MemberId(T, ADA))

    after = snapshot(engine)
    for table, rows in before.items():
        for key, row in rows.items():
            if not in_workspace(row, T):
                assert after[table].get(key) == row, f"{table} {key} in another workspace changed"
                continue
            survivor = after[table].get(key)
            if names(table, row, ids, how=lambda how: how == OWN) or (
                table in ("followers", "ideas") and row["stand_id"] in ada_stands  # they go with her stand
            ):
                assert survivor is None, f"{table} {key} is the member's and was kept"
                continue
            assert survivor is not None, f"{table} {key} belongs to someone else too and was deleted"
            for column, value in row.items():
                now = survivor[column]
                if isinstance(value, str) and (value in ids or ADA in value):
                    how = classified(table, column)
                    assert now == (FORGOTTEN_USER if how == ANONYMISED else None), f"{table}.{column} {key}"
                elif column == "stand_id" and value in ada_stands:
                    assert now is None
                elif column not in ("status", "settled_at"):
                    assert now == value, f"{table}.{column} {key} changed"
    # Nowhere in the workspace does any column hold her ID, her DM's channel or a timestamp of hers.
    leftovers = [
        (table, column)
        for table, rows in after.items()
        for row in rows.values()
        if in_workspace(row, T)
        for column, value in row.items()
        if isinstance(value, str) and (value in ids or ADA in value)
    ]
    assert leftovers == []
    assert all(not rows for rows in coach.export(team_id=T, user_id=ADA).values())


def test_forget_ends_what_waited_on_the_member_and_keeps_what_the_other_side_holds(
    engine: Engine, filled: Fill, coach: Coach
) -> None:
    coach.forget(MemberId(T, ADA))

    document = coach.export(team_id=T)
    requests = {r["id"]: r for r in document["requests"]}
    waiting = requests[filled.ids["bob_asks_ada"]]
    assert (waiting["user_id"], waiting["recipient_id"], waiting["status"]) == (BOB, FORGOTTEN_USER, "cancelled")
    promised = requests[filled.ids["ada_asked_bob"]]
    assert (promised["user_id"], promised["recipient_id"], promised["status"]) == (FORGOTTEN_USER, BOB, "accepted")
    assert requests[filled.ids["bob_asks_cy"]]["status"] == "open"
    with Session(engine) as session:
        kept = session.get(Request, filled.ids["ada_asked_bob"])
        assert kept is not None
        assert (kept.requester_channel, kept.requester_ts, kept.recipient_channel) == (None, None, BOB_DM)
    renegotiations = {r["id"]: r for r in document["renegotiations"]}
    assert renegotiations[filled.ids["ada_asks_bob_for_a_date"]]["status"] == "withdrawn"
    assert renegotiations[filled.ids["ada_asks_bob_for_a_date"]]["user_id"] == FORGOTTEN_USER
    assert renegotiations[filled.ids["bob_asked_ada_for_a_date"]]["status"] == "accepted"
    assert [s["told_user_id"] for s in document["shares"]] == [FORGOTTEN_USER]
    assert [m["user_id"] for m in document["members"]] == [BOB]
    assert [f["user_id"] for f in document["followers"]] == []
    assert [o["user_id"] for o in document["outbox"]] == [BOB, None]
    assert coach.export(team_id=ELSEWHERE, user_id=ADA)["actions"] != []
