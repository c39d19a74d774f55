"""Events API callbacks."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.coach import Coach
from handlers import flows
from handlers.errors import Guard


def register(app: App, coach: Coach, guard: Guard) -> None:
    """Listen to the events the manifest subscribes to."""

    @app.event("app_home_opened")
    @guard
    def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        # Events are acked by Bolt before this runs; publishing the view is the slow part.
        if event.get("tab", "home") == "home" and context.team_id and context.user_id:
            flows.show_home(client, coach, context.team_id, context.user_id)
