"""Block Kit as Slack enforces it: validation limits, the IDs Slack fills in, buttons, and modal state."""

from __future__ import annotations

import copy
import random
import re
import string
from collections.abc import Iterator
from datetime import date, time
from typing import Any, Literal

from .model import JsonDict, json_copy

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: dict[str, int] = {"message": 50, "modal": 100, "home": 100}

KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)

SELECTS_WITH_OPTIONS = frozenset({"static_select", "multi_static_select"})
TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})

# Where each stateful element keeps its answer in view.state.values, and where its initial value lives.
STATE_KEYS: dict[str, tuple[str, str]] = {
    "plain_text_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
}
MULTI_VALUED = frozenset(
    {
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "multi_static_select",
        "multi_external_select",
        "checkboxes",
    }
)

_ID_ALPHABET = string.ascii_letters + string.digits
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")


def validate_blocks(blocks: object, *, surface: Surface) -> list[str]:
    """The problems Slack would report for these blocks on that surface; empty when they are valid."""
    checker = _Checker()
    checker.blocks(blocks, "/blocks", surface)
    return checker.problems


def validate_view(view: object) -> list[str]:
    """The problems Slack would report for a modal or Home tab view object; empty when it is valid."""
    checker = _Checker()
    checker.view(view, "/view")
    return checker.problems


