"""What each coaching move does, shared by slash commands, modals and buttons.

Each flow runs before the ack, in one transaction (`Coach.transaction`): the domain decides and stores, and what
Slack must be told afterwards — the announcement, the other side's DM, cards rewritten in place, the nudge
refreshed — is written to the outbox in that same transaction (`Coach.tell`), for `handlers.outbox` to send. A
flow makes no Slack call itself and returns the reply for the member who acted; the surface that called it puts
the reply in its ack (a command's ephemeral answer, a modal's confirmation) or, for a button, in the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.coach import Coach, CoachRefusal, MemberId, Progress, RequestMoved, StandConflict, StandDeclared
from bot.coach.follow_ups import DueFollowUp, FollowUps
from bot.coach.rules import RequestMove, Role
from bot.coach.trajectory import Measure
from handlers import outbox as ox
from handlers.blocks.follow_ups import build_requester_told
from handlers.blocks.measures import build_progress_recorded
from handlers.blocks.practice import build_practice_logged
from handlers.blocks.primitives import SECTION_LIMIT, clip, day, person, quote, when
from handlers.blocks.promises import build_promise_made, build_renegotiation_answered, build_renegotiation_question
from handlers.blocks.requests import build_request_card, build_request_notice
from handlers.blocks.stands import (
    build_joined_dm,
    build_milestone_set,
    build_stand_announcement,
    build_stand_closed_for_follower,
    build_stand_conflict,
    build_stand_declared,
)
from handlers.blocks.welcome import build_welcome
from storage.models import Promise, PromiseStatus, Ref, Request, RequestStatus, Stand, StandStatus

Reply = tuple[str, list[dict[str, Any]]]
Where = tuple[str | None, str | None]


def line(text: str) -> Reply:
    """A one-line reply."""
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}]


# Stands ------------------------------------------------------------------------------------------------


def announce_stand(coach: Coach, declared: StandDeclared, channel_id: str | None) -> Reply:
    """Owe the channel the stand's announcement (where it was typed, or the recap channel); confirm it."""
    stand = declared.stand
    assert stand.id is not None
    target = channel_id if channel_id and not channel_id.startswith("D") else coach.recap_channel(stand.team_id)
    if target:
        text, blocks = build_stand_announcement(stand, [])
        coach.tell(
            ox.post(
                stand.team_id,
                target,
                text,
                blocks,
                remember=(Ref.ANNOUNCEMENT, stand.id),
                on_failure=(
                    stand.user_id,
                    f"I couldn't announce your stand in <#{target}> — invite me there with `/invite` "
                    "and I will next time.",
                ),
                about=stand.user_id,
            )
        )
    if declared.replaced is not None:
        stand_settled(coach, declared.replaced)
    return build_stand_declared(stand, announced_in=target, replaced=declared.replaced)


def stand_settled(coach: Coach, stand: Stand) -> None:
    """The stand's "what now?" was answered, or it closed: the messages that asked, and its announcement, say so."""
    assert stand.id is not None
    coach.tell(ox.questions(MemberId(stand.team_id, stand.user_id), "stand", stand.id))
    if stand.status != StandStatus.ACTIVE and stand.channel_id:
        # A closed stand's announcement keeps its followers and loses Join and Offer help.
        refresh_announcement(coach, stand.team_id, stand.id, stand.channel_id, (None, None))


def declare_stand(
    coach: Coach,
    who: MemberId,
    outcome: str,
    due_on: date | None,
    channel_id: str | None,
    *,
    measure: Measure | None = None,
    origin: str | None = None,
    milestones: Sequence[tuple[str, date]] = (),
) -> Reply:
    """`/stand`: a new stand, or the choice to replace the active one."""
    with coach.transaction():
        result = coach.declare_stand(
            who, outcome, due_on, measure=measure, origin=origin, milestones=milestones, channel_id=channel_id
        )
        if isinstance(result, StandConflict):
            assert result.draft.id is not None
            return build_stand_conflict(
                result.current, result.draft.id, result.draft.text, milestones_waiting=len(milestones)
            )
        return announce_stand(coach, result, channel_id)


