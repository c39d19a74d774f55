"""The domain: the coach's rules and use cases, in feature modules of plain functions that take a keyword-only
`session` (stands, practice, requests, promises, breakdowns, members, workspaces, status, records; the scheduled
nudges, follow-ups and recaps), behind the `Coach` facade that runs each use case in one unit of work.

It imports no Slack library and nothing of `handlers/`; storage is reached only through `storage/`.
"""

from bot.coach.deliveries import Replayed
from bot.coach.facade import Coach
from bot.coach.values import (
    CoachRefusal,
    Context,
    FollowedStand,
    Joined,
    MemberId,
    NotFound,
    Profile,
    Progress,
    RequestMoved,
    StandConflict,
    StandDeclared,
    Status,
)
from storage.queries import MemberFacts

__all__ = [
    "Coach",
    "CoachRefusal",
    "Context",
    "FollowedStand",
    "Joined",
    "MemberFacts",
    "MemberId",
    "NotFound",
    "Profile",
    "Progress",
    "Replayed",
    "RequestMoved",
    "StandConflict",
    "StandDeclared",
    "Status",
]
