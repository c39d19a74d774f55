"""Slash commands: parse, store in one short transaction, then ack with the answer itself.

The ack is the member's ephemeral answer, so what they read is already stored: a crash after it loses nothing,
and what Slack must hear besides (an announcement, the other side's DM) waits in the outbox. Refusals are raised
(ParseError, CoachRefusal) and answered in the ack by the one error handler in `handlers.errors`. Typed bare, a
command opens its form instead (a lazy listener, so the ack and the modal do not wait for each other). The
member's Slack profile (zone, admin flag) is refreshed beside the ack when it is over a day old: the ack reads the
zone already stored — except for a member's very first command, which waits a moment for Slack so that their
first "tomorrow" is their own. Reading and checking (Slack asked who someone is)
come first; the transaction that stores and acks holds no network call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.coach import Coach, CoachRefusal, FollowedStand, MemberFacts, MemberId
from bot.coach.rules import member_zone
from handlers import breakdown_flows, flows, parsing, stand_parsing
from handlers.blocks.help import build_forget_confirmation, build_help
from handlers.blocks.home import build_status
from handlers.blocks.modals import (
    build_act_modal,
    build_breakdown_modal,
    build_breakthrough_modal,
    build_progress_modal,
    build_promise_modal,
    build_request_modal,
    build_share_modal,
    build_stand_modal,
)
from handlers.blocks.practice import next_nudge_words
from handlers.blocks.team import build_team
from handlers.ids import Command
from handlers.parsing import ParseError
from handlers.slack_io import (
    NAMED_SECONDS,
    SlackTooSlow,
    asking_within,
    ensure_profile,
    known_profile,
    refresh_profile,
    require_people,
    require_person,
)

ADMIN_ONLY = (
    "Setting where and when the weekly recap goes, and what it shows, is for workspace admins and owners "
    "(or members listed in COACH_ADMINS)."
)

MAX_PEOPLE_PER_SHARE = 10

FIRST_PROFILE_SECONDS = 0.8
"""How long a member's very first command waits for Slack to say their zone (once per member, ever)."""


def sender(context: BoltContext) -> MemberId:
    """The workspace and member a request comes from; a refusal when Slack did not say."""
    team_id, user_id = context.team_id, context.user_id
    if not team_id or not user_id:
        raise CoachRefusal("I couldn't tell who that came from, so I did nothing. Please try again.")
    return MemberId(team_id, user_id)


def _following(coach: Coach, command: dict[str, Any]) -> list[FollowedStand]:
    """The stands the member typing a bare command joined (their practice can count for one of them too)."""
    team_id, user_id = command.get("team_id"), command.get("user_id")
    return coach.following(MemberId(team_id, user_id)) if team_id and user_id else []


BARE_FORMS: dict[Command, Callable[[Coach, dict[str, Any]], dict[str, Any]]] = {
    Command.STAND: lambda _, command: build_stand_modal(channel_id=command.get("channel_id")),
    Command.SHARE: lambda coach, command: build_share_modal(_following(coach, command)),
    Command.ACT: lambda coach, command: build_act_modal(_following(coach, command)),
    Command.REQUEST: lambda coach, command: build_request_modal(_following(coach, command)),
    Command.PROMISE: lambda *_: build_promise_modal(),
    Command.BREAKDOWN: lambda *_: build_breakdown_modal(),
    Command.BREAKTHROUGH: lambda *_: build_breakthrough_modal(),
    Command.PROGRESS: lambda *_: build_progress_modal(),
}


def _is_bare(command: dict[str, Any]) -> bool:
    return not str(command.get("text") or "").strip()


def _is_typed(command: dict[str, Any]) -> bool:
    return not _is_bare(command)


Work = Callable[[], flows.Reply]
"""What a command does once it is read and checked: run inside the transaction its ack is given in."""

Inline = Callable[[Coach, WebClient, MemberId, str, str | None], Work]


def stand(coach: Coach, client: WebClient, who: MemberId, text: str, channel: str | None) -> Work:
    """`/stand <outcome> [by <date>] [(from <number>)]`, or `/stand milestone <what> by <date>`."""
    if stand_parsing.is_milestone(text):
        milestone = stand_parsing.parse_milestone(text, today=coach.today(who))
        return lambda: flows.add_milestone(coach, who, milestone.what, milestone.due_on)
    parsed = stand_parsing.parse_stand(text, today=coach.today(who))
    return lambda: flows.declare_stand(coach, who, parsed.outcome, parsed.due_on, channel, measure=parsed.measure)


