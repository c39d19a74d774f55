"""One morning message, and buttons that live only while their question is open (issue 9).

Everything due for a member in a pass arrives as one message: the nudge carries the follow-ups and reminders as
sections, each with its buttons. Once a question is settled, by whatever route, every message that asked it is
rewritten in place to say what was decided.
"""

from __future__ import annotations

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.recaps import Recaps
from handlers.jobs import recap_pass
from standin import Message, SlackStandIn
from tests import support
from tests.e2e import (
    a_stand_declared_on_monday,
    buttons,
    dm,
    drained,
    eventually,
    export,
    last_ephemeral,
    modal_answer,
    nudge_on,
    run_pass,
    seen,
)
from tests.support import at


def rewritten(slack: SlackStandIn, message: Message, containing: str) -> Message:
    """The message as Slack shows it now, once it has been rewritten to contain `containing`."""
    return slack.wait_for(
        lambda: next((m for m in slack.messages(message.channel) if m.ts == message.ts and containing in seen(m)), None)
    )


def ada_in_a_program_with_a_promise_due_wednesday_and_a_request_from_bob(
    slack: SlackStandIn, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)  # Monday, 08:00 in Berlin
    slack.command("UADA", "/promise", "Send the deck by wednesday")
    last_ephemeral(slack, "UADA", "Promise made")
    slack.command("UBOB", "/request", "<@UADA|ada> the venue shortlist")
    dm(slack, "UADA", "asks you")


