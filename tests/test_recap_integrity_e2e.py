"""The coach tells the truth in public (issue 9): the weekly recap posts the team's integrity only when it says
nothing about one member, and only while the workspace wants it; and the words around requests, offers and
promises say what actually happened.

Ada (Berlin) is the workspace's admin and has set the recap channel; Bob (New York) and Cy (Tokyo) are members.
Everything goes through the real app: signed commands and clicks in, Web API calls out to the stand-in for Slack.
"""

from __future__ import annotations

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.recaps import Recaps
from handlers.jobs import recap_pass
from standin import Message, SlackStandIn
from tests import support
from tests.e2e import buttons, dm, drained, eventually, export, last_ephemeral, modal_answer, run_pass, seen
from tests.support import at

FIRST_WEEK = "23–29 Nov 2026"
SECOND_WEEK = "30 Nov – 6 Dec 2026"


def recap_channel_set(slack: SlackStandIn, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T07:00:00Z"))  # Monday, 08:00 in Berlin
    slack.command("UADA", "/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "will be posted in")


def promises_kept_on_their_date(slack: SlackStandIn, app: Runtime, clock: FixedClock, people: list[str]) -> None:
    """Each of `people` promises something on Monday by Tuesday, and answers Kept when Tuesday's follow-up asks."""
    clock.set(at("2026-11-23T15:00:00Z"))  # Monday: 16:00 in Berlin, 10:00 in New York (00:00 Tuesday in Tokyo)
    for n, user in enumerate(people):
        slack.command(user, "/promise", f"Send deck {n} by 2026-11-24")
        last_ephemeral(slack, user, f"Send deck {n}")
    run_pass(slack, app, at("2026-11-24T15:00:00Z"))  # Tuesday: 16:00 in Berlin, 10:00 in New York
    clock.set(at("2026-11-24T15:05:00Z"))
    for n, user in enumerate(people):
        slack.click(user, dm(slack, user, f"Send deck {n}"), "Kept", under=f"Send deck {n}")
    eventually(lambda: all(p["status"] == "kept" for p in export(app)["promises"]))


def card_with(slack: SlackStandIn, user: str, text: str, button: str) -> Message | None:
    """The latest card `user` holds about `text` that offers `button`, if there is one yet."""
    return next((m for m in reversed(slack.messages(user)) if text in seen(m) and button in buttons(m)), None)


def done_a_week_early(slack: SlackStandIn, user: str, text: str) -> None:
    """`user` accepts the request `text` and reports it done at once: kept on time, a week before its date."""
    slack.click(user, dm(slack, user, text), "Accept")
    slack.click(user, slack.wait_for(lambda: card_with(slack, user, text, "Done")), "Done")


def recap_of(slack: SlackStandIn, app: Runtime, clock: FixedClock, instant: str, week: str) -> tuple[str, str]:
    """The recap pass at `instant`: what the channel shows of the recap for `week`, and of its thread."""
    drained(slack, app)
    clock.set(at(instant))
    recap_pass(Recaps(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), clock.now())
    recap = next(m for m in slack.messages("CWINS") if "Weekly recap" in m.text and week in m.text)
    thread = [m for m in slack.messages("CWINS") if m.thread_ts == recap.ts]
    return seen(recap), "\n".join(seen(m) for m in thread)


def first_weeks_recap(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> tuple[str, str]:
    return recap_of(slack, app, clock, "2026-11-30T08:05:00Z", FIRST_WEEK)  # Monday 09:05 in Berlin


FIVE_PROMISES = ["UADA", "UADA", "UBOB", "UBOB", "UADA"]


# Integrity in public ---------------------------------------------------------------------------------------


def test_a_week_with_fewer_than_five_promises_ended_posts_no_integrity_figure_in_the_channel(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    recap_channel_set(slack, clock)
    promises_kept_on_their_date(slack, app, clock, ["UADA", "UBOB"])

    recap, thread = first_weeks_recap(slack, app, clock)

    assert "2 due this week ended: 2 kept on time" in recap  # the promises are counted...
    assert "integrity" not in (recap + thread).lower() and "%" not in recap + thread  # ...with no one's score


def test_a_week_with_five_promises_ended_posts_the_teams_integrity_and_no_members_own(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    recap_channel_set(slack, clock)
    promises_kept_on_their_date(slack, app, clock, FIVE_PROMISES)

    recap, thread = first_weeks_recap(slack, app, clock)

    assert "5 due this week ended: 5 kept on time" in recap and "team integrity 100%" in recap
    assert recap.count("%") == 1
    assert "integrity" not in thread.lower() and "%" not in thread


def test_a_weeks_integrity_counts_the_promises_due_that_week_even_when_they_were_kept_the_week_before(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    recap_channel_set(slack, clock)
    clock.set(at("2026-11-27T15:00:00Z"))  # Friday of the first week: 10:00 in New York
    for n, user in enumerate(["UBOB", "UBOB", "UCY", "UCY", "UBOB"]):
        slack.command("UADA", "/request", f"<@{user}|someone> part {n} of the pilot by 2026-12-04")
        done_a_week_early(slack, user, f"part {n} of the pilot")
    eventually(lambda: [r["promise_status"] for r in export(app)["requests"]] == ["kept"] * 5)

    first, _ = first_weeks_recap(slack, app, clock)
    second, _ = recap_of(slack, app, clock, "2026-12-07T08:05:00Z", SECOND_WEEK)

    assert "5 made this week · none due this week ended" in first
    assert "5 due this week ended: 5 kept on time" in second and "team integrity 100%" in second


def test_an_admin_can_turn_the_teams_integrity_out_of_the_recap(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    recap_channel_set(slack, clock)
    promises_kept_on_their_date(slack, app, clock, FIVE_PROMISES)

    slack.command("UADA", "/coach", "recap integrity off", channel="CWINS")

    assert "no longer shows the team's integrity" in seen(last_ephemeral(slack, "UADA", "integrity"))
    recap, _ = first_weeks_recap(slack, app, clock)
    assert "5 due this week ended: 5 kept on time" in recap
    assert "integrity" not in recap.lower() and "%" not in recap


def test_an_admin_can_turn_the_teams_integrity_back_on(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    recap_channel_set(slack, clock)
    promises_kept_on_their_date(slack, app, clock, FIVE_PROMISES)
    slack.command("UADA", "/coach", "recap integrity off")
    last_ephemeral(slack, "UADA", "no longer shows")

    slack.command("UADA", "/coach", "recap integrity on")

    assert "shows the team's integrity" in seen(last_ephemeral(slack, "UADA", "at least five"))
    recap, _ = first_weeks_recap(slack, app, clock)
    assert "team integrity 100%" in recap


def test_only_an_admin_can_turn_the_teams_integrity_off(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    recap_channel_set(slack, clock)

    slack.command("UBOB", "/coach", "recap integrity off")

    assert "workspace admins and owners" in seen(last_ephemeral(slack, "UBOB", "admins"))
    [workspace] = export(app)["workspaces"]
    assert workspace["recap_integrity"] is True


# Words ------------------------------------------------------------------------------------------------------


def test_status_on_the_first_day_of_a_promise_says_none_has_ended_yet_instead_of_a_dash_and_zero_of_zero(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/promise", "Send the deck by friday")
    last_ephemeral(slack, "UADA", "Promise made")

    slack.command("UADA", "/coach", "status")

    ledger = seen(last_ephemeral(slack, "UADA", "Your word"))
    assert "1 promise made, none ended yet" in ledger
    assert "integrity —" not in ledger and "of 0 ended" not in ledger


def cy_offers_help_with_adas_stand(slack: SlackStandIn) -> Message:
    """Cy offers help from the announcement of Ada's stand; Ada's card asking her to take it up."""
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    slack.click("UCY", announcement, "Offer help")
    modal = slack.wait_for(lambda: slack.open_views("UCY"))[-1]
    slack.submit("UCY", modal, {"How can you help?": "an intro to the Lyon buyers"})
    modal_answer(slack, "UCY", "Offer sent")
    return dm(slack, "UADA", "offers help")


def test_an_offer_of_help_shows_in_the_owners_status_as_the_helpers_offer_not_a_request_they_made(
    slack: SlackStandIn, app: Runtime
) -> None:
    cy_offers_help_with_adas_stand(slack)

    slack.command("UADA", "/coach", "status")

    status = seen(last_ephemeral(slack, "UADA", "Requests you made"))
    assert "<@UCY> offered: _an intro to the Lyon buyers_" in status
    assert "You asked <@UCY>" not in status and "counter-offer" not in status


def test_the_owners_card_for_an_offer_of_help_waits_for_their_answer_and_is_not_called_a_counter_offer(
    slack: SlackStandIn, app: Runtime
) -> None:
    card = cy_offers_help_with_adas_stand(slack)

    assert "counter-offer" not in seen(card)
    assert "waiting for your answer" in seen(card)


def test_the_helpers_status_shows_their_offer_waiting_for_the_owners_answer(slack: SlackStandIn, app: Runtime) -> None:
    cy_offers_help_with_adas_stand(slack)

    slack.command("UCY", "/coach", "status")

    status = seen(last_ephemeral(slack, "UCY", "Requests made of you"))
    assert "You offered <@UADA> help: _an intro to the Lyon buyers_" in status
    assert "counter-offer" not in status and "waiting for their answer" in status


def test_a_reminder_of_a_request_reads_as_a_sentence_whatever_the_member_typed(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-20T15:00:00Z"))  # Friday
    slack.command("UADA", "/request", "<@UBOB|bob> a review of the pitch deck")
    dm(slack, "UBOB", "asks you")

    run_pass(slack, app, at("2026-11-24T15:00:00Z"))  # Tuesday: two working days unanswered

    reminder = dm(slack, "UBOB", "gentle reminder")
    assert reminder.text.endswith("<@UADA> asked you: a review of the pitch deck")
    assert "asked you a review" not in seen(reminder)
