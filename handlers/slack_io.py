"""The Slack calls made before an ack: who someone is (users.info, cached for a day)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.coach import Coach, CoachRefusal, MemberId, Profile
from storage.models import Member

log = logging.getLogger(__name__)

SLACKBOT = "USLACKBOT"


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
    why = why_not_a_person(client, coach, who)
    if why is not None:
        raise CoachRefusal(f"{why[:1].upper()}{why[1:]} — nothing changed.")


def require_people(client: WebClient, coach: Coach, team_id: str, user_ids: Sequence[str]) -> None:
    """Every one of `user_ids` is a person in this workspace; one kind refusal naming all who are not.

    Slack is asked about the ones not known yet side by side, so a share naming several new people still
    answers well within Slack's three seconds.
    """
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(user_ids)))) as pool:
        reasons = [
            why for why in pool.map(lambda u: why_not_a_person(client, coach, MemberId(team_id, u)), user_ids) if why
        ]
    if reasons:
        raise CoachRefusal(
            f"I can only count people in this workspace: {'; '.join(reasons)}. Nothing was logged — "
            "try again without them."
        )


def why_not_a_person(client: WebClient, coach: Coach, who: MemberId) -> str | None:
    """Why `user_id` can't be named in the coach (None when they can); asks Slack only when what is stored is
    missing or over a day old."""
    team_id, user_id = who
    member = coach.member(who)
    if coach.needs_profile(member):
        try:
            response = client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") in ("user_not_found", "account_inactive", "users_not_found"):
                return f"I couldn't find <@{user_id}> in this workspace"
            log.warning("users.info for %s failed (%s)", user_id, error.response.get("error"))
            if member is None:
                raise
            return None if not member.is_bot else f"<@{user_id}> is a bot"
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
