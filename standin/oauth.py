"""Installing the app as Slack does it: the consent page (`/oauth/v2/authorize`), `oauth.v2.access` (a code for a
workspace's bot token, or, with token rotation, a refresh token for a fresh one), a bot token per workspace, and
what uninstalling or revoking does to them."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from .model import JsonDict
from .records import ApiResult, SlackError
from .state import WorkspaceState

# Slack's bot tokens under token rotation last twelve hours.
ROTATION_LIFETIME = 12 * 60 * 60


@dataclass
class Grant:
    """One bot token Slack handed out: whose it is, until when (rotation), and whether it was revoked."""

    team_id: str
    expires_at: float | None = None
    revoked: bool = False


@dataclass(frozen=True)
class Consent:
    """A code the consent page gave out: who clicked Allow, in which workspace, for which scopes."""

    team_id: str
    user_id: str
    scopes: str
    redirect_uri: str | None


class OAuthApi(WorkspaceState):
    """The app's credentials as Slack knows them, and every workspace's bot token."""

    client_id: str | None = None
    client_secret: str | None = None
    rotation = False
    token_lifetime = ROTATION_LIFETIME
    oauth_redirect_url: str | None = None
    """The Redirect URL configured on the app (used when the authorize request names none)."""
    consenting: tuple[str, str] | None = None
    """Who clicks Allow on the consent page: (team ID, user ID)."""

    def oauth_app(self, client_id: str, client_secret: str, *, rotation: bool = False) -> None:
        """Give the app a client ID and secret (Basic Information), with or without token rotation."""
        with self.cond:
            self.client_id, self.client_secret, self.rotation = client_id, client_secret, rotation

    def _oauth_state(self) -> tuple[dict[str, Grant], dict[str, str], dict[str, Consent], dict[str, str]]:
        """Tokens, refresh tokens (to their team), unredeemed codes and each team's current token."""
        if not hasattr(self, "_grants"):
            self._grants: dict[str, Grant] = {self.bot_token: Grant(self.team_id)}
            self._refresh: dict[str, str] = {}
            self._codes: dict[str, Consent] = {}
            self._current: dict[str, str] = {self.team_id: self.bot_token}
        return self._grants, self._refresh, self._codes, self._current

    def consent(self, query: str) -> ApiResult:
        """GET /oauth/v2/authorize as `consenting` (team, user) clicks Allow: a redirect back to the app with a code."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        who = self.consenting
        with self.cond:
            self.record(
                "oauth.v2.authorize", dict(params), ok=who is not None and params.get("client_id") == self.client_id
            )
            redirect = params.get("redirect_uri") or self.oauth_redirect_url
            if who is None or params.get("client_id") != self.client_id or not redirect:
                return ApiResult(400, {"ok": False, "error": "invalid_client_id_or_no_consent"})
            code = secrets.token_urlsafe(18)
            self._oauth_state()[2][code] = Consent(who[0], who[1], params.get("scope", ""), params.get("redirect_uri"))
            answer = urlencode({"code": code, "state": params.get("state", "")})
            return ApiResult(302, {"ok": True}, {"Location": f"{redirect}?{answer}"})

    def oauth_access(self, args: JsonDict, authorization: str) -> ApiResult:
        """oauth.v2.access: the app's credentials (Basic auth or form fields) and a code or a refresh token."""
        client_id, client_secret = str(args.get("client_id", "")), str(args.get("client_secret", ""))
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[len("Basic ") :]).decode("utf-8", "replace")
            client_id, _, client_secret = decoded.partition(":")
        shown = {k: v for k, v in args.items() if k not in ("client_secret", "code", "refresh_token")}
        try:
            with self.cond:
                if self.client_id is None or (client_id, client_secret) != (self.client_id, self.client_secret):
                    raise SlackError("invalid_client_id" if client_id != self.client_id else "bad_client_secret")
                if args.get("grant_type") == "refresh_token":
                    body = self._refreshed(str(args.get("refresh_token", "")))
                else:
                    body = self._installed(str(args.get("code", "")), args.get("redirect_uri"))
        except SlackError as error:
            self.record("oauth.v2.access", shown, ok=False, error=error.error)
            return ApiResult(200, {"ok": False, "error": error.error})
        self.record("oauth.v2.access", {**shown, "team": body.get("team", {}).get("id")}, ok=True)
        return ApiResult(200, {"ok": True, **body})

    def _installed(self, code: str, redirect_uri: object) -> JsonDict:
        grants, _, codes, current = self._oauth_state()
        consent = codes.pop(code, None)
        if consent is None:
            raise SlackError("invalid_code")
        if consent.redirect_uri is not None and redirect_uri != consent.redirect_uri:
            raise SlackError("bad_redirect_uri")
        token = current.get(consent.team_id)
        if self.rotation or token is None or grants[token].revoked:
            token = self.issue(consent.team_id)
        body: JsonDict = {
            "app_id": self.app_id,
            "authed_user": {"id": consent.user_id},
            "scope": consent.scopes,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": self.bot_user_id,
            "team": {"id": consent.team_id, "name": self.team_name(consent.team_id)},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return {**body, **self._rotation_fields(token)}

    def _refreshed(self, refresh_token: str) -> JsonDict:
        _, refresh, _, current = self._oauth_state()
        team_id = refresh.get(refresh_token)
        if team_id is None or current.get(team_id) is None:
            raise SlackError("invalid_refresh_token")
        token = self.issue(team_id)
        del refresh[refresh_token]
        return {
            "app_id": self.app_id,
            "scope": "",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": self.bot_user_id,
            "team": {"id": team_id, "name": self.team_name(team_id)},
            "enterprise": None,
            "is_enterprise_install": False,
            **self._rotation_fields(token),
        }

    def issue(self, team_id: str) -> str:
        grants, _, _, current = self._oauth_state()
        prefix = "xoxe.xoxb-1-" if self.rotation else "xoxb-"
        token = f"{prefix}{team_id}-{secrets.token_hex(8)}"
        expires_at = self.now() + self.token_lifetime if self.rotation else None
        grants[token] = Grant(team_id, expires_at)
        current[team_id] = token
        return token

    def _rotation_fields(self, token: str) -> JsonDict:
        if not self.rotation:
            return {}
        grants, refresh, _, _ = self._oauth_state()
        refresh_token = f"xoxe-1-{secrets.token_hex(12)}"
        refresh[refresh_token] = grants[token].team_id
        return {"refresh_token": refresh_token, "expires_in": self.token_lifetime}

    def team_name(self, team_id: str) -> str:
        """A workspace's name as Slack would show it."""
        return self.team_domain if team_id == self.team_id else team_id.lower()

    def bot_token_of(self, team_id: str) -> str | None:
        """The bot token Slack last gave the app for `team_id` (None if never installed or revoked)."""
        with self.cond:
            token = self._oauth_state()[3].get(team_id)
            return token if token is not None and not self._grants[token].revoked else None

    def revoke(self, team_id: str) -> None:
        """Every bot token of the workspace stops working (uninstalling, or revoking tokens)."""
        with self.cond:
            grants, refresh, _, current = self._oauth_state()
            for grant in grants.values():
                if grant.team_id == team_id:
                    grant.revoked = True
            for refresh_token in [r for r, team in refresh.items() if team == team_id]:
                del refresh[refresh_token]
            current.pop(team_id, None)

    def token_team(self, token: str) -> str | None:
        """The workspace a bot token belongs to; SlackError if it was revoked or has expired; None if unknown."""
        with self.cond:
            grant = self._oauth_state()[0].get(token)
            if grant is None:
                return None
            if grant.revoked:
                raise SlackError("token_revoked")
            if grant.expires_at is not None and self.now() >= grant.expires_at:
                raise SlackError("token_expired")
            return grant.team_id
