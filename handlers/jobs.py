"""Scheduled jobs, as thin callables: work out what is due from the database, claim it, send it."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.coach import MemberId
from bot.coach.follow_ups import Asked, DueFollowUp, FollowUps
from bot.coach.nudges import DueItems, DueNudge, NudgeContent, Nudges
from bot.coach.recaps import DueRecap, DueWeeklyLine, Recaps
from handlers import outbox as ox
from handlers.blocks.follow_ups import build_follow_ups
from handlers.blocks.nudges import build_nudge
from handlers.blocks.primitives import Blocks
from handlers.blocks.recaps import build_weekly_line_for_follower, build_weekly_recap
from handlers.fanout import Grouped, SideBySide, in_chunks, in_groups, side_by_side
from handlers.flows import expire_request, promise_broken, tell_requester
from handlers.posting import PacedPoster, Posters, PostFailed
from storage.models import Promise, Request, Stand

log = logging.getLogger(__name__)

# Slack's answers meaning the member is gone for good: pause their program instead of retrying.
GONE = {"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"}


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one pass did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0


def nudge_pass(nudges: Nudges, poster: Posters, now: datetime) -> PassReport:
    """One pass of the daily nudge alone (no follow-ups) as if the clock read `now`."""
    return morning_pass(nudges, None, poster, now)


def daily_pass(nudges: Nudges, follow_ups: FollowUps, poster: Posters, now: datetime) -> PassReport:
    """The daily-nudge job: each member's morning message, their nudge carrying the follow-ups due with it."""
    return morning_pass(nudges, follow_ups, poster, now)


@dataclass(frozen=True, slots=True)
class Morning:
    """What is due for one member in a pass: their nudge (if they are in a program) and their follow-ups."""

    team_id: str
    user_id: str
    nudge: DueNudge | None
    follow_ups: tuple[DueFollowUp, ...]
    lines: tuple[DueWeeklyLine, ...] = ()  # the weekly lines of stands they follow, due in the same pass


def mornings(
    nudges: Sequence[DueNudge], follow_ups: Sequence[DueFollowUp], lines: Sequence[DueWeeklyLine] = ()
) -> list[Morning]:
    """Everything due in a pass, one entry per member. A weekly line joins a member's morning when they have one
    in this pass; on its own it is the recap pass's to send."""
    members: dict[tuple[str, str], tuple[DueNudge | None, list[DueFollowUp]]] = {
        (n.team_id, n.user_id): (n, []) for n in nudges
    }
    for due in follow_ups:
        members.setdefault((due.team_id, due.user_id), (None, []))[1].append(due)
    told: dict[tuple[str, str], list[DueWeeklyLine]] = {}
    for line in lines:
        if (line.team_id, line.user_id) in members:
            told.setdefault((line.team_id, line.user_id), []).append(line)
    return [
        Morning(team, user, nudge, tuple(asked), tuple(told.get((team, user), ())))
        for (team, user), (nudge, asked) in sorted(members.items())
    ]


def morning_pass(nudges: Nudges, follow_ups: FollowUps | None, poster: Posters, now: datetime) -> PassReport:
    """One pass as if the clock read `now`: one message per member with anything due; safe on many instances."""
    due_nudges = nudges.due(now)
    recaps = Recaps(follow_ups.coach) if follow_ups is not None else None
    due = mornings(
        due_nudges,
        follow_ups.due(now) if follow_ups is not None else (),
        recaps.weekly_lines_due(now) if recaps is not None else (),
    )
    sender = MorningSender(nudges, follow_ups, recaps, poster, now, nudges.due_items(due_nudges))
    # One member's failure never stops the others: each send reports its own outcome. Enough senders to cover
    # Slack's latency at the allowed pace; more would only contend for the interpreter and the connection pool.
    outcomes = in_chunks(poster, due, sender.send_chunk, name="morning", first=sender.claim_first)
    report = PassReport(sent=outcomes.count("sent"), skipped=outcomes.count("skipped"), failed=outcomes.count("failed"))
    if due:
        log.info("morning pass at %s: %s", now.isoformat(), report)
    return report


