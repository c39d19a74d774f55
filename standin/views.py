"""views.open, views.push, views.update and views.publish as Slack answers them, with the trigger_ids that open
modals and the modal stacks that responses push onto and close."""

from __future__ import annotations

import copy
import logging
import secrets

from . import blockkit
from .model import JsonDict, View
from .records import MAX_MODAL_STACK, TRIGGER_TTL, SlackError, Trigger, response_metadata
from .state import WorkspaceState

log = logging.getLogger(__name__)


class ViewsApi(WorkspaceState):
    """The views.* methods: modals (a stack per member, opened by a trigger_id) and Home tabs."""

    def issue_trigger(self, user_id: str, team_id: str) -> str:
        """A fresh trigger_id for a payload, good for one views.open/push within 3 seconds."""
        with self.cond:
            trigger_id = f"{self._serial + 1}.{int(self.now())}.{secrets.token_hex(16)}"
            self._serial += 1
            self._triggers[trigger_id] = Trigger(user_id=user_id, team_id=team_id, issued_at=self.now())
            return trigger_id

    def _redeem_trigger(self, trigger_id: object) -> Trigger:
        trigger = self._triggers.get(str(trigger_id)) if trigger_id else None
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self.now() - trigger.issued_at > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _view_from(self, args: JsonDict, *, kind: str | None = None) -> JsonDict:
        view = args.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments", extra=response_metadata(["[ERROR] missing required field: view"]))
        if kind is not None and view.get("type") != kind:
            problem = f"[ERROR] must be a {kind} view [json-pointer:/view/type]"
            raise SlackError("invalid_arguments", extra=response_metadata([problem]))
        problems = blockkit.validate_view(view)
        if problems:
            log.warning("Slack stand-in rejected a view: %s", "; ".join(problems))
            raise SlackError("invalid_arguments", extra=response_metadata([f"[ERROR] {p}" for p in problems]))
        return view

    def build_view(
        self, view: JsonDict, *, view_id: str | None = None, root_id: str | None = None, previous: str | None = None
    ) -> View:
        """A stored view from a valid view argument: IDs, hash and initial state filled in as Slack does."""
        new_id = view_id or self.next_id("V")
        blocks = blockkit.with_ids(list(view.get("blocks", [])))
        raw: JsonDict = {
            "id": new_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": blocks,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": blockkit.initial_state(blocks)},
            "hash": f"{int(self.now())}.{secrets.token_hex(4)}",
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous,
            "root_view_id": root_id or new_id,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        title = raw["title"]
        return View(
            id=new_id,
            type=str(raw["type"]),
            callback_id=str(raw["callback_id"]),
            title=str(title.get("text", "")) if isinstance(title, dict) else "",
            blocks=blocks,
            private_metadata=str(raw["private_metadata"]),
            raw=raw,
        )

    def _check_external_id(self, view: JsonDict, *, except_id: str | None = None) -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        for existing in self._all_views():
            if existing.raw.get("external_id") == external_id and existing.id != except_id:
                raise SlackError("duplicate_external_id")

    def _all_views(self) -> list[View]:
        return [v for stack in self._stacks.values() for v in stack] + list(self._homes.values())

    def _views_open(self, args: JsonDict) -> JsonDict:
        trigger = self._redeem_trigger(args.get("trigger_id") or args.get("interactivity_pointer"))
        view = self._view_from(args, kind="modal")
        self._check_external_id(view)
        stored = self.build_view(view)
        self._stacks[trigger.user_id] = [stored]
        self.touch()
        return {"view": copy.deepcopy(stored.raw)}

    def _views_push(self, args: JsonDict) -> JsonDict:
        trigger = self._redeem_trigger(args.get("trigger_id") or args.get("interactivity_pointer"))
        view = self._view_from(args, kind="modal")
        stack = self._stacks.setdefault(trigger.user_id, [])
        if len(stack) >= MAX_MODAL_STACK:
            raise SlackError("push_limit_reached")
        self._check_external_id(view)
        stored = self.build_view(
            view,
            root_id=stack[0].id if stack else None,
            previous=stack[-1].id if stack else None,
        )
        stack.append(stored)
        self.touch()
        return {"view": copy.deepcopy(stored.raw)}

    def _views_update(self, args: JsonDict) -> JsonDict:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise SlackError(
                "invalid_arguments", extra=response_metadata(["[ERROR] either view_id or external_id is required"])
            )
        existing = next(
            (v for v in self._all_views() if (v.id == view_id if view_id else v.raw.get("external_id") == external_id)),
            None,
        )
        if existing is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != existing.raw["hash"]:
            raise SlackError("hash_conflict")
        view = self._view_from(args, kind=existing.type)
        self._check_external_id(view, except_id=existing.id)
        self.replace_view(existing, view)
        return {"view": copy.deepcopy(self._find_view(existing.id).raw)}

    def replace_view(self, existing: View, view: JsonDict) -> View:
        """Swap a stored view's content for `view`, keeping its ID and place."""
        with self.cond:
            new = self.build_view(
                view,
                view_id=existing.id,
                root_id=existing.raw.get("root_view_id"),
                previous=existing.raw.get("previous_view_id"),
            )
            for stack in self._stacks.values():
                for index, candidate in enumerate(stack):
                    if candidate.id == existing.id:
                        stack[index] = new
            for user_id, home in list(self._homes.items()):
                if home.id == existing.id:
                    self._homes[user_id] = new
            self.touch()
            return new

    def _find_view(self, view_id: str) -> View:
        return next(v for v in self._all_views() if v.id == view_id)

    def _views_publish(self, args: JsonDict) -> JsonDict:
        user = self._users.get(str(args.get("user_id", "")))
        if user is None:
            raise SlackError("user_not_found")
        view = self._view_from(args, kind="home")
        existing = self._homes.get(user.id)
        if existing is not None and args.get("hash") and args["hash"] != existing.raw["hash"]:
            raise SlackError("hash_conflict")
        self._check_external_id(view, except_id=existing.id if existing else None)
        self._homes[user.id] = self.build_view(view, view_id=existing.id if existing else None)
        self.touch()
        return {"view": copy.deepcopy(self._homes[user.id].raw)}

    def push_view(self, user_id: str, view: JsonDict) -> View:
        """Push a view on the user's stack (a `push` response_action)."""
        with self.cond:
            stack = self._stacks.setdefault(user_id, [])
            stored = self.build_view(
                view, root_id=stack[0].id if stack else None, previous=stack[-1].id if stack else None
            )
            stack.append(stored)
            self.touch()
            return stored

    def close_views(self, user_id: str, *, all_views: bool) -> None:
        """Close the top modal, or the whole stack."""
        with self.cond:
            stack = self._stacks.get(user_id, [])
            if all_views:
                stack.clear()
            elif stack:
                stack.pop()
            self.touch()
