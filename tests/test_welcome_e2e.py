"""The welcome, end to end: the first time a member uses a command or opens App Home, one short DM says what the
coach is and offers **Declare a stand**; never a second one."""

from __future__ import annotations

from bot.app import Runtime
from standin import SlackStandIn
from tests.e2e import buttons, drained, export, last_ephemeral, seen


def welcomes(slack: SlackStandIn, user: str) -> list[str]:
    """The welcome DMs the member received."""
    return [seen(m) for m in slack.messages(user) if "Welcome to Breakthrough Coach" in seen(m)]


def test_a_members_first_command_brings_one_welcome_with_declare_a_stand(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UBOB", "/act", "Read the program")
    last_ephemeral(slack, "UBOB", "Action logged")
    welcome = slack.wait_for(lambda: next((m for m in slack.messages("UBOB") if "Welcome" in seen(m)), None))

    assert "share 2" in seen(welcome) and "act 2" in seen(welcome) and "request 2" in seen(welcome)
    assert buttons(welcome) == ["Declare a stand"]
    slack.command("UBOB", "/act", "Called a partner")
    last_ephemeral(slack, "UBOB", "Act 2/2")
    slack.open_home("UBOB")
    slack.wait_for(lambda: slack.home("UBOB"))
    drained(slack, app)
    assert len(welcomes(slack, "UBOB")) == 1
    [bob] = [m for m in export(app)["members"] if m["user_id"] == "UBOB"]
    assert bob["welcomed_at"] is not None


def test_opening_app_home_first_brings_the_welcome_and_its_button_opens_the_stand_form(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.open_home("UCY")
    welcome = slack.wait_for(lambda: next((m for m in slack.messages("UCY") if "Welcome" in seen(m)), None))

    slack.click("UCY", welcome, "Declare a stand")

    form = slack.wait_for(lambda: slack.open_views("UCY"))[-1]
    assert form.title == "Take a stand"
    slack.submit("UCY", form, {"The outcome you commit to": "Sign 10 new partners"})
    slack.wait_for(lambda: export(app)["stands"] or None)
    drained(slack, app)
    assert len(welcomes(slack, "UCY")) == 1


def test_a_refused_command_welcomes_no_one_and_stores_nothing(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UBOB", "/progress", "lots")

    last_ephemeral(slack, "UBOB", "Start with the number")
    drained(slack, app)
    assert welcomes(slack, "UBOB") == []
    assert not [m for m in export(app)["members"] if m["user_id"] == "UBOB" and m["welcomed_at"]]
