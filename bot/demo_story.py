"""`breakthrough demo --story`: a team in the middle of a program, told through the app's own commands and buttons
(nothing is written to the database behind the app's back), so App Home, `/coach status` and the next recap are
full from the start."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from bot.demo import GENERAL, Demo
from standin import Message, SlackStandIn

log = logging.getLogger("breakthrough.demo")

STORY_DAYS = 6
"""The story ends on the sixth day of the programs it starts."""
MORNING = time(8, 0)  # UTC: 09:00 in Berlin, 08:00 in London, a night's end in New York, evening in Tokyo
WAIT = 10.0


class Teller:
    """Members typing commands and pressing buttons, waiting as a person would for what the app shows them."""

    def __init__(self, demo: Demo, first_day: date) -> None:
        assert demo.controls is not None
        self.slack: SlackStandIn = demo.slack
        self.controls = demo.controls
        self.first_day = first_day

    def by(self, day: int) -> str:
        """The date of the program's `day` (1 is its first), as typed after "by"."""
        return (self.first_day + timedelta(days=day - 1)).isoformat()

    def morning(self, day: int) -> None:
        """The clock to the program's `day` at the team's morning; the scheduler's passes run there."""
        self.controls.move_to(datetime.combine(self.first_day + timedelta(days=day - 1), MORNING, tzinfo=UTC))

    def types(self, user_id: str, command: str, text: str) -> None:
        """A member types a command, with `@name` written as they would type it: a stand in #general, the rest
        in their DM with the app, where its answers stay out of the channel."""
        channel = GENERAL if command == "/stand" else user_id
        reply = self.slack.command(user_id, command, self.slack.workspace.escape_typed(text), channel=channel)
        if reply.status != 200:
            raise RuntimeError(f"{command} as {user_id} was not acked ({reply.status})")

    def seen(self, conversation: str, words: str) -> Message:
        """The latest message in a conversation (a channel, or a member's DM by their ID) containing `words`."""

        def found() -> Message | None:
            matching = [m for m in self.slack.messages(conversation) if words in m.text]
            return matching[-1] if matching else None

        return self.slack.wait_for(found, timeout=WAIT)

    def presses(self, user_id: str, conversation: str, words: str, label: str) -> None:
        """A member presses a button on the message containing `words`, once the app has put it there."""
        message = self.slack.wait_for(
            lambda: next(
                (m for m in reversed(self.slack.messages(conversation)) if words in m.text and _offers(m, label)),
                None,
            ),
            timeout=WAIT,
        )
        self.slack.click(user_id, message, label)

    def counters(self, user_id: str, words: str, instead: str, day: int) -> None:
        """The person asked offers other terms through the request's Counter-offer form."""
        self.presses(user_id, user_id, words, "Counter-offer")
        form = self.slack.wait_for(lambda: self.slack.open_views(user_id), timeout=WAIT)[-1]
        self.slack.submit(user_id, form, {"What you can promise instead": instead, "By when?": self.by(day)})


def _offers(message: Message, label: str) -> bool:
    return any(
        element.get("type") == "button" and element.get("text", {}).get("text") == label
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    )


def tell_story(demo: Demo) -> None:
    """Six days of a program for the demo's team, ending on the morning of day 6."""
    first_day = demo.clock.now().date() - timedelta(days=STORY_DAYS - 1)
    teller = Teller(demo, first_day)
    log.info("telling the story: six days of a program from %s", first_day.isoformat())
    teller.morning(1)
    declare_stands(teller)
    make_requests(teller)
    for day in range(2, STORY_DAYS + 1):
        teller.morning(day)
        practise(teller, day)
    log.info("the story is told: the team stands on day %s", STORY_DAYS)


def declare_stands(t: Teller) -> None:
    """Three stands, their followers, and the first day's practice."""
    t.types("UADA", "/stand", f"80 weekly sign-ups by {t.by(14)} (from 40)")
    t.types("UADA", "/stand", f"milestone 60 weekly sign-ups by {t.by(7)}")
    t.presses("UBEA", GENERAL, "80 weekly sign-ups", "Join the stand")
    t.presses("UCAL", GENERAL, "80 weekly sign-ups", "Join the stand")
    t.types("UCAL", "/stand", f"Sign three enterprise pilots by {t.by(14)}")
    t.types("UDAI", "/stand", f"Ship the new onboarding to every pilot school by {t.by(14)}")
    t.presses("UCAL", GENERAL, "Ship the new onboarding", "Join the stand")
    t.types("UADA", "/share", "@bea @cal told them the 80 target at stand-up")
    t.types("UADA", "/act", "Drafted the launch email")
    t.types("UDAI", "/promise", f"Send the pilot deck to legal by {t.by(4)}")


def make_requests(t: Teller) -> None:
    """Requests in every state: open, accepted, declined, countered, done, completed and cancelled."""
    t.types("UADA", "/request", f"@bea review the landing page copy by {t.by(3)}")
    t.presses("UBEA", "UBEA", "review the landing page copy", "Accept")
    t.types("UADA", "/request", f"@cal an intro to the two partner schools by {t.by(4)}")
    t.presses("UCAL", "UCAL", "an intro to the two partner schools", "Decline")
    t.types("UADA", "/request", f"@dai a referral banner on the dashboard by {t.by(5)}")
    t.counters("UDAI", "a referral banner on the dashboard", "A referral banner in next week's release", 8)
    t.types("UCAL", "/request", f"@ada this week's sign-up numbers for the pilot pitch by {t.by(2)}")
    t.presses("UADA", "UADA", "sign-up numbers for the pilot pitch", "Accept")
    t.presses("UADA", "UADA", "sign-up numbers for the pilot pitch", "Done")
    t.presses("UCAL", "UCAL", "sign-up numbers for the pilot pitch", "Complete")
    t.types("UDAI", "/request", f"@bea a test of the new sign-up flow by {t.by(3)}")
    t.presses("UBEA", "UBEA", "a test of the new sign-up flow", "Accept")
    t.presses("UBEA", "UBEA", "a test of the new sign-up flow", "Done")
    t.types("UBEA", "/request", f"@cal feedback on the newsletter by {t.by(7)}")
    t.types("UCAL", "/request", f"@dai a demo slot on {t.by(5)}")
    t.presses("UCAL", "UCAL", "a demo slot", "Cancel")


def practise(t: Teller, day: int) -> None:
    """A day's practice: shares and actions, and the day's turn of the story."""
    t.types("UADA", "/act", f"Called five schools about the sign-up week (day {day})")
    t.types("UADA", "/share", "@dai told her where the sign-ups stand")
    t.types("UDAI", "/act", "Walked a pilot school through the new onboarding")
    if day == 2:
        t.types("UCAL", "/breakdown", "The second pilot went quiet; as it stands I reach one of three")
    if day == 3:
        t.types("UADA", "/progress", "48 after the newsletter went out")
        t.types("UBEA", "/act", "for @ada Posted Ada's sign-up link in the parents' forum")
    if day == 5:
        t.types("UADA", "/progress", "55")
    if day == 4:
        t.types("UADA", "/breakthrough", "52 sign-ups this week, past the halfway mark on day 4")
        t.types("UCAL", "/act", "Asked the first pilot for an introduction to their sister school")
