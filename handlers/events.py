"""Events API callbacks."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.coach import Coach, MemberId
from handlers import flows
from handlers.blocks.home import build_home
from handlers.slack_io import ensure_profile


def register(app: App, coach: Coach) -> None:
    """Listen to the events the manifest subscribes to."""

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