def settle_stand(coach: Coach, who: MemberId, draft_id: int, *, replace: bool) -> Reply:
    """The member's answer to "replace your stand or keep it?"."""
    with coach.transaction():
        declared = coach.settle_draft(who, draft_id, replace=replace)
        if declared is None:
            return line("Kept your current stand. Onward.")
        return announce_stand(coach, declared, declared.stand.channel_id)


def refresh_announcement(coach: Coach, team_id: str, stand_id: int, channel: str | None, at: Where) -> None:
    """Owe the stand's announcement a rewrite showing its followers as they are when it is sent."""
    coach.tell(ox.announcement(team_id, stand_id, channel or "announcement", at=at))


def join_stand(coach: Coach, team_id: str, stand_id: int, user_id: str, clicked: Where = (None, None)) -> Reply:
    """Join a stand: the announcement shows its followers, the owner hears who joined."""
    with coach.transaction():
        joined = coach.join_stand(team_id, stand_id, user_id)
        stand = joined.stand
        # The clicked message is the announcement; prefer it, since a quick click can beat our record of its ts.
        refresh_announcement(coach, team_id, stand_id, clicked[0] or stand.channel_id, clicked)
        coach.tell(ox.dm(MemberId(team_id, stand.user_id), *build_joined_dm(user_id, is_first=joined.is_first)))
    role = "its first follower" if joined.is_first else "a follower"
    return line(f"You joined {person(stand.user_id)}'s stand as {role}. Take it on as your own.")


def leave_stand(coach: Coach, team_id: str, stand_id: int, user_id: str) -> Reply:
    """Stop following a stand; its announcement shows the followers who remain."""
    with coach.transaction():
        stand = coach.leave_stand(team_id, stand_id, user_id)
        refresh_announcement(coach, team_id, stand_id, stand.channel_id, (None, None))
    return line(f"You've left {person(stand.user_id)}'s stand. Thank you for standing with them.")


def close_stand(coach: Coach, who: MemberId, ending: str, words: str) -> Reply:
    """Close the active stand as achieved or ended; the nudges stop, the history stays."""
    team_id = who.team_id
    status = StandStatus.ACHIEVED if ending == "achieved" else StandStatus.ENDED
    with coach.transaction():
        stand = coach.close_stand(who, status, words)
        celebrated = stand.id is not None and coach.has_breakthrough(team_id, stand.id)
        stand_settled(coach, stand)
        assert stand.id is not None
        for follower in coach.followers(team_id, stand.id):  # those who stood with it hear how it ended
            coach.tell(ox.dm(MemberId(team_id, follower), *build_stand_closed_for_follower(stand)))
    if status == StandStatus.ACHIEVED and celebrated:
        return line(":trophy: Stand closed as achieved, its breakthrough already on record. Well done.")
    if status == StandStatus.ACHIEVED:
        return line(
            ":trophy: Stand closed as achieved. Declare the breakthrough with `/breakthrough` so the team sees it."
        )
    return line("Stand closed. What you learned is yours to keep — declare a new stand whenever you're ready.")


def restart_program(coach: Coach, who: MemberId) -> Reply:
    """Another 14 days on the same stand."""
    with coach.transaction():
        stand = coach.restart_program(who)
        stand_settled(coach, stand)
    return line(f":repeat: Another 14 days on your stand: day 1 is {stand.program_started_on:%A %-d %B}.")


# Practice ----------------------------------------------------------------------------------------------


def refresh_nudge(coach: Coach, who: MemberId, progress: Progress | None = None) -> None:
    """Owe the member's nudge of today a rewrite showing what they just logged, if they have one today (`progress`
    of today, read after what they logged, says so without asking again)."""
    nudge_out = progress.nudge_out if progress is not None else None
    if nudge_out is None:
        nudge_out = coach.nudged_today(who)
    if nudge_out:
        coach.tell(ox.nudge(who))


def _for(toward: str | None) -> str:
    return f" For {person(toward)}'s stand too." if toward else ""


def log_shares(coach: Coach, who: MemberId, told: Sequence[str], note: str, *, toward: str | None = None) -> Reply:
    """`/share`: one share per person told (`for @owner`: for a stand the member follows too)."""
    with coach.transaction():
        progress = coach.log_shares(who, told, note, toward=toward)
        refresh_nudge(coach, who, progress)
    people = ", ".join(person(p) for p in told)
    return build_practice_logged(f"Shared with {people}.{_for(toward)}", progress)


