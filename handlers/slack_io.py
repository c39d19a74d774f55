"""The Slack calls made before an ack: who someone is (users.info, cached for a day)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.coach import Coach, CoachRefusal, MemberId, Profile
from storage.models import Member

log = logging.getLogger(__name__)

SLACKBOT = "USLACKBOT"

NAMED_SECONDS = 1.5
"""How long a command waits for Slack to say who the people it names are (its answer, not our storing it). Slack
answers in a fraction of that; past it, someone the coach never met cannot be checked, so the member is told to try
again and nothing changes — an ack after Slack's three seconds would show them an error while what they asked for
was done, and their retry would do it twice."""


_command = threading.local()  # the deadline of the command this thread is answering, if it set one


@contextmanager
def asking_within(seconds: float) -> Iterator[None]:
    """Every question a command asks Slack about the people it names, however many times it is read, waits no
    later than `seconds` from now (a command read twice must not wait twice)."""
    _command.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        del _command.deadline


class SlackTooSlow(CoachRefusal):
    """Slack did not say in time who someone named is: nothing changed, and the command is not read a second time
    (its three seconds are spent)."""


def _profile(user: dict[str, Any]) -> Profile:
    name = user.get("real_name") or user.get("profile", {}).get("real_name") or user.get("name") or user.get("id", "")
    return Profile(
        name=str(name),
        tz=user.get("tz"),
        is_admin=bool(user.get("is_admin") or user.get("is_owner")),
        is_bot=bool(user.get("is_bot")) or user.get("id") == SLACKBOT,
        deleted=bool(user.get("deleted")),
    )


def ensure_profile(client: WebClient, coach: Coach, who: MemberId) -> Member | None:
    """The member with a fresh zone and admin flag from users.info (cached for a day); stale beats nothing."""
    user_id = who.user_id
    member = coach.member(who)
    if not coach.needs_profile(member):
        return member
    try:
        response = client.users_info(user=user_id)
    except SlackApiError as error:
        log.warning("users.info for %s failed (%s); using what I had", user_id, error.response.get("error"))
        return member
    return coach.remember_profile(who, _profile(response["user"]))


def known_profile(client: WebClient, coach: Coach, who: MemberId, *, within: float) -> None:
    """Keep what Slack says of the member (their zone, admin flag) fresh without holding up their answer.

    Someone the coach has never met waits up to `within` seconds for Slack, so that their first "tomorrow" is their
    own; a profile over a day old is refreshed beside the answer; a fresh one costs nothing more.
    """
    member = coach.member(who)
    if not coach.needs_profile(member):
        return
    asked = refresh_profile(client, coach, who)
    if member is None:
        asked.wait(within)


def refresh_profile(client: WebClient, coach: Coach, who: MemberId) -> threading.Event:
    """Ask Slack about the member on a thread of its own (users.info); the event is set once the answer is stored
    (or the question failed)."""
    key = (id(coach), who)
    with _asking_lock:
        # One question to Slack per member at a time: a burst of their first commands shares it.
        done = _asking.get(key)
        if done is None:
            done = _asking[key] = threading.Event()
            threading.Thread(target=_fetch, args=(client, coach, key, done), name="profile", daemon=True).start()
    return done


_asking: dict[tuple[int, MemberId], threading.Event] = {}
_asking_lock = threading.Lock()


def _fetch(client: WebClient, coach: Coach, key: tuple[int, MemberId], done: threading.Event) -> None:
    try:
        ensure_profile(client, coach, key[1])
    except Exception:  # a cache fill on its own thread: the stored or default zone serves until the next one
        log.warning("could not learn %s's profile from Slack", key[1].user_id, exc_info=True)
    finally:
        with _asking_lock:
            _asking.pop(key, None)
        done.set()


def require_person(client: WebClient, coach: Coach, who: MemberId) -> None:
    """Someone a member named must be a person in this workspace: not a bot, not gone, not from another one."""
    reasons, slow = _checked(client, coach, who.team_id, [who.user_id])
    if reasons:
        why = reasons[0]
        raise CoachRefusal(f"{why[:1].upper()}{why[1:]} — nothing changed.")
    if slow:
        raise SlackTooSlow(_too_slow(slow))


def require_people(client: WebClient, coach: Coach, team_id: str, user_ids: Sequence[str]) -> None:
    """Every one of `user_ids` is a person in this workspace; one kind refusal naming all who are not.

    Slack is asked about the ones not known yet side by side, and waited for no longer than NAMED_SECONDS, so a
    share naming several new people answers within Slack's three seconds even when Slack is slow.
    """
    reasons, slow = _checked(client, coach, team_id, user_ids)
    if reasons:
        raise CoachRefusal(
            f"I can only count people in this workspace: {'; '.join(reasons)}. Nothing was logged — "
            "try again without them."
        )
    if slow:
        raise SlackTooSlow(_too_slow(slow))


def _checked(client: WebClient, coach: Coach, team_id: str, user_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Why each of `user_ids` can't be named (the reasons found), and the people never met whom Slack has not
    answered about within NAMED_SECONDS. A question still open goes on: its answer is stored when it comes, so
    trying again is quick. Someone met before whom Slack is slow about is judged by what is stored."""
    asked = {user_id: _Question(client, coach, MemberId(team_id, user_id)) for user_id in user_ids}
    deadline = getattr(_command, "deadline", None) or time.monotonic() + NAMED_SECONDS
    reasons, slow = [], []
    for user_id, question in asked.items():
        if question.answered.wait(max(0.0, deadline - time.monotonic())):
            why = question.outcome.result()  # Slack has answered: what is left is ours (storing it), not waited out
        else:
            member = coach.member(MemberId(team_id, user_id))
            if member is None:
                slow.append(user_id)
                continue
            why = f"<@{user_id}> is a bot" if member.is_bot or user_id == SLACKBOT else None
        if why:
            reasons.append(why)
    return reasons, slow


