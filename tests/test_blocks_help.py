"""`/coach help` and the question before forgetting a member, built pure."""

from __future__ import annotations

import pytest

from handlers.blocks.help import HELP, build_forget_confirmation, build_help
from handlers.ids import Command
from tests.blocks_support import action_ids, section_texts


@pytest.mark.parametrize("command", list(Command))
def test_help_names_every_command(command: Command) -> None:
    _, blocks = build_help()

    assert f"`{command}" in section_texts(blocks)[0]


def test_help_fits_one_section() -> None:
    assert len(HELP) <= 3000


def test_forgetting_asks_first_with_a_way_back() -> None:
    text, blocks = build_forget_confirmation()

    assert text == "Forget everything about you? This can't be undone."
    assert action_ids(blocks) == ["forget_confirm", "forget_cancel"]
