"""Reading Slack's answers (handlers.web_client): however the bytes arrive, the answer read is the same."""

from __future__ import annotations

import http.client

import pytest

from handlers.web_client import _Answer
from tests.test_keepalive_e2e import AFTER_CONTINUE, CHUNKED, LATIN_1, OK_JSON, UNTIL_CLOSED

FRAMED = [CHUNKED, LATIN_1, AFTER_CONTINUE]


def read(*pieces: bytes, closed: bool = False) -> _Answer:
    """The answer as the connection reads it: piece after piece until it is whole (then `ended` if `closed`)."""
    answer = _Answer()
    for piece in pieces:
        if answer.done:
            break
        if piece:
            answer.feed(piece)
    if closed and not answer.done:
        answer.ended()
    return answer


@pytest.mark.parametrize("raw", FRAMED, ids=["chunked", "latin-1", "after-100-continue"])
def test_an_answer_split_anywhere_reads_as_it_does_whole(raw: bytes) -> None:
    whole = read(raw)
    assert whole.done and whole.status == 200 and not whole.will_close

    for cut in range(1, len(raw)):
        split = read(raw[:cut], raw[cut:])
        assert (split.status, split.fields, bytes(split.body), split.charset, split.done) == (
            whole.status,
            whole.fields,
            bytes(whole.body),
            whole.charset,
            True,
        ), cut


def test_an_answer_ended_by_the_close_is_whole_only_then() -> None:
    answer = read(UNTIL_CLOSED)
    assert not answer.done and answer.will_close
    answer.ended()
    assert answer.done and bytes(answer.body) == OK_JSON and answer.charset == "utf-8"


def test_the_headers_read_as_urlopens_and_the_charset_as_the_email_package_reads_it() -> None:
    answer = read(LATIN_1)
    assert answer.headers.get_content_charset() == answer.charset == "iso-8859-1"
    assert answer.header("content-type") == answer.headers["Content-Type"]
    assert answer.header("Retry-After") is None


@pytest.mark.parametrize(
    ("pieces", "raised"),
    [
        ((), http.client.RemoteDisconnected),
        ((b'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{"ok"',), http.client.IncompleteRead),
        ((CHUNKED[:-7],), http.client.IncompleteRead),
    ],
    ids=["nothing", "short-of-its-length", "short-of-its-last-chunk"],
)
def test_an_answer_cut_short_by_the_close_raises_as_http_client_does(
    pieces: tuple[bytes, ...], raised: type[Exception]
) -> None:
    with pytest.raises(raised):
        read(*pieces, closed=True)


def test_bytes_that_are_not_http_raise_an_http_exception() -> None:
    with pytest.raises(http.client.HTTPException):
        read(b"SLACK?\r\n\r\n")
