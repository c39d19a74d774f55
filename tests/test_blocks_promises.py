"""Promises and their accounts, built pure: Kept / Renegotiate / Revoke, a new date asked and answered, the ledger."""

from __future__ import annotations

from datetime import date

from bot.coach.rules import Ledger
from handlers.blocks.promises import (
    account_buttons,
    build_promise_made,
    build_renegotiation_answered,
    build_renegotiation_question,
    item_value,
    ledger_line,
)
from storage.models import Renegotiation, RenegotiationStatus, RequestStatus
from tests.blocks_support import NOON, TODAY, all_text, button_labels, promise, request


def renegotiation(status: RenegotiationStatus) -> Renegotiation:
    return Renegotiation(
        id=9,
        team_id="T1",
        request_id=7,
        user_id="UBEN",
        old_due_on=date(2026, 12, 4),
        new_due_on=date(2026, 12, 11),
        asked_on=TODAY,
        status=status,
        created_at=NOON,
    )


def test_a_promise_made_says_what_and_by_when() -> None:
    assert build_promise_made(promise())[0] == ":handshake: Promise made (by Wed 2 Dec 2026): _call the council_"


def test_an_account_offers_kept_renegotiate_and_revoke_naming_the_item() -> None:
    row = account_buttons(request(RequestStatus.ACCEPTED)).to_dict()

    assert row["block_id"] == "account-request-7"
    assert [b["text"]["text"] for b in row["elements"]] == ["Kept", "Renegotiate", "Revoke"]
    assert {b["value"] for b in row["elements"]} == {"request:7"}
    assert item_value(promise()) == "promise:3"


def test_a_new_date_asked_offers_agree_or_keep() -> None:
    text, blocks = build_renegotiation_question(renegotiation(RenegotiationStatus.PROPOSED), request())

    assert button_labels(blocks) == ["Agree to the new date", "Keep the original date"]
    assert text.startswith("<@UBEN> asks to move a promise to Fri 11 Dec 2026")


def test_a_new_date_answered_says_how_and_keeps_no_buttons() -> None:
    _, agreed = build_renegotiation_question(renegotiation(RenegotiationStatus.ACCEPTED), request())
    _, kept = build_renegotiation_question(renegotiation(RenegotiationStatus.DECLINED), request())

    assert button_labels(agreed) == button_labels(kept) == []
    assert "You agreed: it's now due Fri 11 Dec 2026." in all_text(agreed)
    assert "You kept the original date, Fri 4 Dec 2026." in all_text(kept)


def test_the_one_who_asked_hears_the_answer() -> None:
    asked = renegotiation(RenegotiationStatus.DECLINED)

    text, _ = build_renegotiation_answered(asked, request(), agree=False)

    assert text.startswith("<@UADA> would like to keep the original date (Fri 4 Dec 2026)")


def test_the_ledger_waits_for_a_first_ending_before_giving_a_figure() -> None:
    assert "none ended yet" in ledger_line(Ledger(made=2))
    assert ledger_line(Ledger(made=4, kept_on_time=2, broken=1, revoked=1)).startswith(
        ":handshake: Your word: integrity 50% · 2 kept on time"
    )