def progress(coach: Coach, client: WebClient, who: MemberId, text: str, _: str | None) -> Work:
    """`/progress <number> [note]`."""
    parsed = stand_parsing.parse_progress(text)
    return lambda: flows.record_progress(coach, who, parsed.value, parsed.note)


def share(coach: Coach, client: WebClient, who: MemberId, text: str, _: str | None) -> Work:
    """`/share @a @b [note]`: only real people of this workspace count."""
    team_id, user_id = who
    toward, text = parsing.parse_toward(text, command=Command.SHARE)
    parsed = parsing.parse_share(text)
    if len(parsed.told_user_ids) > MAX_PEOPLE_PER_SHARE:
        raise CoachRefusal(
            f"That's {len(parsed.told_user_ids)} people in one go — I count up to {MAX_PEOPLE_PER_SHARE} per "
            "`/share`. Log the rest in another one."
        )
    if user_id in parsed.told_user_ids:
        raise CoachRefusal("Telling yourself doesn't count — share your stand with someone else.")
    require_people(client, coach, team_id, parsed.told_user_ids)
    return lambda: flows.log_shares(coach, who, parsed.told_user_ids, parsed.note, toward=toward)


def act(coach: Coach, client: WebClient, who: MemberId, text: str, _: str | None) -> Work:
    """`/act [for @owner] <what you did>`."""
    toward, text = parsing.parse_toward(text, command=Command.ACT)
    what = parsing.parse_act(text)
    return lambda: flows.log_action(coach, who, what, toward=toward)


def request(coach: Coach, client: WebClient, who: MemberId, text: str, _: str | None) -> Work:
    """`/request [for @owner] @person <what> [by <date>]`."""
    user_id = who.user_id
    toward, text = parsing.parse_toward(text, command=Command.REQUEST)
    parsed = parsing.parse_request(text, today=coach.today(who))
    if parsed.recipient_id == user_id:
        raise CoachRefusal("A request is something you ask of someone else — pick another person.")
    require_person(client, coach, MemberId(who.team_id, parsed.recipient_id))
    return lambda: flows.make_request(coach, who, parsed.recipient_id, parsed.what, parsed.due_on, toward=toward)


def promise(coach: Coach, client: WebClient, who: MemberId, text: str, _: str | None) -> Work:
    """`/promise <what> [by <date>]`."""
    parsed = parsing.parse_promise(text, today=coach.today(who))
    return lambda: flows.make_promise(coach, who, parsed.what, parsed.due_on)


def breakdown(coach: Coach, client: WebClient, who: MemberId, text: str, _: str | None) -> Work:
    """`/breakdown <what is off track>`, or `/breakdown resolve <what shifted>`."""
    what = parsing.parse_breakdown(text)
    word, _space, shifted = what.partition(" ")
    if word.lower() == "resolve":
        if not shifted.strip():
            raise CoachRefusal("Tell me what shifted, e.g. `/breakdown resolve Two new partners said yes`.")
        return lambda: breakdown_flows.resolve_breakdown(coach, who, None, shifted.strip())
    return lambda: breakdown_flows.declare_breakdown(coach, who, what)


def breakthrough(coach: Coach, client: WebClient, who: MemberId, text: str, _: str | None) -> Work:
    """`/breakthrough <what happened>`."""
    what = parsing.parse_breakthrough(text)
    return lambda: breakdown_flows.declare_breakthrough(coach, who, what)


