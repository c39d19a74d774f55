"""Modal submissions: field errors go back in the ack (`response_action: errors`); otherwise the submission is
stored in one transaction and the modal is updated, in the ack, to show what was stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.coach import Coach, CoachRefusal, MemberId
from bot.coach.rules import RequestMove
from bot.coach.trajectory import Measure
from handlers import breakdown_flows, flows, parsing, stand_parsing
from handlers import outbox as ox
from handlers.commands import sender
from handlers.ids import Field, Modal
from handlers.metadata import (
    LOST,
    BreakdownForm,
    CounterForm,
    IdeaForm,
    Metadata,
    RenegotiateForm,
    ResolveForm,
    StandForm,
    StandItemForm,
    required,
)
from handlers.slack_io import NAMED_SECONDS, asking_within, require_people, require_person
from storage.models import PromiseStatus


class Form:
    """The values of a submitted modal, read by field, collecting errors per field."""

    def __init__(self, body: dict[str, Any], today: date) -> None:
        view = body.get("view") or {}
        self.values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}
        self.metadata: str = str(view.get("private_metadata") or "")
        self.today = today
        self.errors: dict[str, str] = {}

    def _element(self, field: Field) -> dict[str, Any]:
        return (self.values.get(field) or {}).get(field) or {}

    def text(self, field: Field, *, what: str, required: bool = True) -> str:
        """A typed text; required ones may not be blank, none may run past 3,000 characters."""
        raw = self._element(field).get("value") or ""
        if not raw.strip() and not required:
            return ""
        try:
            return parsing.check_text(raw, what=what)
        except parsing.ParseError as error:
            self.errors[field] = error.message
            return ""

    def dated_text(self, field: Field, *, what: str) -> str:
        """A required text that the date picker beside it dates: words that put the date off (`by someday`) are
        refused here as they are in a command, and the member is pointed to the picker."""
        text = self.text(field, what=what)
        if (vague := parsing.vague_date_in_form(text)) is not None:
            self.errors[field] = vague
        return text

    def due_on(self) -> date | None:
        """The picked date, which may not be in the member's past."""
        picked = self._element(Field.DUE_ON).get("selected_date")
        if not picked:
            return None
        try:
            return parsing.parse_date(picked, today=self.today)
        except parsing.ParseError as error:
            self.errors[Field.DUE_ON] = error.message
            return None

    def person(self, user_id: str) -> str:
        """The picked person, who must be someone other than the member."""
        picked = str(self._element(Field.PERSON).get("selected_user") or "")
        if not picked:
            self.errors[Field.PERSON] = "Pick the person you're asking."
        elif picked == user_id:
            self.errors[Field.PERSON] = "A request is something you ask of someone else — pick another person."
        return picked

    def people(self, user_id: str) -> list[str]:
        """The picked people, none of them the member."""
        picked = [str(u) for u in self._element(Field.PEOPLE).get("selected_users") or []]
        if not picked:
            self.errors[Field.PEOPLE] = "Pick at least one person you told."
        elif user_id in picked:
            self.errors[Field.PEOPLE] = "Telling yourself doesn't count — pick the people you told."
        return list(dict.fromkeys(picked))

    def choice(self, field: Field, *, what: str, required: bool = True) -> str:
        """The value of the picked option."""
        picked = (self._element(field).get("selected_option") or {}).get("value")
        if not picked and required:
            self.errors[field] = f"Pick {what}."
        return str(picked or "")

    def figure(self, field: Field, *, what: str) -> float | None:
        """A typed count (`80`, `1,250`), or None when the field was left blank; anything else is an error."""
        raw = str(self._element(field).get("value") or "").strip()
        if not raw:
            return None
        value = stand_parsing.parse_figure(raw)
        if value is None:
            self.errors[field] = f"Type {what} as a number, like 40 or 1,250."
        return value

    def milestones(self) -> list[tuple[str, date]]:
        """Milestones typed one per line, each with its date."""
        typed = self.text(Field.MILESTONES, what="your milestones", required=False)
        try:
            return stand_parsing.parse_milestones(typed, today=self.today)
        except parsing.ParseError as error:
            self.errors[Field.MILESTONES] = error.message
            return []

    def measure(self) -> Measure | None:
        """The stand's measure: all three parts, or none of them."""
        what = self.text(Field.MEASURE, what="what you will count", required=False)
        start = self.figure(Field.MEASURE_START, what="where it stands today")
        target = self.figure(Field.MEASURE_TARGET, what="the target")
        given = {
            Field.MEASURE: bool(what),
            Field.MEASURE_START: start is not None,
            Field.MEASURE_TARGET: target is not None,
        }
        if not any(given.values()) or self.errors:
            return None
        if start is None or target is None or not what:
            for field in (field for field, typed in given.items() if not typed):
                self.errors[field] = "To measure your stand, fill in all three — or leave all three empty."
            return None
        try:
            return stand_parsing.measure_of(what, start, target)
        except parsing.ParseError as error:
            self.errors[Field.MEASURE_TARGET] = error.message
            return None


