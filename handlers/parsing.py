"""Reading what a member types after a slash command into typed values, with kind errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

MAX_TEXT_LENGTH = 3000
MAX_DAYS_AHEAD = 3650

CoachCommandName = Literal[
    "help",
    "status",
    "team",
    "recap_here",
    "recap_at",
    "recap_integrity",
    "nudge",
    "weekends",
    "pause",
    "resume",
    "export",
    "forget_me",
]


class ParseError(ValueError):
    """What a member typed could not be read; `message` says so kindly, addressed to them."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ShareInput:
    """A share as typed: the people told, each once and in order, and an optional note."""

    told_user_ids: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class RequestInput:
    """A request as typed: who is asked, what for, and by when if given."""

    recipient_id: str
    what: str
    due_on: date | None


@dataclass(frozen=True, slots=True)
class PromiseInput:
    """A promise as typed: what will be done, and by when if given."""

    what: str
    due_on: date | None


@dataclass(frozen=True, slots=True)
class CoachCommand:
    """A `/coach` subcommand and its argument, if it takes one."""

    name: CoachCommandName
    arg: str | None = None


_WEEKDAYS: dict[str, int] = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "weds": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_DATE_ATTEMPT_WORDS = frozenset({"yesterday", "today", "tomorrow", "in", "next", *_WEEKDAYS})

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_IN_N = re.compile(r"in ([0-9]+) (day|days|week|weeks)")
_TRAILING_PUNCTUATION = ".,;!"
# Words that put a date off rather than give one: after a last "by" they are no date at all.
_VAGUE_DATE = re.compile(
    r"some ?day|one day|some ?time|soon(?:ish)?|sooner or later|later(?: on)?|eventually|whenever|"
    r"as soon as (?:possible|i can|we can)|a\.?s\.?a\.?p|"
    r"(?:the )?end of (?:the |this )?(?:day|week|month|quarter|year)|eo[dwmqy]"
)

_BY = re.compile(r"(?<!\S)by(?!\S)", re.IGNORECASE)
# Slack's own markup (<@U1|name>, <https://x|label>) can carry spaces and the word "by" in its label.
_SLACK_MARKUP = re.compile(r"<[^<>]*>")

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_CHANNEL_MENTION = re.compile(r"<#[^<>|]*(?:\|([^<>]*))?>")
_SPECIAL_MENTION = re.compile(r"<!([^<>|]*)(?:\|([^<>]*))?>")
_OTHER_MENTION = re.compile(r"<@[^<>]*>")
_PLAIN_AT_NAME = re.compile(r"@[^\s,<>]+")
_BETWEEN_MENTIONS = re.compile(r"(?:[\s,]|\band\b|&amp;)*", re.IGNORECASE)
_BEFORE_TEXT = re.compile(r"^[\s,:;]*(?:[-–—]\s+)?")

_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ENTITY = re.compile("|".join(_ENTITIES))

_CLOCK_24H = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_CLOCK_12H = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?\s*([ap])\.?\s*m\.?")

_SHARE_EXAMPLE = "`/share @maria @sam Told them about my stand`"
_REQUEST_EXAMPLE = "`/request @maria Review the pitch deck by friday`"
_PROMISE_EXAMPLE = "`/promise Send Ana the budget by friday`"
_COACH_MENU = (
    "`help`, `status`, `team`, `recap here`, `recap <weekday> HH:MM`, `recap integrity on|off`, `nudge HH:MM`, "
    "`weekends on|off`, `pause`, `resume`, `export` or `forget me`"
)


def _quoted(text: str) -> str:
    if len(text) <= 40:
        return f"“{text}”"
    words = text[:40].split()
    # Cut at a word boundary so a member's words are never shown half-written.
    shown = " ".join(words[:-1]) if len(words) > 1 else text[:40]
    return f"“{shown}…”"


def _date_examples(today: date) -> str:
    return f"{(today + timedelta(days=14)).isoformat()}, tomorrow, friday or in 2 weeks"


def _beyond_reach(typed: str, today: date) -> ParseError:
    latest = today + timedelta(days=min(MAX_DAYS_AHEAD, (date.max - today).days))
    return ParseError(
        f"{_quoted(typed)} is further ahead than I can keep track of; I go up to {MAX_DAYS_AHEAD:,} days "
        f"(about ten years), so {latest.isoformat()} at the latest. Try a nearer date, e.g. in 2 weeks."
    )


