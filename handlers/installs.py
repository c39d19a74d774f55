"""Distribution mode: every workspace that installs the app gets its own bot token, and the app sends to each
workspace with its own.

- `WorkspacePosters` finds a workspace's token in the installation store (refreshing it first when token rotation
  is on and it is close to expiring) and keeps one `PacedPoster` per workspace, so each is paced on its own and a
  429 pauses only that one. Lookups are cached for a minute; a workspace that left is forgotten at once here, and
  on other instances within that minute or at Slack's first refusal of its token.
- `Installs` is what happens when a workspace arrives (the installer's welcome DM, through the outbox) and when it
  leaves (`app_uninstalled`, `tokens_revoked`, or Slack refusing its token: the installation is deleted, nothing
  more is sent, and its data waits out the retention window).
- `SignedStates` makes the OAuth state a nonce signed with SLACK_STATE_SECRET and kept in the database until used,
  so a forged state is refused before any lookup and a used one is refused the second time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from logging import Logger
from typing import Any

from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.coach import Coach, MemberId
from handlers.blocks.welcome import build_welcome
from handlers.outbox import dm
from handlers.posting import PacedPoster
from handlers.slack_io import ensure_profile
from handlers.web_client import KeepAliveWebClient

log = logging.getLogger(__name__)

NO_TOKEN = frozenset({"invalid_auth", "token_revoked", "token_expired", "not_authed"})
"""Slack's answers meaning the workspace's token is no good: the workspace is treated as gone, never retried."""

RECHECK_SECONDS = 60.0
"""How long a workspace's token (or its absence) is trusted before the installation store is asked again."""

ROTATE_BEFORE_MINUTES = 120
"""With token rotation, a token is refreshed once it is this close to expiring (Bolt's listeners use the same)."""