# In the order their listeners are tried (see `register`): the daily practice first, typed several times a day by
# everyone in a program, then the rest.
INLINE: dict[Command, Inline] = {
    Command.ACT: act,
    Command.SHARE: share,
    Command.REQUEST: request,
    Command.STAND: stand,
    Command.PROMISE: promise,
    Command.BREAKDOWN: breakdown,
    Command.BREAKTHROUGH: breakthrough,
    Command.PROGRESS: progress,
}


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One `/coach` subcommand as typed: who typed it, where, and its argument."""

    coach: Coach
    client: WebClient
    command: dict[str, Any]
    who: MemberId
    arg: str | None


def _help(sub: Subcommand) -> Work:
    return build_help


def _status(sub: Subcommand) -> Work:
    return lambda: build_status(sub.coach.status(sub.who))


def _team(sub: Subcommand) -> Work:
    # Whether the member leads is partly Slack's to say (admin or owner): asked again when what is known is stale.
    ensure_profile(sub.client, sub.coach, sub.who)
    team = sub.coach.team(sub.who)
    return lambda: build_team(team)


def _recap_here(sub: Subcommand) -> Work:
    channel = sub.command.get("channel_id") or ""
    if not channel or channel.startswith("D"):
        raise CoachRefusal("Run `/coach recap here` in the channel where the team should see the recap.")

    def recap_here() -> flows.Reply:
        sub.coach.set_recap_channel(sub.who, channel)
        return flows.line(f"The weekly recap and breakthroughs will be posted in <#{channel}>.")

    return recap_here


def _recap_at(sub: Subcommand) -> Work:
    weekday, at = (sub.arg or "0 09:00").split()
    day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[int(weekday)]

    def recap_at() -> flows.Reply:
        sub.coach.set_recap_schedule(sub.who.team_id, int(weekday), at)
        return flows.line(f"The weekly recap will be posted on {day}s at {at}, the workspace's time.")

    return recap_at


def _recap_integrity(sub: Subcommand) -> Work:
    shown = sub.arg == "on"

    def recap_integrity() -> flows.Reply:
        sub.coach.set_recap_integrity(sub.who.team_id, shown=shown)
        if shown:
            return flows.line(
                "The weekly recap shows the team's integrity, in weeks when at least five promises due that week ended."
            )
        return flows.line(
            "The weekly recap no longer shows the team's integrity; it still counts the promises made and "
            "ended. Each member keeps seeing their own in `/coach status` and App Home."
        )

    return recap_integrity


def _nudge(sub: Subcommand) -> Work:
    def nudge_at() -> flows.Reply:
        sub.coach.set_member_option(sub.who, nudge_time=sub.arg)
        return flows.line(f"Your morning nudge will come at {sub.arg}, your time.")

    return nudge_at


def _weekends(sub: Subcommand) -> Work:
    on = sub.arg == "on"

    def weekends() -> flows.Reply:
        sub.coach.set_member_option(sub.who, weekends=on)
        return flows.line(
            "Weekends are on: I'll nudge you every day." if on else "Weekends are off: nudges on weekdays only."
        )

    return weekends


def _pausing(paused: bool) -> Callable[[Subcommand], Work]:
    def read(sub: Subcommand) -> Work:
        def pause_or_resume() -> flows.Reply:
            coach = sub.coach
            member = coach.set_member_option(sub.who, paused=paused)
            if paused:
                return flows.line("Paused. No nudges until you `/coach resume` — take the time you need.")
            zone = member_zone(member.tz, coach.default_timezone)
            return flows.line(f"Welcome back. {next_nudge_words(member.next_nudge_at, zone, coach.clock.now())}")

        return pause_or_resume

    return read


def _export(sub: Subcommand) -> Work:
    return lambda: flows.send_export(sub.coach, sub.who)


def _forget(sub: Subcommand) -> Work:
    return build_forget_confirmation


SUBCOMMANDS: dict[str, Callable[[Subcommand], Work]] = {
    "help": _help,
    "status": _status,
    "recap_here": _recap_here,
    "recap_at": _recap_at,
    "recap_integrity": _recap_integrity,
    "team": _team,
    "nudge": _nudge,
    "weekends": _weekends,
    "pause": _pausing(True),
    "resume": _pausing(False),
    "export": _export,
    "forget_me": _forget,
}
ADMIN_SUBCOMMANDS = frozenset({"recap_here", "recap_at", "recap_integrity"})


def coach_command(coach: Coach, client: WebClient, command: dict[str, Any], who: MemberId) -> Work:
    """`/coach help|status|recap here|recap <day> HH:MM|recap integrity on|off|nudge HH:MM|weekends on|off|pause|
    resume|export|forget me`."""
    user_id = who.user_id
    parsed = parsing.parse_coach(command.get("text", ""))
    if parsed.name in ADMIN_SUBCOMMANDS:
        # An admin's rights are Slack's to say: this one asks Slack when what it knows is stale.
        member = ensure_profile(client, coach, who)
        if not (member and member.is_admin) and user_id not in coach.admins:
            raise CoachRefusal(ADMIN_ONLY)
    read = SUBCOMMANDS[parsed.name]
    return read(Subcommand(coach, client, command, who, parsed.arg))


class _Unmet(Exception):
    """The coach has never met the member who typed the command: nothing is stored until Slack has said their zone."""


def stored_then_acked(coach: Coach, ack: Ack, work: Work, who: MemberId, *, meet_first: bool) -> MemberFacts | None:
    """Store what the command means and ack with its answer, in one transaction: the ack records the delivery
    there too (handlers.deliveries), so the answer, the change and the record commit together. Slack hears the ack
    only when the listener returns (process_before_response), so after the commit, never before it.

    Returns what was stored of the member before the command; with `meet_first`, a member the coach has never met
    rolls back at once (`_Unmet`), before anything is stored."""
    with coach.transaction():
        # Read in the transaction rather than in a unit of its own before it: one member read per command.
        member = coach.met(who)
        if member is None and meet_first:
            raise _Unmet
        text, blocks = work()
        flows.welcome(coach, who)  # the first command a member uses brings their welcome DM
        ack(response_type="ephemeral", text=text, blocks=blocks)
    return member


def answered(
    coach: Coach,
    client: WebClient,
    ack: Ack,
    who: MemberId,
    read: Callable[[], Work],
    *,
    named_seconds: float = NAMED_SECONDS,
) -> None:
    """Read and check the command (`read`), then store it and ack with the answer (`stored_then_acked`).

    The member's Slack profile (zone, admin flag) is kept fresh beside the answer: the ack uses the zone already
    stored, and a profile over a day old is refreshed after it. Only a member's very first command waits a moment
    for Slack (FIRST_PROFILE_SECONDS), so that their first "tomorrow" is their own: found unmet in the transaction
    (rolled back, nothing stored), or refused while unmet (a date read in the default zone), it is read again once
    Slack has answered — unless Slack was too slow to say who the command names: then its time is spent.
    """
    key = (id(coach), who)
    if key not in _answered_before:
        # Maybe a member the coach never met: Slack is asked about them now, beside the command's own checks (who
        # it names, its dates), instead of after the transaction found them unmet — one wait, not two in a row.
        # A member met before costs that thread one read, once per process.
        refresh_profile(client, coach, who)
    with asking_within(named_seconds):
        member = _read_stored_and_acked(coach, client, ack, who, read)
    _answered_before.add(key)
    if coach.needs_profile(member):
        refresh_profile(client, coach, who)


def _read_stored_and_acked(
    coach: Coach, client: WebClient, ack: Ack, who: MemberId, read: Callable[[], Work]
) -> MemberFacts | None:
    """`answered`'s reading and storing: the member as stored before the command."""
    try:
        return stored_then_acked(coach, ack, read(), who, meet_first=True)
    except (_Unmet, ParseError, CoachRefusal) as error:
        if isinstance(error, SlackTooSlow) or (not isinstance(error, _Unmet) and coach.member(who) is not None):
            raise  # a member met before, or Slack too slow to read it again in time: the refusal stands
        known_profile(client, coach, who, within=FIRST_PROFILE_SECONDS)
        return stored_then_acked(coach, ack, read(), who, meet_first=False)


