"""What each coaching move does in Slack, shared by slash commands, modals and buttons.

Each flow runs after the ack: it asks the domain to decide, makes the Slack calls that follow (announcements,
DMs to the other side, cards updated in place) and returns the reply for the member who acted. The surface
that called it delivers that reply its own way (a command's response_url, a DM after a modal).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.coach import Coach, CoachRefusal, RequestMoved, StandConflict, StandDeclared
from bot.nudges import Nudges
from bot.rules import RequestMove, Role
from handlers import blocks as ui
from handlers.nudge_blocks import build_nudge
from handlers.slack_io import ensure_profile, post_in_channel, require_person, send_dm, update_message
from storage.claims import DueNudge
from storage.models import PromiseStatus, Request, RequestStatus, StandStatus

log = logging.getLogger(__name__)

Reply = tuple[str, list[dict[str, Any]]]


def line(text: str) -> Reply:
    """A one-line reply."""
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": ui.clip(text, ui.SECTION_LIMIT)}}]


def announce_stand(client: WebClient, coach: Coach, declared: StandDeclared, channel_id: str | None) -> Reply:
    """Announce a new stand in the channel it was typed in (or the recap channel) and confirm it to its owner."""
    stand = declared.stand
    target = channel_id if channel_id and not channel_id.startswith("D") else coach.recap_channel(stand.team_id)
    posted = None
    if target:
        text, blocks = ui.build_stand_announcement(stand, [])
        posted = post_in_channel(client, target, text, blocks)
        if posted is not None and stand.id is not None:
            coach.record_announcement(stand.team_id, stand.id, *posted)
    text, blocks = ui.build_stand_declared(
        stand, announced_in=posted[0] if posted else None, replaced=declared.replaced
    )
    if target and posted is None:
        blocks.append(
            ui.note_block(
                f"I couldn't announce it in <#{target}> — invite me there with `/invite` and I will next time."
            )
        )
    return text, blocks


def declare_stand(
    client: WebClient,
    coach: Coach,
    team_id: str,
    user_id: str,
    outcome: str,
    due_on: date | None,
    channel_id: str | None,
) -> Reply:
    """`/stand`: a new stand, or the choice to replace the active one."""
    result = coach.declare_stand(team_id, user_id, outcome, due_on, channel_id=channel_id)
    if isinstance(result, StandConflict):
        assert result.draft.id is not None
        return ui.build_stand_conflict(result.current, result.draft.id, result.draft.text)
    return announce_stand(client, coach, result, channel_id)


def settle_stand(client: WebClient, coach: Coach, team_id: str, user_id: str, draft_id: int, *, replace: bool) -> Reply:
    """The member's answer to "replace your stand or keep it?"."""
    declared = coach.settle_draft(team_id, user_id, draft_id, replace=replace)
    if declared is None:
        return line("Kept your current stand. Onward.")
    return announce_stand(client, coach, declared, declared.stand.channel_id)


def join_stand(
    client: WebClient,
    coach: Coach,
    team_id: str,
    stand_id: int,
    user_id: str,
    clicked: tuple[str | None, str | None] = (None, None),
) -> Reply:
    """Join a stand: the announcement shows its followers, the owner hears who joined."""
    joined = coach.join_stand(team_id, stand_id, user_id)
    stand = joined.stand
    text, blocks = ui.build_stand_announcement(stand, joined.follower_ids)
    # The clicked message is the announcement; prefer it, since a quick click can beat our record of its ts.
    where = clicked if all(clicked) else (stand.channel_id, stand.message_ts)
    update_message(client, where, text, blocks)
    first = " — your *first follower*" if joined.is_first else ""
    send_dm(client, stand.user_id, f":raised_hands: {ui.person(user_id)} joined your stand{first}.")
    role = "its first follower" if joined.is_first else "a follower"
    return line(f"You joined {ui.person(stand.user_id)}'s stand as {role}. Take it on as your own.")


def refresh_nudge(client: WebClient, coach: Coach, team_id: str, user_id: str) -> None:
    """Rewrite the member's nudge of today to show the practice they just logged, if they had one."""
    nudges = Nudges(coach)
    where = nudges.todays(team_id, user_id)
    if where is None:
        return
    today = coach.today(team_id, user_id)
    text, blocks = build_nudge(nudges.content(DueNudge(team_id=team_id, user_id=user_id, local_date=today)))
    update_message(client, where, text, blocks)