FIRST_CLAIMS = 250
"""Members whose nudges one unit of work claims at most, ahead of a pass's first posts (`MorningSender.claim_first`)
or grouped later (`MorningSender.claiming`): on SQLite it holds the writer, and a member's command waits behind it
(250 take ~40-50 ms here)."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """What this instance won of a member's morning: the nudge's content, the follow-ups, the weekly lines."""

    content: NudgeContent | None
    asked: list[tuple[DueFollowUp, Asked]]
    lines: list[DueWeeklyLine]


@dataclass(frozen=True, slots=True)
class MorningSender:
    """Claims, composes, posts and records the morning messages of a chunk of one workspace's members."""

    nudges: Nudges
    follow_ups: FollowUps | None
    recaps: Recaps | None
    poster: Posters
    now: datetime
    items: dict[tuple[str, str], DueItems]
    claimed: dict[str, dict[tuple[str, str], NudgeContent]] = field(default_factory=dict)
    """Nudges claimed ahead (`claim_first`), by workspace: its first chunk's, taken by the chunk's `send_chunk`."""
    claiming: Grouped[Sequence[DueNudge], dict[tuple[str, str], NudgeContent]] = field(init=False)
    """Every later chunk's claim, in a unit of work with the claims of the other workspaces' chunks that came while
    the last one was claimed (FIRST_CLAIMS members at most). A chunk of 20 in a unit of its own cost 0.37 ms of CPU a
    member on PostgreSQL (its BEGIN, the pool's ping and COMMIT, and fifty such units queueing for the connections
    and the interpreter at once); so grouped, a pass over 50 x 200 spent 12% less CPU a post and its threads were
    switched out a third less often (`benchmarks/oauth_fanout.py`: 1.13x one workspace alone instead of 1.15-1.16x)."""

    recording: Grouped[Sequence[tuple[DueNudge, str, str]], None] = field(init=False)
    """Every chunk's nudges sent, recorded in one statement with the other chunks' that came meanwhile."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "claiming", Grouped(self._claim_group, most=FIRST_CLAIMS, size=len))
        object.__setattr__(self, "recording", Grouped(self._record_group, most=FIRST_CLAIMS, size=len))

    def _claim_group(self, chunks: list[Sequence[DueNudge]]) -> list[dict[tuple[str, str], NudgeContent]]:
        """Claim and compose several workspaces' chunks in one unit of work: what each chunk won."""
        won = self.nudges.claim_and_compose_each(chunks, self.now, items=self.items)
        return [
            {(d.team_id, d.user_id): won[d.team_id, d.user_id] for d in due if (d.team_id, d.user_id) in won}
            for due in chunks
        ]

    def claim_first(self, chunks: list[Sequence[Morning]]) -> None:
        """Claim the nudges of every workspace's first chunk before any is posted, a few workspaces to a unit of
        work (FIRST_CLAIMS members at most), so that every workspace starts posting at once; where the database
        fails, those chunks claim their own as usual."""
        due = [[morning.nudge for morning in chunk if morning.nudge is not None] for chunk in chunks]
        due = [nudges for nudges in due if nudges and self.poster.for_team(nudges[0].team_id) is not None]
        for group in in_groups(due, most=FIRST_CLAIMS):
            try:
                won = self.nudges.claim_and_compose_each(group, self.now, items=self.items)
            except SQLAlchemyError:
                log.exception("morning messages: claiming %d workspaces' first failed; each claims its own", len(group))
                continue
            for nudges in group:
                team_id = nudges[0].team_id
                self.claimed[team_id] = {key: content for key, content in won.items() if key[0] == team_id}

    def _record_group(self, chunks: list[Sequence[tuple[DueNudge, str, str]]]) -> list[None]:
        """Record several chunks' nudges sent, in one unit of work."""
        self.nudges.sent_many([sent for chunk in chunks for sent in chunk])
        return [None] * len(chunks)

    def send_chunk(self, chunk: Sequence[Morning], each: SideBySide) -> list[str]:
        """Each member's outcome: "sent", "skipped" (another instance has it, or nothing was left) or "failed".

        The chunk's nudges are claimed and composed in one unit of work, posted side by side, and those sent are
        recorded in another once the chunk is through (a second of posts at most): the claims stay one
        compare-and-set per member, and a crash between the two leaves open claims, taken over after their timeout,
        as it did one at a time.
        """
        if self.poster.for_team(chunk[0].team_id) is None:
            return ["skipped"] * len(chunk)  # the app is not installed there (any more): nothing claimed or sent
        try:
            won = self.claimed.pop(chunk[0].team_id, None)
            if won is None:
                due = [morning.nudge for morning in chunk if morning.nudge is not None]
                won = self.claiming(due) if due else {}
        except SQLAlchemyError:
            # Nothing was claimed: the next pass (or another instance) sends these.
            log.exception("morning messages for %s: the database failed", chunk[0].team_id)
            return ["failed"] * len(chunk)
        sent: list[tuple[DueNudge, str, str]] = []  # appended to by the posting threads (list.append is atomic)
        outcomes = each(lambda morning: self.send(morning, won, sent), chunk)
        try:
            if sent:
                self.recording(sent)
        except SQLAlchemyError:
            # Posted, not recorded: their claims stay open and are taken over after the timeout.
            log.exception("morning messages for %s: recording %d sent failed", chunk[0].team_id, len(sent))
            return ["failed" if outcome == "sent" else outcome for outcome in outcomes]
        return outcomes

    def send(
        self, morning: Morning, won: dict[tuple[str, str], NudgeContent], sent: list[tuple[DueNudge, str, str]]
    ) -> str:
        """One member's outcome; a nudge that went out joins `sent`, for the caller to record."""
        try:
            return self._deliver(morning, won, sent)
        except SQLAlchemyError:
            # Open claims are taken over after their timeout; the other members still get theirs.
            log.exception("morning message for %s/%s: the database failed", morning.team_id, morning.user_id)
            return "failed"

    def _deliver(
        self, morning: Morning, won: dict[tuple[str, str], NudgeContent], sent: list[tuple[DueNudge, str, str]]
    ) -> str:
        claimed = self._claim(morning, won.get((morning.team_id, morning.user_id)))
        if claimed is None:
            return "skipped"
        questions = [question for _, question in claimed.asked]
        told = [build_weekly_line_for_follower(line)[1] for line in claimed.lines]
        if claimed.content is not None:
            text, blocks = build_nudge(claimed.content, questions, told)
        else:
            text, blocks = build_follow_ups(questions, told)
        poster = self.poster.for_team(morning.team_id)
        if poster is None:
            return "skipped"  # uninstalled while this pass ran: its claims time out, and the workspace is skipped
        try:
            response = poster.post_message(channel=morning.user_id, text=text, blocks=blocks)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            if not self.poster.refused(morning.team_id, code):
                self._refused(morning, claimed, code)
            return "failed"
        except PostFailed as error:
            who = f"{morning.team_id}/{morning.user_id}"
            log.error("morning for %s not sent: %s (retried after the claims time out)", who, error)
            return "failed"
        channel, ts = str(response["channel"]), str(response["ts"])
        if morning.nudge is not None:
            sent.append((morning.nudge, channel, ts))
        self._sent(claimed, told, channel, ts)
        return "sent"

    def _claim(self, morning: Morning, content: NudgeContent | None) -> Claimed | None:
        """Claim what is due beside the nudge (`content`, when this instance won it); None when there is nothing
        of it left for this instance to send."""
        key = (morning.team_id, morning.user_id)
        if morning.nudge is not None:
            if content is None:
                return None  # another instance has this member's morning
        elif morning.follow_ups and self.nudges.in_flight(MemberId(*key), morning.follow_ups[0].local_date):
            return None  # another instance is sending their nudge, and takes these follow-ups into it
        asked = claimed_follow_ups(self.follow_ups, morning.follow_ups, self.now) if self.follow_ups else []
        recaps = self.recaps
        lines = [line for line in morning.lines if recaps is not None and recaps.claim_line(line, self.now)]
        if content is None and not asked and not lines:
            return None
        return Claimed(content, asked, lines)

    def _refused(self, morning: Morning, claimed: Claimed, code: str) -> None:
        who = f"{morning.team_id}/{morning.user_id}"
        if code not in GONE:
            log.error("morning for %s refused: %s", who, code)
            return
        log.warning("morning for %s: Slack says %s; pausing them", who, code)
        if morning.nudge is not None:
            self.nudges.gone(morning.nudge, code)
        for follow_up, _ in claimed.asked:
            assert self.follow_ups is not None
            self.follow_ups.failed(follow_up)
        for line in claimed.lines:
            assert self.recaps is not None
            self.recaps.follower_gone(line, code)

    def _sent(self, claimed: Claimed, told: list[Blocks], channel: str, ts: str) -> None:
        for follow_up, question in claimed.asked:
            assert self.follow_ups is not None
            self.follow_ups.sent(follow_up, channel, ts)
            if isinstance(question.item, Request) and follow_up.stage in ("reminder", "broken"):
                tell_requester(self.follow_ups.coach, question.item, follow_up.stage)  # by the outbox
        for line, line_blocks in zip(claimed.lines, told, strict=True):
            assert self.recaps is not None
            self.recaps.line_sent(line, channel, ts, blocks=json.dumps(line_blocks, separators=(",", ":")))


