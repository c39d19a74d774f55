"""Reads and writes, each scoped by `team_id`; the session is always a keyword-only argument.

Split by record type; callers use them as `queries.<name>` through this package.
"""

from storage.queries.breakdowns import (
    breakthrough_since,
    breakthroughs_between,
    count_breakdowns_between,
    count_resolved_between,
    latest_unresolved_breakdown,
    noticed_on,
    open_breakdowns_by_member,
    stand_has_breakthrough,
)
from storage.queries.common import (
    Row,
    compare_and_set,
    get_scoped,
)
from storage.queries.members import (
    close_pause,
    ensure_member,
    get_member,
    get_workspace,
    mark_welcomed,
    member_zones,
    members_with_weekends,
    open_pause,
    pauses_between,
)
from storage.queries.practice import (
    practice_by_member_day,
    practice_counts,
    program_numbers,
)
from storage.queries.promises import (
    agreed_renegotiations,
    count_overdue,
    forget_follow_ups,
    member_promises,
    milestones,
    open_due_dates_by_member,
    open_promises,
    proposed_renegotiation,
    week_accounts,
    withdraw_renegotiations,
)
from storage.queries.records import (
    export_rows,
    forget_member,
)
from storage.queries.requests import (
    OPEN_REQUEST_STATES,
    promised_requests,
    request_statuses,
    requests_made,
    requests_received,
)
from storage.queries.stands import (
    active_stand,
    active_stands_with_followers,
    follower_ids,
    joins_between,
    members_with_stand_between,
    reading_spans,
    remove_follower,
    set_idea_request,
    stands_declared_between,
    stands_followed,
)

__all__ = [
    "OPEN_REQUEST_STATES",
    "Row",
    "active_stand",
    "active_stands_with_followers",
    "agreed_renegotiations",
    "breakthrough_since",
    "breakthroughs_between",
    "close_pause",
    "compare_and_set",
    "count_breakdowns_between",
    "count_overdue",
    "count_resolved_between",
    "ensure_member",
    "export_rows",
    "follower_ids",
    "forget_follow_ups",
    "forget_member",
    "get_member",
    "get_scoped",
    "get_workspace",
    "joins_between",
    "latest_unresolved_breakdown",
    "mark_welcomed",
    "member_promises",
    "member_zones",
    "members_with_stand_between",
    "members_with_weekends",
    "milestones",
    "noticed_on",
    "open_breakdowns_by_member",
    "open_due_dates_by_member",
    "open_pause",
    "open_promises",
    "pauses_between",
    "practice_by_member_day",
    "practice_counts",
    "program_numbers",
    "promised_requests",
    "proposed_renegotiation",
    "reading_spans",
    "remove_follower",
    "request_statuses",
    "requests_made",
    "requests_received",
    "set_idea_request",
    "stand_has_breakthrough",
    "stands_declared_between",
    "stands_followed",
    "week_accounts",
    "withdraw_renegotiations",
]