def log_shares(client: WebClient, coach: Coach, team_id: str, user_id: str, told: Sequence[str], note: str) -> Reply:
    """`/share`: one share per person told."""
    progress = coach.log_shares(team_id, user_id, told, note)
    refresh_nudge(client, coach, team_id, user_id)
    people = ", ".join(ui.person(p) for p in told)
    return ui.build_practice_logged(f"Shared with {people}.", progress)


def log_action(client: WebClient, coach: Coach, team_id: str, user_id: str, text: str) -> Reply:
    """`/act`: one action."""
    progress = coach.log_action(team_id, user_id, text)
    refresh_nudge(client, coach, team_id, user_id)
    return ui.build_practice_logged("Action logged.", progress)


def make_request(
    client: WebClient, coach: Coach, team_id: str, user_id: str, recipient_id: str, text: str, due_on: date | None
) -> Reply:
    """`/request`: store it, then DM the person asked (Accept / Decline / Counter-offer) and the requester's copy."""
    if recipient_id == user_id:
        raise CoachRefusal("A request is something you ask of someone else — pick another person.")
    require_person(client, coach, team_id, recipient_id)
    request = coach.make_request(team_id, user_id, recipient_id, text, due_on)
    delivered = send_cards(client, coach, request)
    refresh_nudge(client, coach, team_id, user_id)
    progress = coach.progress(team_id, user_id)
    headline = f"Request sent to {ui.person(recipient_id)}."
    if not delivered:
        headline = f"Request stored, but I couldn't DM {ui.person(recipient_id)} — they'll see it in my App Home."
    return ui.build_practice_logged(headline, progress)


def send_cards(client: WebClient, coach: Coach, request: Request) -> bool:
    """Post each side's card for a new request; True when the side that must answer was reached."""
    assert request.id is not None
    answering = Role.REQUESTER if request.status == RequestStatus.COUNTERED else Role.RECIPIENT
    cards: dict[Role, tuple[str, str] | None] = {}
    for role, user in ((Role.RECIPIENT, request.recipient_id), (Role.REQUESTER, request.user_id)):
        text, blocks = ui.build_request_card(request, role)
        cards[role] = send_dm(client, user, text, blocks)
    coach.record_request_cards(
        request.team_id, request.id, requester=cards[Role.REQUESTER], recipient=cards[Role.RECIPIENT]
    )
    return cards[answering] is not None


def move_request(
    client: WebClient,
    coach: Coach,
    team_id: str,
    request_id: int,
    actor_id: str,
    move: RequestMove,
    *,
    terms: str | None = None,
    due_on: date | None = None,
    clicked: tuple[str | None, str | None] = (None, None),
) -> Reply:
    """A press of Accept, Decline, Done, Complete…: both cards updated in place, the other side told."""
    moved = coach.move_request(team_id, request_id, actor_id, move, terms=terms, due_on=due_on)
    refresh_cards(client, moved.request, clicked={moved.actor: clicked} if all(clicked) else None)
    other = moved.request.recipient_id if moved.actor is Role.REQUESTER else moved.request.user_id
    send_dm(client, other, ui.build_request_notice(moved, actor_id))
    return line(_confirmation(moved))


def refresh_cards(
    client: WebClient, request: Request, *, clicked: dict[Role, tuple[str | None, str | None]] | None = None
) -> None:
    """Rewrite both sides' cards to the request's current state (spent buttons disappear).

    `clicked` names the card a button was pressed on: a quick press can beat our record of where it is.
    """
    cards = {
        Role.REQUESTER: (request.requester_channel, request.requester_ts),
        Role.RECIPIENT: (request.recipient_channel, request.recipient_ts),
        **(clicked or {}),
    }
    for role, where in cards.items():
        text, blocks = ui.build_request_card(request, role)
        update_message(client, where, text, blocks)


def _confirmation(moved: RequestMoved) -> str:
    request = moved.request
    words = {
        RequestMove.ACCEPT: f"Accepted — it's your promise now ({ui.when(request.due_on)}).",
        RequestMove.DECLINE: "Declined. Thank you for a clear no — it keeps everyone's word worth something.",
        RequestMove.COUNTER: "Counter-offer sent.",
        RequestMove.CANCEL: "Request cancelled.",
        RequestMove.DONE: "Reported done — I've asked them to declare it complete.",
        RequestMove.COMPLETE: "Completed. A promise kept.",
        RequestMove.NOT_YET: "Sent back as not yet complete.",
        RequestMove.REVOKE: "Revoked. Thank you for saying so rather than letting it slide — I've told them.",
        RequestMove.ACCEPT_COUNTER: f"Accepted — it's their promise now ({ui.when(request.due_on)}).",
        RequestMove.DECLINE_COUNTER: "Declined; the request is closed.",
    }
    return words[moved.move]