def log_action(coach: Coach, who: MemberId, text: str, *, toward: str | None = None) -> Reply:
    """`/act`: one action (`for @owner`: for a stand the member follows too)."""
    with coach.transaction():
        progress = coach.log_action(who, text, toward=toward)
        refresh_nudge(coach, who, progress)
    return build_practice_logged(f"Action logged.{_for(toward)}", progress)


def add_milestone(coach: Coach, who: MemberId, what: str, due_on: date) -> Reply:
    """`/stand milestone <what> by <date>`: a milestone of the active stand, followed up like a promise."""
    with coach.transaction():
        milestone = coach.add_milestone(who, what, due_on)
        coach.tell(ox.home(who))
    return build_milestone_set(milestone)


def welcome(coach: Coach, who: MemberId) -> None:
    """The member's one welcome DM, owed the first time the coach meets them through a command or App Home."""
    if coach.welcome(who):
        coach.tell(ox.dm(who, *build_welcome()))


def record_progress(coach: Coach, who: MemberId, value: float, note: str) -> Reply:
    """`/progress`: where the measured stand stands today; the nudge of today shows it."""
    with coach.transaction():
        trajectory = coach.record_progress(who, value, note)
        refresh_nudge(coach, who)
    return build_progress_recorded(trajectory)


# Requests ----------------------------------------------------------------------------------------------


def make_request(
    coach: Coach, who: MemberId, recipient_id: str, text: str, due_on: date | None, *, toward: str | None = None
) -> Reply:
    """`/request`: stored, with both sides' cards owed (Accept / Decline / Counter-offer for the person asked)."""
    user_id = who.user_id
    if recipient_id == user_id:
        raise CoachRefusal("A request is something you ask of someone else — pick another person.")
    with coach.transaction():
        request = coach.make_request(who, recipient_id, text, due_on, toward=toward)
        send_cards(coach, request)
        progress = coach.progress(who)
        refresh_nudge(coach, who, progress)
    return build_practice_logged(f"Request sent to {person(recipient_id)}.{_for(toward)}", progress)


def send_cards(coach: Coach, request: Request) -> None:
    """Owe each side its card for a new request, remembered so both can be rewritten in place later."""
    assert request.id is not None
    answering = Role.REQUESTER if request.status == RequestStatus.COUNTERED else Role.RECIPIENT
    asker = request.recipient_id if answering is Role.REQUESTER else request.user_id
    for role, user, ref in (
        (Role.RECIPIENT, request.recipient_id, Ref.RECIPIENT_CARD),
        (Role.REQUESTER, request.user_id, Ref.REQUESTER_CARD),
    ):
        text, blocks = build_request_card(request, role)
        failure = None
        if role is answering:
            failure = (
                asker,
                f"I couldn't DM {person(user)} about {quote(request.text, 150)} — "
                "they'll still find it in my App Home.",
            )
        coach.tell(ox.dm(MemberId(request.team_id, user), text, blocks, remember=(ref, request.id), on_failure=failure))


def refresh_cards(coach: Coach, request: Request, *, clicked: dict[Role, Where] | None = None) -> None:
    """Owe both sides' cards a rewrite to the request's state when sent (spent buttons disappear).

    `clicked` names the message a button was pressed on: when it is the card, a quick press can beat our record of
    where it is. A press on a follow-up that carries the card's buttons (a reminder, "is it complete?") rewrites the
    card where it was posted, and the follow-up as a question settled, so no copy of a spent button stays live.
    """
    assert request.id is not None
    cards = {
        Role.REQUESTER: (request.requester_channel, request.requester_ts),
        Role.RECIPIENT: (request.recipient_channel, request.recipient_ts),
    }
    for role, user in ((Role.REQUESTER, request.user_id), (Role.RECIPIENT, request.recipient_id)):
        at = (clicked or {}).get(role, (None, None))
        if all(cards[role]) and at != cards[role]:
            at = (None, None)  # pressed elsewhere (a reminder in a morning message): the card is where we recorded it
        coach.tell(ox.card(request.team_id, request.id, role, user, at=at))
    # The follow-ups and reminders that asked about it show where it stands now.
    coach.tell(ox.questions(MemberId(request.team_id, request.recipient_id), "request", request.id))


