"""A realistic stand-in for Slack on loopback: the Web API the app calls and the requests Slack sends it."""

from .blockkit import validate_blocks, validate_view
from .model import AppReply, Call, Message, UploadedFile, View
from .standin import SlackStandIn

__all__ = [
    "AppReply",
    "Call",
    "Message",
    "SlackStandIn",
    "UploadedFile",
    "View",
    "validate_blocks",
    "validate_view",
]