QUESTIONS_PER_MESSAGE = 15
"""At most two blocks each, beside a nudge's ten: within Block Kit's 50 blocks a message. More wait for the next
pass, a minute later, and come in a message of their own."""


def claimed_follow_ups(
    follow_ups: FollowUps, due: Sequence[DueFollowUp], now: datetime
) -> list[tuple[DueFollowUp, Asked]]:
    """The follow-ups this instance won, each with what it asks (a broken promise is recorded as broken here)."""
    won: list[tuple[DueFollowUp, Asked]] = []
    for follow_up in due:
        if len(won) == QUESTIONS_PER_MESSAGE:
            break
        if not follow_ups.claim(follow_up, now):
            continue
        item: Promise | Request | Stand | None
        if follow_up.stage == "broken":
            item = follow_ups.break_unanswered(follow_up, now)
            if item is None:
                continue  # answered since it came due
            if isinstance(item, Promise):
                promise_broken(follow_ups.coach, item)  # a request's cards and questions follow with its requester
        elif follow_up.stage == "expired":
            item = expire_request(follow_ups, follow_up, now)  # the requester is told by the outbox, with the change
            if item is None:
                continue  # answered since it came due
        else:
            item = follow_ups.item(follow_up)
        answer = "expired" if follow_up.stage == "expired" else None
        asked = Asked(follow_up.kind, follow_up.stage, follow_up.local_date, item, answer, follow_up.made_on)
        won.append((follow_up, asked))
    return won


