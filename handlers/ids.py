"""Every callback, action and block ID in one place, so a builder and its listener cannot drift apart."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """The slash commands, as the manifest declares them."""

    STAND = "/stand"
    SHARE = "/share"
    ACT = "/act"
    REQUEST = "/request"
    PROMISE = "/promise"
    BREAKDOWN = "/breakdown"
    BREAKTHROUGH = "/breakthrough"
    PROGRESS = "/progress"
    COACH = "/coach"


class Modal(StrEnum):
    """Modal callback IDs."""

    STAND = "stand_modal"
    SHARE = "share_modal"
    ACT = "act_modal"
    REQUEST = "request_modal"
    PROMISE = "promise_modal"
    BREAKDOWN = "breakdown_modal"
    BREAKTHROUGH = "breakthrough_modal"
    COUNTER = "counter_modal"
    OFFER = "offer_modal"
    RENEGOTIATE = "renegotiate_modal"
    CLOSE_STAND = "close_stand_modal"
    RESOLVE_BREAKDOWN = "resolve_breakdown_modal"
    PROGRESS = "progress_modal"
    IDEA = "idea_modal"


class Action(StrEnum):
    """Button action IDs."""

    JOIN_STAND = "stand_join"
    LEAVE_STAND = "stand_leave"
    CHECK_IN_DECLARE = "check_in_declare"  # the value is the noticed breakdown's ID
    CHECK_IN_ON_IT = "check_in_on_it"
    RESOLVE_BREAKDOWN = "breakdown_resolve"  # the value is the breakdown's ID
    OFFER_HELP = "stand_offer_help"
    REPLACE_STAND = "stand_replace"
    KEEP_STAND = "stand_keep"
    REQUEST_MOVE = "request:"  # a prefix: the move follows it, so each button in a block has its own ID
    COUNTER_OFFER = "request_counter"
    OPEN_STAND = "open_stand"
    OPEN_SHARE = "open_share"
    OPEN_ACT = "open_act"
    OPEN_REQUEST = "open_request"
    OPEN_PROMISE = "open_promise"
    OPEN_BREAKTHROUGH = "open_breakthrough"
    ANOTHER_PROGRAM = "program_another"
    CLOSE_STAND = "stand_close"
    FOLLOW_KEPT = "follow_kept"  # values are "promise:<id>" or "request:<id>"
    FOLLOW_RENEGOTIATE = "follow_renegotiate"
    FOLLOW_REVOKE = "follow_revoke"
    RENEGOTIATION_AGREE = "renegotiation_agree"  # the value is the renegotiation's ID
    RENEGOTIATION_KEEP = "renegotiation_keep"
    OFFER_IDEA = "idea_offer"  # the value is the breakdown's ID
    IDEA_TO_REQUEST = "idea_request"  # the value is the idea's ID
    WEEK_PICTURE = "week_picture"
    FORGET_CONFIRM = "forget_confirm"
    FORGET_CANCEL = "forget_cancel"


class Field(StrEnum):
    """Input block IDs in modals; each block holds one element whose action ID is the same string."""

    OUTCOME = "outcome"
    DUE_ON = "due_on"
    PEOPLE = "people"
    PERSON = "person"
    TEXT = "text"
    NOTE = "note"
    ENDING = "ending"
    ORIGIN = "origin"
    MEASURE = "measure"
    MEASURE_START = "measure_start"
    MEASURE_TARGET = "measure_target"
    VALUE = "value"
    MILESTONES = "milestones"
    TOWARD = "toward"
