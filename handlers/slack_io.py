"""The few Slack calls every surface shares: who someone is, and DMs that can be updated in place."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.coach import Coach, CoachRefusal, Profile
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


def ensure_profile(client: WebClient, coach: Coach, team_id: str, user_id: str) -> Member | None:
    """The member with a fresh zone and admin flag from users.info (cached for a day); stale beats nothing."""
    member = coach.member(team_id, user_id)
    if not coach.needs_profile(member):
        return member
    try:
        response = client.users_info(user=user_id)
    except SlackApiError as error:
        log.warning("users.info for %s failed (%s); using what I had", user_id, error.response.get("error"))
        return member
    return coach.remember_profile(team_id, user_id, _profile(response["user"]))


def require_person(client: WebClient, coach: Coach, team_id: str, user_id: str) -> Member:
    """Someone a member named, who must be a person in this workspace (not a bot, not deactivated)."""
    member = coach.member(team_id, user_id)
    if coach.needs_profile(member):
        try:
            response = client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") in ("user_not_found", "account_inactive"):
                raise CoachRefusal(
                    f"I couldn't find <@{user_id}> in this workspace — check the name and try again."
                ) from None
            log.warning("users.info for %s failed (%s)", user_id, error.response.get("error"))
            if member is None:
                raise
            return member
        profile = _profile(response["user"])
        if profile.deleted:
            raise CoachRefusal(f"<@{user_id}> has left this workspace, so they can't be asked.")
        member = coach.remember_profile(team_id, user_id, profile)
    assert member is not None
    if member.is_bot or user_id == SLACKBOT:
        raise CoachRefusal(f"<@{user_id}> is a bot — requests are for people who can promise something back.")
    return member


def send_dm(
    client: WebClient, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None
) -> tuple[str, str] | None:
    """DM a member (the user ID is the channel, no conversations.open); their DM channel and ts, or None."""
    try:
        response = client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    except SlackApiError as error:
        log.warning("DM to %s failed: %s", user_id, error.response.get("error"))
        return None
    return str(response["channel"]), str(response["ts"])


def update_message(
    client: WebClient, where: tuple[str | None, str | None], text: str, blocks: list[dict[str, Any]]
) -> bool:
    """Rewrite a message the app posted earlier; False (logged) when Slack refuses."""
    channel, ts = where
    if not channel or not ts:
        return False
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as error:
        log.warning("chat.update of %s/%s failed: %s", channel, ts, error.response.get("error"))
        return False
    return True


def post_in_channel(client: WebClient, channel: str, text: str, blocks: list[dict[str, Any]]) -> tuple[str, str] | None:
    """Post to a channel; None (logged) when the app can't post there."""
    try:
        response = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackApiError as error:
        log.warning("posting in %s failed: %s", channel, error.response.get("error"))
        return None
    return str(response["channel"]), str(response["ts"])
