"""Every form the coach opens: the one behind each bare command, and those a button opens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.coach import FollowedStand
from handlers.blocks.primitives import clip, context, esc, person, section, when
from handlers.ids import Field, Modal
from handlers.metadata import (
    BreakdownForm,
    CounterForm,
    Metadata,
    RenegotiateForm,
    ResolveForm,
    StandForm,
    StandItemForm,
)
from storage.models import Breakdown, Promise, Request, Stand


def _text_input(
    label: str,
    field: Field,
    *,
    multiline: bool = False,
    optional: bool = False,
    initial: str | None = None,
    placeholder: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=label,
        optional=optional,
        element=PlainTextInputElement(
            action_id=field, multiline=multiline, max_length=3000, initial_value=initial, placeholder=placeholder
        ),
    )


def _date_input(label: str, *, initial: date | None = None) -> InputBlock:
    return InputBlock(
        block_id=Field.DUE_ON,
        label=label,
        optional=True,
        element=DatePickerElement(action_id=Field.DUE_ON, initial_date=initial.isoformat() if initial else None),
    )


def _modal(
    callback: Modal, title: str, submit: str, blocks: list[Block], metadata: Metadata | None = None
) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=callback,
        title=title,
        submit=submit,
        close="Cancel",
        blocks=blocks,
        private_metadata=(metadata or Metadata()).dump(),
    ).to_dict()


def build_stand_modal(*, channel_id: str | None) -> dict[str, Any]:
    """The form behind a bare `/stand`: the outcome, where it comes from, and (optionally) what it counts, from
    where it stands today to a target asked for as three times what the member knows how to do."""
    return _modal(
        Modal.STAND,
        "Take a stand",
        "Declare",
        [
            _text_input(
                "The outcome you commit to", Field.OUTCOME, multiline=True, placeholder="Well beyond the predictable"
            ),
            _optional_choice(Field.ORIGIN, "Where does it come from?", "A crisis or an inspiration", ORIGINS),
            context("Measure it (optional): what you count, where it stands today, and the target."),
            _text_input("What will you count?", Field.MEASURE, optional=True, placeholder="sign-ups"),
            _text_input("Where does it stand today?", Field.MEASURE_START, optional=True, placeholder="40"),
            _text_input(
                "What would be three times what you know how to do?",
                Field.MEASURE_TARGET,
                optional=True,
                placeholder="the target: 120",
            ),
            _date_input("By when?"),
            _text_input(
                "Milestones on the way (optional, one per line)",
                Field.MILESTONES,
                multiline=True,
                optional=True,
                placeholder="60 sign-ups by 2026-12-04",
            ),
        ],
        StandForm(channel=channel_id),
    )


ORIGINS = {
    "crisis": "A crisis — something has to change",
    "inspiration": "An inspiration — something new is possible",
}


def build_progress_modal() -> dict[str, Any]:
    """The form behind a bare `/progress`."""
    return _modal(
        Modal.PROGRESS,
        "Where it stands",
        "Record",
        [
            _text_input("Where does your measure stand today?", Field.VALUE, placeholder="52"),
            _text_input("A note", Field.NOTE, multiline=True, optional=True),
        ],
    )


TOWARD_SHOWN = 100  # Slack's most options in a select


def _toward(following: Sequence[FollowedStand]) -> list[Block]:
    """For a member who joined stands: which one (if any) this practice is for too, as `for @owner` says inline."""
    if not following:
        return []
    stands = {s.owner_id: clip(s.text, 75) for s in following[:TOWARD_SHOWN]}  # 75: an option's most characters
    return [_optional_choice(Field.TOWARD, "For a stand you joined?", "Only your own practice", stands)]


def _optional_choice(field: Field, label: str, placeholder: str, options: dict[str, str]) -> InputBlock:
    """A select that may be left blank: `options` maps each option's value to what it shows."""
    return InputBlock(
        block_id=field,
        label=label,
        optional=True,
        element=StaticSelectElement(
            action_id=field,
            placeholder=placeholder,
            options=[Option(value=value, label=shown) for value, shown in options.items()],
        ),
    )


def build_share_modal(following: Sequence[FollowedStand] = ()) -> dict[str, Any]:
    """The form behind a bare `/share`; `following`: the stands the member joined, to log it for one of them too."""
    return _modal(
        Modal.SHARE,
        "Log shares",
        "Log",
        [
            InputBlock(
                block_id=Field.PEOPLE, label="Who did you tell?", element=UserMultiSelectElement(action_id=Field.PEOPLE)
            ),
            _text_input("What did you tell them?", Field.NOTE, multiline=True, optional=True),
            *_toward(following),
        ],
    )


