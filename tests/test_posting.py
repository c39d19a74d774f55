"""The paced poster against the stand-in for Slack: the pace reached without 429s, Retry-After honoured for the
poster's workspace only, server errors and dropped connections retried, refusals raised, any bulk method."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.posting import FIRST_LANES, PacedPoster, PostFailed, RateLimited, Stopping
from handlers.web_client import KeepAliveWebClient
from standin import SlackStandIn
from tests import support


def web(slack: SlackStandIn, kind: type[WebClient] = WebClient) -> WebClient:
    """A Web API client for the stand-in, with no retry handlers of its own: the poster does the retrying."""
    return kind(token=support.BOT_TOKEN, base_url=slack.api_url, timeout=5, retry_handlers=[])


# slack_sdk's own client, and ours with kept connections, which sends chat.postMessage and chat.update its own
# leaner way (`KeepAliveWebClient.call_json`): the poster must see the same answers and errors from both.
both_clients = pytest.mark.parametrize("kind", [WebClient, KeepAliveWebClient], ids=["WebClient", "KeepAlive"])


def most_in_one_second(times: list[float]) -> int:
    """The most of `times` that fall in any one-second window, as Slack counts them."""
    ordered = sorted(times)
    return max((sum(1 for t in ordered[i:] if t < start + 1.0) for i, start in enumerate(ordered)), default=0)


def test_the_window_holds_the_whole_rate_and_the_margin_stretches_it() -> None:
    client = WebClient(token=support.BOT_TOKEN)

    at_twenty, exactly, slow = PacedPoster(client, 20), PacedPoster(client, 20, margin=0), PacedPoster(client, 0.5)

    assert at_twenty.burst == 20 and at_twenty.window == pytest.approx(1.04)  # 19.2 a second on average: 96%
    assert exactly.burst == 20 and exactly.window == 1.0
    assert slow.burst == 1 and slow.window == pytest.approx(2.04)
    assert PacedPoster(client, 20.5).burst == 20  # Slack's windows hold whole posts
    with pytest.raises(ValueError):
        PacedPoster(client, 0)


@both_clients
def test_a_burst_at_the_limit_reaches_the_rate_without_a_single_429(slack: SlackStandIn, kind: type[WebClient]) -> None:
    rate, count = 20, 41  # a burst of 20 at once, 20 more a window later, the last one two windows in
    slack.rate_limit(rate)
    poster = PacedPoster(web(slack, kind), rate)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda n: poster.post_message(channel="UBOB", text=f"nudge {n}"), range(count)))
    elapsed = time.monotonic() - started

    posts = slack.calls("chat.postMessage")
    assert [call.error for call in posts if not call.ok] == []
    assert len(posts) == len(responses) == len(slack.messages("UBOB")) == count
    assert 2 * poster.window <= elapsed < 2 * poster.window + 0.8  # ~ count / rate: the pace, not a crawl
    assert most_in_one_second([call.at for call in posts]) <= rate


def test_a_steady_round_trip_costs_no_pace(slack: SlackStandIn) -> None:
    slack.latency = 0.3  # Slack far away, but always as far
    poster = PacedPoster(web(slack), 2)  # two in any 1.04 s

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: poster.post_message(channel="UBOB", text=f"nudge {n}"), range(4)))

    counted = sorted(call.at for call in slack.calls("chat.postMessage"))
    # The third goes a window after the first was sent, not a window after it was answered (0.3 s later).
    assert 1.0 <= counted[2] - counted[0] < poster.window + 0.2
    assert most_in_one_second(counted) <= 2


@both_clients
def test_a_429_is_tried_again_after_its_retry_after_and_the_post_lands_once(
    slack: SlackStandIn, kind: type[WebClient]
) -> None:
    slack.fail("chat.postMessage", "ratelimited", retry_after=1)
    poster = PacedPoster(web(slack, kind), 20)

    response = poster.post_message(channel="UBOB", text="Your stand today?")

    limited, posted = slack.calls("chat.postMessage")
    assert (limited.error, posted.error) == ("ratelimited", None)
    assert posted.at - limited.at >= 1.0
    assert [m.ts for m in slack.messages("UBOB")] == [response["ts"]]


@both_clients
def test_a_429_pauses_every_call_of_that_poster_but_not_another_workspaces(
    slack: SlackStandIn, kind: type[WebClient]
) -> None:
    slack.fail("chat.postMessage", "ratelimited", retry_after=2)
    poster, other_workspace = PacedPoster(web(slack, kind), 20), PacedPoster(web(slack, kind), 20)

    with pytest.raises(RateLimited) as limited:
        poster.post_message(channel="UBOB", text="first", attempts=1)
    with pytest.raises(RateLimited) as still_paused:
        poster.call("chat.postMessage", channel="UCY", text="second", attempts=1)
    other_workspace.post_message(channel="UCY", text="elsewhere", attempts=1)

    assert limited.value.retry_after == 2.0
    assert 1.0 < still_paused.value.retry_after <= 2.0
    assert [(c.args["text"], c.error) for c in slack.calls("chat.postMessage")] == [
        ("first", "ratelimited"),
        ("elsewhere", None),
    ]


@both_clients
def test_a_server_error_is_tried_again_and_the_post_lands_once(slack: SlackStandIn, kind: type[WebClient]) -> None:
    slack.fail("chat.postMessage", "internal_error", status=500)
    poster = PacedPoster(web(slack, kind), 20)

    poster.post_message(channel="UBOB", text="Your stand today?")

    assert [c.error for c in slack.calls("chat.postMessage")] == ["internal_error", None]
    assert len(slack.messages("UBOB")) == 1


@both_clients
def test_a_dropped_connection_is_tried_again_and_the_post_lands_once(
    slack: SlackStandIn, kind: type[WebClient]
) -> None:
    slack.fail("chat.postMessage", "connection_reset")
    poster = PacedPoster(web(slack, kind), 20)

    poster.post_message(channel="UBOB", text="Your stand today?")

    assert [c.error for c in slack.calls("chat.postMessage")] == ["connection_reset", None]
    assert len(slack.messages("UBOB")) == 1


@both_clients
def test_with_one_attempt_a_server_error_comes_back_at_once(slack: SlackStandIn, kind: type[WebClient]) -> None:
    slack.fail("chat.postMessage", "internal_error", status=500)
    poster = PacedPoster(web(slack, kind), 20)

    started = time.monotonic()
    with pytest.raises(PostFailed) as failed:
        poster.call("chat.postMessage", channel="UBOB", text="Your stand today?", attempts=1)

    assert time.monotonic() - started < 0.5  # no backoff: the caller schedules its own retry
    assert not isinstance(failed.value, RateLimited) and failed.value.retry_after is None
    assert len(slack.calls("chat.postMessage")) == 1


@both_clients
def test_retries_run_out_as_post_failed(slack: SlackStandIn, kind: type[WebClient]) -> None:
    slack.fail("chat.postMessage", "service_unavailable", times=2, status=503)
    poster = PacedPoster(web(slack, kind), 20, attempts=2)

    with pytest.raises(PostFailed, match="after 2 attempts"):
        poster.post_message(channel="UBOB", text="Your stand today?")

    assert [c.error for c in slack.calls("chat.postMessage")] == ["service_unavailable"] * 2


@both_clients
def test_a_permanent_refusal_is_raised_and_not_tried_again(slack: SlackStandIn, kind: type[WebClient]) -> None:
    poster = PacedPoster(web(slack, kind), 20)

    with pytest.raises(SlackApiError) as refused:
        poster.post_message(channel="CNOWHERE", text="Your stand today?")

    assert refused.value.response["error"] == "channel_not_found"
    assert len(slack.calls("chat.postMessage")) == 1


@both_clients
def test_chat_update_goes_through_the_same_pace(slack: SlackStandIn, kind: type[WebClient]) -> None:
    poster = PacedPoster(web(slack, kind), 20)
    posted = poster.post_message(channel="CGENERAL", text="Ada declared a stand")

    poster.call("chat.update", channel=posted["channel"], ts=posted["ts"], text="Ada declared a stand (2 following)")

    [message] = slack.messages("CGENERAL")
    assert (message.text, message.updates) == ("Ada declared a stand (2 following)", 1)


def test_views_publish_goes_through_the_same_pace(slack: SlackStandIn) -> None:
    poster = PacedPoster(web(slack), 20)
    view = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your stand"}}]}

    poster.call("views.publish", user_id="UBOB", view=view)

    home = slack.home("UBOB")
    assert home is not None and home.blocks[0]["text"]["text"] == "Your stand"


def test_nothing_is_sent_once_stopping_and_a_waiting_call_is_released(slack: SlackStandIn) -> None:
    stop = threading.Event()
    slack.fail("chat.postMessage", "ratelimited", retry_after=30)
    poster = PacedPoster(web(slack), 20, stop=stop)
    outcome: list[BaseException] = []

    def post() -> None:
        try:
            poster.post_message(channel="UBOB", text="Your stand today?")
        except PostFailed as error:
            outcome.append(error)

    waiting = threading.Thread(target=post)
    waiting.start()
    slack.wait_for(lambda: slack.calls("chat.postMessage") or None)  # the 429 is in: the poster waits 30 s
    stop.set()
    waiting.join(timeout=2)

    assert not waiting.is_alive() and [type(e) for e in outcome] == [Stopping]
    with pytest.raises(Stopping):
        poster.call("chat.update", channel="CGENERAL", ts="1.0", text="late")
    assert [c.method for c in slack.calls()] == ["chat.postMessage"]


def test_a_poster_keeps_as_many_calls_in_flight_as_its_pace_needs_at_slacks_latency(slack: SlackStandIn) -> None:
    near, far = PacedPoster(web(slack), 20), PacedPoster(web(slack), 20)
    assert near.lanes() == far.lanes() == FIRST_LANES  # nothing answered yet

    for n in range(3):  # the quickest of three: a loaded machine may slow one
        near.post_message(channel="UBOB", text=f"on loopback {n}")
    slack.latency = 0.15  # Slack as far as from another continent
    far.post_message(channel="UBOB", text="far away")

    assert near.lanes() == 2  # a round trip of a few ms: two keep 20 a second, with one spare
    assert 13 <= far.lanes() <= 14  # a window's burst of 20 out within a quarter second, 0.15 s each
