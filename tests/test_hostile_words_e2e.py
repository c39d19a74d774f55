"""Members' words that would ping a channel or hide a link, end to end on both databases: through every place the
app posts them they arrive at Slack shown as typed (`&lt;!channel&gt;`), never as a live @channel, @here, @everyone,
user group or link; only the people and channels the app or Slack linked stay live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.follow_ups import FollowUps
from bot.coach.nudges import Nudges
from handlers.jobs import PassReport, daily_pass
from standin import AppReply, Message, SlackStandIn, View
from tests import support
from tests.e2e import buttons, dm, drained, export, last_ephemeral, modal_answer, seen

# The member's words, as they mean them: every special mention and a disguised link, and an escape typed literally.
WORDS = (
    "Sign partners <!channel> <!here> <!everyone> <!subteam^S123|@eng> <https://evil.example|click> "
    "&lt;!channel&gt; today"
)
# How Slack sends those words in a command. A mention or link the member picked from Slack's menus comes formatted;
# the same characters typed come escaped, `&`, `<` and `>` alike, so the typed `&lt;` arrives as `&amp;lt;`.
AS_SLACK_FORMATS = (
    "Sign partners <!channel> <!here> <!everyone> <!subteam^S123|@eng> <https://evil.example|click> "
    "&amp;lt;!channel&amp;gt; today"
)
AS_TYPED = (
    "Sign partners &lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;!subteam^S123|@eng&gt; "
    "&lt;https://evil.example|click&gt; &amp;lt;!channel&amp;gt; today"
)
# What the app must send wherever it shows the words: every `&`, `<` and `>` escaped once, so Slack shows them as
# typed (the same as AS_TYPED, which is Slack escaping the very characters the member typed).
SHOWN = (
    "Sign partners &lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;!subteam^S123|@eng&gt; "
    "&lt;https://evil.example|click&gt; &amp;lt;!channel&amp;gt; today"
)
SENT_IN_A_COMMAND = [pytest.param(AS_SLACK_FORMATS, id="formatted-by-slack"), pytest.param(AS_TYPED, id="typed")]

PEOPLE = ("UADA", "UBOB", "UCY", "UHELPER")
# A person or a channel, as the app or Slack linked them: the only <…> allowed in anything the app sends.
PERSON_OR_CHANNEL = re.compile(r"<[@#][UWCG][A-Z0-9]+(?:\|[^<>]*)?>")


@pytest.fixture
def app(slack: SlackStandIn, database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    """The real app, posting at a pace that keeps a long scenario quick: what is sent matters here, not when."""
    settings = support.settings_for(slack.api_url, database_url, SLACK_POSTS_PER_SECOND="200")
    with support.serve_http(settings, clock) as (runtime, url):
        slack.request_url = url
        yield runtime


def text_fields(node: Any) -> Iterator[str]:
    """Every `text` in a call, an ack or a view, at any depth: top-level text, mrkdwn, plain_text, titles, buttons."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from text_fields(value)
    elif isinstance(node, list):
        for item in node:
            yield from text_fields(item)


def as_sent(message: Message | View) -> list[Any]:
    """A message (every version of it) or a view as the JSON Slack holds."""
    if isinstance(message, View):
        return [message.raw]
    return [{"text": m.text, "blocks": m.blocks} for m in (*message.history, message)]


def everything_sent(slack: SlackStandIn, acks: list[AppReply]) -> list[tuple[str, str]]:
    """Every text the app gave Slack, with where it went: each Web API call and response_url post, each ack (a
    command's is shown as an ephemeral, a modal's answer lives only in its ack), every ephemeral, modal and Home."""
    found = [(f"{c.method} {c.args.get('channel', '')}".strip(), t) for c in slack.calls() for t in text_fields(c.args)]
    found += [("ack", t) for reply in acks for t in text_fields(reply.body)]
    for user in PEOPLE:
        held: list[Message | View] = [*slack.ephemerals(user), *slack.open_views(user)]
        if (home := slack.home(user)) is not None:
            held.append(home)
        found += [(f"shown to {user}", t) for m in held for t in text_fields(as_sent(m))]
    return found