Work = Callable[[], flows.Reply]


def answered_view(submitted: dict[str, Any], blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """The modal turned into its answer: what was stored, read where the member just pressed Submit."""
    title = submitted.get("title") or {"type": "plain_text", "text": "Breakthrough Coach"}
    return {"type": "modal", "title": title, "close": {"type": "plain_text", "text": "Done"}, "blocks": blocks}


def person_checked(form: Form, field: Field, check: Callable[[], None]) -> None:
    # Slack's word on who someone is comes before the transaction: no network call holds the database.
    if field in form.errors:
        return
    try:
        check()
    except CoachRefusal as refusal:
        form.errors[field] = refusal.message


def stand(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    outcome = form.dated_text(Field.OUTCOME, what="your stand")
    origin = form.choice(Field.ORIGIN, what="where it comes from", required=False) or None
    measure, due_on, channel = form.measure(), form.due_on(), StandForm.read(form.metadata).channel
    milestones = form.milestones()
    return lambda: flows.declare_stand(
        coach, who, outcome, due_on, channel, measure=measure, origin=origin, milestones=milestones
    )


def progress(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    value = form.figure(Field.VALUE, what="where it stands")
    if value is None and Field.VALUE not in form.errors:
        form.errors[Field.VALUE] = "Type where your measure stands today, like 52."
    note = form.text(Field.NOTE, what="your note", required=False)
    return lambda: flows.record_progress(coach, who, value or 0.0, note)


def share(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    team_id, user_id = who
    told, note = form.people(user_id), form.text(Field.NOTE, what="your note", required=False)
    person_checked(form, Field.PEOPLE, lambda: require_people(client, coach, team_id, told))
    toward = form.choice(Field.TOWARD, what="a stand", required=False) or None
    return lambda: flows.log_shares(coach, who, told, note, toward=toward)


def act(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    what = form.text(Field.TEXT, what="what you did")
    toward = form.choice(Field.TOWARD, what="a stand", required=False) or None
    return lambda: flows.log_action(coach, who, what, toward=toward)


def request(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    team_id, user_id = who
    recipient, what, due_on = form.person(user_id), form.dated_text(Field.TEXT, what="your request"), form.due_on()
    person_checked(form, Field.PERSON, lambda: require_person(client, coach, MemberId(team_id, recipient)))
    toward = form.choice(Field.TOWARD, what="a stand", required=False) or None
    return lambda: flows.make_request(coach, who, recipient, what, due_on, toward=toward)


def promise(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    what, due_on = form.dated_text(Field.TEXT, what="your promise"), form.due_on()
    return lambda: flows.make_promise(coach, who, what, due_on)


def breakdown(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    what = form.text(Field.TEXT, what="what's off track")
    noticed_id = BreakdownForm.read(form.metadata).noticed
    return lambda: breakdown_flows.declare_breakdown(coach, who, what, noticed=noticed_id)


def breakthrough(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    what = form.text(Field.TEXT, what="your breakthrough")
    return lambda: breakdown_flows.declare_breakthrough(coach, who, what)


def counter(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    team_id, user_id = who
    request_id = required(CounterForm.read(form.metadata).request)
    terms, due_on = form.dated_text(Field.TEXT, what="your counter-offer"), form.due_on()
    return lambda: flows.move_request(
        coach, team_id, request_id, user_id, RequestMove.COUNTER, terms=terms, due_on=due_on
    )


def offer(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    team_id, user_id = who
    stand_id = required(StandItemForm.read(form.metadata).stand)
    what, due_on = form.dated_text(Field.TEXT, what="your offer"), form.due_on()
    return lambda: flows.offer_help(coach, team_id, stand_id, user_id, what, due_on)


def idea(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    breakdown_id = required(IdeaForm.read(form.metadata).breakdown)
    text = form.text(Field.TEXT, what="your idea")
    return lambda: breakdown_flows.offer_idea(coach, who, breakdown_id, text)


def renegotiate(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    asked = RenegotiateForm.read(form.metadata)
    kind, item_id = asked.kind, required(asked.id)
    if kind is None:
        raise CoachRefusal(LOST)
    new_date = form.due_on()
    if new_date is None and Field.DUE_ON not in form.errors:
        form.errors[Field.DUE_ON] = "Pick the new date you can promise."
    return lambda: flows.account(coach, who, (str(kind), item_id), PromiseStatus.RENEGOTIATED, new_date=new_date)


def close_stand(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    ending = form.choice(Field.ENDING, what="how the stand ended")
    words = form.text(Field.TEXT, what="your words", required=False)
    return lambda: flows.close_stand(coach, who, ending, words)


def resolve(coach: Coach, form: Form, who: MemberId, client: WebClient) -> Work:
    resolving = ResolveForm.read(form.metadata)
    breakdown_id = required(resolving.breakdown)
    shifted = form.text(Field.TEXT, what="what shifted")
    coaching = resolving.url or None  # ours, in a signed submission
    return lambda: breakdown_flows.resolve_breakdown(coach, who, breakdown_id, shifted, coaching=coaching)


Reader = Callable[[Coach, Form, MemberId, WebClient], Work]
"""Reads a submitted form (asking Slack who someone is, first) into the work its ack is given after."""

# Every modal the coach opens, and how its submission is read. Each is stored, then acked with the modal turned
# into its answer; a form with errors is acked with them, and nothing is stored.
READERS: tuple[tuple[Modal, Reader], ...] = (
    (Modal.RESOLVE_BREAKDOWN, resolve),
    (Modal.CLOSE_STAND, close_stand),
    (Modal.RENEGOTIATE, renegotiate),
    (Modal.STAND, stand),
    (Modal.PROGRESS, progress),
    (Modal.SHARE, share),
    (Modal.ACT, act),
    (Modal.REQUEST, request),
    (Modal.PROMISE, promise),
    (Modal.BREAKDOWN, breakdown),
    (Modal.BREAKTHROUGH, breakthrough),
    (Modal.COUNTER, counter),
    (Modal.OFFER, offer),
    (Modal.IDEA, idea),
)


def register(app: App, coach: Coach, *, named_seconds: float = NAMED_SECONDS) -> None:
    """Listen to the submission of every modal in `READERS`; a form naming people waits at most `named_seconds`
    for Slack to say who they are (`handlers.slack_io.asking_within`)."""

    def submitted(callback: Modal, read: Reader) -> None:
        def on_submit(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
            who = sender(context)
            form = Form(body, coach.today(who))
            with asking_within(named_seconds):
                work = read(coach, form, who, client)
            if form.errors:
                ack(response_action="errors", errors=form.errors)
                return
            with coach.transaction():  # the ack records the delivery in it too (handlers.deliveries)
                _text, blocks = work()
                flows.welcome(coach, who)
                if Metadata.read(form.metadata).home:
                    coach.tell(ox.home(who))
                ack(response_action="update", view=answered_view(body.get("view") or {}, blocks))

        on_submit.__name__ = f"submit_{callback}"
        app.view(callback)(on_submit)

    for callback, read in READERS:
        submitted(callback, read)