class SignedStates(OAuthStateStore):
    """OAuth states that are a stored nonce and its HMAC with the state secret: issued once, consumed once."""

    def __init__(self, inner: OAuthStateStore, secret: str) -> None:
        self._inner = inner
        self._key = secret.encode()

    @property
    def logger(self) -> Logger:
        return log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        nonce = self._inner.issue(*args, **kwargs)
        return f"{nonce}.{self._sign(nonce)}"

    def consume(self, state: str) -> bool:
        nonce, _, signature = (state or "").rpartition(".")
        if not nonce or not hmac.compare_digest(signature.encode(), self._sign(nonce).encode()):
            log.warning("an OAuth redirect came with a state this app did not sign")
            return False
        return bool(self._inner.consume(nonce))

    def _sign(self, nonce: str) -> str:
        digest = hmac.new(self._key, nonce.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass
class _Known:
    """What this instance knows of one workspace's token, and since when."""

    poster: PacedPoster | None  # None: not installed (or gone)
    expires_at: float | None  # the token's expiry (epoch seconds) under rotation
    checked_at: float  # time.monotonic() of the lookup


class WorkspacePosters:
    """One paced poster per installed workspace, each calling Slack with that workspace's bot token."""

    def __init__(
        self,
        store: InstallationStore,
        *,
        api_url: str,
        per_second: float,
        stop: threading.Event | None = None,
        rotator: TokenRotator | None = None,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        self.store = store
        self.api_url = api_url
        self.per_second = per_second
        self.rotator = rotator
        self.recheck_seconds = recheck_seconds
        self.on_lost: Callable[[str], None] | None = None
        """Called with a workspace whose token Slack refused for good (set by the composition root)."""
        self._stop = stop or threading.Event()
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._known: dict[str, _Known] = {}

    def for_team(self, team_id: str) -> PacedPoster | None:
        """The workspace's poster, with its current token; None when the app is not installed there."""
        fresh = self._fresh(team_id)
        if fresh is not None:
            return fresh.poster
        # One lookup at a time: threads of a pass asking for the same workspace wait for the first one's answer.
        with self._refreshing:
            fresh = self._fresh(team_id)
            if fresh is not None:
                return fresh.poster
            with self._lock:
                earlier = self._known.get(team_id)
            installation = self._installation(team_id)
            known = self._remember(team_id, installation, earlier)
            return known.poster

    def forget(self, team_id: str) -> None:
        """Look the workspace up again next time (it was just installed, or it left)."""
        with self._lock:
            self._known.pop(team_id, None)

    def gone(self, team_id: str) -> None:
        """Nothing more goes to the workspace from this instance: a pass already running skips it from now on."""
        with self._lock:
            self._known[team_id] = _Known(None, None, time.monotonic())

    def refused(self, team_id: str, code: str) -> bool:
        """Slack refused a call with `code`: when that means the token is no good, the workspace is gone (and
        True); a workspace without a valid token is never retried."""
        if code not in NO_TOKEN:
            return False
        log.warning("Slack refused workspace %s's token (%s): treating the app as uninstalled there", team_id, code)
        self.gone(team_id)
        if self.on_lost is not None:
            self.on_lost(team_id)
        return True

    def _fresh(self, team_id: str) -> _Known | None:
        with self._lock:
            known = self._known.get(team_id)
        if known is None or time.monotonic() - known.checked_at >= self.recheck_seconds:
            return None
        if known.expires_at is not None and known.expires_at - time.time() < ROTATE_BEFORE_MINUTES * 60:
            return None  # time to refresh the token
        return known

    def _installation(self, team_id: str) -> Installation | None:
        installation = self.store.find_installation(enterprise_id=None, team_id=team_id)
        if installation is None or installation.bot_token is None:
            return None
        if self.rotator is None or installation.bot_refresh_token is None:
            return installation
        try:
            refreshed = self.rotator.perform_token_rotation(
                installation=installation, minutes_before_expiration=ROTATE_BEFORE_MINUTES
            )
        except SlackTokenRotationError as error:
            return self._not_refreshed(team_id, installation, str(error.api_error.response.get("error")))
        except OSError as error:  # Slack could not be reached: the token still works until it expires
            return self._not_refreshed(team_id, installation, type(error).__name__)
        if refreshed is not None:
            self.store.save(refreshed)
            log.info("refreshed workspace %s's bot token", team_id)
            return refreshed
        return installation

    def _not_refreshed(self, team_id: str, tried: Installation, code: str) -> Installation | None:
        """Slack did not refresh the token: another instance (or a listener) may have just done it with the same
        refresh token; otherwise a refresh token Slack no longer knows means the workspace is gone."""
        latest = self.store.find_installation(enterprise_id=None, team_id=team_id)
        if latest is not None and latest.bot_token not in (None, tried.bot_token):
            return latest
        log.warning("workspace %s's token could not be refreshed: %s", team_id, code)
        if code in ("invalid_refresh_token", "invalid_grant_type", "token_revoked"):
            self.refused(team_id, "token_revoked")
            return None
        return tried  # Slack's own trouble: the token still works until it expires, and the next lookup tries again

    def _remember(self, team_id: str, installation: Installation | None, earlier: _Known | None) -> _Known:
        if installation is None or installation.bot_token is None:
            known = _Known(None, None, time.monotonic())
        else:
            # The same poster across token refreshes: its pace and any pause Slack asked for carry over.
            poster = earlier.poster if earlier is not None and earlier.poster is not None else None
            client = KeepAliveWebClient(
                token=installation.bot_token, base_url=self.api_url, timeout=10, retry_handlers=[]
            )
            if poster is None:
                poster = PacedPoster(client, self.per_second, stop=self._stop)
            else:
                poster.client = client
            expiry = _expiry(installation)
            if expiry is not None and expiry - time.time() < ROTATE_BEFORE_MINUTES * 60:
                expiry = None  # not refreshed this time (Slack's trouble): tried again at the next recheck, not sooner
            known = _Known(poster, expiry, time.monotonic())
        with self._lock:
            self._known[team_id] = known
        return known


def _expiry(installation: Installation) -> float | None:
    expires_at = installation.bot_token_expires_at
    return float(expires_at) if expires_at else None


class Installs:
    """A workspace arriving (installed or reinstalled) and leaving (uninstalled, or its token revoked)."""

    def __init__(self, coach: Coach, store: InstallationStore, posters: WorkspacePosters, api_url: str) -> None:
        self.coach = coach
        self.store = store
        self.posters = posters
        self.api_url = api_url
        posters.on_lost = self.lost

    def installed(self, installation: Installation) -> None:
        """The workspace installed the app (again): its data is kept, and the installer is welcomed."""
        team_id, user_id = installation.team_id, installation.user_id
        if team_id is None:
            return
        self.posters.forget(team_id)
        installer = MemberId(team_id, user_id)
        client = KeepAliveWebClient(token=installation.bot_token, base_url=self.api_url, timeout=10)
        # Slack's word on whether the installer is an admin (and their zone); without it, the welcome still goes.
        member = ensure_profile(client, self.coach, installer)
        admin = user_id in self.coach.admins or (member is not None and member.is_admin)
        text, blocks = build_welcome(installer=True, admin=admin)
        with self.coach.transaction():
            returned = self.coach.workspace_returned(team_id)
            self.coach.welcome(installer)  # this is their welcome: their first command brings no second one
            self.coach.tell(dm(installer, text, blocks))
        log.info("installed in %s by %s%s", team_id, user_id, " (back within the retention window)" if returned else "")

    def lost(self, team_id: str) -> None:
        """The app is gone from the workspace: send nothing more, delete the installation, and let the data wait
        out the retention window (or go at once with a window of 0)."""
        self.posters.gone(team_id)
        self.store.delete_installation(enterprise_id=None, team_id=team_id)
        self.store.delete_bot(enterprise_id=None, team_id=team_id)
        self.coach.workspace_left(team_id)
        log.info("the app left workspace %s: nothing more is sent there", team_id)