def made_live(text: str) -> list[str]:
    """What in `text` Slack would act on other than a person or a channel: special mentions, links, user groups."""
    return [m for m in re.findall(r"<[^<>]*>?", text) if not PERSON_OR_CHANNEL.fullmatch(m)]


def pings(text: str) -> list[str]:
    """The special mentions and links in `text`: what would reach a whole group, or hide where it leads."""
    return re.findall(r"<(?:!channel|!here|!everyone|!subteam|https?:)[^<>]*>?", text)


def assert_nothing_made_live(slack: SlackStandIn, app: Runtime, acks: list[AppReply]) -> None:
    """After everything owed is sent: the words were shown somewhere, and nothing anywhere was made live."""
    drained(slack, app)
    sent = everything_sent(slack, acks)
    assert any(SHOWN in text for _, text in sent)
    assert {(where, m) for where, text in sent for m in pings(text)} == set()
    assert {(where, m) for where, text in sent for m in made_live(text)} == set()


def shows_the_words(message: Message | View, *, in_text: bool = True) -> bool:
    """The words appear as typed, escaped, in the blocks and (for a message) in its notification text."""
    if isinstance(message, Message) and in_text and SHOWN not in message.text:
        return False
    return SHOWN in seen(message)


class Member:
    """One person at Slack, whose acks are kept for the scan."""

    def __init__(self, slack: SlackStandIn, user_id: str, acks: list[AppReply]) -> None:
        self.slack, self.user_id, self.acks = slack, user_id, acks

    def command(self, command: str, text: str = "", *, channel: str = "C1") -> AppReply:
        reply = self.slack.command(self.user_id, command, text, channel=channel)
        assert reply.status == 200
        self.acks.append(reply)
        return reply

    def click(self, where: Message | View, button: str) -> None:
        reply = self.slack.click(self.user_id, where, button)
        assert reply.status == 200
        self.acks.append(reply)

    def modal(self, title: str) -> View:
        """The form titled `title`, once it is open on top."""

        def on_top() -> View | None:
            views = self.slack.open_views(self.user_id)
            return views[-1] if views and views[-1].title == title else None

        return self.slack.wait_for(on_top)

    def submit(self, title: str, values: dict[str, Any]) -> AppReply:
        reply = self.slack.submit(self.user_id, self.modal(title), values)
        assert reply.status == 200
        self.acks.append(reply)
        return reply


@pytest.fixture
def acks() -> list[AppReply]:
    return []


@pytest.fixture
def ada(slack: SlackStandIn, acks: list[AppReply]) -> Member:
    return Member(slack, "UADA", acks)


@pytest.fixture
def bob(slack: SlackStandIn, acks: list[AppReply]) -> Member:
    return Member(slack, "UBOB", acks)


@pytest.fixture
def cy(slack: SlackStandIn, acks: list[AppReply]) -> Member:
    return Member(slack, "UCY", acks)


def run_pass(slack: SlackStandIn, app: Runtime, now: str) -> PassReport:
    """The daily pass (nudges and follow-ups) at `now`, sent the way the scheduler sends it."""
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))
    return daily_pass(Nudges(app.coach), FollowUps(app.coach), poster, datetime.fromisoformat(now))


