"""A two-week program, end to end: fourteen simulated days of nudges, practice, a measured stand and a milestone, a
breakdown noticed and met with a follower's idea, a request kept and one renegotiated, the leader's view, the closing
DM, and the two weekly recaps they add up to.

Ada (Berlin) declares a stand on Monday 23 November 2026 and practises on the working days, except for two idle
days in the first week; Bob (New York) follows her stand and keeps a promise; Cy (Tokyo) renegotiates one. Every
step goes through the real app the way Slack drives it: signed commands and clicks in, Web API calls out to the
stand-in, the scheduled passes run as the scheduler would run them at each member's morning.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.follow_ups import FollowUps
from bot.coach.nudges import THEMES, Nudges
from bot.coach.recaps import Recaps
from handlers.jobs import daily_pass, recap_pass
from standin import Message, SlackStandIn, View
from tests import support
from tests.e2e import buttons, dm, drained, export, modal_answer, seen

FIRST_DAY = date(2026, 11, 23)  # a Monday
MORNINGS = (time(0), time(8), time(14))  # 09:00 in Tokyo, Berlin and New York (UTC in winter)
IDLE = {date(2026, 11, 25), date(2026, 11, 26)}  # Ada logs nothing on the first Wednesday and Thursday


class Program:
    """Drives the app through the days: the clock, the scheduled passes, and the people's commands and clicks."""

    def __init__(self, slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
        self.slack, self.app, self.clock = slack, app, clock
        self.poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))
        self.ada_mornings: dict[date, list[Message]] = {}

    def at(self, day: date, hour: int, minute: int = 0) -> None:
        self.clock.set(datetime.combine(day, time(hour, minute), tzinfo=UTC))

    def mornings(self, day: date) -> list[Message]:
        """Run the daily and recap passes at each member's morning; the nudges Ada got that day."""
        drained(self.slack, self.app)  # what the day's clicks owe Slack is out before the next morning
        before = len(self.slack.messages("UADA"))
        for moment in MORNINGS:
            self.clock.set(datetime.combine(day, moment, tzinfo=UTC))
            ada_before = len(self.slack.messages("UADA"))
            daily_pass(Nudges(self.app.coach), FollowUps(self.app.coach), self.poster, self.clock.now())
            if moment == time(8):
                # Her own morning: everything due for her in the pass comes as one message.
                self.ada_mornings[day] = self.slack.messages("UADA")[ada_before:]
            recap_pass(Recaps(self.app.coach), self.poster, self.clock.now())
        return [m for m in self.slack.messages("UADA")[before:] if "of 14" in m.text]

    def command(self, user: str, name: str, text: str, *, channel: str | None = None) -> Message:
        """A slash command, and its answer once the work behind the acknowledgement is done."""
        seen_before = len(self.slack.ephemerals(user))
        if channel is None:
            self.slack.command(user, name, text)
        else:
            self.slack.command(user, name, text, channel=channel)
        return self.slack.wait_for(lambda: self.slack.ephemerals(user)[seen_before:] or None)[-1]

    def click(self, user: str, where: Message, button: str, *, then: str, to: str | None = None) -> Message:
        """Press a button and wait for a new or rewritten message to `to` (or `user`) saying it landed."""
        return self._until(to or user, then, lambda: self.slack.click(user, where, button))

    def submit(self, user: str, values: dict[str, str], *, then: str) -> View:
        """Submit the modal on top of `user`'s stack and wait for it to show its answer."""
        modal = self.slack.wait_for(lambda: self.slack.open_views(user))[-1]
        self.slack.submit(user, modal, values)
        return modal_answer(self.slack, user, then)

    def _until(self, channel: str, then: str, act: Callable[[], object]) -> Message:
        before = {(m.ts, seen(m)) for m in self.slack.messages(channel)}
        act()
        return self.slack.wait_for(
            lambda: next(
                (m for m in self.slack.messages(channel) if then in seen(m) and (m.ts, seen(m)) not in before), None
            )
        )

    def practise(self, day: date, requests: tuple[str, str] = ("", "")) -> None:
        """Ada's full practice for the day: two people told, two actions, two requests."""
        self.at(day, 10)
        self.command("UADA", "/share", "<@UBOB|bob> <@UCY|cy> the pilot stand")
        self.command("UADA", "/act", f"called two pilot customers on {day:%A}")
        self.command("UADA", "/act", f"wrote the pilot one-pager on {day:%A}")
        first, second = requests
        self.command("UADA", "/request", first or f"<@UBOB|bob> feedback on the {day:%A} draft")
        self.command("UADA", "/request", second or f"<@UCY|cy> a customer name for {day:%A}")