def _too_slow(user_ids: Sequence[str]) -> str:
    people = ", ".join(f"<@{user_id}>" for user_id in user_ids)
    verb = "is" if len(user_ids) == 1 else "are"
    return f"Slack is slow to tell me who {people} {verb} just now, so nothing changed — please try again in a moment."


class _Question:
    """`why_not_a_person` on a daemon thread of its own (a question Slack sits on must neither hold up the app's
    exit nor take a worker from the next command): `answered` is set once Slack has answered (or nothing needed
    asking, or it failed), `outcome` once the answer is stored too."""

    def __init__(self, client: WebClient, coach: Coach, who: MemberId) -> None:
        self.answered = threading.Event()
        self.outcome: Future[str | None] = Future()
        threading.Thread(target=self._ask, args=(client, coach, who), name="who", daemon=True).start()

    def _ask(self, client: WebClient, coach: Coach, who: MemberId) -> None:
        try:
            self.outcome.set_result(why_not_a_person(client, coach, who, answered=self.answered))
        except BaseException as error:  # raised to the command waiting on it, if it still is
            self.outcome.set_exception(error)
        finally:
            self.answered.set()


def why_not_a_person(
    client: WebClient, coach: Coach, who: MemberId, *, answered: threading.Event | None = None
) -> str | None:
    """Why `user_id` can't be named in the coach (None when they can); asks Slack only when what is stored is
    missing or over a day old. `answered` is set as soon as Slack has answered (or when nothing is asked)."""
    team_id, user_id = who
    member = coach.member(who)
    if coach.needs_profile(member):
        try:
            response = client.users_info(user=user_id)
        except SlackApiError as error:
            if answered is not None:
                answered.set()
            if error.response.get("error") in ("user_not_found", "account_inactive", "users_not_found"):
                return f"I couldn't find <@{user_id}> in this workspace"
            log.warning("users.info for %s failed (%s)", user_id, error.response.get("error"))
            if member is None:
                raise
            return None if not member.is_bot else f"<@{user_id}> is a bot"
        if answered is not None:
            answered.set()
        user = response["user"]
        if user.get("team_id") not in (None, team_id):
            return f"<@{user_id}> is in another workspace"
        profile = _profile(user)
        if profile.deleted:
            return f"<@{user_id}> has left this workspace"
        member = coach.remember_profile(who, profile)
    assert member is not None
    if member.is_bot or user_id == SLACKBOT:
        return f"<@{user_id}> is a bot"
    return None
