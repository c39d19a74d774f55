"""SlackStandIn: Slack on loopback, playing both the Web API and the side that sends the app requests."""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

from . import blockkit, client
from .installing import Installer
from .model import AppReply, Call, JsonDict, Message, UploadedFile, View
from .records import MAX_MODAL_STACK, MessageRef, User, WallClock
from .server import ApiServer
from .socket_mode import NoAck, SocketLink
from .workspace import Workspace

log = logging.getLogger(__name__)

T = TypeVar("T")
Mode = Literal["http", "socket"]
Kind = Literal["slash_commands", "interactive", "events_api"]

# Slack gives up on an ack after 3 seconds and shows the user an error.
ACK_DEADLINE = 3.0


class SlackStandIn:
    """A realistic stand-in for Slack on 127.0.0.1, for end-to-end tests and demos."""

    def __init__(
        self,
        *,
        signing_secret: str = "test-secret",
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-test",
        team_id: str = "T1",
        team_domain: str = "acme",
        app_id: str = "A1",
        bot_user_id: str = "UBOT",
        bot_id: str = "B1",
        verification_token: str = "standin-verification-token",
        clock: WallClock | None = None,
    ) -> None:
        self.signing_secret = signing_secret
        self.verification_token = verification_token
        self.request_url: str | None = None
        self.mode: Mode = "http"
        self.ack_timeout = 5.0
        self._ws = Workspace(
            bot_token=bot_token,
            app_token=app_token,
            team_id=team_id,
            team_domain=team_domain,
            app_id=app_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            clock=clock,
        )
        self._stopping = threading.Event()
        self._api: ApiServer | None = None
        self._api_thread: threading.Thread | None = None
        self._socket = SocketLink(self._ws)
        self.oauth = Installer(self._ws, self.send_event)
        """Installing the app through the browser and Slack's consent page; uninstalling it; revoking tokens."""

    def start(self) -> SlackStandIn:
        """Start the Web API and Socket Mode servers on ephemeral loopback ports."""
        if self._api is not None:
            raise RuntimeError("the stand-in is already running")
        self._stopping.clear()
        self._api = ApiServer(self._ws, self._stopping)
        self._api_thread = threading.Thread(
            target=self._api.serve_forever, kwargs={"poll_interval": 0.05}, name="standin-web-api", daemon=True
        )
        self._api_thread.start()
        self._ws.http_base = self._api.base_url
        self._ws.ws_base = self._socket.start()
        return self

    def stop(self) -> None:
        """Close Socket Mode connections cleanly, then stop the Web API."""
        self._socket.stop()
        self._stopping.set()
        if self._api is not None:
            self._api.shutdown()
            self._api.server_close()
            self._api = None
        if self._api_thread is not None:
            self._api_thread.join()
            self._api_thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        """The Web API base URL to give the app as SLACK_API_URL, with a trailing slash."""
        if not self._ws.http_base:
            raise RuntimeError("start the stand-in first")
        return f"{self._ws.http_base}/api/"

    @property
    def connections_accepted(self) -> int:
        """TCP connections the Web API has accepted so far."""
        if self._api is None:
            raise RuntimeError("start the stand-in first")
        return self._api.connections_accepted

    @property
    def calls_held(self) -> int:
        """Web API calls read and not yet answered because Slack is made slow for them (`latency`, `stall`)."""
        if self._api is None:
            raise RuntimeError("start the stand-in first")
        return self._api.calls_held

    def drop_connections(self, *, reset: bool = False) -> None:
        """Close every connection callers keep open to the Web API, as a server does with idle ones (with `reset`,
        abortively, as a crashed load balancer would)."""
        if self._api is None:
            raise RuntimeError("start the stand-in first")
        self._api.drop_connections(reset=reset)

    @property
    def team_id(self) -> str:
        """The default workspace's ID."""
        return self._ws.team_id

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str | None = None,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "UTC",
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        """Add a member; users.info will describe them."""
        self._ws.add_user(
            user_id,
            team_id=team_id,
            name=name,
            real_name=real_name,
            tz=tz,
            is_admin=is_admin,
            is_owner=is_owner,
            is_bot=is_bot,
            deleted=deleted,
        )

    def set_user(self, user_id: str, **changes: Any) -> None:
        """Change a member's fields, e.g. `tz="Asia/Tokyo"` or `deleted=True`."""
        self._ws.set_user(user_id, **changes)

    def add_channel(
        self,
        channel_id: str,
        *,
        team_id: str | None = None,
        name: str | None = None,
        is_private: bool = False,
        bot_is_member: bool = True,
    ) -> None:
        """Add a channel; C1 (#general) exists from the start."""
        self._ws.add_channel(channel_id, team_id=team_id, name=name, is_private=is_private, bot_is_member=bot_is_member)

    def fail(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        times: int = 1,
        retry_after: int = 1,
        status: int | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail; "connection_reset" drops the connection instead."""
        self._ws.fail(method, error, times=times, retry_after=retry_after, status=status)

    def stall(self, method: str, seconds: float) -> None:
        """Hold calls of `method` for `seconds` before Slack acts on and answers them (0 clears)."""
        self._ws.stall(method, seconds)

    @property
    def latency(self) -> float:
        """Seconds added before every Web API answer."""
        return self._ws.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._ws.latency = seconds

    def rate_limit(self, per_second: float | None) -> None:
        """Limit chat.postMessage workspace-wide; beyond it Slack answers 429 with Retry-After: 1."""
        self._ws.rate_limit(per_second)

    def calls(self, method: str | None = None) -> list[Call]:
        """Every recorded call (or those of one method), in order."""
        return self._ws.calls(method)

    def messages(self, channel: str) -> list[Message]:
        """Public messages in a channel, a DM ("D…"), or a user's DM with the bot (a user ID)."""
        return self._ws.messages(channel)

    def last_message(self, channel: str) -> Message:
        """The newest public message in a conversation."""
        found = self._ws.messages(channel)
        if not found:
            raise AssertionError(f"no messages in {channel}; {self._conversation_summary()}")
        return found[-1]

    def ephemerals(self, user_id: str) -> list[Message]:
        """Everything only this user saw: command acks, response_url replies, chat.postEphemeral."""
        return self._ws.ephemerals(user_id)

    def open_views(self, user_id: str) -> list[View]:
        """The user's modal stack, top last."""
        return self._ws.open_views(user_id)

    def home(self, user_id: str) -> View | None:
        """The Home tab published for the user, if any."""
        return self._ws.home(user_id)

    def files(self, channel: str | None = None) -> list[UploadedFile]:
        """Uploaded files, optionally only those shared to a conversation (or a user's DM)."""
        return self._ws.files(channel)

    def wait_for(self, predicate: Callable[[], T | None], timeout: float = 10.0) -> T:
        """Wait until `predicate()` is truthy and return it; it should only read the stand-in's state. The timeout
        is a bound, not a pause (it returns as soon as the predicate holds): room for two cores running the suite."""
        deadline = time.monotonic() + timeout
        cond = self._ws.cond
        while True:
            with cond:
                version = self._ws.version
            result = predicate()
            if result:
                return result
            with cond:
                while self._ws.version == version:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise AssertionError(f"condition not met within {timeout} s; {self._call_summary()}")
                    cond.wait(remaining)

    def _call_summary(self) -> str:
        calls = self._ws.calls()
        if not calls:
            return "no calls were recorded"
        lines = [f"{len(calls)} calls recorded (latest last):"]
        for call in calls[-40:]:
            outcome = "ok" if call.ok else f"error={call.error}"
            args = json.dumps(call.args, default=str)
            lines.append(f"  {call.method} {outcome} {args[:240]}")
        return "\n".join(lines)

    def _conversation_summary(self) -> str:
        channels = self._ws.conversations_with_messages()
        return f"messages exist in {channels}" if channels else "no conversation has messages"

    @property
    def socket_connections(self) -> int:
        """How many Socket Mode connections the app holds open."""
        return self._socket.connection_count

    def wait_for_socket_connection(self, timeout: float = 5.0) -> None:
        """Wait until the app holds a Socket Mode connection."""
        self.wait_for(lambda: self._socket.connection_count > 0, timeout)

    def disconnect_socket(self) -> None:
        """Send Slack's "disconnect" message and close the newest connection; the app should reconnect."""
        self._socket.disconnect()

    def command(
        self, user_id: str, command: str, text: str = "", *, channel: str = "C1", team_id: str | None = None
    ) -> AppReply:
        """Run a slash command as the user; its ack's text or blocks become an ephemeral (or in_channel) reply."""
        user = self._user(user_id)
        team = team_id or user.team_id
        conversation = self._ws.conversation_of(channel)
        channel_name = self._ws.channel_name(conversation)
        response_url = self._ws.issue_response_url(
            user_id=user.id, team_id=team, channel=conversation, follows_replies=True
        )
        form = {
            "token": self.verification_token,
            "team_id": team,
            "team_domain": self._domain(team),
            "channel_id": conversation,
            "channel_name": channel_name,
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": self._ws.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self._ws.issue_trigger(user.id, team),
        }
        reply = self._deliver("slash_commands", form)
        ack = _ack_message(reply)
        if ack is not None and (ack.get("text") or ack.get("blocks") is not None):
            self._ws.show_ack(response_url, ack)
        return reply

    def click(
        self,
        user_id: str,
        where: Message | View,
        button_text: str,
        *,
        team_id: str | None = None,
        under: str | None = None,
    ) -> AppReply:
        """Click a button by its visible text, in a message as the test holds it (maybe stale) or an open view.

        `under` picks among buttons of the same label the way a person does: the one in the first row of
        buttons after the text that contains it.
        """
        payload, blocks = self._block_actions(user_id, where, team_id)
        block, element = self._button(self._under(blocks, under) if under else blocks, button_text)
        return self._send_action(payload, block, element)

    def press(self, user_id: str, where: Message | View, block_id: str, action_id: str) -> AppReply:
        """Press the button with these IDs, as a Slack client does for the one a person clicked."""
        payload, blocks = self._block_actions(user_id, where, None)
        for block, element in blockkit.buttons(blocks):
            if block.get("block_id") == block_id and element.get("action_id") == action_id:
                return self._send_action(payload, block, element)
        raise AssertionError(f"no button {block_id}/{action_id} here")

    def _block_actions(
        self, user_id: str, where: Message | View, team_id: str | None
    ) -> tuple[JsonDict, list[JsonDict]]:
        """A block_actions payload for `where` as the user sees it, without its action, and the blocks there."""
        user = self._user(user_id)
        team = team_id or user.team_id
        payload: JsonDict = {
            "type": "block_actions",
            "user": self._user_ref(user, team),
            "api_app_id": self._ws.app_id,
            "token": self.verification_token,
            "trigger_id": self._ws.issue_trigger(user.id, team),
            "team": {"id": team, "domain": self._domain(team)},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if isinstance(where, View):
            view = self._interactable_view(user.id, where)
            payload["container"] = {"type": "view", "view_id": view.id}
            payload["view"] = self._view_payload(view, team)
            return payload, view.blocks
        # A stale copy may be clicked, as from a second device or a fast double click; it must still exist.
        self._ws.current_message(where)
        message = where
        if message.ephemeral and message.user != user.id:
            raise AssertionError(f"{user.id} cannot see the ephemeral message {message.ts} shown to {message.user}")
        payload["container"] = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": message.ephemeral,
        }
        payload["channel"] = {"id": message.channel, "name": self._ws.channel_name(message.channel)}
        if not message.ephemeral:
            payload["message"] = self._ws.message_object(message)
        payload["state"] = {"values": blockkit.initial_state(message.blocks)}
        payload["response_url"] = self._ws.issue_response_url(
            user_id=user.id,
            team_id=team,
            channel=message.channel,
            source=MessageRef(message.channel, message.ts, message.ephemeral),
        )
        return payload, message.blocks

    def _send_action(self, payload: JsonDict, block: JsonDict, element: JsonDict) -> AppReply:
        action: JsonDict = {
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "text": copy.deepcopy(element["text"]),
            "type": "button",
            "action_ts": self._ws.next_ts(),
        }
        for optional in ("value", "style", "url"):
            if optional in element:
                action[optional] = element[optional]
        payload["actions"] = [action]
        reply = self._deliver("interactive", payload)
        if _ack_message(reply):
            log.warning("Slack ignores the body of a block_actions ack; use respond() or the Web API: %s", reply.body)
        return reply

    def submit(
        self,
        user_id: str,
        view: View,
        values: dict[str, Any] | None = None,
        *,
        state: dict[str, dict[str, JsonDict]] | None = None,
    ) -> AppReply:
        """Fill the modal's inputs by label (or give its `state.values` as a client builds them), submit it as the
        user, and apply the app's response_action."""
        user = self._user(user_id)
        current = self._interactable_view(user.id, view)
        if current.type != "modal":
            raise AssertionError(f"view {current.id} is a {current.type} view; only modals can be submitted")
        raw = self._view_payload(current, user.team_id)
        raw["state"] = {
            "values": state if state is not None else blockkit.submitted_state(current.blocks, values or {})
        }
        payload: JsonDict = {
            "type": "view_submission",
            "team": {"id": user.team_id, "domain": self._domain(user.team_id)},
            "user": self._user_ref(user, user.team_id),
            "api_app_id": self._ws.app_id,
            "token": self.verification_token,
            "trigger_id": self._ws.issue_trigger(user.id, user.team_id),
            "view": raw,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        reply = self._deliver("interactive", payload)
        self._apply_submission(user.id, current, reply)
        return reply

    def close_view(self, user_id: str, view: View) -> None:
        """Close the user's top modal with its close button (the app asks for no view_closed event)."""
        self._interactable_view(self._user(user_id).id, view)
        self._ws.close_views(user_id, all_views=False)

    @property
    def workspace(self) -> Workspace:
        """The workspace's state, for a Slack client drawing it."""
        return self._ws

    def open_home(self, user_id: str) -> AppReply:
        """Open the app's Home tab as the user (an app_home_opened event)."""
        user = self._user(user_id)
        event: JsonDict = {
            "type": "app_home_opened",
            "user": user.id,
            "channel": f"D{user.id}",
            "tab": "home",
            "event_ts": self._ws.next_ts(),
        }
        home = self._ws.home(user.id)
        if home is not None:
            event["view"] = copy.deepcopy(home.raw)
        return self.send_event(event, team_id=user.team_id)

    def send_event(
        self, event: JsonDict, *, team_id: str | None = None, retry_attempt: int = 0, retry_reason: str = ""
    ) -> AppReply:
        """Deliver any Events API event wrapped in an event_callback, optionally as a retry."""
        team = team_id or self._ws.team_id
        inner = {"event_ts": self._ws.next_ts(), **event}
        body: JsonDict = {
            "token": self.verification_token,
            "team_id": team,
            "context_team_id": team,
            "context_enterprise_id": None,
            "api_app_id": self._ws.app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": self._ws.next_id("Ev"),
            "event_time": int(self._ws.now()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": self._ws.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        return self._deliver("events_api", body, retry_attempt=retry_attempt, retry_reason=retry_reason)

    def send_raw(
        self, body: bytes, headers: dict[str, str], *, sign: bool = True, timestamp: int | str | None = None
    ) -> AppReply:
        """POST exactly these bytes to the request URL over HTTP, signed unless sign=False."""
        return client.post(
            self._request_url(),
            body,
            headers,
            signing_secret=self.signing_secret if sign else None,
            timestamp=None if timestamp is None else str(timestamp),
        )

    def _deliver(self, kind: Kind, payload: JsonDict, *, retry_attempt: int = 0, retry_reason: str = "") -> AppReply:
        started = time.monotonic()
        try:
            if self.mode == "socket":
                reply = self._deliver_socket(kind, payload, retry_attempt, retry_reason)
            elif self.mode == "http":
                reply = self._deliver_http(kind, payload, retry_attempt, retry_reason)
            else:
                raise ValueError(f"mode must be 'http' or 'socket', not {self.mode!r}")
        except (NoAck, TimeoutError):
            self._ws.record("ack", {"kind": kind}, ok=False, error="operation_timeout")
            log.warning("the app did not ack a %s request within %s s", kind, self.ack_timeout)
            return AppReply(status=0, body=None, headers={})
        elapsed = time.monotonic() - started
        if elapsed > ACK_DEADLINE:
            self._ws.record("ack", {"kind": kind, "seconds": round(elapsed, 3)}, ok=False, error="operation_timeout")
            log.warning("the app took %.1f s to ack a %s request; Slack gives up after 3 s", elapsed, kind)
        return reply

    def _deliver_http(self, kind: Kind, payload: JsonDict, retry_attempt: int, retry_reason: str) -> AppReply:
        headers: dict[str, str] = {}
        if kind == "slash_commands":
            body = urlencode(payload).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif kind == "interactive":
            body = urlencode({"payload": json.dumps(payload)}).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(payload).encode("utf-8")
            headers["Content-Type"] = "application/json"
            if retry_attempt:
                headers["X-Slack-Retry-Num"] = str(retry_attempt)
                headers["X-Slack-Retry-Reason"] = retry_reason
        return client.post(
            self._request_url(), body, headers, signing_secret=self.signing_secret, timeout=self.ack_timeout
        )

    def _deliver_socket(self, kind: Kind, payload: JsonDict, retry_attempt: int, retry_reason: str) -> AppReply:
        envelope: JsonDict = {
            "envelope_id": str(uuid.uuid4()),
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        ack = self._socket.deliver(envelope, timeout=self.ack_timeout)
        body = ack.get("payload")
        return AppReply(status=200, body=body if isinstance(body, dict | str) and body else None, headers={})

    def _request_url(self) -> str:
        if not self.request_url:
            raise AssertionError("set slack.request_url to the app's Slack endpoint first")
        return self.request_url

    def _user(self, user_id: str) -> User:
        user = self._ws.user(user_id)
        if user is None:
            raise AssertionError(f"no user {user_id}; add them with slack.add_user({user_id!r})")
        return user

    def _domain(self, team_id: str) -> str:
        return self._ws.team_domain if team_id == self._ws.team_id else team_id.lower()

    @staticmethod
    def _user_ref(user: User, team_id: str) -> JsonDict:
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": team_id}

    def _view_payload(self, view: View, team_id: str) -> JsonDict:
        raw = copy.deepcopy(view.raw)
        if team_id != self._ws.team_id:
            raw["team_id"] = team_id
            raw["app_installed_team_id"] = team_id
        return raw

    def _interactable_view(self, user_id: str, view: View) -> View:
        owner, current = self._ws.current_view(view.id)
        if owner != user_id:
            raise AssertionError(f"view {view.id} is open for {owner}, not {user_id}")
        stack = self._ws.open_views(owner)
        if current.type == "modal" and stack[-1].id != current.id:
            raise AssertionError(f"view {view.id} is under another modal; only the top modal can be used")
        return current

    @staticmethod
    def _under(blocks: list[JsonDict], text: str) -> list[JsonDict]:
        """The first actions block after the first block whose text contains `text`."""
        seen_text = False
        for block in blocks:
            if not seen_text:
                seen_text = text in json.dumps(block.get("text") or block.get("elements") or "", ensure_ascii=False)
            elif block.get("type") == "actions":
                return [block]
        raise AssertionError(f"no row of buttons under a block containing {text!r}")

    @staticmethod
    def _button(blocks: list[JsonDict], text: str) -> tuple[JsonDict, JsonDict]:
        found = list(blockkit.buttons(blocks))
        matches = [(b, e) for b, e in found if blockkit.button_label(e) == text]
        if len(matches) != 1:
            labels = [blockkit.button_label(e) for _, e in found]
            how = "no" if not matches else f"{len(matches)}"
            raise AssertionError(f"{how} buttons labelled {text!r}; buttons present: {labels!r}")
        return matches[0]

    def _apply_submission(self, user_id: str, view: View, reply: AppReply) -> None:
        if reply.status != 200:
            return  # Slack shows the user an error and leaves the modal open
        ack = _ack_message(reply)
        action = ack.get("response_action") if ack else None
        if ack and action is None and (ack.get("text") or ack.get("errors")):
            self._bad_ack(ack, "invalid_response", "a view_submission ack needs a response_action or no body")
        elif action is None:
            self._ws.close_views(user_id, all_views=False)
        elif action == "clear":
            self._ws.close_views(user_id, all_views=True)
        elif action == "errors":
            assert ack is not None
            inputs = {b["block_id"] for b in view.blocks if b.get("type") == "input"}
            errors = ack.get("errors")
            if not isinstance(errors, dict) or not errors or not set(errors) <= inputs:
                detail = f"errors must name input block_ids {sorted(inputs)}, got {errors!r}"
                self._bad_ack(ack, "invalid_arguments", detail)
        elif action in ("update", "push"):
            assert ack is not None
            new_view = ack.get("view")
            problems = blockkit.validate_view(new_view)
            if isinstance(new_view, dict) and new_view.get("type") != "modal":
                problems.append("must be a modal view [json-pointer:/view/type]")
            if problems:
                self._bad_ack(ack, "invalid_arguments", "; ".join(problems))
            elif action == "update":
                assert isinstance(new_view, dict)
                self._ws.replace_view(view, new_view)
            elif len(self._ws.open_views(user_id)) >= MAX_MODAL_STACK:
                self._bad_ack(ack, "push_limit_reached", "at most three modals can be stacked")
            else:
                assert isinstance(new_view, dict)
                self._ws.push_view(user_id, new_view)
        else:
            self._bad_ack(ack or {}, "invalid_arguments", f"unknown response_action {action!r}")

    def _bad_ack(self, ack: JsonDict, error: str, detail: str) -> None:
        log.warning("Slack stand-in rejected an ack (%s): %s", error, detail)
        self._ws.record("ack", {**ack, "problem": detail}, ok=False, error=error)


def _ack_message(reply: AppReply) -> JsonDict | None:
    """The ack body as Slack reads it: JSON as is, plain text as {"text": ...}, nothing as None."""
    if reply.status != 200 or not reply.body:
        return None
    if isinstance(reply.body, str):
        return {"text": reply.body}
    return reply.body


__all__ = ["SlackStandIn"]