def card_for(slack: SlackStandIn, user: str, text: str, button: str = "Renegotiate") -> Message:
    """The latest version of the request card `user` holds for the request `text`, once it offers `button`."""
    return slack.wait_for(
        lambda: next((m for m in reversed(slack.messages(user)) if text in seen(m) and button in buttons(m)), None)
    )


def test_a_two_week_program_runs_from_stand_to_close_with_the_expected_messages_and_recaps(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    run = Program(slack, app, clock)

    # Monday, day 1, before Ada's morning: the recap channel, the stand, and Bob following it.
    run.at(FIRST_DAY, 7)
    run.command("UADA", "/coach", "recap here", channel="CWINS")
    assert "Your stand is declared" in seen(
        run.command("UADA", "/stand", "24 pilot sign-ups by 2026-12-31 (from 12)", channel="CGENERAL")
    )
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    run.click("UBOB", announcement, "Join the stand", then="joined your stand", to="UADA")
    assert "Milestone set" in seen(run.command("UADA", "/stand", "milestone 18 pilot sign-ups by 2026-12-02"))

    nudges: dict[date, list[Message]] = {}
    day = FIRST_DAY
    while day < FIRST_DAY + timedelta(days=14):
        nudges[day] = run.mornings(day)
        if day == FIRST_DAY:
            # The two requests the story follows: one kept on time, one renegotiated before its date.
            run.practise(
                day,
                (
                    "<@UBOB|bob> an intro to the council by 2026-11-27",
                    "<@UCY|cy> the pilot numbers by 2026-11-25",
                ),
            )
            run.click("UBOB", dm(slack, "UBOB", "an intro to the council"), "Accept", then="accepted", to="UADA")
            run.click("UCY", dm(slack, "UCY", "the pilot numbers"), "Accept", then="accepted", to="UADA")
        elif day == date(2026, 11, 24):
            run.practise(day)
            # 12 on Monday, 14 on Tuesday: 2 a day for the 37 days to the 31st reaches 88.
            recorded = seen(run.command("UADA", "/progress", "14 two from the council"))
            assert "14 of 24 (from 12) · 37 days left · on track for about 88" in recorded
            run.command("UADA", "/promise", "Send the partner deck by 2026-11-27")
            run.at(day, 1)  # 10:00 in Tokyo, before the date: Cy asks for the next Tuesday
            slack.click("UCY", card_for(slack, "UCY", "the pilot numbers"), "Renegotiate")
            run.submit("UCY", {"New date": "2026-12-01"}, then="I've asked <@UADA>")
            question = dm(slack, "UADA", "asks to move their promise")
            run.click("UADA", question, "Agree to the new date", then="agreed to the new date", to="UCY")
        elif day == date(2026, 11, 26):
            run.at(day, 15)  # Thursday, 10:00 in New York: Bob delivers a day early
            run.click("UBOB", card_for(slack, "UBOB", "an intro to the council"), "Done", then="reports", to="UADA")
            completing = card_for(slack, "UADA", "an intro to the council", "Complete")
            run.click("UADA", completing, "Complete", then="declared your promise complete", to="UBOB")
        elif day == date(2026, 11, 27):
            # The check-in: two idle working days were noticed, and Ada meets the breakdown in her own words.
            [check_in] = nudges[day]
            assert "last two working days went by without any practice" in seen(check_in)
            run.at(day, 9)
            slack.click("UADA", check_in, "Declare a breakdown")
            run.submit("UADA", {"What is off track?": "I stalled after two refusals."}, then="Breakdown declared")
            # Bob, who follows the stand, answers the breakdown with an idea; Ada makes it a request of him.
            slack.click("UBOB", dm(slack, "UBOB", "I stalled after two refusals."), "Offer an idea")
            run.submit("UBOB", {"Your idea": "Ask the council for its pilot list"}, then="on its way")
            idea = dm(slack, "UADA", "Ask the council for its pilot list")
            run.click("UADA", idea, "Make it a request", then="the request is on its way")
            assert "Ask the council for its pilot list" in seen(card_for(slack, "UBOB", "pilot list", "Accept"))
            kept = dm(slack, "UADA", "Today's the day for your promise")
            run.click("UADA", kept, "Kept", then="Kept.")
            run.practise(day)
        elif day == date(2026, 11, 30):
            run.at(day, 9)
            run.command("UADA", "/breakdown", "resolve Asked Bob to co-host the demo; two pilots said yes")
            run.practise(day)
            # The leader's view: Ada (an admin) sees her stand beside the team's, its measure where she left it.
            team = seen(run.command("UADA", "/coach", "team"))
            assert "<@UADA> · day 8 of 14 · _24 pilot sign-ups_" in team
            assert "14 of 24 pilot sign-ups · on track for about 88" in team
            assert "first follower <@UBOB> of 1" in team
        elif day == date(2026, 12, 2):
            # The milestone's day: its question comes inside Ada's morning message, and she kept it.
            milestone = run.ada_mornings[day][0]
            assert "18 pilot sign-ups" in seen(milestone)
            run.at(day, 9)
            run.click("UADA", milestone, "Kept", then="Kept.")
            run.practise(day)
        elif day == date(2026, 12, 1):
            run.at(day, 1)  # Tokyo's morning: the renegotiated date has come, and Cy kept it
            run.click("UCY", dm(slack, "UCY", "Today's the day for your promise"), "Kept", then="Reported done")
            completing = card_for(slack, "UADA", "the pilot numbers", "Complete")
            run.click("UADA", completing, "Complete", then="declared your promise complete", to="UCY")
            run.practise(day)
        elif day == date(2026, 12, 4):
            closing = nudges[day][-1]
            run.at(day, 9)
            slack.click("UADA", closing, "Declare a breakthrough")
            run.submit("UADA", {"What happened?": "Twelve pilots signed in one week."}, then="celebrated in <#CWINS>")
            slack.wait_for(lambda: any("Twelve pilots signed" in seen(m) for m in slack.messages("CWINS")))
            dm(slack, "UBOB", "Twelve pilots signed")  # the follower hears of it first-hand
            slack.click("UADA", closing, "Close the stand")
            run.submit(
                "UADA",
                {"How did it end?": "Achieved", "In your words": "Doubled sign-ups with a week to spare."},
                then="Stand closed as achieved",
            )
        elif day.weekday() < 5 and day not in IDLE:
            run.practise(day)
        day += timedelta(days=1)

    # The nudges: one each working morning until the stand closed, none at weekends, the arc at its moments.
    working = [d for d in nudges if d.weekday() < 5]
    assert all(len(nudges[d]) == 1 for d in working)
    assert all(nudges[d] == [] for d in nudges if d.weekday() >= 5)
    assert {d: [m.text[:60] for m in run.ada_mornings[d]] for d in working if len(run.ada_mornings[d]) != 1} == {}
    assert "Today's the day for your promise" in seen(nudges[date(2026, 11, 27)][0])
    # Each morning names its day of the program, and the working days walk the ten steps in order.
    steps = iter(THEMES)
    for d in working:
        morning = seen(nudges[d][0])
        assert f"day {(d - FIRST_DAY).days + 1} of 14" in morning
        if d < date(2026, 12, 7):
            assert f":compass: *{next(steps).title}.*" in morning
    assert "day 1 of 14" in seen(nudges[FIRST_DAY][0]) and "Your program begins" in seen(nudges[FIRST_DAY][0])
    # The halfway note counts the program so far: three full days of practice (Monday, Tuesday, Friday), and on
    # Friday one more request: Bob's idea, made a request of him.
    assert "Your program so far: 6 shares, 6 actions and 7 requests" in seen(nudges[date(2026, 11, 30)][0])
    # Each morning's week so far: on Friday, two full days (and the idle Wednesday and Thursday) behind it.
    assert "This week: 4 shares, 4 actions, 4 of 5 requests" in seen(nudges[date(2026, 11, 27)][0])
    last_day = seen(nudges[date(2026, 12, 4)][0])
    assert "day 12 of 14" in last_day and "two weeks in numbers" in last_day
    # Seven full days before the closing morning and the idea's request; two requests completed; the promise and
    # the milestone kept; one breakdown. The measure where Ada left it, 27 days before its date.
    for expected in (
        "14 shares (2 people told)",
        "14 actions",
        "15 requests made, 2 kept",
        "2 promises, 2 kept",
        "1 breakdown met",
        "1 follower.",
        "14 of 24 (from 12) · 27 days left · on track for about 88",
    ):
        assert expected in last_day
    assert run.mornings(date(2026, 12, 7)) == []  # closed: no more nudges

    # The record: the stand achieved in Ada's words, both requests completed, Cy's with the date agreed.
    document = export(app)
    [stand] = document["stands"]
    assert (stand["status"], stand["closing_words"]) == ("achieved", "Doubled sign-ups with a week to spare.")
    story = {
        r["text"]: r for r in document["requests"] if r["text"] in ("an intro to the council", "the pilot numbers")
    }
    assert story["an intro to the council"]["status"] == "completed"
    assert (story["the pilot numbers"]["status"], story["the pilot numbers"]["due_on"]) == ("completed", "2026-12-01")
    assert [r["status"] for r in document["renegotiations"]] == ["accepted"]
    [breakdown] = document["breakdowns"]
    # Noticed by the coach, then taken up in her words: a breakdown met, no longer a mere check-in.
    assert not breakdown["noticed"] and breakdown["text"] == "I stalled after two refusals." and breakdown["resolution"]

    # The two recaps in the team's channel, each with its people in the thread.
    recaps = [m for m in slack.messages("CWINS") if "Weekly recap" in seen(m) and m.thread_ts is None]
    # The week before the program (the channel was chosen that Monday morning) was a quiet one.
    weeks = ("16–22 Nov 2026", "23–29 Nov 2026", "30 Nov – 6 Dec 2026")
    assert len(recaps) == 3 and all(week in m.text for week, m in zip(weeks, recaps, strict=True))
    assert "a quiet week" in recaps[0].text
    _, first, second = recaps
    first_week, second_week = seen(first), seen(second)
    for expected in (
        "23–29 Nov 2026",
        "<@UADA> — _24 pilot sign-ups_ · first follower <@UBOB> · 1 follower · 14 of 24 pilot sign-ups, on track "
        "for about 88",
        "<@UBOB> joined <@UADA>'s stand",
        "1 breakdown met",
        "Requests: 7 made",  # the idea's request among them
        # Her milestone is a promise of hers too: five made in the week.
        "Promises: 5 made this week · 3 due this week ended: 2 kept on time, 1 renegotiated in time, 0 broken, "
        "0 revoked",
    ):
        assert expected in first_week
    for expected in (
        "30 Nov – 6 Dec 2026",
        "Twelve pilots signed in one week.",
        "1 breakdown resolved",
        # Cy's renegotiated promise, and Ada's milestone of the 2nd: both kept.
        "Promises: 2 due this week ended: 2 kept on time, 0 renegotiated in time, 0 broken, 0 revoked",
    ):
        assert expected in second_week
    # Fewer than five promises ended in each week: the team's figure would be one or two people's, so none is posted.
    assert "integrity" not in first_week + second_week
    # Bob, her follower, gets Ada's line for the first week; by the second, the stand had closed.
    lines = [seen(m) for m in slack.messages("UBOB") if "<@UADA>'s week on their stand" in seen(m)]
    assert len(lines) == 1
    assert "shares 6 · actions 6 · requests 7 · full days 3 · current streak 1 · best streak 2" in lines[0]
    thread = [m for m in slack.messages("CWINS") if m.thread_ts == first.ts]
    assert "<@UADA> — shares 6 · actions 6 · requests 7 · full days 3" in "\n".join(seen(m) for m in thread)