def offer_help(
    client: WebClient, coach: Coach, team_id: str, stand_id: int, helper_id: str, text: str, due_on: date | None
) -> Reply:
    """Offer help with a stand: its owner gets a card to accept it as the helper's promise."""
    request = coach.offer_help(team_id, stand_id, helper_id, text, due_on)
    send_cards(client, coach, request)
    return line(f"Offer sent to {ui.person(request.user_id)}. If they accept, it becomes your promise.")


def make_promise(coach: Coach, team_id: str, user_id: str, text: str, due_on: date | None) -> Reply:
    """`/promise`: a promise of one's own."""
    promise = coach.make_promise(team_id, user_id, text, due_on)
    return line(f":handshake: Promise made ({ui.when(promise.due_on)}): _{ui.esc(ui.clip(promise.text, 2500))}_")


def declare_breakdown(coach: Coach, team_id: str, user_id: str, text: str, *, noticed: int | None = None) -> Reply:
    """`/breakdown`: stored (or, from a check-in, the noticed one put in the member's words), met with coaching."""
    if noticed is not None:
        return ui.build_breakdown_coaching(coach.declare_noticed_breakdown(team_id, user_id, noticed, text))
    return ui.build_breakdown_coaching(coach.declare_breakdown(team_id, user_id, text))


def declare_breakthrough(client: WebClient, coach: Coach, team_id: str, user_id: str, text: str) -> Reply:
    """`/breakthrough`: stored and celebrated in the recap channel."""
    breakthrough, channel = coach.declare_breakthrough(team_id, user_id, text)
    posted = None
    if channel:
        post_text, blocks = ui.build_breakthrough_celebration(breakthrough)
        posted = post_in_channel(client, channel, post_text, blocks)
        if posted is not None and breakthrough.id is not None:
            coach.record_celebration(team_id, breakthrough.id, *posted)
    if breakthrough.stand_id is not None:
        # The stand's followers took it on as their own: its breakthroughs are theirs to hear of first-hand.
        text, blocks = ui.build_breakthrough_for_follower(breakthrough)
        for follower in coach.followers(team_id, breakthrough.stand_id):
            send_dm(client, follower, text, blocks)
    if channel and posted is None:
        return line(
            f":rocket: Breakthrough recorded — but I couldn't post in <#{channel}>. Invite me there with `/invite`."
        )
    return line(ui.build_breakthrough_declared(posted[0] if posted else None))


def leave_stand(client: WebClient, coach: Coach, team_id: str, stand_id: int, user_id: str) -> Reply:
    """Stop following a stand; its announcement shows the followers who remain."""
    stand = coach.leave_stand(team_id, stand_id, user_id)
    text, blocks = ui.build_stand_announcement(stand, coach.followers(team_id, stand_id))
    update_message(client, (stand.channel_id, stand.message_ts), text, blocks)
    return line(f"You've left {ui.person(stand.user_id)}'s stand. Thank you for standing with them.")


def send_export(client: WebClient, coach: Coach, team_id: str, user_id: str) -> Reply:
    """`/coach export`: the member's own data as a JSON file in their DM."""
    document = coach.export(team_id=team_id, user_id=user_id)
    dm = send_dm(client, user_id, "Here is everything I keep about you, as JSON.")
    if dm is None:
        return line("I couldn't open a DM with you to send the file. Please try again in a minute.")
    try:
        client.files_upload_v2(
            channel=dm[0],
            content=json.dumps(document, indent=2, ensure_ascii=False),
            filename="breakthrough-coach-export.json",
            title="Your Breakthrough Coach data",
        )
    except SlackApiError as error:
        log.warning("export upload for %s failed: %s", user_id, error.response.get("error"))
        return line("I couldn't upload your export just now. Please try again in a minute.")
    return line("Your data is in your DMs with me, as a JSON file.")


def show_home(client: WebClient, coach: Coach, team_id: str, user_id: str) -> None:
    """Publish the member's App Home."""
    ensure_profile(client, coach, team_id, user_id)
    client.views_publish(user_id=user_id, view=ui.build_home(coach.status(team_id, user_id)))