def parse_date(text: str, *, today: date) -> date:
    """The date a member means by `text`, counted from their local `today`; never in the past, and never more
    than MAX_DAYS_AHEAD days ahead, however it is written (a modal's date picker comes through here too)."""
    typed = text.strip()
    words = typed.lower().rstrip(_TRAILING_PUNCTUATION).split()
    normal = " ".join(words)

    if normal == "yesterday":  # read, to be refused as past below, rather than kept as words of the text
        day = today - timedelta(days=1)
    elif normal == "today":
        day = today
    elif normal == "tomorrow":
        day = today + timedelta(days=1)
    elif normal == "next week":
        day = today + timedelta(days=7)
    elif normal in _WEEKDAYS:
        day = today + timedelta(days=(_WEEKDAYS[normal] - today.weekday() - 1) % 7 + 1)
    elif len(words) == 2 and words[0] == "next" and words[1] in _WEEKDAYS:
        raise ParseError(
            f"{_quoted(typed)} could mean two different days. Write {words[1]} for the coming one, "
            f"or a date like {(today + timedelta(days=14)).isoformat()}."
        )
    elif (in_n := _IN_N.fullmatch(normal)) is not None:
        # Refused by length before int(): a number thousands of digits long is slow to read, or not read at all.
        digits = in_n[1].lstrip("0")
        if not digits:
            raise ParseError(f"{_quoted(typed)} would be today. Write today, or count from 1, e.g. in 1 day.")
        if len(digits) > len(str(MAX_DAYS_AHEAD)):
            raise _beyond_reach(typed, today)
        days = int(digits) * (7 if in_n[2].startswith("week") else 1)
        if days > MAX_DAYS_AHEAD:
            raise _beyond_reach(typed, today)
        day = today + timedelta(days=days)
    elif (iso := _ISO_DATE.fullmatch(normal)) is not None:
        try:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            raise ParseError(
                f"{_quoted(typed)} isn't on the calendar. Try a date like {_date_examples(today)}."
            ) from None
    else:
        raise ParseError(f"I couldn't read {_quoted(typed)} as a date. Try a date like {_date_examples(today)}.")

    if day < today:
        raise ParseError(
            f"{day.isoformat()} is already behind us (today is {today.isoformat()}). "
            f"Pick today or a later date, e.g. {(today + timedelta(days=7)).isoformat()}."
        )
    if (day - today).days > MAX_DAYS_AHEAD:
        raise _beyond_reach(typed, today)
    return day


def _looks_like_a_date(text: str) -> bool:
    words = text.lower().split()
    if not words:
        return False
    first = words[0]
    return first[0] in "0123456789" or first.rstrip(_TRAILING_PUNCTUATION) in _DATE_ATTEMPT_WORDS


def _last_by(text: str) -> re.Match[str] | None:
    """The last `by` of `text` standing as a word of its own, outside Slack's markup."""
    markup = [m.span() for m in _SLACK_MARKUP.finditer(text)]
    bys = [m for m in _BY.finditer(text) if not any(start < m.start() < end for start, end in markup)]
    return bys[-1] if bys else None


def vague_date(text: str) -> str | None:
    """The words at the end of `text` that put the date off rather than give one (`by someday`, `by ASAP!`,
    `by the end of the week`), as typed; None when there are none. Such words elsewhere are ordinary text."""
    last = _last_by(text)
    if last is None:
        return None
    normal = " ".join(text[last.end() :].lower().rstrip(_TRAILING_PUNCTUATION).split())
    return text[last.start() :].strip() if _VAGUE_DATE.fullmatch(normal) else None


def _date_forms(today: date) -> str:
    return (
        f"{(today + timedelta(days=14)).isoformat()}, today, tomorrow, a weekday like friday, in 3 days or in 2 weeks"
    )


def _no_date_in(words: str) -> str:
    return f"{_quoted(words)} isn't a date I can follow up on."


def vague_date_in_form(text: str) -> str | None:
    """What to say under a form's text that ends with a vague date (the form has a date picker for the date)."""
    words = vague_date(text)
    if words is None:
        return None
    return f"{_no_date_in(words)} Pick a real date below, and take {_quoted(words)} out of this text."


def split_due_date(text: str, *, today: date, example: str) -> tuple[str, date | None]:
    """Split a trailing `by <date>` off `text`; text that merely contains "by" is kept whole. A vague date
    (`by someday`) is refused: it could never be followed up, kept on time or broken."""
    last = _last_by(text)
    if last is None:
        return text, None
    if (words := vague_date(text)) is not None:
        raise ParseError(
            f"{_no_date_in(words)} When will it be done? Give it a real date — {_date_forms(today)} — "
            f"e.g. {example}. Nothing was saved yet."
        )
    tail = text[last.end() :].strip()
    if not _looks_like_a_date(tail):
        return text, None
    return text[: last.start()].strip(), parse_date(tail, today=today)


