"""Slack's outgoing side over HTTP: signed requests to the app's request URL."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from .model import AppReply, JsonDict

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature of a body sent at `timestamp`."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    signing_secret: str | None,
    timestamp: str | None = None,
    timeout: float = 10.0,
) -> AppReply:
    """POST to the app as Slack does, signed unless `signing_secret` is None, and return its reply."""
    sent = {"User-Agent": USER_AGENT, **headers}
    if signing_secret is not None:
        # The app checks the timestamp against its own wall clock, so sign with real time.
        stamp = timestamp or str(int(time.time()))
        sent["X-Slack-Request-Timestamp"] = stamp
        sent["X-Slack-Signature"] = signature(signing_secret, stamp, body)
    request = urllib.request.Request(url, data=body, headers=sent, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _reply(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return _reply(error.code, dict(error.headers.items()), error.read())
    except TimeoutError:
        raise  # the app did not answer in time: the caller records it as Slack would
    except (urllib.error.URLError, OSError) as error:
        raise AssertionError(f"the app at {url} could not be reached: {error}") from error


def _reply(status: int, headers: dict[str, str], raw: bytes) -> AppReply:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    body: JsonDict | str | None = None
    if raw:
        text = raw.decode("utf-8", "replace")
        body = text
        if content_type.startswith("application/json"):
            try:
                body = json.loads(text)
            except ValueError:
                body = text
    return AppReply(status=status, body=body, headers=headers)
