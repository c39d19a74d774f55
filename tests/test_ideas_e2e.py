"""The team stands with the owner, end to end: a breakdown reaches the stand's followers with **Offer an idea**; the
idea reaches the owner, who turns it into a request of the follower with one click."""

from __future__ import annotations

import pytest

from bot.app import Runtime
from bot.coach import CoachRefusal, MemberId
from standin import Message, SlackStandIn
from tests.e2e import buttons, dm, drained, export, last_ephemeral, modal_answer, seen


def ada_declares_a_breakdown_bob_follows(slack: SlackStandIn) -> Message:
    """Ada takes a stand, Bob joins it, Ada declares a breakdown; the DM Bob gets about it."""
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    slack.click("UBOB", announcement, "Join the stand")
    last_ephemeral(slack, "UBOB", "You joined")
    slack.command("UADA", "/breakdown", "Nobody answers my cold emails")
    last_ephemeral(slack, "UADA", "Breakdown declared")
    return dm(slack, "UBOB", "declared a breakdown")


def bob_offers_an_idea(slack: SlackStandIn, told: Message, idea: str) -> None:
    slack.click("UBOB", told, "Offer an idea")
    form = slack.wait_for(lambda: slack.open_views("UBOB"))[-1]
    slack.submit("UBOB", form, {"Your idea": idea})
    modal_answer(slack, "UBOB", "on its way")


def test_a_breakdown_reaches_the_followers_with_offer_an_idea(slack: SlackStandIn, app: Runtime) -> None:
    told = ada_declares_a_breakdown_bob_follows(slack)

    assert "Nobody answers my cold emails" in seen(told)
    assert buttons(told) == ["Offer an idea"]
    drained(slack, app)
    assert not [m for m in slack.messages("UCY") if "breakdown" in seen(m)]  # Cy does not follow the stand


def test_an_idea_reaches_the_owner_who_turns_it_into_a_request_with_one_click(
    slack: SlackStandIn, app: Runtime
) -> None:
    told = ada_declares_a_breakdown_bob_follows(slack)
    bob_offers_an_idea(slack, told, "Ask <!channel> for warm intros instead")

    idea = dm(slack, "UADA", "offers an idea")
    assert "Ask &lt;!channel&gt; for warm intros instead" in seen(idea) and "<!channel>" not in seen(idea)
    slack.click("UADA", idea, "Make it a request")

    card = dm(slack, "UBOB", "Ask <!channel> for warm intros instead".replace("<", "&lt;").replace(">", "&gt;"))
    assert {"Accept", "Decline"} <= set(buttons(card))
    [request] = export(app)["requests"]
    assert (request["user_id"], request["recipient_id"], request["text"]) == (
        "UADA",
        "UBOB",
        "Ask <!channel> for warm intros instead",
    )
    [stored] = export(app)["ideas"]
    assert stored["request_id"] == request["id"]
    rewritten = dm(slack, "UADA", "the request is on its way")
    assert buttons(rewritten) == []


def test_an_idea_becomes_one_request_however_often_it_is_clicked(slack: SlackStandIn, app: Runtime) -> None:
    told = ada_declares_a_breakdown_bob_follows(slack)
    bob_offers_an_idea(slack, told, "Warm intros")
    idea = dm(slack, "UADA", "offers an idea")

    slack.click("UADA", idea, "Make it a request")
    slack.click("UADA", idea, "Make it a request")  # the stale copy, pressed again

    assert "already a request" in seen(last_ephemeral(slack, "UADA", "already a request"))
    assert len(export(app)["requests"]) == 1


def test_only_a_follower_can_offer_an_idea_and_only_the_owner_can_make_it_a_request(
    slack: SlackStandIn, app: Runtime
) -> None:
    ada_declares_a_breakdown_bob_follows(slack)
    [breakdown] = export(app)["breakdowns"]

    with pytest.raises(CoachRefusal, match="join it first"):
        app.coach.offer_idea(MemberId("T1", "UCY"), breakdown["id"], "I don't follow it")
    idea, _ = app.coach.offer_idea(MemberId("T1", "UBOB"), breakdown["id"], "Warm intros")
    assert idea.id is not None
    with pytest.raises(CoachRefusal, match="couldn't find that idea"):
        app.coach.request_from_idea(MemberId("T1", "UCY"), idea.id)
    assert export(app)["requests"] == []
    assert [i["user_id"] for i in export(app)["ideas"]] == ["UBOB"]
