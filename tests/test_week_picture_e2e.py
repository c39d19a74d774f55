"""The week as a picture, end to end: the weekly recap's chart uploaded into its thread, and a member's own week
from `/coach status`, each a PNG drawn from what was recorded (its bars measured in pixels), with its figures in
words for screen readers."""

from __future__ import annotations

import io

from PIL import Image

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.recaps import Recaps
from handlers.charts import ACT_COLOUR, READING_COLOUR, SHARE_COLOUR
from handlers.jobs import recap_pass
from standin import SlackStandIn
from standin.model import Message, UploadedFile
from tests import support
from tests.e2e import drained, last_ephemeral
from tests.support import at

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def bars(png: bytes, colour: str) -> list[tuple[int, int]]:
    """(left edge, height) in pixels of each bar drawn in `colour`, left to right: the runs of that colour that stand
    on the chart's baseline (a legend's swatch of the same colour floats above it and is left out)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    wanted = bytes.fromhex(colour[1:])
    data = image.tobytes()
    columns: dict[int, tuple[int, int]] = {}  # x: (pixels of the colour, lowest y among them)
    for x in range(width):
        ys = [y for y in range(height) if data[3 * (y * width + x) : 3 * (y * width + x) + 3] == wanted]
        if ys:
            columns[x] = (len(ys), max(ys))
    runs: list[list[int]] = []
    for x in sorted(columns):
        if runs and x == runs[-1][-1] + 1:
            runs[-1].append(x)
        else:
            runs.append([x])
    if not runs:
        return []
    found = [(run[0], max(columns[x][0] for x in run), max(columns[x][1] for x in run)) for run in runs]
    baseline = max(bottom for _, _, bottom in found)
    return [(left, tall) for left, tall, bottom in found if baseline - bottom <= 1]


def assert_heights_follow(measured: list[tuple[int, int]], counts: list[int]) -> None:
    """The bars stand in the order of the days and their heights keep the ratios of the counts (to a pixel or two)."""
    drawn = [count for count in counts if count]
    assert len(measured) == len(drawn), (measured, counts)
    unit = measured[0][1] / drawn[0]
    for (_, tall), count in zip(measured, drawn, strict=True):
        assert abs(tall - count * unit) <= 2, (measured, counts)


def practise(slack: SlackStandIn, clock: FixedClock, instant: str, user: str, *, acts: int, shares: int = 0) -> None:
    """`user` logs `acts` actions and `shares` shares (each telling the other member) at `instant`."""
    clock.set(at(instant))
    for number in range(acts):
        slack.command(user, "/act", f"step {number} toward the stand")
        last_ephemeral(slack, user, "Action logged")
    other = "UBOB" if user == "UADA" else "UADA"
    for _ in range(shares):
        slack.command(user, "/share", f"<@{other}|someone> told them about the stand")
        last_ephemeral(slack, user, "Shared with")


def a_week_of_the_team(slack: SlackStandIn, clock: FixedClock) -> None:
    """Week of Mon 23 November: Ada (Berlin) declares a measured stand and records it twice; she and Bob (New York)
    practise on four days. Each afternoon in Berlin is the same day's morning in New York."""
    clock.set(at("2026-11-23T07:00:00Z"))
    slack.command("UADA", "/stand", "80 sign-ups by 2026-12-04 (from 40)", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    slack.command("UADA", "/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "weekly recap")
    practise(slack, clock, "2026-11-23T15:00:00Z", "UADA", acts=2, shares=2)
    practise(slack, clock, "2026-11-23T15:10:00Z", "UBOB", acts=1)
    practise(slack, clock, "2026-11-24T15:00:00Z", "UADA", acts=1, shares=1)
    clock.set(at("2026-11-24T15:30:00Z"))
    slack.command("UADA", "/progress", "50")
    last_ephemeral(slack, "UADA", "Recorded")
    practise(slack, clock, "2026-11-26T15:00:00Z", "UADA", acts=2, shares=3)
    practise(slack, clock, "2026-11-26T15:10:00Z", "UBOB", acts=2, shares=1)
    practise(slack, clock, "2026-11-27T15:00:00Z", "UBOB", acts=3)
    clock.set(at("2026-11-27T15:30:00Z"))
    slack.command("UADA", "/progress", "58")
    last_ephemeral(slack, "UADA", "Recorded: *58*")


def the_chart(slack: SlackStandIn, channel: str) -> UploadedFile:
    [upload] = slack.wait_for(lambda: [f for f in slack.files(channel) if f.filename.endswith(".png")])
    assert upload.content.startswith(PNG_SIGNATURE)
    return upload


def test_the_recap_carries_the_weeks_chart_in_its_thread_drawn_from_the_weeks_figures(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_week_of_the_team(slack, clock)
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))

    report = recap_pass(Recaps(app.coach), poster, at("2026-11-30T08:05:00Z"))

    assert report.failed == 0
    recap = next(m for m in slack.messages("CWINS") if "Week of" in m.text or "week" in m.text.lower())
    upload = the_chart(slack, "CWINS")
    assert upload.thread_ts == recap.ts
    assert upload.filename == "week-2026-11-23.png"
    # Mon 23 to Sun 29: the team's actions and shares as recorded, each day's bar in proportion.
    assert_heights_follow(bars(upload.content, ACT_COLOUR), [3, 1, 0, 4, 3, 0, 0])
    assert_heights_follow(bars(upload.content, SHARE_COLOUR), [2, 1, 0, 4, 0, 0, 0])
    assert bars(upload.content, READING_COLOUR) != []  # Ada's line is drawn (its markers and line)
    # Two members practising on weekdays: a target of 4 each; none on the weekend.
    words = upload.alt_txt
    assert "Mon 23 2/3/0 of 4 each; Tue 24 1/1/0 of 4 each; Wed 25 0/0/0 of 4 each" in words
    assert "Sat 28 0/0/0; Sun 29 0/0/0" in words
    assert "sign-ups: 58 of 80 by 04 Dec" in words
    assert Image.open(io.BytesIO(upload.content)).text["Description"] == words  # type: ignore[attr-defined]


def test_a_recap_of_a_week_with_nothing_to_draw_carries_no_chart(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T07:00:00Z"))
    slack.command("UADA", "/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "weekly recap")
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))

    recap_pass(Recaps(app.coach), poster, at("2026-11-30T08:05:00Z"))
    drained(slack, app)

    assert slack.messages("CWINS") != []
    assert slack.files() == []


def test_a_chart_slack_refuses_for_a_moment_is_sent_again_not_lost(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_week_of_the_team(slack, clock)
    slack.fail("files.getUploadURLExternal", "internal_error", status=500, times=1)
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))

    recap_pass(Recaps(app.coach), poster, at("2026-11-30T08:05:00Z"))

    upload = the_chart(slack, "CWINS")
    assert [c.method for c in slack.calls()].count("files.getUploadURLExternal") == 2
    assert_heights_follow(bars(upload.content, ACT_COLOUR), [3, 1, 0, 4, 3, 0, 0])