def account(
    client: WebClient,
    coach: Coach,
    team_id: str,
    user_id: str,
    item: tuple[str, int],
    outcome: PromiseStatus,
    *,
    new_date: date | None = None,
    clicked: tuple[str | None, str | None] = (None, None),
) -> Reply:
    """Account for a promise (or an accepted request) that came due: kept, renegotiated or revoked."""
    kind, item_id = item
    if kind == "request":
        if outcome == PromiseStatus.RENEGOTIATED:
            assert new_date is not None
            reply = ask_for_new_date(client, coach, team_id, user_id, item_id, new_date)
        else:
            move = RequestMove.DONE if outcome == PromiseStatus.KEPT else RequestMove.REVOKE
            reply = move_request(client, coach, team_id, item_id, user_id, move)
    else:
        promise, _ = coach.account_promise(team_id, user_id, item_id, outcome, new_date=new_date)
        reply = line(
            {
                PromiseStatus.KEPT: ":white_check_mark: Kept. A promise kept is a breakthrough in miniature.",
                PromiseStatus.RENEGOTIATED: f":calendar: Renegotiated: now {ui.when(new_date)}.",
                PromiseStatus.REVOKED: "Revoked. Saying so honestly keeps your word worth something.",
                PromiseStatus.BROKEN: (
                    "Its date had passed, so I've recorded it as broken — an honest account, not a verdict. "
                    "If it still matters, promise it again with a date you can keep."
                ),
            }[PromiseStatus(promise.status)]
        )
    if kind == "promise" or outcome != PromiseStatus.RENEGOTIATED:
        update_message(client, clicked, reply[0], reply[1])  # the follow-up itself: settled, its buttons gone
    return reply


def ask_for_new_date(
    client: WebClient, coach: Coach, team_id: str, user_id: str, request_id: int, new_date: date
) -> Reply:
    """Renegotiating a promise made to someone: they are asked to agree to the new date; the old one holds till then."""
    asked, request = coach.propose_renegotiation(team_id, user_id, request_id, new_date)
    assert asked.id is not None
    text, blocks = ui.build_renegotiation_question(asked, request)
    dm = send_dm(client, request.user_id, text, blocks)
    if dm is None:
        coach.withdraw_renegotiation(team_id, asked.id)
        return line(
            f"I couldn't reach {ui.person(request.user_id)} just now, so the date stays {ui.day(request.due_on)}. "
            "Please try again in a minute."
        )
    coach.record_renegotiation_question(team_id, asked.id, *dm)
    return line(
        f":calendar: I've asked {ui.person(request.user_id)} to agree to {ui.day(new_date)}. "
        f"Until they do, it's still due {ui.day(request.due_on)}."
    )


def answer_renegotiation(
    client: WebClient,
    coach: Coach,
    team_id: str,
    user_id: str,
    renegotiation_id: int,
    *,
    agree: bool,
    clicked: tuple[str | None, str | None] = (None, None),
) -> Reply:
    """The requester agrees to the new date or keeps the old one; the question, both cards and the asker follow."""
    asked, request = coach.answer_renegotiation(team_id, user_id, renegotiation_id, agree=agree)
    text, blocks = ui.build_renegotiation_question(asked, request)
    update_message(client, clicked if all(clicked) else (asked.channel_id, asked.message_ts), text, blocks)
    refresh_cards(client, request)
    what = f"_{ui.esc(ui.clip(request.text, 1500))}_"
    if agree:
        send_dm(
            client,
            asked.user_id,
            f":handshake: {ui.person(user_id)} agreed to the new date — your promise is now due "
            f"{ui.day(asked.new_due_on)}: {what}",
        )
        return line(f"Agreed: it's now due {ui.day(asked.new_due_on)}. I've told {ui.person(asked.user_id)}.")
    send_dm(
        client,
        asked.user_id,
        f"{ui.person(user_id)} would like to keep the original date ({ui.day(asked.old_due_on)}) for {what}. "
        "Keep it if you can — or say honestly that you can't.",
    )
    return line(f"The original date stands. I've told {ui.person(asked.user_id)}.")


def close_stand(coach: Coach, team_id: str, user_id: str, ending: str, words: str) -> Reply:
    """Close the active stand as achieved or ended; the nudges stop, the history stays."""
    status = StandStatus.ACHIEVED if ending == "achieved" else StandStatus.ENDED
    coach.close_stand(team_id, user_id, status, words)
    if status == StandStatus.ACHIEVED:
        return line(
            ":trophy: Stand closed as achieved. Declare the breakthrough with `/breakthrough` so the team sees it."
        )
    return line("Stand closed. What you learned is yours to keep — declare a new stand whenever you're ready.")


def resolve_breakdown(coach: Coach, team_id: str, user_id: str, breakdown_id: int | None, resolution: str) -> Reply:
    """Log what shifted on a breakdown."""
    coach.resolve_breakdown(team_id, user_id, breakdown_id, resolution)
    return line(":seedling: Breakdown resolved. What shifted is worth remembering — the recap will count it.")