_answered_before: set[tuple[int, MemberId]] = set()
"""Members (by coach) whose command this process has answered: met, so their next command starts no question."""


def register(app: App, coach: Coach, *, named_seconds: float = NAMED_SECONDS) -> None:
    """Listen to every slash command of the contract; a command naming people waits at most `named_seconds` for
    Slack to say who they are (`handlers.slack_io.asking_within`)."""

    def take(ack: Ack) -> None:
        ack()

    def opener(build: Callable[[Coach, dict[str, Any]], dict[str, Any]]) -> Callable[..., None]:
        def open_form(command: dict[str, Any], client: WebClient) -> None:
            # Started with the ack rather than after it: a trigger_id lives three seconds, and neither the ack
            # nor the modal should wait for the other.
            client.views_open(trigger_id=command["trigger_id"], view=build(coach, command))

        return open_form

    def inline(run: Inline) -> Callable[..., None]:
        def answer(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext) -> None:
            who = sender(context)
            text, channel = command.get("text") or "", command.get("channel_id")
            answered(
                coach, client, ack, who, lambda: run(coach, client, who, text, channel), named_seconds=named_seconds
            )

        answer.__name__ = run.__name__
        return answer

    # Bolt tries the listeners in the order they were registered, building every listener argument for each matcher
    # it asks, so the inline forms (nearly every command) come first and each command's bare form after them.
    for name, run in INLINE.items():
        app.command(name, matchers=[_is_typed])(inline(run))

    def coach_answer(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        who = sender(context)
        answered(
            coach, client, ack, who, lambda: coach_command(coach, client, command, who), named_seconds=named_seconds
        )

    app.command(Command.COACH)(coach_answer)

    # Typed bare, a command opens its form. Nothing is stored, so there is nothing to wait for before the ack.
    for name, build in BARE_FORMS.items():
        app.command(name, matchers=[_is_bare])(ack=take, lazy=[opener(build)])
