"""Add to Slack: the install page, and the page a person lands on when Slack sends them back to the app.

Bolt's OAuth flow does the work (a state issued with a cookie, checked and used once; `oauth.v2.access`; the
installation saved in the store); this module says what the person sees and what the coach does on success.
"""

from __future__ import annotations

import html
import logging

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs

from handlers.installs import Installs

log = logging.getLogger(__name__)

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;
color:#1d1c1d}} h1{{font-size:1.6rem}} a.add{{display:inline-flex;align-items:center;padding:.7rem 1.2rem;
border:1px solid #ddd;border-radius:6px;color:#000;font-weight:600;text-decoration:none}} code{{background:#f4f4f4;
padding:.1rem .3rem;border-radius:3px}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""

WHY_REFUSED = {
    "invalid_browser": (
        "This page was opened without the install link's cookie: the install was started in another browser, or "
        "already finished here."
    ),
    "invalid_state": "This install link is not one this app issued, has expired, or was already used.",
    "access_denied": "The install was cancelled in Slack, so nothing was installed.",
    "missing_code": "Slack did not send the code that finishes the install.",
    "invalid_code": "Slack did not accept the code that finishes the install (it expires after ten minutes).",
    "storage_error": "The app could not save the installation.",
}


def page(title: str, body: str) -> str:
    """A small HTML page; `body` is markup the app wrote, `title` plain text."""
    return _PAGE.format(title=html.escape(title), body=body)


def install_page(authorize_url: str) -> str:
    """The Add to Slack page: what the app is, and the button that starts Slack's consent page."""
    return page(
        "Breakthrough Coach for Slack",
        "<p>A stand, and a daily practice toward it: each member declares a specific outcome by a date and "
        "practises for 14 days — share 2, act 2, request 2 — with a morning nudge, an honest account of promises "
        "and a weekly recap for the team.</p>"
        f'<p><a class="add" href="{html.escape(authorize_url, quote=True)}">Add to Slack</a></p>'
        "<p><small>You choose the workspace on the next page, and Slack shows what the app may do there.</small></p>",
    )


def installed_page(team_name: str) -> str:
    """What the person sees once the app is installed: what to do next."""
    return page(
        "Breakthrough Coach is installed",
        f"<p>Breakthrough Coach is now in <strong>{html.escape(team_name)}</strong>. I've sent you a DM in Slack "
        "with the first steps.</p>"
        "<ol><li>In any channel, type <code>/stand &lt;the outcome you commit to&gt; by &lt;date&gt;</code>.</li>"
        "<li>An admin types <code>/coach recap here</code> in the channel where the weekly recap should go.</li>"
        "<li><code>/coach help</code> lists everything.</li></ol>"
        "<p>You can close this page and go back to Slack.</p>",
    )


def refused_page(reason: str) -> str:
    """Why the install did not finish, and how to try again."""
    why = WHY_REFUSED.get(reason, "The install did not finish.")
    return page(
        "The install did not finish",
        f"<p>{html.escape(why)}</p><p>Nothing was changed. Start again from the "
        '<a href="/slack/install">install page</a>.</p>',
    )


class CoachOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow with the coach's pages."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return install_page(url)


def callbacks(installs: Installs) -> CallbackOptions:
    """What the coach does when an install finishes (welcome the installer) or fails (say why)."""

    def success(args: SuccessArgs) -> BoltResponse:
        installs.installed(args.installation)
        team = args.installation.team_name or args.installation.team_id or "your workspace"
        return BoltResponse(status=200, body=installed_page(team), headers={"Content-Type": "text/html; charset=utf-8"})

    def failure(args: FailureArgs) -> BoltResponse:
        log.warning("an install was refused: %s", args.reason)
        return BoltResponse(
            status=args.suggested_status_code,
            body=refused_page(args.reason),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )

    return CallbackOptions(success=success, failure=failure)
