"""Members' words are shown as typed everywhere the app posts them, top-level text included: never a live @channel,
@here, @everyone, user group or disguised link; a person Slack linked stays a live mention."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.coach import FollowedStand, Progress, RequestMoved, Status
from bot.coach.follow_ups import DueFollowUp
from bot.coach.nudges import NudgeContent, Theme
from bot.coach.recaps import DueWeeklyLine
from bot.coach.rules import Practice, RequestMove, Role
from bot.coach.weeks import ParticipantWeek, StandFollowers, WeekSummary
from handlers.blocks.breakdowns import (
    build_breakdown_coaching,
    build_breakthrough_celebration,
    build_breakthrough_for_follower,
)
from handlers.blocks.follow_ups import build_follow_up, build_requester_told
from handlers.blocks.home import build_home, build_status
from handlers.blocks.modals import (
    build_close_stand_modal,
    build_counter_modal,
    build_offer_modal,
    build_renegotiate_modal,
    build_resolve_modal,
)
from handlers.blocks.nudges import build_nudge
from handlers.blocks.practice import build_practice_logged
from handlers.blocks.primitives import clip_markup, esc, quote, section
from handlers.blocks.promises import build_promise_made, build_renegotiation_answered, build_renegotiation_question
from handlers.blocks.recaps import FOLLOWED_STANDS_SHOWN, build_weekly_line_for_follower, build_weekly_recap
from handlers.blocks.requests import build_request_card, build_request_notice
from handlers.blocks.stands import build_stand_announcement, build_stand_conflict, build_stand_declared
from storage.models import (
    Breakdown,
    Breakthrough,
    FollowUpKind,
    FollowUpStage,
    Promise,
    PromiseStatus,
    Renegotiation,
    RenegotiationStatus,
    Request,
    RequestStatus,
    Stand,
)

TODAY = date(2026, 12, 2)
NOON = datetime(2026, 12, 2, 12, tzinfo=UTC)

# What a member's stored words may hold (the parser has undone Slack's escaping once), and what the app must send
# in its place: the same characters, escaped so Slack shows them rather than acting on them.
HOSTILE = [
    pytest.param("<!channel>", "&lt;!channel&gt;", id="channel"),
    pytest.param("<!here>", "&lt;!here&gt;", id="here"),
    pytest.param("<!everyone>", "&lt;!everyone&gt;", id="everyone"),
    pytest.param("<!subteam^S1|@eng>", "&lt;!subteam^S1|@eng&gt;", id="user-group"),
    pytest.param("<!date^1392734382^{date}|Feb 18>", "&lt;!date^1392734382^{date}|Feb 18&gt;", id="date"),
    pytest.param("<https://evil.example|click>", "&lt;https://evil.example|click&gt;", id="disguised-link"),
    pytest.param("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;", id="typed-escape"),
    pytest.param("a & b", "a &amp; b", id="ampersand"),
    pytest.param("<@UBOB|<!channel>>", "&lt;@UBOB|&lt;!channel&gt;&gt;", id="mention-hiding-a-ping"),
    pytest.param("<@UBOB|bob>", "<@UBOB|bob>", id="person-kept"),
]

# Every <…> the app may send: a person or a channel, written by Slack or by the coach itself.
LIVE_MENTION = re.compile(r"<[@#][UWCG][A-Z0-9]+(?:\|[^<>]*)?>")


@dataclass(frozen=True)
class Sent:
    """What one builder sends: the top-level text (None for a view) and every text string in its blocks."""

    text: str | None
    texts: list[str]


def texts(blocks: Any) -> Iterator[str]:
    """Every `text` string in blocks or a view, however deep (input values are the member's own to edit)."""
    if isinstance(blocks, dict):
        for key, value in blocks.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(blocks, list):
        for item in blocks:
            yield from texts(item)


def message(built: tuple[str, Any]) -> Sent:
    return Sent(built[0], list(texts(built[1])))


def view(built: dict[str, Any]) -> Sent:
    return Sent(None, list(texts(built)))


# Things that carry a member's words ------------------------------------------------------------------------


def stand(words: str, **changes: Any) -> Stand:
    return Stand(
        id=1,
        team_id="T1",
        user_id="UADA",
        text=words,
        due_on=date(2026, 12, 31),
        program_started_on=TODAY,
        channel_id="CGENERAL",
        created_at=NOON,
        **changes,
    )


def request(
    words: str,
    status: RequestStatus = RequestStatus.OPEN,
    *,
    offered: bool = False,
    counter: bool = False,
    asked_by: str = "UADA",
    asked: str = "UBEN",
) -> Request:
    return Request(
        id=7,
        team_id="T1",
        user_id=asked_by,
        recipient_id=asked,
        text=words,
        due_on=date(2026, 12, 4),
        status=status,
        offered=offered,
        counter_text=words if counter else None,
        counter_due_on=date(2026, 12, 8) if counter else None,
        promise_status=PromiseStatus.OPEN if status == RequestStatus.ACCEPTED else None,
        local_date=TODAY,
        created_at=NOON,
        updated_at=NOON,
    )


def promise(words: str) -> Promise:
    return Promise(id=3, team_id="T1", user_id="UADA", text=words, due_on=TODAY, created_at=NOON, updated_at=NOON)


def breakthrough(words: str) -> Breakthrough:
    return Breakthrough(id=5, team_id="T1", user_id="UADA", text=words, stand_id=1, created_at=NOON)


def breakdown(words: str) -> Breakdown:
    return Breakdown(id=4, team_id="T1", user_id="UADA", text=words, created_at=NOON)


def renegotiation(status: RenegotiationStatus) -> Renegotiation:
    return Renegotiation(
        id=9,
        team_id="T1",
        request_id=7,
        user_id="UBEN",
        old_due_on=date(2026, 12, 4),
        new_due_on=date(2026, 12, 11),
        asked_on=TODAY,
        status=status,
        created_at=NOON,
    )


def progress(words: str) -> Progress:
    return Progress(
        today=TODAY,
        stand=stand(words),
        day=3,
        today_practice=Practice(shares=1, actions=2, requests=0),
        week_practice=Practice(shares=4, actions=5, requests=3),
    )


def status(words: str) -> Status:
    return Status(
        user_id="UADA",
        progress=progress(words),
        followers=["UBEN"],
        made=[request(words)],
        received=[request(words, RequestStatus.ACCEPTED, asked_by="UCAL", asked="UADA")],
        promises=[promise(words)],
        nudge_time="08:30",
        weekends=False,
        paused=False,
        following=[FollowedStand(stand_id=2, owner_id="UCAL", text=words, day=4)],
    )


def follow_up(kind: str, stage: str) -> DueFollowUp:
    return DueFollowUp(
        team_id="T1", user_id="UBEN", kind=FollowUpKind(kind), item_id=7, stage=FollowUpStage(stage), local_date=TODAY
    )


def nudge(words: str) -> NudgeContent:
    return NudgeContent(
        team_id="T1",
        user_id="UADA",
        local_date=TODAY,
        progress=progress(words),
        theme=Theme(title="Share your goals broadly", prompt="Tell two people today."),
        promises_due=[promise(words)],
        requests_due=[request(words, RequestStatus.ACCEPTED)],
        check_in=words,
        check_in_id=4,
    )


def recap(words: str) -> Sent:
    week = ParticipantWeek("UADA", 2, 3, 1, 0, 0)
    summary = WeekSummary(
        team_id="T1",
        week_start=date(2026, 11, 23),
        week_end=date(2026, 11, 29),
        participants=[week],
        shares=2,
        actions=3,
        requests=1,
        share_target=10,
        action_target=10,
        request_target=10,
        stands_declared=[("UADA", words)],
        joined=[("UBEN", "UADA")],
        breakthroughs=[("UADA", words)],
        breakdowns_met=1,
        requests_made=1,
        requests_accepted=0,
        requests_completed=0,
        longest_streaks=[],
        # More stands than the message shows, so the thread lists them too.
        stands=[
            StandFollowers(stand_id=n, owner_id=f"U{n}", text=words, followers=n, first_follower="UBEN")
            for n in range(FOLLOWED_STANDS_SHOWN + 2)
        ],
    )
    text, blocks, replies = build_weekly_recap(summary)
    thread = [line for reply_text, reply_blocks in replies for line in (reply_text, *texts(reply_blocks))]
    return Sent(text, [*texts(blocks), *thread])


def weekly_line(words: str) -> DueWeeklyLine:
    return DueWeeklyLine(
        team_id="T1",
        follower_id=1,
        user_id="UBEN",
        stand_id=1,
        owner_id="UADA",
        stand_text=words,
        week_start=date(2026, 11, 23),
        local_date=TODAY,
        week=ParticipantWeek("UADA", 2, 3, 1, 0, 0),
    )


# Every builder that carries a member's words, and whether its top-level text quotes them ---------------------

Build = Callable[[str], Sent]


def _cards() -> list[Any]:
    cards = []
    for state in RequestStatus:
        for viewer in Role:
            for offered in (False, True):
                kind = "offer" if offered else "request"

                def build(
                    words: str, state: RequestStatus = state, viewer: Role = viewer, offered: bool = offered
                ) -> Sent:
                    return message(build_request_card(request(words, state, offered=offered, counter=True), viewer))

                cards.append(pytest.param(build, True, id=f"{kind}-card-{state}-to-{viewer}"))
    return cards


def _notices() -> list[Any]:
    notices = []
    for move in RequestMove:
        for offered in (False, True):

            def build(words: str, move: RequestMove = move, offered: bool = offered) -> Sent:
                moved = RequestMoved(request(words, offered=offered), RequestStatus.OPEN, move, Role.RECIPIENT)
                notice = build_request_notice(moved, "UBEN")
                return Sent(notice, [notice])  # a DM without blocks: its text is what is shown

            notices.append(pytest.param(build, True, id=f"notice-{move}{'-offer' if offered else ''}"))
    return notices


def _renegotiations() -> list[Any]:
    questions = []
    for state in RenegotiationStatus:

        def build(words: str, state: RenegotiationStatus = state) -> Sent:
            return message(build_renegotiation_question(renegotiation(state), request(words, RequestStatus.ACCEPTED)))

        questions.append(pytest.param(build, True, id=f"renegotiation-question-{state}"))
    return questions


def _follow_ups() -> list[Any]:
    stages = [
        ("stand", "eve", stand),
        ("request", "reminder", request),
        *[("promise", stage, promise) for stage in ("due", "overdue", "broken")],
        *[
            ("request", stage, lambda words: request(words, RequestStatus.ACCEPTED))
            for stage in ("due", "overdue", "broken")
        ],
    ]
    follow_ups = []
    for kind, stage, item in stages:

        def build(words: str, kind: str = kind, stage: str = stage, item: Any = item) -> Sent:
            return message(build_follow_up(follow_up(kind, stage), item(words)))

        follow_ups.append(pytest.param(build, True, id=f"follow-up-{kind}-{stage}"))
    return follow_ups


BUILDERS = [
    pytest.param(lambda w: message(build_practice_logged("Action logged.", progress(w))), False, id="practice-logged"),
    pytest.param(
        lambda w: message(build_stand_declared(stand(w), announced_in="CGENERAL", replaced=stand(w))),
        True,
        id="stand-declared",
    ),
    pytest.param(lambda w: message(build_stand_announcement(stand(w), [])), True, id="stand-announcement"),
    pytest.param(
        lambda w: message(build_stand_announcement(stand(w), ["UBEN", "UCAL"])), True, id="stand-announcement-joined"
    ),
    pytest.param(lambda w: message(build_stand_conflict(stand(w), 2, w)), False, id="stand-conflict"),
    *_cards(),
    *_notices(),
    *_renegotiations(),
    pytest.param(
        lambda w: message(
            build_renegotiation_answered(
                renegotiation(RenegotiationStatus.ACCEPTED), request(w, RequestStatus.ACCEPTED), agree=True
            )
        ),
        True,
        id="renegotiation-agreed",
    ),
    pytest.param(
        lambda w: message(
            build_renegotiation_answered(
                renegotiation(RenegotiationStatus.DECLINED), request(w, RequestStatus.ACCEPTED), agree=False
            )
        ),
        True,
        id="renegotiation-kept",
    ),
    pytest.param(lambda w: message(build_promise_made(promise(w))), True, id="promise-made"),
    pytest.param(lambda w: message(build_breakdown_coaching(breakdown(w))), False, id="breakdown-coaching"),
    pytest.param(lambda w: message(build_breakthrough_celebration(breakthrough(w))), True, id="breakthrough"),
    pytest.param(
        lambda w: message(build_breakthrough_for_follower(breakthrough(w))), False, id="breakthrough-to-follower"
    ),
    pytest.param(lambda w: message(build_status(status(w))), True, id="status"),
    pytest.param(lambda w: view(build_home(status(w))), False, id="home"),
    pytest.param(lambda w: view(build_counter_modal(request(w))), False, id="counter-modal"),
    pytest.param(lambda w: view(build_offer_modal(stand(w))), False, id="offer-modal"),
    pytest.param(lambda w: view(build_close_stand_modal(stand(w))), False, id="close-stand-modal"),
    pytest.param(lambda w: view(build_resolve_modal(breakdown(w))), False, id="resolve-modal"),
    *_follow_ups(),
    pytest.param(lambda w: view(build_renegotiate_modal(promise(w))), False, id="renegotiate-modal"),
    pytest.param(
        lambda w: message(build_requester_told(request(w, RequestStatus.ACCEPTED), "reminder")),
        True,
        id="requester-told-reminder",
    ),
    pytest.param(
        lambda w: message(build_requester_told(request(w, RequestStatus.CANCELLED), "broken")),
        True,
        id="requester-told-broken",
    ),
    pytest.param(lambda w: message(build_nudge(nudge(w))), False, id="nudge-with-check-in-and-due"),
    pytest.param(recap, False, id="weekly-recap-and-thread"),
    pytest.param(lambda w: message(build_weekly_line_for_follower(weekly_line(w))), True, id="weekly-line"),
]


@pytest.mark.parametrize(("typed", "shown"), HOSTILE)
@pytest.mark.parametrize(("build", "quoted_in_text"), BUILDERS)
def test_members_words_are_sent_as_typed_and_never_made_live(
    build: Build, quoted_in_text: bool, typed: str, shown: str
) -> None:
    sent = build(f"Sign partners {typed} today")

    everything = [sent.text, *sent.texts] if sent.text is not None else sent.texts
    for text in everything:
        assert "<!" not in text
        assert "<http" not in text
        assert [m for m in re.findall(r"<[^<>]*>?", text) if not LIVE_MENTION.fullmatch(m)] == []
        assert re.search(r"&(?!amp;|lt;|gt;)", text) is None  # every & begins an entity: nothing is half-escaped
    assert any(f"Sign partners {shown} today" in text for text in sent.texts)
    if quoted_in_text:
        assert sent.text is not None and f"Sign partners {shown} today" in sent.text


# The one function, and the cuts around it -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("<!channel> <!here>", "&lt;!channel&gt; &lt;!here&gt;"),
        ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),
        ("Q&A <3 > 2", "Q&amp;A &lt;3 &gt; 2"),
        ("ask <@UBOB|bob> and <@W123>", "ask <@UBOB|bob> and <@W123>"),
        ("in <#C1|general> or <#G2>", "in <#C1|general> or <#G2>"),
        ("<@UBOB|bob & co>", "<@UBOB|bob &amp; co>"),
        ("<#C1|general> <!channel>", "<#C1|general> &lt;!channel&gt;"),
        ("<@bob> <@B123> <#D1>", "&lt;@bob&gt; &lt;@B123&gt; &lt;#D1&gt;"),
        ("<mailto:a@b.example|a@b.example>", "&lt;mailto:a@b.example|a@b.example&gt;"),
    ],
)
def test_esc_escapes_everything_but_a_person_or_a_channel(typed: str, sent: str) -> None:
    assert esc(typed) == sent


def test_quote_clips_before_escaping_so_no_entity_is_cut() -> None:
    assert quote("&" * 10, 5) == "&amp;&amp;&amp;&amp;…"


def test_a_section_cut_never_leaves_half_an_entity_or_an_open_mention() -> None:
    assert clip_markup("ab &amp; cd", 6) == "ab…"
    assert clip_markup("ab <@UBOB> cd", 8) == "ab…"
    assert section("x" * 2997 + "&lt;!channel&gt;").to_dict()["text"]["text"].endswith("x…")
