"""What each poll of the Long Polling transport answers (TransportProtocols.md, "Long Polling")."""

from __future__ import annotations

from emulators.amove.signalr.long_polling import (
    DATA_TYPE,
    ENDED,
    FIRST,
    POLL_TIMEOUT,
    TIMED_OUT,
    PollAnswer,
    PollQueue,
)


def _started() -> PollQueue:
    queue = PollQueue()
    assert queue.begin() == (1, FIRST)
    return queue


def test_the_first_poll_answers_at_once_with_no_body():
    assert PollQueue().begin() == (1, PollAnswer(200, b"", DATA_TYPE))


def test_a_poll_takes_everything_waiting_at_once():
    queue = _started()
    queue.write(b'{"type":6}\x1e')
    queue.write(b'{"type":1,"target":"t","arguments":[]}\x1e')
    _, answer = queue.begin()
    assert answer == PollAnswer(200, b'{"type":6}\x1e{"type":1,"target":"t","arguments":[]}\x1e', DATA_TYPE)
    assert queue.begin()[1] is None  # nothing left: the next one waits


def test_a_poll_that_waited_takes_what_came_meanwhile():
    queue = _started()
    poll, answer = queue.begin()
    assert answer is None
    queue.write(b"\x02\x91\x06")  # MessagePack bytes go the same way
    assert queue.answer(poll) == PollAnswer(200, b"\x02\x91\x06", DATA_TYPE)


def test_a_poll_that_timed_out_answers_200_with_no_body():
    queue = _started()
    poll, _ = queue.begin()
    assert queue.answer(poll) == TIMED_OUT == PollAnswer(200, b"", "text/plain")
    assert POLL_TIMEOUT == 90.0


def test_a_new_poll_ends_the_waiting_one_with_204():
    queue = _started()
    old, _ = queue.begin()
    new, _ = queue.begin()
    assert not queue.is_current(old) and queue.is_current(new)
    queue.write(b"x")
    assert queue.answer(old) == ENDED == PollAnswer(204)
    assert queue.answer(new).body == b"x"


def test_after_the_end_a_poll_takes_what_was_left_then_gets_204():
    queue = _started()
    queue.write(b'{"type":7}\x1e')
    queue.close()
    queue.write(b"too late")
    assert queue.closed and not queue.finished
    assert queue.begin()[1] == PollAnswer(200, b'{"type":7}\x1e', DATA_TYPE)
    assert queue.finished
    assert queue.begin()[1] == ENDED


def test_terminate_drops_what_was_waiting():
    queue = _started()
    poll, _ = queue.begin()
    queue.write(b"never sent")
    queue.terminate()
    assert queue.finished
    assert queue.answer(poll) == ENDED
