"""The demo page's Block Kit renderer, drawing the app's own messages and views in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from handlers.blocks.breakdowns import build_breakdown_coaching, build_breakthrough_celebration
from handlers.blocks.help import build_forget_confirmation, build_help
from handlers.blocks.home import build_home
from handlers.blocks.modals import (
    build_act_modal,
    build_breakdown_modal,
    build_promise_modal,
    build_request_modal,
    build_share_modal,
    build_stand_modal,
)
from handlers.blocks.nudges import build_nudge
from handlers.blocks.stands import build_stand_announcement
from tests import blocks_support as sample

SCRIPT = Path(__file__).resolve().parent.parent / "standin" / "web" / "static" / "blockkit.js"
CONTEXT = {
    "users": {"UADA": "ada", "UBEA": "bea"},
    "channels": {"C1": "general", "CWINS": "wins"},
    "members": [{"id": "UADA", "real_name": "Ada Okafor"}, {"id": "UBEA", "real_name": "Bea Lindqvist"}],
}


@pytest.fixture(scope="module")
def renderer(browser: Browser) -> Iterator[Page]:
    """A blank page with the renderer loaded."""
    page = browser.new_page()
    page.set_content("<!doctype html><body></body>")
    page.add_script_tag(path=str(SCRIPT))
    yield page
    page.close()


def draw(page: Page, blocks: list[dict[str, Any]], errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The blocks drawn into the page: their visible text, their HTML, their buttons and their form fields."""
    drawn: dict[str, Any] = page.evaluate(
        """([blocks, ctx]) => {
            const node = BlockKit.render(blocks, ctx);
            document.body.replaceChildren(node);
            return {
                text: node.innerText,
                html: node.innerHTML,
                buttons: [...node.querySelectorAll("button")].map((b) => [b.textContent, b.className]),
                labels: [...node.querySelectorAll(".bk-input")].map(
                    (i) => [i.querySelector("label").textContent, i.querySelector("[data-kind]")?.dataset.kind]),
            };
        }""",
        [blocks, {**CONTEXT, "errors": errors or {}}],
    )
    return drawn


MESSAGES: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "help": lambda: build_help()[1],
    "forget": lambda: build_forget_confirmation()[1],
    "nudge": lambda: build_nudge(sample.nudge_content())[1],
    "announcement": lambda: build_stand_announcement(sample.stand(channel_id="C1"), ["UBEA"])[1],
    "breakdown": lambda: build_breakdown_coaching(sample.breakdown())[1],
    "breakthrough": lambda: build_breakthrough_celebration(sample.breakthrough())[1],
    "home": lambda: build_home(sample.status())["blocks"],
}


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_the_apps_messages_are_drawn_with_no_markup_left_showing(renderer: Page, name: str) -> None:
    blocks = MESSAGES[name]()

    drawn = draw(renderer, blocks)

    assert drawn["text"].strip()
    assert not re.search(r":[a-z_]+:", drawn["text"]), "an emoji code the app uses was left undrawn"
    assert "<@" not in drawn["text"] and "<#" not in drawn["text"] and "&lt;" not in drawn["text"]
    assert "(is not drawn here)" not in drawn["text"] and "block is not drawn" not in drawn["text"]
    offered = [e for e in sample.walk(blocks) if e.get("type") == "button"]
    assert sorted(drawn["buttons"]) == sorted(
        [e["text"]["text"], "bk-button" + (f" bk-{e['style']}" if e.get("style") else "")] for e in offered
    )


def test_mrkdwn_is_drawn_as_slack_draws_it(renderer: Page) -> None:
    text = (
        "*bold* _italic_ ~struck~ `/stand now` <https://example.com/x|a link> <@UADA> <#CWINS> "
        ":tada: :not_an_emoji: &lt;script&gt;alert(1)&lt;/script&gt; 2 * 3 * 4\n>quoted"
    )

    drawn = draw(renderer, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}])

    html = drawn["html"]
    for fragment in (
        "<b>bold</b>",
        "<i>italic</i>",
        "<s>struck</s>",
        '<code class="bk-code">/stand now</code>',
        'href="https://example.com/x"',
        ">a link</a>",
        "@ada</span>",
        "#wins</span>",
        "🎉",
        ":not_an_emoji:",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "2 * 3 * 4",
        "<blockquote>quoted</blockquote>",
    ):
        assert fragment in html
    assert "<script>" not in html


def test_a_members_typed_angle_bracket_is_text_not_a_quote(renderer: Page) -> None:
    drawn = draw(renderer, [{"type": "section", "text": {"type": "mrkdwn", "text": "&gt; not a quote"}}])

    assert "<blockquote>" not in drawn["html"] and drawn["text"].strip() == "> not a quote"


MODALS: dict[str, Callable[[], dict[str, Any]]] = {
    "stand": lambda: build_stand_modal(channel_id="C1"),
    "share": build_share_modal,
    "act": build_act_modal,
    "request": build_request_modal,
    "promise": build_promise_modal,
    "breakdown": build_breakdown_modal,
}


@pytest.mark.parametrize("name", sorted(MODALS))
def test_every_input_of_the_apps_modals_is_drawn_as_a_field_of_its_kind_under_its_label(
    renderer: Page, name: str
) -> None:
    modal = MODALS[name]()

    drawn = draw(renderer, modal["blocks"])

    labels = [(label.removesuffix(" (optional)"), kind) for label, kind in drawn["labels"]]
    assert labels == [(b["label"]["text"], b["element"]["type"]) for b in modal["blocks"] if b["type"] == "input"]


def test_the_modals_use_every_kind_of_input_the_renderer_draws(renderer: Page) -> None:
    kinds = {b["element"]["type"] for m in MODALS.values() for b in m()["blocks"] if b["type"] == "input"}

    assert kinds >= {"plain_text_input", "datepicker", "users_select", "multi_users_select", "static_select"}


def test_an_error_from_the_app_is_drawn_under_its_input(renderer: Page) -> None:
    modal = build_promise_modal()

    drawn = draw(renderer, modal["blocks"], errors={"due_on": "Pick today or a later date."})

    assert drawn["text"].index("By when?") < drawn["text"].index("Pick today or a later date.")


def test_the_filled_form_reads_back_as_slacks_state_values(renderer: Page) -> None:
    modal = build_request_modal()
    draw(renderer, modal["blocks"])
    renderer.get_by_label("Who are you asking?").select_option("UBEA")
    renderer.get_by_label("What are you asking for?").fill("a review of the deck")
    renderer.get_by_label("By when?").fill("2026-12-04")

    state = renderer.evaluate("blocks => BlockKit.state(document.body, blocks)", modal["blocks"])

    assert state["missing"] == []
    values = state["values"]
    assert values["person"]["person"] == {"type": "users_select", "selected_user": "UBEA"}
    assert values["text"]["text"] == {"type": "plain_text_input", "value": "a review of the deck"}
    assert values["due_on"]["due_on"] == {"type": "datepicker", "selected_date": "2026-12-04"}