def unescape(text: str) -> str:
    """A command's text as the member typed it: Slack escapes `&`, `<` and `>` in a command, once."""
    return _ENTITY.sub(lambda m: _ENTITIES[m[0]], text)


def check_text(text: str, *, what: str) -> str:
    """`text` stripped; refuses it empty or longer than MAX_TEXT_LENGTH characters.

    Taken as typed: a modal's field comes unescaped, so undoing escapes here would turn a typed `&lt;!channel&gt;`
    into `<!channel>`. A command's text is unescaped by its parser first.
    """
    clean = text.strip()
    if not clean:
        raise ParseError(f"Tell me {what}; there's nothing here yet.")
    if len(clean) > MAX_TEXT_LENGTH:
        raise ParseError(
            f"{what[:1].upper()}{what[1:]} runs to {len(clean):,} characters, and I can keep up to "
            f"{MAX_TEXT_LENGTH:,}. Could you trim it a little?"
        )
    return clean


def required_text(text: str, *, what: str, example: str) -> str:
    if not text.strip():
        raise ParseError(f"Tell me {what}, e.g. {example}.")
    return check_text(unescape(text), what=what)


def mentioned_user_ids(text: str) -> list[str]:
    """The IDs of the people mentioned anywhere in `text`, each once, in order of first mention."""
    return list(dict.fromkeys(m[1] for m in _USER_MENTION.finditer(text)))


def _not_a_person(text: str, at: int, *, example: str) -> ParseError | None:
    if (channel := _CHANNEL_MENTION.match(text, at)) is not None:
        name = f"#{channel[1]}" if channel[1] else "That"
        return ParseError(f"{name} is a channel. Mention a person with @ instead, e.g. {example}.")
    if (special := _SPECIAL_MENTION.match(text, at)) is not None:
        label = special[2] or f"@{special[1].split('^')[0]}"
        return ParseError(f"{label} reaches a whole group. Mention a person with @ instead, e.g. {example}.")
    if _OTHER_MENTION.match(text, at) is not None:
        return ParseError(f"That mention isn't a person. Mention a person with @ instead, e.g. {example}.")
    if (plain := _PLAIN_AT_NAME.match(text, at)) is not None:
        return ParseError(
            f"I couldn't tell who {plain[0]} is. Type @ and pick them from the list so Slack links "
            f"their name, e.g. {example}."
        )
    return None


def _leading_people(text: str, *, example: str) -> tuple[list[str], str]:
    """The people mentioned at the start of `text`, and the text after them."""
    people: list[str] = []
    at = rest = 0
    while True:
        mention = _USER_MENTION.match(text, at)
        if mention is None:
            if (error := _not_a_person(text, at, example=example)) is not None:
                raise error
            break
        people.append(mention[1])
        rest = mention.end()
        separator = _BETWEEN_MENTIONS.match(text, rest)
        at = separator.end() if separator is not None else rest
    return list(dict.fromkeys(people)), _BEFORE_TEXT.sub("", text[rest:])


_FOR = re.compile(r"^\s*for\s+<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>[\s,:]*", re.IGNORECASE)
_FOR_SOMEONE = re.compile(r"^\s*for\s+", re.IGNORECASE)
_TOWARD_EXAMPLES = {
    "/act": "`/act for @maria Called a partner for her stand`",
    "/share": "`/share for @maria @sam Told them about Maria's stand`",
    "/request": "`/request for @maria @sam Review the pitch deck by friday`",
}


def parse_toward(text: str, *, command: str) -> tuple[str | None, str]:
    """A leading `for @owner` (practice logged for a stand the member follows), and the rest of the text.

    `for` followed by a name Slack did not link (typed, not picked), a channel or a group is refused rather than
    logged as plain words: the member meant it to count for someone's stand, and it would not have.
    """
    found = _FOR.match(text)
    if found is not None:
        return found.group(1), text[found.end() :]
    lead = _FOR_SOMEONE.match(text)
    if lead is not None and (error := _not_a_person(text, lead.end(), example=_TOWARD_EXAMPLES[command])):
        raise error
    return None, text


def parse_share(text: str) -> ShareInput:
    """The people told and the optional note in `/share <@user> [<@user> …] [note]`."""
    people, note = _leading_people(text.strip(), example=_SHARE_EXAMPLE)
    if not people:
        raise ParseError(f"Start with the people you told, mentioned with @, e.g. {_SHARE_EXAMPLE}.")
    return ShareInput(
        told_user_ids=tuple(people),
        note=check_text(unescape(note), what="your note") if note.strip() else "",
    )