@pytest.mark.parametrize("sent", SENT_IN_A_COMMAND)
def test_a_stand_its_announcement_offer_of_help_and_breakthrough_show_the_words_and_ping_no_one(
    slack: SlackStandIn, app: Runtime, acks: list[AppReply], ada: Member, bob: Member, cy: Member, sent: str
) -> None:
    ada.command("/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "will be posted in")

    ada.command("/stand", sent, channel="CGENERAL")
    declared = last_ephemeral(slack, "UADA", "Your stand is declared")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    bob.click(announcement, "Join the stand")
    joined = dm(slack, "CGENERAL", "First follower")
    cy.click(joined, "Offer help")
    offer_form = cy.modal("Offer help")
    cy.submit("Offer help", {"How can you help?": WORDS})
    offer_card = dm(slack, "UADA", "offers help")
    ada.click(offer_card, "Accept")
    offer_taken = dm(slack, "UCY", "accepted your offer of help")
    ada.command("/breakthrough", sent, channel="CGENERAL")
    celebration = slack.wait_for(lambda: slack.messages("CWINS"))[-1]
    follower_news = dm(slack, "UBOB", "whose stand you joined")
    slack.open_home("UADA")
    home = slack.wait_for(lambda: slack.home("UADA"))

    assert_nothing_made_live(slack, app, acks)
    assert [s["text"] for s in export(app)["stands"]] == [WORDS]
    assert [b["text"] for b in export(app)["breakthroughs"]] == [WORDS]
    assert shows_the_words(declared)
    assert shows_the_words(announcement) and shows_the_words(joined)
    assert shows_the_words(offer_form)
    assert shows_the_words(offer_card) and shows_the_words(offer_taken)
    assert shows_the_words(celebration)
    assert shows_the_words(follower_news, in_text=False)  # its notification names whose stand, not the words
    assert shows_the_words(home)


@pytest.mark.parametrize("sent", SENT_IN_A_COMMAND)
def test_requests_counter_offers_promises_and_their_follow_ups_show_the_words_and_ping_no_one(
    slack: SlackStandIn, app: Runtime, acks: list[AppReply], ada: Member, bob: Member, cy: Member, sent: str
) -> None:
    ada.command("/request", f"<@UBOB|bob> {sent} by 2026-11-24")
    bob_card, ada_card = dm(slack, "UBOB", "asks you"), dm(slack, "UADA", "You asked <@UBOB>")
    bob.click(bob_card, "Accept")
    accepted = dm(slack, "UADA", "accepted your request")
    ada.command("/request", f"<@UCY|cy> {sent}")
    cy.click(dm(slack, "UCY", "asks you"), "Counter-offer")
    counter_form = cy.modal("Counter-offer")
    cy.submit("Counter-offer", {"What you can promise instead": WORDS, "By when?": "2026-12-11"})
    countered = slack.wait_for(lambda: next((m for m in slack.messages("UADA") if "Counter-offer:" in seen(m)), None))
    ada.click(countered, "Accept")
    counter_taken = dm(slack, "UCY", "accepted your counter-offer")
    ada.command("/promise", f"{sent} by 2026-11-24")
    promised = last_ephemeral(slack, "UADA", "Promise made")

    # Tuesday 09:00 in New York (15:00 in Berlin): Ada's promise and the one Bob made her have come due.
    assert run_pass(slack, app, "2026-11-24T14:00:00+00:00").sent >= 2
    ada_follow_up = dm(slack, "UADA", "Today's the day")
    bob_follow_up = dm(slack, "UBOB", "Today's the day")
    ada.click(ada_follow_up, "Kept")
    bob.click(bob_follow_up, "Renegotiate")
    renegotiate_form = bob.modal("Renegotiate")
    bob.submit("Renegotiate", {"New date": "2026-12-01"})
    question = dm(slack, "UADA", "asks to move")
    ada.click(question, "Agree to the new date")
    agreed = dm(slack, "UBOB", "agreed to the new date")
    slack.open_home("UBOB")
    home = slack.wait_for(lambda: slack.home("UBOB"))

    assert_nothing_made_live(slack, app, acks)
    texts = {(r["recipient_id"], r["text"]) for r in export(app)["requests"]}
    assert texts == {("UBOB", WORDS), ("UCY", WORDS)}
    assert [p["text"] for p in export(app)["promises"]] == [WORDS]
    assert shows_the_words(bob_card) and shows_the_words(ada_card)
    assert shows_the_words(accepted) and shows_the_words(counter_taken)
    assert shows_the_words(counter_form) and shows_the_words(countered)
    assert shows_the_words(promised)
    assert shows_the_words(ada_follow_up) and shows_the_words(bob_follow_up)
    assert shows_the_words(renegotiate_form) and shows_the_words(question) and shows_the_words(agreed)
    assert shows_the_words(home)


@pytest.mark.parametrize("sent", SENT_IN_A_COMMAND)
def test_a_breakdown_its_coaching_a_share_note_and_an_action_show_the_words_and_ping_no_one(
    slack: SlackStandIn, app: Runtime, acks: list[AppReply], ada: Member, sent: str
) -> None:
    ada.command("/breakdown", sent)
    coaching = last_ephemeral(slack, "UADA", "milestone")
    ada.click(coaching, "It shifted")
    resolve_form = ada.modal("It shifted")
    ada.submit("It shifted", {"What shifted?": WORDS})
    ada.command("/share", f"<@UBOB|bob> <@UCY|cy> {sent}")
    last_ephemeral(slack, "UADA", "Shared with")
    ada.command("/act", sent)
    last_ephemeral(slack, "UADA", "Action logged")

    assert_nothing_made_live(slack, app, acks)
    [breakdown] = export(app)["breakdowns"]
    assert (breakdown["text"], breakdown["resolution"]) == (WORDS, WORDS)
    assert {s["text"] for s in export(app)["shares"]} == {WORDS}
    assert [a["text"] for a in export(app)["actions"]] == [WORDS]
    assert shows_the_words(coaching, in_text=False) and shows_the_words(resolve_form)


def test_words_typed_into_the_forms_show_as_typed_and_ping_no_one(
    slack: SlackStandIn, app: Runtime, acks: list[AppReply], ada: Member
) -> None:
    # A modal's fields come as typed, never escaped: `<!channel>` arrives as those very characters. Ada has met the
    # coach before her first form (a newcomer's first submission can race the refresh of their profile on
    # PostgreSQL: see test_a_newcomers_double_click_on_join_is_told_it_is_already_joined).
    ada.command("/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "will be posted in")
    ada.command("/stand", channel="CGENERAL")
    ada.submit("Take a stand", {"The outcome you commit to": WORDS})
    declared = modal_answer(slack, "UADA", "Your stand is declared")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    ada.command("/request")
    ada.submit(
        "Make a request", {"Who are you asking?": "UBOB", "What are you asking for?": WORDS, "By when?": "2026-12-04"}
    )
    bob_card = dm(slack, "UBOB", "asks you")
    ada.command("/promise")
    ada.submit("Make a promise", {"What will you do?": WORDS})
    promised = modal_answer(slack, "UADA", "Promise made")
    ada.command("/breakdown")
    ada.submit("Declare a breakdown", {"What is off track?": WORDS})
    coaching = modal_answer(slack, "UADA", "milestone")
    ada.command("/breakthrough")
    ada.submit("Declare a breakthrough", {"What happened?": WORDS})
    celebration = slack.wait_for(lambda: slack.messages("CWINS"))[-1]
    ada.command("/act")
    ada.submit("Log an action", {"What did you do?": WORDS})
    ada.command("/share")
    ada.submit("Log shares", {"Who did you tell?": ["UBOB"], "What did you tell them?": WORDS})

    assert_nothing_made_live(slack, app, acks)
    stored = export(app)
    for kind in ("stands", "requests", "promises", "breakdowns", "breakthroughs", "actions", "shares"):
        assert [row["text"] for row in stored[kind]] == [WORDS], kind
    assert shows_the_words(declared) and shows_the_words(announcement)
    assert shows_the_words(bob_card) and shows_the_words(promised)
    assert shows_the_words(coaching) and shows_the_words(celebration)
    assert buttons(announcement) == ["Join the stand", "Offer help"]


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(
            AS_SLACK_FORMATS,
            id="formatted-by-slack",
        ),
        pytest.param(AS_TYPED, id="typed"),
    ],
)
def test_a_refusal_that_quotes_the_words_pings_no_one(
    slack: SlackStandIn, app: Runtime, acks: list[AppReply], ada: Member, sent: str
) -> None:
    ada.command("/promise", f"Ship it by tomorrow {sent}")
    ada.command("/coach", f"nudge {sent}")
    ada.command("/coach", sent)

    refusals = [seen(m) for m in slack.ephemerals("UADA")]
    assert [r.split("“")[0] for r in refusals] == ["I couldn't read ", "I couldn't read ", "I don't know "]
    # Special mentions and links only: the coach's own menu in the last answer writes `recap <weekday> HH:MM`.
    assert {(where, m) for where, text in everything_sent(slack, acks) for m in pings(text)} == set()
