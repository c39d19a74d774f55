"""`breakthrough demo` in a real browser: members use the coach through the Slack-like page, as they would Slack."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy.engine import make_url

from bot.demo import Demo
from bot.demo_story import tell_story

# A bound, not a pause: each expectation returns as soon as the page shows it, and a busy machine running the suite
# in parallel gets room.
expect.set_options(timeout=10_000)


@pytest.fixture
def page(browser: Browser, demo: Demo) -> Iterator[Page]:
    """The demo's page, open as Ada (the admin, in Berlin) in #general."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.goto(demo.url)
    expect(opened.locator("body")).to_have_attribute("data-ready", "true")
    yield opened
    context.close()


def act_as(page: Page, real_name: str) -> None:
    page.get_by_label("Acting as").select_option(
        label=next(
            o for o in page.get_by_label("Acting as").locator("option").all_inner_texts() if o.startswith(real_name)
        )
    )


def type_and_send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def messages(page: Page) -> Locator:
    return page.get_by_test_id("messages").locator("article.message")


def open_dm(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("button", name="Breakthrough Coach").click()


def test_a_stand_typed_in_general_is_announced_there_and_another_member_joins_it(page: Page) -> None:
    type_and_send(page, "/stand Double our sign-ups to 80 by friday")

    mine = messages(page).filter(has_text="Your stand is declared")
    expect(mine).to_contain_text("Only visible to you")
    announcement = messages(page).filter(has_text="takes a stand")
    expect(announcement).to_contain_text("@ada takes a stand")
    expect(announcement).to_contain_text("Double our sign-ups to 80")

    act_as(page, "Bea Lindqvist")
    expect(messages(page).filter(has_text="Your stand is declared")).to_have_count(0)  # only Ada saw it
    announcement.get_by_role("button", name="Join the stand").click()

    expect(announcement).to_contain_text("@bea")


def test_a_bare_command_opens_its_modal_which_shows_the_apps_error_under_the_input_then_submits(page: Page) -> None:
    type_and_send(page, "/promise")
    dialog = page.get_by_role("dialog", name="Make a promise")
    dialog.get_by_label("What will you do?").fill("Send the newsletter draft to Bea")
    dialog.get_by_label("By when?").fill("2026-11-01")
    dialog.get_by_role("button", name="Promise").click()

    expect(dialog.locator(".bk-error")).to_contain_text("2026-11-01 is already behind us")
    dialog.get_by_label("By when?").fill("2026-11-27")
    dialog.get_by_role("button", name="Promise").click()

    expect(dialog).to_contain_text("Promise made (by Fri 27 Nov 2026): Send the newsletter draft to Bea")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()


def test_a_required_field_left_empty_is_flagged_by_the_page_and_cancel_closes_the_modal(page: Page) -> None:
    type_and_send(page, "/act")
    dialog = page.get_by_role("dialog", name="Log an action")
    dialog.get_by_role("button", name="Log").click()

    expect(dialog.locator(".bk-error")).to_have_text("Please complete this required field.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()


def test_a_request_typed_with_a_completed_mention_is_accepted_by_the_person_asked_in_their_dm(page: Page) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.press_sequentially("/request @be")
    page.get_by_role("option", name="Bea Lindqvist @bea").click()
    box.press_sequentially("review the landing page by friday")
    expect(box).to_have_value("/request @bea review the landing page by friday")
    box.press("Enter")
    expect(messages(page).filter(has_text="Request sent to @bea")).to_contain_text("Only visible to you")

    act_as(page, "Bea Lindqvist")
    open_dm(page)
    asked = messages(page).filter(has_text="asks you")
    expect(asked).to_contain_text("@ada asks you")
    asked.get_by_role("button", name="Accept").click()

    expect(asked).to_contain_text("accepted")
    expect(asked).to_contain_text("(edited)")  # updated in place, not posted again
    expect(asked.get_by_role("button", name="Accept")).to_have_count(0)


def test_next_morning_brings_the_nudge_whose_button_logs_an_action_and_updates_it(page: Page) -> None:
    type_and_send(page, "/stand Double our sign-ups to 80 by friday")
    expect(messages(page).filter(has_text="takes a stand")).to_have_count(1)

    page.get_by_role("button", name="Next morning").click()
    expect(page.get_by_label("Simulated time")).to_contain_text("Tue 24 Nov 2026, 09:00")
    open_dm(page)
    nudge = messages(page).filter(has_text="Good morning")
    expect(nudge).to_contain_text("day 2 of 14")
    nudge.get_by_role("button", name="Log an action").click()
    dialog = page.get_by_role("dialog", name="Log an action")
    dialog.get_by_label("What did you do?").fill("Called three partner schools")
    dialog.get_by_role("button", name="Log").click()

    expect(nudge).to_contain_text("Act 1/2")


def test_app_home_shows_the_members_stand_and_practice(page: Page) -> None:
    type_and_send(page, "/stand Double our sign-ups to 80 by friday")
    expect(messages(page).filter(has_text="takes a stand")).to_have_count(1)

    open_dm(page)
    page.get_by_role("tab", name="Home").click()

    home = page.get_by_role("region", name="Home")
    expect(home).to_contain_text("Your breakthrough practice")
    expect(home).to_contain_text("Double our sign-ups to 80")
    expect(home.get_by_role("button", name="Make a promise")).to_be_visible()


def test_next_recap_posts_the_weekly_recap_in_wins_and_its_thread_opens(page: Page) -> None:
    type_and_send(page, "/stand Double our sign-ups to 80 by friday")
    expect(messages(page).filter(has_text="takes a stand")).to_have_count(1)

    page.get_by_role("button", name="Next recap").click()
    expect(page.get_by_label("Simulated time")).to_contain_text("Mon 30 Nov 2026")
    page.get_by_role("navigation").get_by_role("button", name="# wins").click()
    recap = messages(page).filter(has_text="Weekly recap · 23–29 Nov 2026")
    expect(recap).to_contain_text("Shares 0 / 10")
    # Ada's line of the week, then the week as a picture (drawn and uploaded after the recap, from the outbox).
    recap.get_by_role("button", name="2 replies").click()

    thread = page.get_by_role("complementary", name="Thread")
    expect(thread).to_contain_text("Each person's week")
    expect(thread).to_contain_text("@ada")
    chart = thread.get_by_role("img", name="The week of 23 Nov: practice and stands. Share")
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.complete && img.naturalWidth > 400") is True


def test_an_unknown_command_is_answered_as_slack_answers_it(page: Page) -> None:
    type_and_send(page, "/dance")

    answer = messages(page).filter(has_text="is not a valid command")
    expect(answer).to_contain_text("/dance")
    expect(answer).to_contain_text("Slackbot")
    expect(answer).to_contain_text("Only visible to you")


@pytest.mark.parametrize("demo", [{"ack_failures": ["operation_timeout"]}], indirect=True)
def test_a_command_not_acked_within_3_seconds_shows_slacks_error_and_the_page_keeps_working(
    demo: Demo, page: Page
) -> None:
    # The database held by another writer: the app cannot store the command, so it cannot ack it in time.
    database = sqlite3.connect(make_url(demo.database_url).database or "", isolation_level=None)
    database.execute("BEGIN IMMEDIATE")
    try:
        type_and_send(page, "/act Called three partner schools")
        expect(messages(page).filter(has_text="failed with the error")).to_contain_text(
            '/act failed with the error "operation_timeout"', timeout=10_000
        )
    finally:
        database.execute("ROLLBACK")
        database.close()

    type_and_send(page, "/promise Send the newsletter draft by friday")
    expect(messages(page).filter(has_text="Send the newsletter draft")).to_contain_text("Only visible to you")


def test_a_channel_of_thousands_of_messages_opens_on_the_latest_and_pages_back_on_scroll(
    demo: Demo, browser: Browser
) -> None:
    for n in range(1, 3001):
        demo.slack.workspace.post_as_member("UBEA", "CWINS", f"Win number {n}")
    page = browser.new_page()
    page.goto(demo.url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")

    # Timed in the page, from the click to the latest message drawn: a person's wait, not the test's polling.
    opened_in_ms = page.evaluate(
        """() => new Promise((resolve) => {
            const started = performance.now();
            const drawn = () => [...document.querySelectorAll("#messages article")].some(
                (m) => m.textContent.includes("Win number 3000"));
            const check = () => (drawn() ? resolve(performance.now() - started) : requestAnimationFrame(check));
            [...document.querySelectorAll("nav button")].find((b) => b.textContent === "# wins").click();
            check();
        })"""
    )

    assert opened_in_ms < 500
    expect(messages(page)).to_have_count(50)
    page.get_by_test_id("messages").evaluate("list => list.scrollTo(0, 0)")
    expect(messages(page)).to_have_count(100)
    expect(messages(page).first).to_contain_text("Win number 2901")
    page.close()


def test_the_export_uploaded_to_the_dm_downloads_as_a_file(page: Page) -> None:
    open_dm(page)
    type_and_send(page, "/coach export")
    attachment = page.get_by_role("link", name=re.compile("📎"))

    with page.expect_download() as downloading:
        attachment.click()

    download = downloading.value
    assert download.suggested_filename.endswith(".json")
    assert "stands" in json.loads(Path(download.path()).read_text())


SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "demo.png"


def test_the_readmes_screenshot_is_of_the_demo_page_with_the_story_told(demo: Demo, page: Page) -> None:
    tell_story(demo)
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    act_as(page, "Ada Okafor")
    expect(messages(page).filter(has_text="takes a stand")).to_have_count(3)
    expect(page.get_by_label("Simulated time")).to_contain_text("Mon 23 Nov 2026, 09:00 CET")

    shot = page.screenshot()

    assert shot.startswith(b"\x89PNG")
    # Taken again, and committed, with UPDATE_SCREENSHOT=1: the README shows a real page, never a mock-up.
    if os.environ.get("UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(shot)
    assert SCREENSHOT.read_bytes()[16:24] == shot[16:24]  # the same width and height


def test_words_typed_without_a_slash_are_posted_under_the_members_name_with_a_mention_completed_by_tab(
    page: Page,
) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.press_sequentially("Morning all, @be")
    box.press("Tab")
    box.press_sequentially("the sign-up push starts today")
    box.press("Enter")

    posted = messages(page).filter(has_text="the sign-up push starts today")
    expect(posted).to_contain_text("Ada Okafor")
    expect(posted.locator(".bk-mention")).to_have_text("@bea")
    expect(posted).not_to_contain_text("Only visible to you")
