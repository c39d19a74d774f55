"""Events API callbacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.coach import Coach, MemberId
from handlers import flows
from handlers.blocks.home import build_home
from handlers.slack_io import ensure_profile


def register(app: App, coach: Coach, lost: Callable[[str], None] | None = None) -> None:
    """Listen to the events the manifest subscribes to. `lost` is what the app does when a workspace uninstalls it
    or revokes its token (distribution mode: forget the installation too); by default the data's retention
    window starts."""
    leave = lost or coach.workspace_left

    def left(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
        # Acknowledged means stored: the workspace is gone for the app before Slack hears the ack.
        revoked_bot = event.get("type") == "app_uninstalled" or bool((event.get("tokens") or {}).get("bot"))
        if context.team_id and revoked_bot:
            leave(context.team_id)
        ack()

    app.event("app_uninstalled")(left)
    app.event("tokens_revoked")(left)

    def take(ack: Ack) -> None:
        ack()  # Slack needs only the 200; the view is published after it

    def publish_home(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        # A view, rendered from what is stored: nothing to lose if it is cut short — the next open renders again.
        if event.get("tab", "home") == "home" and context.team_id and context.user_id:
            ensure_profile(client, coach, MemberId(context.team_id, context.user_id))
            with coach.transaction():
                flows.welcome(coach, MemberId(context.team_id, context.user_id))
            client.views_publish(
                user_id=context.user_id, view=build_home(coach.status(MemberId(context.team_id, context.user_id)))
            )

    app.event("app_home_opened")(ack=take, lazy=[publish_home])