# The channel is gone or closed to the app: tell the admin who chose it, once, instead of retrying.
CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived"}


def recap_pass(recaps: Recaps, poster: Posters, now: datetime) -> PassReport:
    """One pass of the weekly-recap job: the recaps, then each stand owner's weekly line to their followers."""
    first, second = channel_recap_pass(recaps, poster, now), weekly_line_pass(recaps, poster, now)
    return PassReport(
        sent=first.sent + second.sent, skipped=first.skipped + second.skipped, failed=first.failed + second.failed
    )


def channel_recap_pass(recaps: Recaps, posters: Posters, now: datetime) -> PassReport:
    """One pass of the weekly recap as if the clock read `now`; safe to run on many instances at once."""
    sent = skipped = failed = 0
    for due in recaps.due(now):
        poster = posters.for_team(due.team_id)
        if poster is None or not recaps.claim(due, now):
            skipped += 1
            continue
        summary = recaps.summary(due)
        text, blocks, replies = build_weekly_recap(summary)
        try:
            response = poster.post_message(channel=due.channel_id, text=text, blocks=blocks)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            log.error("recap for %s in %s refused: %s", due.team_id, due.channel_id, code)
            if posters.refused(due.team_id, code):
                failed += 1
                continue
            if code in CHANNEL_GONE:
                recaps.failed(due)
                _tell_admin(poster, due, code)
            failed += 1
            continue
        except PostFailed as error:
            log.error("recap for %s not posted: %s (retried after the claim times out)", due.team_id, error)
            failed += 1
            continue
        channel, ts = str(response["channel"]), str(response["ts"])
        # The week's chart follows in the thread; a week with nothing to draw is found so when it is sent.
        chart = ox.recap_chart(due.team_id, due.week_start, due.zone.key, channel=channel, thread_ts=ts)
        recaps.posted(due, channel, ts, then=[chart])
        sent += 1
        for reply_text, reply_blocks in replies:
            try:
                poster.post_message(channel=channel, thread_ts=ts, text=reply_text, blocks=reply_blocks)
            except (SlackApiError, PostFailed) as error:
                log.warning("a recap thread reply for %s was not posted: %s", due.team_id, error)
    return PassReport(sent=sent, skipped=skipped, failed=failed)