def adas_status_on_friday(slack: SlackStandIn, clock: FixedClock) -> Message:
    """The team's week up to Friday afternoon, and Ada's `/coach status` then (its **My week in a picture** button)."""
    a_week_of_the_team(slack, clock)
    clock.set(at("2026-11-27T16:00:00Z"))
    slack.command("UADA", "/coach", "status")
    return last_ephemeral(slack, "UADA", "Day 5 of 14")


def test_a_member_gets_their_own_week_as_a_picture_from_coach_status(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    status = adas_status_on_friday(slack, clock)

    slack.click("UADA", status, "My week in a picture")

    assert "on its way" in last_ephemeral(slack, "UADA", "as a picture").text
    upload = the_chart(slack, "UADA")
    assert upload.filename == "week-2026-11-23-UADA.png"
    # Ada alone: Monday 2, Tuesday 1, Thursday 2 actions; shares 2, 1, 3; Friday not yet practised.
    assert_heights_follow(bars(upload.content, ACT_COLOUR), [2, 1, 0, 2, 0, 0, 0])
    assert_heights_follow(bars(upload.content, SHARE_COLOUR), [2, 1, 0, 3, 0, 0, 0])
    assert upload.alt_txt.startswith("Your week so far. Share/act/request by day: Mon 23 2/2/0 of 2 each")
    assert "Sat 28 0/0/0; Sun 29 0/0/0" in upload.alt_txt  # days not yet lived have no target


def test_a_members_picture_slack_refuses_for_a_moment_is_uploaded_again_under_its_one_line(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    status = adas_status_on_friday(slack, clock)
    slack.fail("files.getUploadURLExternal", "internal_error", status=500, times=1)

    slack.click("UADA", status, "My week in a picture")

    upload = the_chart(slack, "UADA")
    assert upload.filename == "week-2026-11-23-UADA.png"
    assert [c.ok for c in slack.calls("files.getUploadURLExternal")] == [False, True]
    lines = [m for m in slack.messages("UADA") if m.text == "Your week so far, in a picture:"]
    assert len(lines) == 1, "the line before the picture is posted once, however often the upload is tried"