class _Checker:
    """Collects problems in Slack's wording: what broke and a JSON pointer to where."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, what: str, pointer: str) -> None:
        self.problems.append(f"{what} [json-pointer:{pointer}]")

    def string(self, value: object, pointer: str, limit: int, *, required: bool = False) -> None:
        if value is None:
            if required:
                self.add("missing required field", pointer)
            return
        if not isinstance(value, str):
            self.add("must be a string", pointer)
        elif len(value) > limit:
            self.add(f"must be less than {limit + 1} characters", pointer)

    def text(self, obj: object, pointer: str, *, limit: int, plain_only: bool = False) -> None:
        if obj is None:
            self.add("missing required field", pointer)
            return
        if not isinstance(obj, dict):
            self.add("must be a text object with a type and text", pointer)
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.add("must have a type of plain_text or mrkdwn", f"{pointer}/type")
        elif plain_only and kind != "plain_text":
            self.add("must be a plain_text object", f"{pointer}/type")
        text = obj.get("text")
        if not isinstance(text, str):
            self.add("missing required field: text", f"{pointer}/text")
        elif not text:
            self.add("must be more than 0 characters", f"{pointer}/text")
        elif len(text) > limit:
            self.add(f"must be less than {limit + 1} characters", f"{pointer}/text")

    def items(self, value: object, pointer: str, *, most: int, least: int = 0) -> list[Any]:
        if not isinstance(value, list):
            self.add("must be an array", pointer)
            return []
        if len(value) > most:
            self.add(f"must provide no more than {most} items", pointer)
        if len(value) < least:
            self.add(f"must provide at least {least} items", pointer)
        return value

    def view(self, view: object, pointer: str) -> None:
        if not isinstance(view, dict):
            self.add("must be a view object", pointer)
            return
        kind = view.get("type")
        if kind not in ("modal", "home"):
            self.add("must have a type of modal or home", f"{pointer}/type")
            return
        surface: Surface = "modal" if kind == "modal" else "home"
        blocks = view.get("blocks")
        if blocks is None:
            self.add("missing required field: blocks", f"{pointer}/blocks")
        else:
            self.blocks(blocks, f"{pointer}/blocks", surface)
        if kind == "modal":
            if "title" not in view:
                self.add("missing required field: title", f"{pointer}/title")
            else:
                self.text(view["title"], f"{pointer}/title", limit=24, plain_only=True)
            has_input = isinstance(blocks, list) and any(
                isinstance(b, dict) and b.get("type") == "input" for b in blocks
            )
            if "submit" in view:
                self.text(view["submit"], f"{pointer}/submit", limit=24, plain_only=True)
            elif has_input:
                self.add("must provide a submit button when the view has input blocks", f"{pointer}/submit")
            if "close" in view:
                self.text(view["close"], f"{pointer}/close", limit=24, plain_only=True)
        self.string(view.get("private_metadata"), f"{pointer}/private_metadata", 3000)
        self.string(view.get("callback_id"), f"{pointer}/callback_id", 255)
        self.string(view.get("external_id"), f"{pointer}/external_id", 255)

    def blocks(self, blocks: object, pointer: str, surface: Surface) -> None:
        items = self.items(blocks, pointer, most=MAX_BLOCKS[surface])
        seen: set[str] = set()
        for index, block in enumerate(items):
            self.block(block, f"{pointer}/{index}", seen)

    def block(self, block: object, pointer: str, seen_block_ids: set[str]) -> None:
        if not isinstance(block, dict):
            self.add("must be a block object", pointer)
            return
        kind = block.get("type")
        if not isinstance(kind, str):
            self.add("missing required field: type", f"{pointer}/type")
            return
        if kind not in KNOWN_BLOCK_TYPES:
            self.add(f"unsupported block type: {kind}", f"{pointer}/type")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            self.string(block_id, f"{pointer}/block_id", 255)
            if isinstance(block_id, str):
                if block_id in seen_block_ids:
                    self.add(f"duplicate block_id: {block_id}", f"{pointer}/block_id")
                seen_block_ids.add(block_id)
        action_ids: set[str] = set()
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.add("must define either text or fields", pointer)
            if "text" in block:
                self.text(block["text"], f"{pointer}/text", limit=3000)
            if "fields" in block:
                fields = self.items(block["fields"], f"{pointer}/fields", most=10, least=1)
                for index, text in enumerate(fields):
                    self.text(text, f"{pointer}/fields/{index}", limit=2000)
            if "accessory" in block:
                self.element(block["accessory"], f"{pointer}/accessory", action_ids)
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", limit=150, plain_only=True)
        elif kind == "actions":
            elements = self.items(block.get("elements"), f"{pointer}/elements", most=25, least=1)
            for index, element in enumerate(elements):
                self.element(element, f"{pointer}/elements/{index}", action_ids)
        elif kind == "context":
            elements = self.items(block.get("elements"), f"{pointer}/elements", most=10, least=1)
            for index, element in enumerate(elements):
                if isinstance(element, dict) and element.get("type") == "image":
                    self.element(element, f"{pointer}/elements/{index}", action_ids)
                else:
                    self.text(element, f"{pointer}/elements/{index}", limit=3000)
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", limit=2000, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{pointer}/hint", limit=2000, plain_only=True)
            if not isinstance(block.get("element"), dict):
                self.add("missing required field: element", f"{pointer}/element")
            else:
                self.element(block["element"], f"{pointer}/element", action_ids)
        elif kind == "image":
            self.image(block, pointer)
            if "title" in block:
                self.text(block["title"], f"{pointer}/title", limit=2000, plain_only=True)
        elif kind == "markdown":
            self.string(block.get("text"), f"{pointer}/text", 12000, required=True)

    def image(self, image: JsonDict, pointer: str) -> None:
        if "image_url" not in image and "slack_file" not in image:
            self.add("must define either image_url or slack_file", pointer)
        self.string(image.get("image_url"), f"{pointer}/image_url", 3000)
        self.string(image.get("alt_text"), f"{pointer}/alt_text", 2000, required=True)

    def element(self, element: object, pointer: str, action_ids: set[str]) -> None:
        if not isinstance(element, dict):
            self.add("must be an element object", pointer)
            return
        kind = element.get("type")
        if not isinstance(kind, str):
            self.add("missing required field: type", f"{pointer}/type")
            return
        action_id = element.get("action_id")
        if action_id is not None:
            self.string(action_id, f"{pointer}/action_id", 255)
            if isinstance(action_id, str):
                if action_id in action_ids:
                    self.add(f"duplicate action_id: {action_id}", f"{pointer}/action_id")
                action_ids.add(action_id)
        if "placeholder" in element:
            self.text(element["placeholder"], f"{pointer}/placeholder", limit=150, plain_only=True)
        if "confirm" in element:
            self.confirm(element["confirm"], f"{pointer}/confirm")
        if kind == "button":
            self.text(element.get("text"), f"{pointer}/text", limit=75, plain_only=True)
            self.string(element.get("value"), f"{pointer}/value", 2000)
            self.string(element.get("url"), f"{pointer}/url", 3000)
            if element.get("style") not in (None, "primary", "danger"):
                self.add("must be either primary or danger", f"{pointer}/style")
        elif kind == "image":
            self.image(element, pointer)
        elif kind in SELECTS_WITH_OPTIONS:
            if "options" in element:
                self.options(element["options"], f"{pointer}/options", most=100, plain_only=True)
            elif "option_groups" in element:
                groups = self.items(element["option_groups"], f"{pointer}/option_groups", most=100, least=1)
                for index, group in enumerate(groups):
                    group_pointer = f"{pointer}/option_groups/{index}"
                    if not isinstance(group, dict):
                        self.add("must be an option group object", group_pointer)
                        continue
                    self.text(group.get("label"), f"{group_pointer}/label", limit=75, plain_only=True)
                    self.options(group.get("options"), f"{group_pointer}/options", most=100, plain_only=True)
            else:
                self.add("must provide either options or option_groups", pointer)
        elif kind == "overflow":
            self.options(element.get("options"), f"{pointer}/options", most=5, plain_only=True)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(element.get("options"), f"{pointer}/options", most=10, plain_only=False)
        elif kind == "plain_text_input":
            self.string(element.get("initial_value"), f"{pointer}/initial_value", 3000)
            for bound in ("min_length", "max_length"):
                value = element.get(bound)
                if value is not None and (not isinstance(value, int) or not 0 <= value <= 3000):
                    self.add("must be a number from 0 to 3000", f"{pointer}/{bound}")
        elif kind == "datepicker":
            initial = element.get("initial_date")
            if initial is not None and not (isinstance(initial, str) and _DATE.match(initial)):
                self.add("must be a date in the format YYYY-MM-DD", f"{pointer}/initial_date")
        elif kind == "timepicker":
            initial = element.get("initial_time")
            if initial is not None and not (isinstance(initial, str) and _TIME.match(initial)):
                self.add("must be a time in the format HH:mm", f"{pointer}/initial_time")

    def options(self, options: object, pointer: str, *, most: int, plain_only: bool) -> None:
        for index, option in enumerate(self.items(options, pointer, most=most, least=1)):
            option_pointer = f"{pointer}/{index}"
            if not isinstance(option, dict):
                self.add("must be an option object", option_pointer)
                continue
            self.text(option.get("text"), f"{option_pointer}/text", limit=75, plain_only=plain_only)
            self.string(option.get("value"), f"{option_pointer}/value", 150, required=True)
            if "description" in option:
                self.text(option["description"], f"{option_pointer}/description", limit=75)

    def confirm(self, confirm: object, pointer: str) -> None:
        if not isinstance(confirm, dict):
            self.add("must be a confirmation dialog object", pointer)
            return
        self.text(confirm.get("title"), f"{pointer}/title", limit=100, plain_only=True)
        self.text(confirm.get("text"), f"{pointer}/text", limit=300)
        self.text(confirm.get("confirm"), f"{pointer}/confirm", limit=30, plain_only=True)
        self.text(confirm.get("deny"), f"{pointer}/deny", limit=30, plain_only=True)


def with_ids(blocks: list[JsonDict]) -> list[JsonDict]:
    """A copy of valid blocks with the block_id and action_id values Slack fills in where they are missing."""
    filled: list[JsonDict] = json_copy(blocks)
    taken = {b["block_id"] for b in filled if isinstance(b.get("block_id"), str)}
    for block in filled:
        if "block_id" not in block:
            block["block_id"] = _fresh_id(taken)
        elements = _interactive_elements(block)
        taken_actions = {e["action_id"] for e in elements if isinstance(e.get("action_id"), str)}
        for element in elements:
            if "action_id" not in element:
                element["action_id"] = _fresh_id(taken_actions)
    return filled


# Block and action IDs only need to differ from each other, as Slack's do: no secret is made of them.
_ids = random.Random()


def _fresh_id(taken: set[str]) -> str:
    while True:
        candidate = "".join(_ids.choices(_ID_ALPHABET, k=5))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _interactive_elements(block: JsonDict) -> list[JsonDict]:
    kind = block.get("type")
    if kind == "actions":
        candidates = block.get("elements", [])
    elif kind == "section":
        candidates = [block["accessory"]] if "accessory" in block else []
    elif kind == "input":
        candidates = [block["element"]] if "element" in block else []
    else:
        candidates = []
    return [e for e in candidates if isinstance(e, dict) and e.get("type") != "image"]


def buttons(blocks: list[JsonDict]) -> Iterator[tuple[JsonDict, JsonDict]]:
    """Every button in the blocks, with the block it sits in."""
    for block in blocks:
        for element in _interactive_elements(block):
            if element.get("type") == "button":
                yield block, element


def button_label(element: JsonDict) -> str:
    """The text a user sees on a button."""
    text = element.get("text")
    return str(text.get("text", "")) if isinstance(text, dict) else ""


def initial_state(blocks: list[JsonDict]) -> dict[str, dict[str, JsonDict]]:
    """view.state.values before the user touched anything: each stateful element with its initial value."""
    values: dict[str, dict[str, JsonDict]] = {}
    for block in blocks:
        for element in _interactive_elements(block):
            kind = str(element.get("type"))
            if kind in STATE_KEYS:
                state_key, initial_key = STATE_KEYS[kind]
                initial = element.get(initial_key, [] if kind in MULTI_VALUED else None)
                values.setdefault(block["block_id"], {})[element["action_id"]] = {
                    "type": kind,
                    state_key: copy.deepcopy(initial),
                }
    return values


def input_labels(blocks: list[JsonDict]) -> list[str]:
    """The labels of a view's input blocks, in order."""
    return [_label(b) for b in blocks if b.get("type") == "input"]


