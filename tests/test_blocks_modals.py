"""Every form, built pure: the callback a listener waits for, the fields it reads, and what it carries along."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from handlers.blocks.modals import (
    build_act_modal,
    build_breakdown_modal,
    build_breakthrough_modal,
    build_close_stand_modal,
    build_counter_modal,
    build_offer_modal,
    build_promise_modal,
    build_renegotiate_modal,
    build_request_modal,
    build_resolve_modal,
    build_share_modal,
    build_stand_modal,
)
from handlers.ids import Field, Modal
from tests.blocks_support import breakdown, promise, request, stand

FORMS: list[tuple[Callable[[], dict[str, Any]], Modal, list[str], dict[str, Any]]] = [
    (
        lambda: build_stand_modal(channel_id="C1"),
        Modal.STAND,
        [
            Field.OUTCOME,
            Field.ORIGIN,
            Field.MEASURE,
            Field.MEASURE_START,
            Field.MEASURE_TARGET,
            Field.DUE_ON,
            Field.MILESTONES,
        ],
        {"channel": "C1"},
    ),
    (build_share_modal, Modal.SHARE, [Field.PEOPLE, Field.NOTE], {}),
    (build_act_modal, Modal.ACT, [Field.TEXT], {}),
    (build_request_modal, Modal.REQUEST, [Field.PERSON, Field.TEXT, Field.DUE_ON], {}),
    (build_promise_modal, Modal.PROMISE, [Field.TEXT, Field.DUE_ON], {}),
    (build_breakdown_modal, Modal.BREAKDOWN, [Field.TEXT], {}),
    (build_breakthrough_modal, Modal.BREAKTHROUGH, [Field.TEXT], {}),
    (lambda: build_counter_modal(request()), Modal.COUNTER, [Field.TEXT, Field.DUE_ON], {"request": 7}),
    (lambda: build_offer_modal(stand()), Modal.OFFER, [Field.TEXT, Field.DUE_ON], {"stand": 1}),
    (lambda: build_close_stand_modal(stand()), Modal.CLOSE_STAND, [Field.ENDING, Field.TEXT], {"stand": 1}),
    (
        lambda: build_resolve_modal(breakdown(), coaching_url="https://x"),
        Modal.RESOLVE_BREAKDOWN,
        [Field.TEXT],
        {"breakdown": 4, "url": "https://x"},
    ),
    (lambda: build_renegotiate_modal(promise()), Modal.RENEGOTIATE, [Field.DUE_ON], {"kind": "promise", "id": 3}),
]


@pytest.mark.parametrize(("build", "callback", "fields", "metadata"), FORMS, ids=[str(f[1]) for f in FORMS])
def test_each_form_names_its_callback_fields_and_metadata(
    build: Callable[[], dict[str, Any]], callback: Modal, fields: list[str], metadata: dict[str, Any]
) -> None:
    view = build()

    assert view["type"] == "modal"
    assert view["callback_id"] == callback
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == fields
    assert all(b["element"]["action_id"] == b["block_id"] for b in inputs)
    assert json.loads(view["private_metadata"]) == metadata


def test_a_breakdown_from_a_check_in_comes_prefilled_with_what_was_noticed() -> None:
    view = build_breakdown_modal(noticed=breakdown("behind on calls"))

    assert view["blocks"][0]["element"]["initial_value"] == "behind on calls"
    assert json.loads(view["private_metadata"]) == {"noticed": 4}


def test_a_counter_offer_starts_from_the_request_and_its_date() -> None:
    view = build_counter_modal(request())

    assert view["blocks"][1]["element"]["initial_value"] == "a review of the deck"
    assert view["blocks"][2]["element"]["initial_date"] == "2026-12-04"
