"""Slash commands. Each acks at once, then works: Slack's 3-second limit never waits on the database or the Web API.

Refusals (bad input, a rule the coach keeps) are raised as ParseError or CoachRefusal and answered by the one
error handler in `handlers.errors`, through the command's response_url.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import parsing
from bot.coach import Coach, CoachRefusal
from handlers import blocks as ui
from handlers import flows
from handlers.errors import Guard
from handlers.ids import Command
from handlers.slack_io import ensure_profile

ADMIN_ONLY = (
    "Setting where and when the weekly recap goes is for workspace admins and owners "
    "(or members listed in COACH_ADMINS)."
)


def _who(context: BoltContext) -> tuple[str, str]:
    team_id, user_id = context.team_id, context.user_id
    if not team_id or not user_id:
        raise CoachRefusal("I couldn't tell who sent that command, so I did nothing. Please try again.")
    return team_id, user_id


BARE_FORMS: dict[Command, Callable[[dict[str, Any]], dict[str, Any]]] = {
    Command.STAND: lambda command: ui.build_stand_modal(channel_id=command.get("channel_id")),
    Command.SHARE: lambda _: ui.build_share_modal(),
    Command.ACT: lambda _: ui.build_act_modal(),
    Command.REQUEST: lambda _: ui.build_request_modal(),
    Command.PROMISE: lambda _: ui.build_promise_modal(),
    Command.BREAKDOWN: lambda _: ui.build_breakdown_modal(),
    Command.BREAKTHROUGH: lambda _: ui.build_breakthrough_modal(),
}


def _is_bare(command: dict[str, Any]) -> bool:
    return not str(command.get("text") or "").strip()


def register(app: App, coach: Coach, guard: Guard) -> None:
    """Listen to every slash command of the contract."""

    def opener(build: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[..., None]:
        def open_form(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
            # A trigger_id lives three seconds: open the modal straight after the ack, before anything slow.
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=build(command))

        return open_form

    # Typed bare, a command opens its form; Bolt runs the first listener whose matchers match, so these
    # are registered before the inline forms.
    for name, build in BARE_FORMS.items():
        app.command(name, matchers=[_is_bare])(guard(opener(build)))

    Inline = Callable[[WebClient, str, str, str, str | None], flows.Reply]

    def inline(name: Command, run: Inline) -> None:
        """Register the inline form of a command: ack, then (on the work pool) parse in the member's zone and act."""

        def listener(
            ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
        ) -> Iterator[None]:
            ack()
            yield  # acked: the rest runs on the work pool (see Guard)
            team_id, user_id = _who(context)
            ensure_profile(client, coach, team_id, user_id)
            text, blocks = run(client, team_id, user_id, command.get("text") or "", command.get("channel_id"))
            respond(text=text, blocks=blocks)

        listener.__name__ = name.lstrip("/")
        app.command(name)(guard(listener))

    def stand(client: WebClient, team_id: str, user_id: str, text: str, channel: str | None) -> flows.Reply:
        parsed = parsing.parse_stand(text, today=coach.today(team_id, user_id))
        return flows.declare_stand(client, coach, team_id, user_id, parsed.outcome, parsed.due_on, channel)

    def share(client: WebClient, team_id: str, user_id: str, text: str, _: str | None) -> flows.Reply:
        parsed = parsing.parse_share(text)
        return flows.log_shares(client, coach, team_id, user_id, parsed.told_user_ids, parsed.note)

    def act(client: WebClient, team_id: str, user_id: str, text: str, _: str | None) -> flows.Reply:
        return flows.log_action(client, coach, team_id, user_id, parsing.parse_act(text))

    def request(client: WebClient, team_id: str, user_id: str, text: str, _: str | None) -> flows.Reply:
        parsed = parsing.parse_request(text, today=coach.today(team_id, user_id))
        return flows.make_request(client, coach, team_id, user_id, parsed.recipient_id, parsed.what, parsed.due_on)

    def promise(client: WebClient, team_id: str, user_id: str, text: str, _: str | None) -> flows.Reply:
        parsed = parsing.parse_promise(text, today=coach.today(team_id, user_id))
        return flows.make_promise(coach, team_id, user_id, parsed.what, parsed.due_on)

    def breakdown(client: WebClient, team_id: str, user_id: str, text: str, _: str | None) -> flows.Reply:
        what = parsing.parse_breakdown(text)
        word, _space, shifted = what.partition(" ")
        if word.lower() == "resolve":
            if not shifted.strip():
                raise CoachRefusal("Tell me what shifted, e.g. `/breakdown resolve Two new partners said yes`.")
            return flows.resolve_breakdown(coach, team_id, user_id, None, shifted.strip())
        return flows.declare_breakdown(coach, team_id, user_id, what)

    def breakthrough(client: WebClient, team_id: str, user_id: str, text: str, _: str | None) -> flows.Reply:
        return flows.declare_breakthrough(client, coach, team_id, user_id, parsing.parse_breakthrough(text))

    for name, run in (
        (Command.STAND, stand),
        (Command.SHARE, share),
        (Command.ACT, act),
        (Command.REQUEST, request),
        (Command.PROMISE, promise),
        (Command.BREAKDOWN, breakdown),
        (Command.BREAKTHROUGH, breakthrough),
    ):
        inline(name, run)

    @app.command(Command.COACH)
    @guard
    def coach_command(
        ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> Iterator[None]:
        parsed = parsing.parse_coach(command.get("text", ""))
        if parsed.name == "help":
            text, blocks = ui.build_help()
            ack(text=text, blocks=blocks)
            return
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        team_id, user_id = _who(context)
        member = ensure_profile(client, coach, team_id, user_id)
        if parsed.name == "status":
            text, blocks = ui.build_status(coach.status(team_id, user_id))
        elif parsed.name == "recap_here":
            if not (member and member.is_admin) and user_id not in coach.admins:
                raise CoachRefusal(ADMIN_ONLY)
            channel = command.get("channel_id") or ""
            if not channel or channel.startswith("D"):
                raise CoachRefusal("Run `/coach recap here` in the channel where the team should see the recap.")
            coach.set_recap_channel(team_id, user_id, channel)
            text, blocks = flows.line(f"The weekly recap and breakthroughs will be posted in <#{channel}>.")
        elif parsed.name == "recap_at":
            if not (member and member.is_admin) and user_id not in coach.admins:
                raise CoachRefusal(ADMIN_ONLY)
            weekday, at = (parsed.arg or "0 09:00").split()
            coach.set_recap_schedule(team_id, int(weekday), at)
            day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[int(weekday)]
            text, blocks = flows.line(f"The weekly recap will be posted on {day}s at {at}, the workspace's time.")
        elif parsed.name == "nudge":
            coach.set_member_option(team_id, user_id, nudge_time=parsed.arg)
            text, blocks = flows.line(f"Your morning nudge will come at {parsed.arg}, your time.")
        elif parsed.name == "weekends":
            on = parsed.arg == "on"
            coach.set_member_option(team_id, user_id, weekends=on)
            text, blocks = flows.line(
                "Weekends are on: I'll nudge you every day." if on else "Weekends are off: nudges on weekdays only."
            )
        elif parsed.name == "pause":
            coach.set_member_option(team_id, user_id, paused=True)
            text, blocks = flows.line("Paused. No nudges until you `/coach resume` — take the time you need.")
        elif parsed.name == "resume":
            coach.set_member_option(team_id, user_id, paused=False)
            text, blocks = flows.line("Welcome back. Nudges resume tomorrow morning.")
        elif parsed.name == "export":
            text, blocks = flows.send_export(client, coach, team_id, user_id)
        else:  # forget_me
            text, blocks = ui.build_forget_confirmation()
        respond(text=text, blocks=blocks)
