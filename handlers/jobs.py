"""Scheduled jobs, as thin callables: work out what is due from the database, claim it, send it."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.follow_ups import FollowUps
from bot.nudges import Nudges
from bot.recaps import DueRecap, DueWeeklyLine, Recaps
from handlers.flows import expire_request, tell_requester
from handlers.follow_up_blocks import build_follow_up
from handlers.nudge_blocks import build_nudge
from handlers.posting import PacedPoster, PostFailed
from handlers.recap_blocks import build_weekly_line_for_follower, build_weekly_recap
from storage.claims import DueNudge
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


def nudge_pass(nudges: Nudges, poster: PacedPoster, now: datetime) -> PassReport:
    """One pass of the daily nudge as if the clock read `now`; safe to run on many instances at once."""
    due = nudges.due(now)
    items = nudges.due_items(due)

    def send(item: DueNudge) -> str:
        try:
            return deliver(item)
        except SQLAlchemyError:
            # The claim stays open and is taken over after its timeout; the other members still get theirs.
            log.exception("nudge for %s/%s: the database failed", item.team_id, item.user_id)
            return "failed"

    def deliver(item: DueNudge) -> str:
        content = nudges.claim_and_compose(item, now, items=items.get((item.team_id, item.user_id)))
        if content is None:
            return "skipped"  # another instance has it
        text, blocks = build_nudge(content)
        try:
            response = poster.post_message(channel=item.user_id, text=text, blocks=blocks)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            if code in GONE:
                log.warning("nudge for %s/%s: Slack says %s; pausing their program", item.team_id, item.user_id, code)
                nudges.gone(item, code)
            else:
                log.error("nudge for %s/%s refused: %s", item.team_id, item.user_id, code)
            return "failed"
        except PostFailed as error:
            log.error(
                "nudge for %s/%s not sent: %s (retried after the claim times out)", item.team_id, item.user_id, error
            )
            return "failed"
        nudges.sent(item, str(response["channel"]), str(response["ts"]))
        return "sent"

    # One member's failure never stops the others: each send reports its own outcome. Enough senders to cover
    # Slack's latency at the allowed pace; more would only contend for the interpreter and the connection pool.
    workers = max(1, min(16, int(poster.per_second)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nudge") as pool:
        outcomes = list(pool.map(send, due))
    report = PassReport(sent=outcomes.count("sent"), skipped=outcomes.count("skipped"), failed=outcomes.count("failed"))
    if due:
        log.info("nudge pass at %s: %s", now.isoformat(), report)
    return report


# The channel is gone or closed to the app: tell the admin who chose it, once, instead of retrying.
CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived"}


def recap_pass(recaps: Recaps, poster: PacedPoster, now: datetime) -> PassReport:
    """One pass of the weekly-recap job: the recaps, then each stand owner's weekly line to their followers."""
    first, second = channel_recap_pass(recaps, poster, now), weekly_line_pass(recaps, poster, now)
    return PassReport(
        sent=first.sent + second.sent, skipped=first.skipped + second.skipped, failed=first.failed + second.failed
    )


def channel_recap_pass(recaps: Recaps, poster: PacedPoster, now: datetime) -> PassReport:
    """One pass of the weekly recap as if the clock read `now`; safe to run on many instances at once."""
    sent = skipped = failed = 0
    for due in recaps.due(now):
        if not recaps.claim(due, now):
            skipped += 1
            continue
        text, blocks, replies = build_weekly_recap(recaps.summary(due))
        try:
            response = poster.post_message(channel=due.channel_id, text=text, blocks=blocks)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            log.error("recap for %s in %s refused: %s", due.team_id, due.channel_id, code)
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
        recaps.posted(due, channel, ts)
        sent += 1
        for reply_text, reply_blocks in replies:
            try:
                poster.post_message(channel=channel, thread_ts=ts, text=reply_text, blocks=reply_blocks)
            except (SlackApiError, PostFailed) as error:
                log.warning("a recap thread reply for %s was not posted: %s", due.team_id, error)
    return PassReport(sent=sent, skipped=skipped, failed=failed)


def weekly_line_pass(recaps: Recaps, poster: PacedPoster, now: datetime) -> PassReport:
    """Each follower of an active stand gets its owner's line of the week once; safe on many instances at once."""
    due = recaps.weekly_lines_due(now)

    def send(line: DueWeeklyLine) -> str:
        try:
            return deliver(line)
        except SQLAlchemyError:
            # The claim stays open and is taken over after its timeout; the other followers still get theirs.
            log.exception("weekly line for %s/%s: the database failed", line.team_id, line.user_id)
            return "failed"

    def deliver(line: DueWeeklyLine) -> str:
        if not recaps.claim_line(line, now):
            return "skipped"  # another instance has it
        text, blocks = build_weekly_line_for_follower(line)
        try:
            response = poster.post_message(channel=line.user_id, text=text, blocks=blocks)
        except SlackApiError as error:
            code = str(error.response.get("error"))
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

    workers = max(1, min(16, int(poster.per_second)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="weekly-line") as pool:
        outcomes = list(pool.map(send, due))
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


def follow_up_pass(follow_ups: FollowUps, poster: PacedPoster, now: datetime) -> PassReport:
    """One pass of the follow-ups as if the clock read `now`; safe to run on many instances at once."""
    sent = skipped = failed = 0
    for due in follow_ups.due(now):
        if not follow_ups.claim(due, now):
            skipped += 1
            continue
        item: Promise | Request | Stand | None
        if due.stage == "broken":
            item = follow_ups.break_unanswered(due, now)
            if item is None:
                skipped += 1  # answered since it came due
                continue
        elif due.stage == "expired":
            item = expire_request(follow_ups, due, now)  # the requester is told by the outbox, with the change
            if item is None:
                skipped += 1  # answered since it came due
                continue
        else:
            item = follow_ups.item(due)
        text, blocks = build_follow_up(due, item)
        try:
            response = poster.post_message(channel=due.user_id, text=text, blocks=blocks)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            log.error("follow-up for %s/%s refused: %s", due.team_id, due.user_id, code)
            if code in GONE:
                follow_ups.failed(due)
            failed += 1
            continue
        except PostFailed as error:
            log.error("follow-up for %s/%s not sent: %s", due.team_id, due.user_id, error)
            failed += 1
            continue
        follow_ups.sent(due, str(response["channel"]), str(response["ts"]))
        sent += 1
        if isinstance(item, Request) and due.stage in ("reminder", "broken"):
            tell_requester(follow_ups.coach, item, due.stage)  # by the outbox
    return PassReport(sent=sent, skipped=skipped, failed=failed)


def daily_pass(nudges: Nudges, follow_ups: FollowUps, poster: PacedPoster, now: datetime) -> PassReport:
    """The daily-nudge job: the morning nudges, then the follow-ups that come with them."""
    first, second = nudge_pass(nudges, poster, now), follow_up_pass(follow_ups, poster, now)
    return PassReport(
        sent=first.sent + second.sent, skipped=first.skipped + second.skipped, failed=first.failed + second.failed
    )
