"""Block Kit builders, split by feature: pure functions from the coach's data to the blocks Slack shows.

`primitives` holds what every builder is made of (escaping, clipping, people, dates, sections, buttons, limits)
and `words` the one table of words for a request's state. Each feature module builds its own messages and
views: `stands`, `practice`, `requests`, `promises`, `breakdowns`, `follow_ups`, `nudges`, `recaps`, `home`,
`help` and `modals`. Callers import from the feature module; this package re-exports nothing.

One style: builders compose slack_sdk's block models through the primitives and `dump` them to dicts. The morning
nudge alone writes plain dicts, for speed in a fan-out to thousands (see `nudges`).
"""