def parse_act(text: str) -> str:
    """The action in `/act <what you did>`."""
    return required_text(text, what="what you did", example="`/act Called three possible partners`")


def parse_request(text: str, *, today: date) -> RequestInput:
    """The person asked, what for and the optional date in `/request <@user> <what> [by <date>]`."""
    people, rest = _leading_people(text.strip(), example=_REQUEST_EXAMPLE)
    if not people:
        raise ParseError(f"Start with the person you're asking, mentioned with @, e.g. {_REQUEST_EXAMPLE}.")
    if len(people) > 1:
        raise ParseError(
            "Let's make it one request per person, so each one gets a clear answer. "
            f"Start with one, e.g. {_REQUEST_EXAMPLE}, then send the next."
        )
    what, due_on = split_due_date(rest, today=today, example=_REQUEST_EXAMPLE)
    return RequestInput(
        recipient_id=people[0],
        what=required_text(what, what=f"what you're asking <@{people[0]}> for", example=_REQUEST_EXAMPLE),
        due_on=due_on,
    )


def parse_promise(text: str, *, today: date) -> PromiseInput:
    """What is promised and the optional date in `/promise <what> [by <date>]`."""
    what, due_on = split_due_date(text.strip(), today=today, example=_PROMISE_EXAMPLE)
    return PromiseInput(
        what=required_text(what, what="what you'll do", example=_PROMISE_EXAMPLE),
        due_on=due_on,
    )


def parse_breakdown(text: str) -> str:
    """What is off track in `/breakdown <what is off track>`."""
    return required_text(
        text,
        what="what's off track",
        example="`/breakdown We're two partners short and the launch is next week`",
    )


def parse_breakthrough(text: str) -> str:
    """What happened in `/breakthrough <what happened>`."""
    return required_text(text, what="what happened", example="`/breakthrough Three partners signed in one day`")


def parse_clock_time(text: str) -> time:
    """A time of day: `HH:MM` on the 24-hour clock, or `7am` / `7:30 pm`."""
    typed = text.strip()
    normal = typed.lower()
    if (h24 := _CLOCK_24H.fullmatch(normal)) is not None:
        hour, minute = int(h24[1]), int(h24[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    elif (h12 := _CLOCK_12H.fullmatch(normal)) is not None:
        hour, minute = int(h12[1]), int(h12[2] or 0)
        if 1 <= hour <= 12 and minute < 60:
            # 12am is midnight and 12pm is noon.
            return time(hour % 12 + (12 if h12[3] == "p" else 0), minute)
    raise ParseError(f"I couldn't read {_quoted(typed)} as a time. Try 08:30, 18:00, 7am or 7:30 pm.")


def parse_coach(text: str) -> CoachCommand:
    """The subcommand in `/coach <subcommand>`; no text at all means help."""
    words = text.lower().split()
    match words:
        case [] | ["help"]:
            return CoachCommand("help")
        case ["status"]:
            return CoachCommand("status")
        case ["team"]:
            return CoachCommand("team")
        case ["recap", "here"]:
            return CoachCommand("recap_here")
        case ["recap", "integrity", "on" | "off" as choice]:
            return CoachCommand("recap_integrity", choice)
        case ["recap", "integrity", *_]:
            raise ParseError(
                "The team's integrity in the recap can be on or off: `/coach recap integrity on` or "
                "`/coach recap integrity off`."
            )
        case ["recap", day, *at] if day in _WEEKDAYS and at:
            # The arg is "<weekday number> <HH:MM>", Monday being 0.
            return CoachCommand("recap_at", f"{_WEEKDAYS[day]} {parse_clock_time(' '.join(at)):%H:%M}")
        case ["recap", *_]:
            raise ParseError(
                "Tell me where or when the recap goes: `/coach recap here` or `/coach recap monday 09:00`."
            )
        case ["nudge"]:
            raise ParseError("Tell me the time for your daily nudge, e.g. `/coach nudge 08:30`.")
        case ["nudge", *at]:
            return CoachCommand("nudge", parse_clock_time(" ".join(at)).strftime("%H:%M"))
        case ["weekends", "on" | "off" as choice]:
            return CoachCommand("weekends", choice)
        case ["weekends", *_]:
            raise ParseError("Weekends can be on or off, e.g. `/coach weekends on` or `/coach weekends off`.")
        case ["pause"]:
            return CoachCommand("pause")
        case ["resume"]:
            return CoachCommand("resume")
        case ["export"]:
            return CoachCommand("export")
        case ["forget", "me"]:
            return CoachCommand("forget_me")
    raise ParseError(f"I don't know {_quoted(' '.join(text.split()))} yet. After `/coach` you can write {_COACH_MENU}.")
