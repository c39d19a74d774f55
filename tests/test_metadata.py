"""Each modal's private_metadata is typed: what a builder writes, its reader reads back, and nothing else."""

from __future__ import annotations

import pytest

from bot.coach import CoachRefusal
from handlers.metadata import Metadata, RenegotiateForm, ResolveForm, StandForm, StandItemForm


def test_what_a_builder_writes_its_reader_reads_back() -> None:
    written = RenegotiateForm(kind="request", id=7, channel="D1", ts="1.2")

    assert RenegotiateForm.read(written.dump()) == written
    assert ResolveForm.read(ResolveForm(breakdown=3).dump()) == ResolveForm(breakdown=3, url=None)


def test_the_metadata_is_compact_and_leaves_out_what_is_unset() -> None:
    assert StandForm(channel=None).dump() == "{}"
    assert StandItemForm(stand=4, home=True).dump() == '{"home":true,"stand":4}'


def test_an_opened_from_home_flag_added_to_any_modal_is_read_by_the_common_shape() -> None:
    assert Metadata.read('{"stand":4,"home":true}').home is True
    assert Metadata.read("").home is False


@pytest.mark.parametrize(
    "raw",
    ['{"kind":"stand","id":7}', '{"kind":"promise","id":"7"}', '{"kind":"promise","id":true}', "[1]", "not json"],
)
def test_a_shape_the_coach_never_wrote_is_a_form_that_lost_track_of_itself(raw: str) -> None:
    with pytest.raises(CoachRefusal, match="lost track"):
        RenegotiateForm.read(raw)
