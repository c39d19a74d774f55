"""Slack's state and Web API semantics for one stand-in workspace, independent of HTTP: the families of methods
(chat, views, files, users, each in its own module over the shared state) in one object, with what crosses them —
the dispatch of a call, authentication, injected faults and rate limits, Socket Mode tickets, and the replies shown
through acks and response_urls."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable

from . import blockkit
from .chat import ChatApi
from .files import FilesApi
from .listing import ListingApi
from .model import JsonDict, Message
from .oauth import OAuthApi
from .records import (
    ApiResult,
    Bucket,
    Fault,
    MessageRef,
    ResponseUrl,
    SlackError,
    index_of,
    reply_problems,
    response_metadata,
)
from .users import UsersApi
from .views import ViewsApi

log = logging.getLogger(__name__)


class Workspace(ChatApi, ViewsApi, FilesApi, UsersApi, ListingApi, OAuthApi):
    """Everything Slack knows about one app and the workspaces it is installed in (each with its own bot token);
    every method is safe to call from any thread."""

    def _web_api(self, method: str) -> Callable[[JsonDict], JsonDict] | None:
        """The stand-in's answer to a Web API method, or None for a method Slack would not know."""
        return {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "apps.connections.open": self._apps_connections_open,
        }.get(method)

    def fail(self, method: str, error: str, *, times: int, retry_after: int, status: int | None) -> None:
        """Make the next `times` calls of `method` fail with `error`."""
        with self.cond:
            if times <= 0:
                self._faults.pop(method, None)
            else:
                self._faults[method] = Fault(error=error, times=times, retry_after=retry_after, status=status)

    def stall(self, method: str, seconds: float) -> None:
        """Make calls of `method` wait `seconds` before Slack acts on them (0 clears)."""
        with self.cond:
            if seconds > 0:
                self._stalls[method] = seconds
            else:
                self._stalls.pop(method, None)

    def rate_limit(self, per_second: float | None) -> None:
        """Limit chat.postMessage in each workspace to `per_second` (None lifts the limit): Slack counts per
        workspace, so one workspace's posts never use up another's."""
        with self.cond:
            self._rate = per_second
            self._buckets = {}

    def plan(self, method: str) -> tuple[float, Fault | None]:
        """How long to hold a call before acting on it, and the fault it meets, if any."""
        with self.cond:
            delay = self.latency + self._stalls.get(method, 0.0)
            fault = self._faults.get(method)
            if fault is None:
                return delay, None
            fault.times -= 1
            if fault.times <= 0:
                del self._faults[method]
            return delay, fault

    def fault_answer(self, method: str, args: JsonDict, fault: Fault) -> ApiResult:
        """The answer an injected fault gives, recorded like any call."""
        self.record(method, args, ok=False, error=fault.error)
        if fault.error == "ratelimited":
            return ApiResult(
                fault.status or 429,
                {"ok": False, "error": "ratelimited"},
                {"Retry-After": str(fault.retry_after)},
            )
        return ApiResult(fault.status or 200, {"ok": False, "error": fault.error})

    def call(self, method: str, args: JsonDict, token: str | None) -> ApiResult:
        """Answer one Web API call the way Slack would, and record it."""
        headers: dict[str, str] = {}
        status = 200
        try:
            if method == "files.upload":
                raise SlackError("method_deprecated")
            handler = self._web_api(method)
            if handler is None:
                raise SlackError("unknown_method")
            self.calling_team = self._authenticate(method, token)
            self._within_workspace(method, args)
            if method == "chat.postMessage" and not self._take_post_token(self.calling_team or self.team_id):
                raise SlackError("ratelimited", status=429)
            with self.cond:
                body = {"ok": True, **handler(args)}
            self.record(method, args, ok=True)
        except SlackError as e:
            body = {"ok": False, "error": e.error, **e.extra}
            status = e.status
            if e.error == "ratelimited":
                headers["Retry-After"] = "1"
            self.record(method, args, ok=False, error=e.error)
        finally:
            self.calling_team = None
        return ApiResult(status, body, headers)

    def _authenticate(self, method: str, token: str | None) -> str | None:
        """The workspace the token is for; SlackError when Slack would refuse it."""
        if not token:
            raise SlackError("not_authed")
        if method == "apps.connections.open":
            if token == self.app_token:
                return None
            raise SlackError("not_allowed_token_type" if self.token_team(token) else "invalid_auth")
        if method == "api.test":
            return None
        if token == self.app_token:
            raise SlackError("not_allowed_token_type")
        team = self.token_team(token)
        if team is None:
            raise SlackError("invalid_auth")
        return team

    def _within_workspace(self, method: str, args: JsonDict) -> None:
        """A bot token reaches its own workspace only: a DM to a member of another one is not found."""
        channel = args.get("channel")
        if not method.startswith("chat.") or not isinstance(channel, str) or self.calling_team is None:
            return
        with self.cond:
            member = self._users.get(channel)
            if member is not None and member.team_id != self.calling_team:
                raise SlackError("channel_not_found")

    def _take_post_token(self, team_id: str) -> bool:
        with self.cond:
            rate = self._rate
            if rate is None:
                return True
            bucket = self._buckets.get(team_id)
            if bucket is None:
                capacity = max(1.0, rate)
                bucket = self._buckets[team_id] = Bucket(rate, capacity, capacity, time.monotonic())
            return bucket.take(time.monotonic())

    def _api_test(self, args: JsonDict) -> JsonDict:
        return {"args": args} if args else {}

    def _apps_connections_open(self, args: JsonDict) -> JsonDict:
        ticket = secrets.token_urlsafe(18)
        self._tickets.add(ticket)
        return {"url": f"{self.ws_base}/link/?ticket={ticket}&app_id={self.app_id}"}

    def redeem_ticket(self, ticket: str) -> bool:
        """True once for each ticket apps.connections.open issued."""
        with self.cond:
            if ticket in self._tickets:
                self._tickets.discard(ticket)
                return True
            return False

    def issue_response_url(
        self,
        *,
        user_id: str,
        team_id: str,
        channel: str,
        source: MessageRef | None = None,
        follows_replies: bool = False,
    ) -> str:
        """A fresh response_url on the stand-in, tied to the user, the channel and any source message."""
        with self.cond:
            key = secrets.token_urlsafe(18)
            self._response_urls[key] = ResponseUrl(
                user_id=user_id, team_id=team_id, channel=channel, source=source, follows_replies=follows_replies
            )
            return f"{self.http_base}/response/{key}"

    def show_reply(
        self,
        *,
        user_id: str,
        channel: str,
        reply: JsonDict,
        via_response_url: bool,
        source: MessageRef | None = None,
    ) -> Message | None:
        """Show a message reply (an ack body or a response_url post) the way Slack would; None if it deletes."""
        with self.cond:
            original = self._source_message(source)
            if reply.get("delete_original") in (True, "true") and original is not None:
                pool = self._pool_of(original)
                del pool[index_of(pool, original)]
                self.touch()
                return None
            text = str(reply.get("text") or "")
            blocks = blockkit.with_ids(reply["blocks"]) if isinstance(reply.get("blocks"), list) else []
            if reply.get("replace_original") in (True, "true") and original is not None:
                return self._replace_message(original, text=text, blocks=blocks, response_url_posted=via_response_url)
            thread_ts = reply.get("thread_ts")
            return self._store_message(
                Message(
                    channel=channel,
                    ts=self.next_ts(),
                    text=text,
                    blocks=blocks,
                    thread_ts=str(thread_ts) if thread_ts else None,
                    ephemeral=reply.get("response_type") != "in_channel",
                    user=None if reply.get("response_type") == "in_channel" else user_id,
                    response_url_posted=via_response_url,
                )
            )

    def _source_message(self, source: MessageRef | None) -> Message | None:
        if source is None:
            return None
        channel, ts, ephemeral = source
        if ephemeral:
            return next(
                (m for pool in self._ephemerals.values() for m in pool if m.ts == ts and m.channel == channel), None
            )
        return self._find_message(channel, ts)

    def post_to_response_url(self, key: str, body: object) -> ApiResult:
        """Answer a POST to a response_url the way Slack's hooks endpoint does."""
        with self.cond:
            target = self._response_urls.get(key)
            args = body if isinstance(body, dict) else {"body": body}
            if target is None:
                self.record("response_url", args, ok=False, error="no_service")
                return ApiResult(404, {"ok": False, "error": "no_service"})
            if not isinstance(body, dict):
                self.record("response_url", args, ok=False, error="invalid_payload")
                return ApiResult(400, {"ok": False, "error": "invalid_payload"})
            problems = reply_problems(body)
            if problems:
                error = problems[0]
                self.record("response_url", body, ok=False, error=error)
                log.warning("Slack stand-in rejected a response_url post: %s", "; ".join(problems[1:]))
                return ApiResult(400, {"ok": False, "error": error, **response_metadata(problems[1:])})
            message = self.show_reply(
                user_id=target.user_id, channel=target.channel, reply=body, via_response_url=True, source=target.source
            )
            if message is not None and target.follows_replies:
                target.source = MessageRef(message.channel, message.ts, message.ephemeral)
            self.record("response_url", body, ok=True)
            return ApiResult(200, {"ok": True})

    def show_ack(self, response_url: str, ack: JsonDict) -> None:
        """Show a command's ack body to the user, or record why Slack would refuse it."""
        with self.cond:
            target = self._response_urls[response_url.rsplit("/", 1)[-1]]
            problems = reply_problems(ack)
            if problems:
                log.warning("Slack stand-in rejected an ack: %s", "; ".join(problems))
                self.record("ack", ack, ok=False, error=problems[0])
                return
            message = self.show_reply(user_id=target.user_id, channel=target.channel, reply=ack, via_response_url=False)
            if message is not None:
                target.source = MessageRef(message.channel, message.ts, message.ephemeral)