def move_request(
    coach: Coach,
    team_id: str,
    request_id: int,
    actor_id: str,
    move: RequestMove,
    *,
    terms: str | None = None,
    due_on: date | None = None,
    clicked: Where = (None, None),
) -> Reply:
    """A press of Accept, Decline, Done, Complete…: both cards rewritten, the other side told."""
    with coach.transaction():
        moved = coach.move_request(team_id, request_id, actor_id, move, terms=terms, due_on=due_on)
        refresh_cards(coach, moved.request, clicked={moved.actor: clicked} if all(clicked) else None)
        other = moved.request.recipient_id if moved.actor is Role.REQUESTER else moved.request.user_id
        notice = build_request_notice(moved, actor_id)
        coach.tell(ox.dm(MemberId(team_id, other), notice))
    return line(_confirmation(moved))


def _confirmation(moved: RequestMoved) -> str:
    request = moved.request
    words = {
        RequestMove.ACCEPT: f"Accepted — it's your promise now ({when(request.due_on)}).",
        RequestMove.DECLINE: "Declined. Thank you for a clear no — it keeps everyone's word worth something.",
        RequestMove.COUNTER: "Counter-offer sent.",
        RequestMove.CANCEL: "Request cancelled.",
        RequestMove.DONE: "Reported done — I've asked them to declare it complete.",
        RequestMove.COMPLETE: "Completed. A promise kept.",
        RequestMove.NOT_YET: "Sent back as not yet complete.",
        RequestMove.REVOKE: "Revoked. Thank you for saying so rather than letting it slide — I've told them.",
        RequestMove.ACCEPT_COUNTER: f"Accepted — it's their promise now ({when(request.due_on)}).",
        RequestMove.DECLINE_COUNTER: "Declined; the request is closed.",
    }
    return words[moved.move]


def offer_help(coach: Coach, team_id: str, stand_id: int, helper_id: str, text: str, due_on: date | None) -> Reply:
    """Offer help with a stand: its owner gets a card to accept it as the helper's promise."""
    with coach.transaction():
        request = coach.offer_help(team_id, stand_id, helper_id, text, due_on)
        send_cards(coach, request)
    return line(f"Offer sent to {person(request.user_id)}. If they accept, it becomes your promise.")


def expire_request(follow_ups: FollowUps, due: DueFollowUp, now: datetime) -> Request | None:
    """Close a request unanswered for two weeks; with the change, both cards and the reminder are rewritten to say it
    expired (their buttons gone) and the requester is told. None when it was answered in the meantime."""
    coach = follow_ups.coach
    with coach.transaction():
        request = follow_ups.expire_unanswered(due, now)
        if request is None:
            return None
        assert request.id is not None
        team_id = request.team_id
        for role, user, ref in (
            (Role.REQUESTER, request.user_id, Ref.REQUESTER_CARD),
            (Role.RECIPIENT, request.recipient_id, Ref.RECIPIENT_CARD),
        ):
            # Rendered now rather than when sent: the stored request says cancelled, and only this moment knows why.
            text, blocks = build_request_card(request, role, expired=True)
            coach.tell(ox.update(team_id, user, text, blocks, ref=(ref, request.id), about=user))
        # The reminder that asked, wherever it went (alone or in a morning message), says it closed.
        coach.tell(ox.questions(MemberId(team_id, request.recipient_id), "request", request.id))
        coach.tell(ox.dm(MemberId(team_id, request.user_id), *build_requester_told(request, "expired")))
    return request


def tell_requester(coach: Coach, request: Request, stage: str) -> None:
    """The requester hears that the person asked was reminded (on their card: a DM of its own would be one more
    message in their morning) or that the promise made to them was recorded `broken` (a DM: it ends the promise)."""
    with coach.transaction():
        if stage == "reminder":
            assert request.id is not None
            coach.tell(ox.card(request.team_id, request.id, Role.REQUESTER, request.user_id, at=(None, None)))
            return
        refresh_cards(coach, request)
        coach.tell(ox.dm(MemberId(request.team_id, request.user_id), *build_requester_told(request, stage)))


# Promises ----------------------------------------------------------------------------------------------


def promise_broken(coach: Coach, promise: Promise) -> None:
    """A promise recorded as broken by the follow-up pass: the messages that asked about it say so."""
    assert promise.id is not None
    with coach.transaction():
        coach.tell(ox.questions(MemberId(promise.team_id, promise.user_id), "promise", promise.id))


