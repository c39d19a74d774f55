"""The demo page's JSON API: what a member's page reads and what it refuses."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from bot.demo import Demo


def call(demo: Demo, path: str, body: object | bytes | None = None) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        demo.url.rstrip("/") + path, data=data, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def test_the_workspace_reads_the_clock_in_the_viewers_zone(demo: Demo) -> None:
    _, tokyo = call(demo, "/api/workspace?as=UDAI")
    _, berlin = call(demo, "/api/workspace?as=UADA")

    assert tokyo["clock"]["text"] == "Mon 23 Nov 2026, 23:00 JST"
    assert berlin["clock"]["text"] == "Mon 23 Nov 2026, 15:00 CET"
    assert [m["name"] for m in berlin["members"]] == ["ada", "bea", "cal", "dai"]
    assert [c["name"] for c in berlin["channels"]] == ["general", "wins"]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/send", b"{not json", 400),
        ("/api/send", [1, 2], 400),
        ("/api/send", {"as": "UNOBODY", "conversation": "C1", "text": "/act x"}, 400),
        ("/api/send", {"as": "UADA", "conversation": "C1", "text": "   "}, 400),
        ("/api/clock", {"as": "UADA", "move": "back_to_the_future"}, 400),
        ("/api/submit", {"as": "UADA", "view_id": "V404", "state": {}}, 400),
        ("/api/press", {"as": "UADA", "conversation": "C1", "ts": "1.000001", "block_id": "b", "action_id": "a"}, 400),
    ],
)
def test_what_a_page_cannot_do_is_refused_with_400_and_changes_nothing(
    demo: Demo, path: str, body: object, status: int
) -> None:
    assert call(demo, path, body)[0] == status
    assert demo.slack.calls("ack") == [] and demo.slack.messages("C1") == []


def test_a_file_that_was_never_uploaded_is_not_found(demo: Demo) -> None:
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(demo.url + "files/F404", timeout=10)
    assert missing.value.code == 404


def test_plus_one_day_moves_the_clock_a_day_and_runs_the_passes(demo: Demo) -> None:
    status, moved = call(demo, "/api/clock", {"as": "UCAL", "move": "plus_day"})

    assert status == 200 and moved["said"].startswith("Tue 24 Nov 14:00 UTC")
    assert call(demo, "/api/workspace?as=UCAL")[1]["clock"]["text"] == "Tue 24 Nov 2026, 09:00 EST"


def test_next_morning_is_the_next_nine_oclock_in_the_zone_of_the_member_who_presses_it(demo: Demo) -> None:
    call(demo, "/api/clock", {"as": "UDAI", "move": "next_morning"})  # 23:00 in Tokyo: tomorrow's 09:00 there
    assert call(demo, "/api/workspace?as=UDAI")[1]["clock"]["text"] == "Tue 24 Nov 2026, 09:00 JST"

    call(demo, "/api/clock", {"as": "UADA", "move": "next_morning"})  # 01:00 in Berlin: today's 09:00 there
    assert call(demo, "/api/workspace?as=UADA")[1]["clock"]["text"] == "Tue 24 Nov 2026, 09:00 CET"