def weekly_line_pass(recaps: Recaps, posters: Posters, now: datetime) -> PassReport:
    """Each follower of an active stand gets its owner's line of the week once; safe on many instances at once."""
    due = recaps.weekly_lines_due(now, leave_to_mornings=True)

    def send(line: DueWeeklyLine) -> str:
        try:
            return deliver(line)
        except SQLAlchemyError:
            # The claim stays open and is taken over after its timeout; the other followers still get theirs.
            log.exception("weekly line for %s/%s: the database failed", line.team_id, line.user_id)
            return "failed"

    def deliver(line: DueWeeklyLine) -> str:
        poster = posters.for_team(line.team_id)
        if poster is None or not recaps.claim_line(line, now):
            return "skipped"  # not installed there, or another instance has it
        text, blocks = build_weekly_line_for_follower(line)
        try:
            response = poster.post_message(channel=line.user_id, text=text, blocks=blocks)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            if posters.refused(line.team_id, code):
                return "failed"
            if code in GONE:
                log.warning("weekly line for %s/%s: Slack says %s; pausing them", line.team_id, line.user_id, code)
                recaps.follower_gone(line, code)
            else:
                log.error("weekly line for %s/%s refused: %s", line.team_id, line.user_id, code)
            return "failed"
        except PostFailed as error:
            log.error(
                "weekly line for %s/%s not sent: %s (retried after the claim times out)",
                line.team_id,
                line.user_id,
                error,
            )
            return "failed"
        recaps.line_sent(line, str(response["channel"]), str(response["ts"]))
        return "sent"

    outcomes = side_by_side(posters, due, send, name="weekly-line")
    report = PassReport(sent=outcomes.count("sent"), skipped=outcomes.count("skipped"), failed=outcomes.count("failed"))
    if due:
        log.info("weekly lines at %s: %s", now.isoformat(), report)
    return report


def _tell_admin(poster: PacedPoster, due: DueRecap, code: str) -> None:
    if not due.set_by:
        return
    why = "I'm not a member of it" if code == "not_in_channel" else "I can't find it any more"
    try:
        poster.post_message(
            channel=due.set_by,
            text=(
                f"I couldn't post this week's recap in <#{due.channel_id}>: {why}. Invite me there with "
                "`/invite @Breakthrough Coach`, or pick another channel, then type `/coach recap here` in it — "
                "the recap will follow within a minute."
            ),
        )
    except (SlackApiError, PostFailed) as error:
        log.warning("could not tell %s that the recap channel failed: %s", due.set_by, error)