def test_everything_due_in_a_morning_arrives_as_one_message_with_a_section_each(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    ada_in_a_program_with_a_promise_due_wednesday_and_a_request_from_bob(slack, clock)
    run_pass(slack, app, at("2026-11-23T08:00:00Z"))
    run_pass(slack, app, at("2026-11-24T08:00:00Z"))
    before = len(slack.messages("UADA"))

    report = run_pass(slack, app, at("2026-11-25T08:00:00Z"))  # Wednesday, 09:00 in Berlin

    [morning] = slack.messages("UADA")[before:]
    assert report.sent == 1
    assert "day 3 of 14" in seen(morning)
    assert "Today's the day for your promise" in seen(morning) and "Send the deck" in seen(morning)
    assert "gentle reminder" in seen(morning) and "venue shortlist" in seen(morning)
    assert buttons(morning)[-6:] == ["Kept", "Renegotiate", "Revoke", "Accept", "Decline", "Counter-offer"]


def test_answering_one_section_of_the_morning_message_settles_it_and_leaves_the_rest(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    ada_in_a_program_with_a_promise_due_wednesday_and_a_request_from_bob(slack, clock)
    run_pass(slack, app, at("2026-11-23T08:00:00Z"))
    run_pass(slack, app, at("2026-11-24T08:00:00Z"))
    run_pass(slack, app, at("2026-11-25T08:00:00Z"))
    morning = dm(slack, "UADA", "gentle reminder")

    slack.click("UADA", morning, "Kept")

    settled = rewritten(slack, morning, "A promise kept is a breakthrough")
    assert "day 3 of 14" in seen(settled) and "Send the deck" in seen(settled)
    assert "Kept" not in buttons(settled) and "Revoke" not in buttons(settled)
    assert buttons(settled)[-3:] == ["Accept", "Decline", "Counter-offer"]  # the reminder is still open
    assert export(app)["promises"][0]["status"] == "kept"


def promise_due_tuesday(slack: SlackStandIn, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T10:00:00Z"))  # Monday, 11:00 in Berlin; Ada has no stand, so no nudges
    slack.command("UADA", "/promise", "Send the deck by tomorrow")
    last_ephemeral(slack, "UADA", "Promise made")


def test_a_promise_recorded_broken_takes_the_buttons_off_the_messages_that_asked_about_it(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    promise_due_tuesday(slack, clock)
    run_pass(slack, app, at("2026-11-24T08:00:00Z"))
    on_its_date = dm(slack, "UADA", "Today's the day")
    run_pass(slack, app, at("2026-11-25T08:00:00Z"))
    a_day_late = dm(slack, "UADA", "still open")
    assert buttons(on_its_date) == buttons(a_day_late) == ["Kept", "Renegotiate", "Revoke"]

    run_pass(slack, app, at("2026-11-27T08:00:00Z"))  # Friday: recorded as broken

    for asked in (on_its_date, a_day_late):
        settled = rewritten(slack, asked, "recorded it as broken")
        assert buttons(settled) == [] and "Send the deck" in seen(settled)


def test_a_promise_reported_done_on_its_card_settles_the_follow_up_that_asked_about_it(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T15:00:00Z"))  # Monday, 10:00 in New York
    slack.command("UADA", "/request", "<@UBOB|bob> the council intro by tomorrow")
    slack.click("UBOB", dm(slack, "UBOB", "asks you"), "Accept")
    dm(slack, "UADA", "accepted your request")
    run_pass(slack, app, at("2026-11-24T14:00:00Z"))  # Tuesday 09:00 in New York
    follow_up = dm(slack, "UBOB", "Today's the day for your promise for <@UADA>")

    card = dm(slack, "UBOB", "asks you")
    slack.click("UBOB", card, "Done")

    settled = rewritten(slack, follow_up, "Reported done")
    assert buttons(settled) == []
    assert card.ts != follow_up.ts and export(app)["requests"][0]["status"] == "done"


def test_a_reminder_answered_on_the_request_card_loses_its_buttons(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-20T15:00:00Z"))  # Friday
    slack.command("UADA", "/request", "<@UBOB|bob> the partner list")
    card = dm(slack, "UBOB", "asks you")
    run_pass(slack, app, at("2026-11-24T15:00:00Z"))  # Tuesday: two working days, one reminder
    reminder = dm(slack, "UBOB", "gentle reminder")

    slack.click("UBOB", card, "Decline")

    settled = rewritten(slack, reminder, "Answered: declined")
    assert buttons(settled) == []


def test_another_fourteen_days_from_the_closing_nudge_says_so_in_it_and_keeps_its_day(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    closing = nudge_on(slack, app, clock, "2026-12-04T08:00:00Z")  # Friday, day 12: the closing nudge
    assert {"Declare a breakthrough", "Another 14 days", "Close the stand"} <= set(buttons(closing))

    slack.click("UADA", closing, "Another 14 days")

    settled = rewritten(slack, closing, "You chose another 14 days")
    assert "day 12 of 14" in seen(settled) and "Monday 7 December" in seen(settled)
    assert not {"Declare a breakthrough", "Another 14 days", "Close the stand"} & set(buttons(settled))


def test_closing_the_stand_settles_the_closing_nudge_and_takes_join_off_its_announcement(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    announcement = slack.wait_for(lambda: next(iter(slack.messages("CGENERAL")), None))
    assert "Join the stand" in buttons(announcement)
    closing = nudge_on(slack, app, clock, "2026-12-04T08:00:00Z")

    slack.click("UADA", closing, "Close the stand")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.submit("UADA", modal, {"How did it end?": "Achieved", "In your words": "Twelve partners signed."})
    modal_answer(slack, "UADA", "Stand closed as achieved")

    settled = rewritten(slack, closing, "You closed this stand as achieved")
    assert not {"Declare a breakthrough", "Another 14 days", "Close the stand"} & set(buttons(settled))
    closed = rewritten(slack, announcement, "This stand was achieved")
    assert buttons(closed) == [] and "Sign 10 new partners" in seen(closed)


def test_declaring_a_breakthrough_leaves_only_what_is_still_open_in_the_closing_nudge(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    closing = nudge_on(slack, app, clock, "2026-12-04T08:00:00Z")
    clock.set(at("2026-12-04T09:00:00Z"))

    slack.command("UADA", "/breakthrough", "Twelve partners signed")
    last_ephemeral(slack, "UADA", "Breakthrough recorded")

    settled = rewritten(slack, closing, "You declared its breakthrough")
    assert {"Another 14 days", "Close the stand"} <= set(buttons(settled))
    assert "Declare a breakthrough" not in buttons(settled)


def test_declaring_the_breakdown_a_check_in_noticed_takes_its_buttons_off_the_nudge(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    nudge_on(slack, app, clock, "2026-11-23T08:00:00Z")
    nudge_on(slack, app, clock, "2026-11-24T08:00:00Z")
    check_in = nudge_on(slack, app, clock, "2026-11-25T08:00:00Z")
    assert {"Declare a breakdown", "I'm on it"} <= set(buttons(check_in))

    slack.click("UADA", check_in, "Declare a breakdown")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.submit("UADA", modal, {"What is off track?": "I froze after the first rejection."})
    modal_answer(slack, "UADA", "froze")

    settled = rewritten(slack, check_in, "You declared it a breakdown")
    assert not {"Declare a breakdown", "I'm on it"} & set(buttons(settled))
    assert buttons(settled)[:3] == ["Log a share", "Log an action", "Make a request"]


def test_a_promise_first_asked_about_days_after_its_date_names_the_date_instead_of_today(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    promise_due_tuesday(slack, clock)
    slack.command("UADA", "/coach", "pause")
    last_ephemeral(slack, "UADA", "Paused")
    run_pass(slack, app, at("2026-11-24T08:00:00Z"))  # paused on its date: nothing is asked
    clock.set(at("2026-11-27T07:00:00Z"))
    slack.command("UADA", "/coach", "resume")
    last_ephemeral(slack, "UADA", "Welcome back")

    run_pass(slack, app, at("2026-11-27T08:00:00Z"))  # Friday, three days after its date

    asked = dm(slack, "UADA", "Send the deck")
    assert "Today's the day" not in seen(asked)
    assert "was due Tue 24 Nov 2026" in seen(asked) and buttons(asked) == ["Kept", "Renegotiate", "Revoke"]
    drained(slack, app)


def test_resolving_a_breakdown_from_its_coaching_replaces_it_shifted_with_what_shifted(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/breakdown", "Two partners pulled out")
    coaching = last_ephemeral(slack, "UADA", "milestone")
    assert "It shifted" in buttons(coaching)

    slack.click("UADA", coaching, "It shifted")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.submit("UADA", modal, {"What shifted?": "A third partner stepped in"})

    settled = last_ephemeral(slack, "UADA", "It shifted:* A third partner stepped in")
    assert buttons(settled) == [] and "Two partners pulled out" in seen(settled)
    slack.click("UADA", coaching, "It shifted")  # the stale copy, from a second device
    last_ephemeral(slack, "UADA", "already resolved")


def test_a_promise_reported_done_and_sent_back_is_not_called_unanswered_when_it_breaks(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T15:00:00Z"))  # Monday, 10:00 in New York
    slack.command("UADA", "/request", "<@UBOB|bob> the council intro by tomorrow")
    card = dm(slack, "UBOB", "asks you")
    slack.click("UBOB", card, "Accept")
    slack.click(
        "UBOB", slack.wait_for(lambda: next((m for m in slack.messages("UBOB") if "Done" in buttons(m)), None)), "Done"
    )
    asked = slack.wait_for(lambda: next((m for m in slack.messages("UADA") if "Not yet" in buttons(m)), None))
    slack.click("UADA", asked, "Not yet")
    eventually(lambda: export(app)["requests"][0]["status"] == "accepted")

    run_pass(slack, app, at("2026-11-24T14:00:00Z"))  # Tuesday, its date
    run_pass(slack, app, at("2026-11-25T14:00:00Z"))  # a day late
    run_pass(slack, app, at("2026-11-27T14:00:00Z"))  # Friday: recorded as broken

    broken = dm(slack, "UBOB", "recorded it as broken")
    assert "unanswered" not in seen(broken) and "still open 3 days later" in seen(broken)
    told = dm(slack, "UADA", "recorded it as broken")
    assert "unanswered" not in seen(told)


def test_a_morning_with_more_questions_than_one_message_holds_sends_the_rest_in_the_next_pass(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    for n in range(20):
        slack.command("UADA", "/promise", f"Promise number {n} by tuesday")
        last_ephemeral(slack, "UADA", f"Promise number {n}")
    run_pass(slack, app, at("2026-11-23T08:00:00Z"))
    before = len(slack.messages("UADA"))

    first = run_pass(slack, app, at("2026-11-24T08:00:00Z"))
    second = run_pass(slack, app, at("2026-11-24T08:01:00Z"))

    morning, rest = slack.messages("UADA")[before:]
    assert (first.sent, second.sent) == (1, 1)
    assert "day 2 of 14" in seen(morning) and buttons(morning).count("Kept") == 15
    assert buttons(rest).count("Kept") == 5 and "day 2 of 14" not in seen(rest)
    assert all(len(m.blocks) <= 50 for m in (morning, rest))


def test_a_followers_weekly_line_comes_inside_their_morning_message_whichever_job_runs_first(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    slack.add_user("UDOT", name="dot", real_name="Dot Hodgkin", tz="Europe/Berlin")
    clock.set(at("2026-11-16T07:00:00Z"))  # Monday, 08:00 in Berlin
    slack.command("UADA", "/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "will be posted in")
    for user in ("UADA", "UDOT"):
        slack.command(user, "/stand", f"{user} takes a stand", channel="CGENERAL")
        last_ephemeral(slack, user, "Your stand is declared")
    announcement = slack.wait_for(lambda: next((m for m in slack.messages("CGENERAL") if "UADA takes" in m.text), None))
    slack.click("UDOT", announcement, "Join the stand")
    slack.click("UBOB", announcement, "Join the stand")
    eventually(lambda: len(app.coach.followers("T1", export(app)["stands"][0]["id"])) == 2)
    run_pass(slack, app, at("2026-11-20T08:00:00Z"))  # Friday's nudges: Dot's next one is Monday 09:00
    before = len(slack.messages("UDOT"))

    # Monday 09:00 in Berlin: the recap and Dot's morning fall in the same minute; the recap job runs first.
    recap_pass(
        Recaps(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), at("2026-11-23T08:00:00Z")
    )
    run_pass(slack, app, at("2026-11-23T08:00:00Z"))

    [morning] = slack.messages("UDOT")[before:]
    assert "day 8 of 14" in seen(morning) and "<@UADA>'s week on their stand" in seen(morning)
    assert "Leave the stand" in buttons(morning)
    assert "<@UADA>'s week on their stand" in seen(dm(slack, "UBOB", "'s week on their stand"))  # his, on its own

    clock.set(at("2026-11-23T08:05:00Z"))
    slack.command("UDOT", "/act", "Called the venue")  # the nudge is rewritten: the line stays in it
    assert "<@UADA>'s week on their stand" in seen(rewritten(slack, morning, "Act 1/2"))


def test_answering_a_check_in_im_on_it_takes_its_buttons_off_the_nudge(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    nudge_on(slack, app, clock, "2026-11-23T08:00:00Z")
    nudge_on(slack, app, clock, "2026-11-24T08:00:00Z")
    check_in = nudge_on(slack, app, clock, "2026-11-25T08:00:00Z")

    slack.click("UADA", check_in, "I'm on it")

    settled = rewritten(slack, check_in, "You said you're on it")
    assert not {"Declare a breakdown", "I'm on it"} & set(buttons(settled))
    last_ephemeral(slack, "UADA", "Pick the one request")
    assert [b["noticed"] for b in export(app)["breakdowns"]] == [True]  # not counted as a breakdown met