def _label(block: JsonDict) -> str:
    label = block.get("label")
    return str(label.get("text", "")) if isinstance(label, dict) else ""


def submitted_state(blocks: list[JsonDict], answers: dict[str, Any]) -> dict[str, dict[str, JsonDict]]:
    """view.state.values for `answers` keyed by input label; AssertionError where Slack's client would refuse."""
    labels = input_labels(blocks)
    unknown = [label for label in answers if label not in labels]
    if unknown:
        raise AssertionError(f"no input labelled {unknown!r} in this view; its inputs are {labels!r}")
    values = initial_state(blocks)
    for block in blocks:
        if block.get("type") != "input":
            continue
        label = _label(block)
        element = block["element"]
        kind = str(element.get("type"))
        if kind not in STATE_KEYS:
            continue
        state = values[block["block_id"]][element["action_id"]]
        state_key = STATE_KEYS[kind][0]
        if label in answers:
            state[state_key] = _answer(element, answers[label], label)
        if state[state_key] in (None, "", []) and not block.get("optional", False):
            raise AssertionError(f"Slack would not submit: {label!r} is required and empty")
        if kind == "plain_text_input" and isinstance(state[state_key], str):
            length = len(state[state_key])
            low, high = element.get("min_length", 0), element.get("max_length", 3000)
            if not low <= length <= high:
                raise AssertionError(
                    f"Slack would not submit: {label!r} must be {low} to {high} characters, not {length}"
                )
        if state[state_key] == "":
            state[state_key] = None
    return values


def _answer(element: JsonDict, answer: Any, label: str) -> Any:
    kind = str(element.get("type"))
    if answer is None:
        return [] if kind in MULTI_VALUED else None
    if kind in ("static_select", "radio_buttons", "external_select"):
        return _option(element, str(answer), label)
    if kind in ("multi_static_select", "checkboxes", "multi_external_select"):
        return [_option(element, str(a), label) for a in answer]
    if kind in MULTI_VALUED:
        return [str(a) for a in answer]
    if isinstance(answer, date):
        return answer.isoformat()
    if isinstance(answer, time):
        return answer.strftime("%H:%M")
    if kind == "datetimepicker":
        return int(answer)
    return str(answer)


def _option(element: JsonDict, text: str, label: str) -> JsonDict:
    options: list[JsonDict] = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    offered = [str(o.get("text", {}).get("text")) for o in options]
    for option, shown in zip(options, offered, strict=True):
        if shown == text:
            return copy.deepcopy(option)
    raise AssertionError(f"{label!r} offers no option {text!r}; it offers {offered!r}")
