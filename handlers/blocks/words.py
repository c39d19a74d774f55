"""The one table of words for a request's state, read by the cards, the follow-ups, the status and Home
listings and the refusals alike, so that they cannot drift apart."""

from __future__ import annotations

from bot.coach.rules import Role
from storage.models import PromiseStatus, Request, RequestStatus

# A request's state in people's words: the state itself, and what a card or a listing adds about what it means
# now. A refusal says the state alone ("This request is already accepted — nothing changed.").
_STATE_WORDS: dict[RequestStatus, tuple[str, str]] = {
    RequestStatus.OPEN: ("waiting for an answer", ""),
    RequestStatus.ACCEPTED: ("accepted", " — a promise"),
    RequestStatus.DECLINED: ("declined", ""),
    RequestStatus.COUNTERED: ("counter-offered", ""),
    RequestStatus.DONE: ("reported done", " — waiting to be completed"),
    RequestStatus.COMPLETED: ("completed", " :white_check_mark:"),
    RequestStatus.CANCELLED: ("cancelled", ""),
}


_OFFER_WAITING = {
    Role.REQUESTER: "waiting for your answer",  # the stand's owner, offered help
    Role.RECIPIENT: "waiting for their answer",  # the helper who offered it
}


def state_words(request: Request, viewer: Role | None = None, *, expired: bool = False) -> str:
    """How a request's state reads to people (to `viewer`, when it is one side's); `expired`: closed by the coach
    after two weeks unanswered."""
    if expired and request.status == RequestStatus.CANCELLED:
        return "expired — two weeks without an answer, so it's closed"
    if request.status == RequestStatus.CANCELLED and request.promise_status == PromiseStatus.BROKEN:
        return "not kept by its date — recorded as a broken promise"
    if request.status == RequestStatus.CANCELLED and request.promise_status == PromiseStatus.REVOKED:
        return "promise revoked"
    # An offer of help is stored as a counter-offer waiting for the stand's owner; to people it is an offer.
    if request.offered and request.status == RequestStatus.COUNTERED:
        return _OFFER_WAITING[viewer] if viewer is not None else "an offer of help waiting for an answer"
    if request.offered and request.status == RequestStatus.CANCELLED:
        return "not taken up this time"
    word, meaning = _STATE_WORDS[RequestStatus(request.status)]
    return word + meaning


def refused_state_words(status: RequestStatus) -> str:
    """A request's state as a refusal says it, the cards' word for it: "already accepted", "waiting for an answer"."""
    word, _ = _STATE_WORDS[RequestStatus(status)]
    return word if status == RequestStatus.OPEN else f"already {word}"