def make_promise(coach: Coach, who: MemberId, text: str, due_on: date | None) -> Reply:
    """`/promise`: a promise of one's own."""
    with coach.transaction():
        promise = coach.make_promise(who, text, due_on)
    return build_promise_made(promise)


def account(
    coach: Coach,
    who: MemberId,
    item: tuple[str, int],
    outcome: PromiseStatus,
    *,
    new_date: date | None = None,
) -> Reply:
    """Account for a promise (or an accepted request) that came due: kept, renegotiated or revoked."""
    kind, item_id = item
    team_id, user_id = who
    with coach.transaction():
        if kind == "request":
            if outcome == PromiseStatus.RENEGOTIATED:
                assert new_date is not None
                return ask_for_new_date(coach, who, item_id, new_date)
            move = RequestMove.DONE if outcome == PromiseStatus.KEPT else RequestMove.REVOKE
            reply = move_request(coach, team_id, item_id, user_id, move)
        else:
            promise, _ = coach.account_promise(who, item_id, outcome, new_date=new_date)
            # The follow-ups that asked about it show the answer, their buttons gone.
            coach.tell(ox.questions(who, "promise", item_id))
            reply = line(
                {
                    PromiseStatus.KEPT: ":white_check_mark: Kept. A promise kept is a breakthrough in miniature.",
                    PromiseStatus.RENEGOTIATED: f":calendar: Renegotiated: now {when(new_date)}.",
                    PromiseStatus.REVOKED: "Revoked. Saying so honestly keeps your word worth something.",
                    PromiseStatus.BROKEN: (
                        "Its date had passed, so I've recorded it as broken — an honest account, not a verdict. "
                        "If it still matters, promise it again with a date you can keep."
                    ),
                }[PromiseStatus(promise.status)]
            )
    return reply


def ask_for_new_date(coach: Coach, who: MemberId, request_id: int, new_date: date) -> Reply:
    """Renegotiating a promise made to someone: they are asked to agree to the new date; the old one holds till then."""
    team_id, user_id = who
    with coach.transaction():
        asked, request = coach.propose_renegotiation(who, request_id, new_date)
        assert asked.id is not None
        text, blocks = build_renegotiation_question(asked, request)
        coach.tell(
            ox.dm(
                MemberId(team_id, request.user_id),
                text,
                blocks,
                remember=(Ref.RENEGOTIATION_QUESTION, asked.id),
                on_failure=(
                    user_id,
                    f"I couldn't reach {person(request.user_id)} to ask for {day(new_date)}, so the date "
                    f"stays {day(request.due_on)}.",
                ),
            )
        )
    return line(
        f":calendar: I've asked {person(request.user_id)} to agree to {day(new_date)}. "
        f"Until they do, it's still due {day(request.due_on)}."
    )


def answer_renegotiation(
    coach: Coach, who: MemberId, renegotiation_id: int, *, agree: bool, clicked: Where = (None, None)
) -> Reply:
    """The requester agrees to the new date or keeps the old one; the question, both cards and the asker follow."""
    team_id, user_id = who
    with coach.transaction():
        asked, request = coach.answer_renegotiation(who, renegotiation_id, agree=agree)
        assert asked.id is not None
        text, blocks = build_renegotiation_question(asked, request)
        coach.tell(
            ox.update(
                team_id,
                user_id,
                text,
                blocks,
                at=clicked,
                ref=(Ref.RENEGOTIATION_QUESTION, asked.id),
                about=user_id,
            )
        )
        refresh_cards(coach, request)
        coach.tell(ox.dm(MemberId(team_id, asked.user_id), *build_renegotiation_answered(asked, request, agree=agree)))
    if agree:
        return line(f"Agreed: it's now due {day(asked.new_due_on)}. I've told {person(asked.user_id)}.")
    return line(f"The original date stands. I've told {person(asked.user_id)}.")


# The member's own data ---------------------------------------------------------------------------------


def send_export(coach: Coach, who: MemberId) -> Reply:
    """`/coach export`: the member's own data, owed to their DM as a JSON file."""
    with coach.transaction():
        coach.tell(ox.export(who))
    return line("Your data is on its way to your DMs with me, as a JSON file.")
