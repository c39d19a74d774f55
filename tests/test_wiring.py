"""Wiring: the manifest against Slack's schema and against the listeners, and the direction of imports."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt import App

from bot.app import register_listeners
from bot.clock import FixedClock
from bot.coach import Coach
from handlers.ids import Command
from storage.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT.parent / "shared" / "slack" / "manifest.schema.1.0.0.json"


def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.skipif(not SCHEMA.exists(), reason=f"Slack's manifest schema is not beside the checkout at {SCHEMA}")
def test_the_manifest_validates_against_slacks_published_schema() -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(manifest()), key=str)
    assert errors == []


class RecordingApp(App):
    """A Bolt app that remembers which commands and events listeners were registered for."""

    def __init__(self) -> None:
        super().__init__(token="xoxb-wiring", signing_secret="wiring", token_verification_enabled=False)
        self.commands: list[str] = []
        self.events: list[str] = []

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        self.commands.append(str(command))
        return super().command(command, *args, **kwargs)

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self.events.append(str(event))
        return super().event(event, *args, **kwargs)


def test_the_manifest_declares_exactly_the_commands_and_events_the_app_listens_to(tmp_path: Path) -> None:
    app = RecordingApp()
    engine = make_engine(f"sqlite:///{tmp_path / 'wiring.db'}")
    register_listeners(app, Coach(engine, FixedClock(datetime(2026, 11, 23, tzinfo=UTC))))

    declared = manifest()
    assert sorted(c["command"] for c in declared["features"]["slash_commands"]) == sorted(set(app.commands))
    assert sorted(declared["settings"]["event_subscriptions"]["bot_events"]) == sorted(set(app.events))
    assert set(app.commands) == {c.value for c in Command}


def test_every_command_escapes_mentions_and_the_app_asks_only_for_the_scopes_it_uses() -> None:
    declared = manifest()
    assert all(c["should_escape"] is True for c in declared["features"]["slash_commands"])
    assert declared["features"]["app_home"]["home_tab_enabled"] is True
    assert declared["settings"]["interactivity"]["is_enabled"] is True
    assert declared["settings"]["socket_mode_enabled"] is True
    assert sorted(declared["oauth_config"]["scopes"]["bot"]) == sorted(
        ["commands", "chat:write", "chat:write.public", "users:read", "files:write"]
    )


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(path: Path) -> set[str]:
    """The full names of the modules `path` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# The layers, by folder: the domain is bot/coach/; the composition root is the modules directly in bot/.
DOMAIN = ROOT / "bot" / "coach"
COMPOSITION_ROOT = {p for p in (ROOT / "bot").glob("*.py")}


def test_the_domain_imports_no_slack_library_and_nothing_of_the_handlers() -> None:
    for path in DOMAIN.rglob("*.py"):
        forbidden = _imports(path) & {"slack_bolt", "slack_sdk", "handlers"}
        assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def test_storage_imports_no_slack_library_and_nothing_of_the_handlers_or_the_domain() -> None:
    for path in (ROOT / "storage").rglob("*.py"):
        forbidden = _imports(path) & {"slack_bolt", "slack_sdk", "handlers", "bot"}
        assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def test_only_the_composition_root_imports_handlers() -> None:
    for folder in ("bot", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            if path in COMPOSITION_ROOT:
                continue
            assert "handlers" not in _imports(path), f"{path.relative_to(ROOT)} imports handlers"


def test_handlers_reach_the_domain_only_through_its_package_and_storage_only_for_its_models() -> None:
    for path in (ROOT / "handlers").rglob("*.py"):
        modules = _modules(path)
        root = sorted(m for m in modules if m.split(".")[0] == "bot" and not m.startswith("bot.coach"))
        assert not root, f"{path.relative_to(ROOT)} imports the composition root: {root}"
        beyond = sorted(m for m in modules if m.split(".")[0] == "storage" and m != "storage.models")
        assert not beyond, f"{path.relative_to(ROOT)} imports {beyond}: handlers use storage's models only"


def _python_files(folder: str) -> list[Path]:
    """Every module under `folder`, however deep: a new subpackage is checked without naming it here."""
    found = sorted((ROOT / folder).rglob("*.py"))
    assert found, f"no modules under {folder}/"  # a moved folder must not make the checks below pass vacuously
    return found


def test_handlers_storage_and_the_domain_never_import_the_stand_in_for_slack() -> None:
    for path in [*_python_files("handlers"), *_python_files("storage"), *_python_files("bot")]:
        if path in COMPOSITION_ROOT:
            continue  # only the composition root may run the app against the stand-in (the demo)
        assert "standin" not in _imports(path), f"{path.relative_to(ROOT)} imports standin"


def test_the_stand_in_for_slack_imports_nothing_of_the_app() -> None:
    for path in _python_files("standin"):
        forbidden = _imports(path) & {"bot", "handlers", "storage"}
        assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def test_every_coach_subcommand_the_parser_reads_has_an_answer() -> None:
    from typing import get_args

    from handlers.commands import SUBCOMMANDS
    from handlers.parsing import CoachCommandName

    assert set(SUBCOMMANDS) == set(get_args(CoachCommandName))


def test_the_demo_page_draws_every_emoji_the_coach_writes() -> None:
    import re

    script = (ROOT / "standin" / "web" / "static" / "blockkit.js").read_text()
    table = script[script.index("const EMOJI = {") : script.index("};", script.index("const EMOJI = {"))]
    known = set(re.findall(r'"?([a-z0-9_+-]+)"?:\s*"', table))
    written = {
        name
        for path in (ROOT / "handlers").rglob("*.py")
        for literal in re.findall(r'"[^"\n]*"', path.read_text())
        for name in re.findall(r"(?<![\w`}]):([a-z][a-z0-9_+-]*):(?![\w`{])", literal)
    }
    assert written - known == set()
