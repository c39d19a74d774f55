"""Flows for breakdowns and breakthroughs: a breakdown met with coaching and told to the stand's followers (who may
answer with an idea its owner makes a request of), a check-in answered, a breakdown resolved, a breakthrough
celebrated. Each stores in one transaction and owes Slack the rest through the outbox (see handlers.flows)."""

from __future__ import annotations

from bot.coach import Coach, MemberId
from handlers import outbox as ox
from handlers.blocks.breakdowns import (
    build_breakdown_coaching,
    build_breakthrough_celebration,
    build_breakthrough_declared,
    build_breakthrough_for_follower,
)
from handlers.blocks.ideas import (
    build_breakdown_for_follower,
    build_idea_for_owner,
    build_idea_requested,
    build_idea_sent,
)
from handlers.flows import Reply, line, refresh_nudge, send_cards
from storage.models import Breakdown, Ref


def declare_breakdown(coach: Coach, who: MemberId, text: str, *, noticed: int | None = None) -> Reply:
    """`/breakdown`: stored (or, from a check-in, the noticed one put in the member's words), met with coaching."""
    with coach.transaction():
        if noticed is not None:
            breakdown = coach.declare_noticed_breakdown(who, noticed, text)
            coach.tell(ox.questions(who, "breakdown", noticed))  # the check-in's buttons are spent
        else:
            breakdown = coach.declare_breakdown(who, text)
        tell_followers_of_breakdown(coach, breakdown)
    return build_breakdown_coaching(breakdown)


def tell_followers_of_breakdown(coach: Coach, breakdown: Breakdown) -> None:
    """The followers of the member's active stand hear of the breakdown, each with Offer an idea."""
    stand = coach.progress(MemberId(breakdown.team_id, breakdown.user_id)).stand
    if stand is None or stand.id is None:
        return
    for follower in coach.followers(breakdown.team_id, stand.id):
        coach.tell(ox.dm(MemberId(breakdown.team_id, follower), *build_breakdown_for_follower(breakdown, stand)))


def offer_idea(coach: Coach, who: MemberId, breakdown_id: int, text: str) -> Reply:
    """A follower's idea: stored, and owed to the stand's owner with Make it a request."""
    with coach.transaction():
        idea, stand = coach.offer_idea(who, breakdown_id, text)
        coach.tell(ox.dm(MemberId(stand.team_id, stand.user_id), *build_idea_for_owner(idea)))
    return line(build_idea_sent(stand))


def request_from_idea(coach: Coach, who: MemberId, idea_id: int, *, told_at: str | None) -> Reply:
    """The owner's one click: the idea becomes a request of the follower, whose card is owed; the idea's DM (its
    response_url, `told_at`) loses the button."""
    with coach.transaction():
        idea, request = coach.request_from_idea(who, idea_id)
        send_cards(coach, request)
        refresh_nudge(coach, who)
        if told_at:
            coach.tell(ox.respond(who, told_at, *build_idea_for_owner(idea), replace_original=True))
    return line(build_idea_requested(request))


def on_it(coach: Coach, who: MemberId, check_in: int | None) -> Reply:
    """ "I'm on it" to a check-in: the nudge that asked shows the answer, its buttons gone."""
    with coach.transaction():
        if check_in is not None and coach.on_it(who, check_in):
            coach.tell(ox.questions(who, "breakdown", check_in))
    return line("Good. Pick the one request you could make today — and make it.")


def resolve_breakdown(
    coach: Coach,
    who: MemberId,
    breakdown_id: int | None,
    resolution: str,
    *,
    coaching: str | None = None,
) -> Reply:
    """Log what shifted on a breakdown; the coaching it was resolved from (its response_url) shows what shifted."""
    with coach.transaction():
        breakdown = coach.resolve_breakdown(who, breakdown_id, resolution)
        if coaching:
            text, blocks = build_breakdown_coaching(breakdown)
            coach.tell(ox.respond(who, coaching, text, blocks, replace_original=True))
    return line(":seedling: Breakdown resolved. What shifted is worth remembering — the recap will count it.")


def declare_breakthrough(coach: Coach, who: MemberId, text: str) -> Reply:
    """`/breakthrough`: stored, celebrated in the recap channel, and told to the stand's followers."""
    team_id, user_id = who
    with coach.transaction():
        breakthrough, channel = coach.declare_breakthrough(who, text)
        assert breakthrough.id is not None
        if channel:
            post_text, blocks = build_breakthrough_celebration(breakthrough)
            coach.tell(
                ox.post(
                    team_id,
                    channel,
                    post_text,
                    blocks,
                    remember=(Ref.CELEBRATION, breakthrough.id),
                    on_failure=(user_id, f"I couldn't celebrate your breakthrough in <#{channel}> — invite me there."),
                    about=user_id,
                )
            )
        if breakthrough.stand_id is not None:
            coach.tell(ox.questions(who, "stand", breakthrough.stand_id))
            # The stand's followers took it on as their own: its breakthroughs are theirs to hear of first-hand.
            dm_text, dm_blocks = build_breakthrough_for_follower(breakthrough)
            for follower in coach.followers(team_id, breakthrough.stand_id):
                coach.tell(ox.dm(MemberId(team_id, follower), dm_text, dm_blocks))
    return line(build_breakthrough_declared(channel))
