"""Installing the app into a workspace the way a person does it in a browser — the app's Add to Slack page, Slack's
consent page, back to the app's redirect URL — and uninstalling it, or revoking its tokens, the way Slack tells the
app (`app_uninstalled`, `tokens_revoked`)."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .model import AppReply, JsonDict
from .workspace import Workspace

_AUTHORIZE_LINK = re.compile(r'href="([^"]*/oauth/v2/authorize\?[^"]*)"')


@dataclass(frozen=True)
class Page:
    """What the browser showed: the status, the page, and the URL it came from (to load it again)."""

    status: int
    text: str
    url: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    """One GET, redirects not followed: status, headers (lower-case names) and body."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(_NoRedirects())
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


class Installer:
    """A person's browser and Slack's side of installing: one per stand-in."""

    def __init__(self, workspace: Workspace, send_event: Callable[..., AppReply]) -> None:
        self._ws = workspace
        self._send_event = send_event
        self.cookie: str | None = None

    def app(
        self,
        client_id: str,
        client_secret: str,
        *,
        rotation: bool = False,
        token_lifetime: int | None = None,
        redirect_url: str | None = None,
    ) -> None:
        """Give the app its client ID and secret, token rotation on or off (tokens lasting `token_lifetime`
        seconds, twelve hours unless set), and its configured Redirect URL."""
        self._ws.oauth_app(client_id, client_secret, rotation=rotation)
        if token_lifetime is not None:
            self._ws.token_lifetime = token_lifetime
        if redirect_url is not None:
            self._ws.oauth_redirect_url = redirect_url

    def install(self, install_url: str, *, team_id: str, user_id: str, state: str | None = None) -> Page:
        """`user_id` of `team_id` opens the app's install page, clicks Add to Slack, then Allow; the page the app
        shows at the end. `state` replaces the one the app issued (a forged state)."""
        status, headers, body = _get(install_url)
        if status != 200:
            return Page(status, body, install_url)
        # Browsers treat loopback as a secure context, so the state cookie (Secure) comes back to the app.
        cookie = headers.get("set-cookie")
        self.cookie = cookie.split(";", 1)[0] if cookie else None
        link = _AUTHORIZE_LINK.search(body)
        if link is None:
            raise AssertionError(f"no Add to Slack link on the install page: {body[:300]}")
        authorize = html.unescape(link.group(1))
        if state is not None:
            authorize = _with_query(authorize, state=state)
        self._ws.consenting = (team_id, user_id)
        # The link names slack.com's host or the stand-in's (SLACK_API_URL's); Slack's page is the stand-in's.
        parts = urlsplit(authorize)
        consent = self._ws.consent(parts.query)
        if consent.status != 302:
            return Page(consent.status, str(consent.body), authorize)
        redirect = consent.headers["Location"]
        return self.open(redirect)

    def open(self, url: str) -> Page:
        """Load `url` in the same browser (its cookies too): a redirect URL loaded again, say."""
        status, _, body = _get(url, self.cookie)
        return Page(status, body, url)

    def uninstall(self, team_id: str) -> AppReply:
        """Someone removes the app from `team_id`: its tokens stop working and the app hears `app_uninstalled`."""
        self._ws.revoke(team_id)
        return self._send_event({"type": "app_uninstalled"}, team_id=team_id)

    def revoke_tokens(self, team_id: str) -> AppReply:
        """The workspace revokes the app's bot token: it stops working and the app hears `tokens_revoked`."""
        self._ws.revoke(team_id)
        event: JsonDict = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [self._ws.bot_user_id]}}
        return self._send_event(event, team_id=team_id)

    def grant(self, team_id: str) -> str:
        """A bot token for `team_id` as if the workspace had installed the app (no browser): for set-ups."""
        with self._ws.cond:
            return self._ws.issue(team_id)

    def revoke_tokens_silently(self, team_id: str) -> None:
        """The workspace's tokens stop working, and no event tells the app (it was down, or missed it)."""
        self._ws.revoke(team_id)

    def token_of(self, team_id: str) -> str | None:
        """The bot token Slack last gave the app for `team_id`."""
        return self._ws.bot_token_of(team_id)


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))
