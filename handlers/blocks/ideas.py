"""Ideas: a stand's breakdown told to its followers with **Offer an idea**, the idea told to the owner with **Make it a
request**, and what the owner's click did."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from handlers.blocks.primitives import Blocks, button, buttons, clip, context, dump, esc, person, section
from handlers.ids import Action, Field, Modal
from handlers.metadata import IdeaForm
from storage.models import Breakdown, Idea, Request, Stand


def build_breakdown_for_follower(breakdown: Breakdown, stand: Stand) -> tuple[str, Blocks]:
    """The DM to a follower of a stand whose owner declared a breakdown: the team stands with the owner."""
    text = f"{person(breakdown.user_id)}, whose stand you joined, declared a breakdown"
    return text, dump(
        [
            section(
                f":construction: {person(breakdown.user_id)}, whose stand you joined, declared a breakdown:\n"
                f">{esc(clip(breakdown.text, 1500))}\nTheir stand: _{esc(clip(stand.text, 500))}_",
                block_id="follower-breakdown",
            ),
            buttons("follower-breakdown-actions", [button("Offer an idea", Action.OFFER_IDEA, str(breakdown.id))]),
            context("A breakdown is not a failure: it is where a fresh idea from someone else can open the way."),
        ]
    )


def build_idea_modal(breakdown: Breakdown) -> dict[str, Any]:
    """A short form: one idea for the owner of the stand, in answer to their breakdown."""
    return View(
        type="modal",
        callback_id=Modal.IDEA,
        title="Offer an idea",
        submit="Send",
        close="Cancel",
        blocks=[
            section(f"{person(breakdown.user_id)}'s breakdown:\n>{esc(clip(breakdown.text, 2000))}"),
            InputBlock(
                block_id=Field.TEXT,
                label="Your idea",
                element=PlainTextInputElement(action_id=Field.TEXT, multiline=True, max_length=2000),
            ),
        ],
        private_metadata=IdeaForm(breakdown=breakdown.id).dump(),
    ).to_dict()


def build_idea_for_owner(idea: Idea) -> tuple[str, Blocks]:
    """The DM to the stand's owner: a follower's idea, and one click to turn it into a request of them."""
    text = f"{person(idea.user_id)} offers an idea for your stand"
    blocks: list[Block] = [
        section(
            f":bulb: {person(idea.user_id)}, who joined your stand, offers an idea:\n>{esc(clip(idea.text, 2000))}",
            block_id="idea",
        )
    ]
    if idea.request_id is None:
        blocks.append(buttons("idea-actions", [button("Make it a request", Action.IDEA_TO_REQUEST, str(idea.id))]))
    else:
        blocks.append(context(f"You asked {person(idea.user_id)} to do it: the request is on its way."))
    return text, dump(blocks)


def build_idea_sent(stand: Stand) -> str:
    """The answer to the follower who offered an idea."""
    return f":bulb: Your idea is on its way to {person(stand.user_id)}. Standing with someone looks like this."


def build_idea_requested(request: Request) -> str:
    """The answer to the owner who turned an idea into a request."""
    return f"Asked {person(request.recipient_id)} to do it. They can accept, decline or counter-offer."