def build_act_modal(following: Sequence[FollowedStand] = ()) -> dict[str, Any]:
    """The form behind a bare `/act`; `following` as for `/share`."""
    blocks = [_text_input("What did you do?", Field.TEXT, multiline=True), *_toward(following)]
    return _modal(Modal.ACT, "Log an action", "Log", blocks)


def build_request_modal(following: Sequence[FollowedStand] = ()) -> dict[str, Any]:
    """The form behind a bare `/request`; `following` as for `/share`."""
    return _modal(
        Modal.REQUEST,
        "Make a request",
        "Send",
        [
            InputBlock(
                block_id=Field.PERSON, label="Who are you asking?", element=UserSelectElement(action_id=Field.PERSON)
            ),
            _text_input("What are you asking for?", Field.TEXT, multiline=True),
            _date_input("By when?"),
            *_toward(following),
        ],
    )


def build_promise_modal() -> dict[str, Any]:
    """The form behind a bare `/promise`."""
    return _modal(
        Modal.PROMISE,
        "Make a promise",
        "Promise",
        [_text_input("What will you do?", Field.TEXT, multiline=True), _date_input("By when?")],
    )


def build_breakdown_modal(*, noticed: Breakdown | None = None) -> dict[str, Any]:
    """The form behind a bare `/breakdown`; prefilled with what the coach noticed, when it comes from a check-in."""
    return _modal(
        Modal.BREAKDOWN,
        "Declare a breakdown",
        "Declare",
        [
            _text_input(
                "What is off track?", Field.TEXT, multiline=True, initial=noticed.text if noticed is not None else None
            )
        ],
        BreakdownForm(noticed=noticed.id if noticed is not None else None),
    )


def build_breakthrough_modal() -> dict[str, Any]:
    """The form behind a bare `/breakthrough`."""
    return _modal(
        Modal.BREAKTHROUGH,
        "Declare a breakthrough",
        "Declare",
        [_text_input("What happened?", Field.TEXT, multiline=True)],
    )


def build_counter_modal(request: Request) -> dict[str, Any]:
    """New terms or a new date for a request."""
    return _modal(
        Modal.COUNTER,
        "Counter-offer",
        "Send",
        [
            section(f"{person(request.user_id)} asked:\n>{esc(clip(request.text, 2000))}\n({when(request.due_on)})"),
            _text_input("What you can promise instead", Field.TEXT, multiline=True, initial=clip(request.text, 3000)),
            _date_input("By when?", initial=request.due_on),
        ],
        CounterForm(request=request.id),
    )


def build_offer_modal(stand: Stand) -> dict[str, Any]:
    """What a helper offers toward someone's stand."""
    return _modal(
        Modal.OFFER,
        "Offer help",
        "Offer",
        [
            section(f"{person(stand.user_id)}'s stand:\n>{esc(clip(stand.text, 2000))}"),
            _text_input("How can you help?", Field.TEXT, multiline=True),
            _date_input("By when?"),
        ],
        StandItemForm(stand=stand.id),
    )


def build_close_stand_modal(stand: Stand) -> dict[str, Any]:
    """How a stand ended, in the member's words."""
    return _modal(
        Modal.CLOSE_STAND,
        "Close the stand",
        "Close it",
        [
            section(f"Your stand:\n>{esc(clip(stand.text, 2000))}"),
            InputBlock(
                block_id=Field.ENDING,
                label="How did it end?",
                element=StaticSelectElement(
                    action_id=Field.ENDING,
                    options=[
                        Option(value="achieved", label="Achieved"),
                        Option(value="ended", label="Ended — not achieved this time"),
                    ],
                ),
            ),
            _text_input("In your words", Field.TEXT, multiline=True, optional=True),
        ],
        StandItemForm(stand=stand.id),
    )


def build_resolve_modal(breakdown: Breakdown, *, coaching_url: str | None = None) -> dict[str, Any]:
    """What shifted, to resolve a breakdown; `coaching_url` answers the coaching message it was opened from."""
    return _modal(
        Modal.RESOLVE_BREAKDOWN,
        "It shifted",
        "Resolve",
        [
            section(f"Your breakdown:\n>{esc(clip(breakdown.text, 2000))}"),
            _text_input("What shifted?", Field.TEXT, multiline=True),
        ],
        ResolveForm(breakdown=breakdown.id, url=coaching_url),
    )


def build_renegotiate_modal(item: Promise | Request) -> dict[str, Any]:
    """Asks for the promise's new date."""
    return _modal(
        Modal.RENEGOTIATE,
        "Renegotiate",
        "Set new date",
        [
            section(f"Your promise:\n>{esc(clip(item.text, 2000))}\n({when(item.due_on)})"),
            InputBlock(block_id=Field.DUE_ON, label="New date", element=DatePickerElement(action_id=Field.DUE_ON)),
        ],
        RenegotiateForm(kind="promise" if isinstance(item, Promise) else "request", id=item.id),
    )
