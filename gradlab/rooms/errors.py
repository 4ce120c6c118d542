"""What can go wrong with a room, each error with a message fit to show a teacher or a student as it is."""

from __future__ import annotations


class RoomError(Exception):
    """Base of every error of `gradlab.rooms`; `str(err)` is a plain sentence for the person at the screen."""


class BadCode(RoomError, ValueError):
    """The text is not a room code (wrong length, or a character outside the code alphabet)."""


class RoomNotFound(RoomError):
    """No room has this code: it never existed, it ended, or it expired after being idle."""

    def __init__(self, message: str = "No open room has this code: it may have ended, or expired unused.") -> None:
        super().__init__(message)


class NotTeacher(RoomError):
    """The teacher token is missing or wrong for this room."""

    def __init__(self, message: str = "Only the teacher who started this room can do that.") -> None:
        super().__init__(message)


class WrongPhase(RoomError):
    """A teacher step that the room's phase does not allow (say, *Show votes* before a question is asked)."""


class BadQuestion(RoomError, ValueError):
    """A question, a reveal or the settings handed to a room are malformed (a programming error upstream)."""


class VoteRejected(RoomError):
    """A vote that is not counted; the message says why (closed, out of range, not a number ...)."""


class BallotMoved(VoteRejected):
    """The vote names a question or round that is no longer the room's current one (a page not yet redrawn)."""

    def __init__(self) -> None:
        super().__init__("This page shows an earlier question or round; it updates in a moment.")


class RateLimited(VoteRejected):
    """Too many votes from one voter in the sliding window; `retry_after_s` says when the next one counts."""

    def __init__(self, retry_after_s: float, votes: int, window_s: float) -> None:
        super().__init__(f"Too many votes: at most {votes} in {window_s:g} seconds. Wait a moment.")
        self.retry_after_s = retry_after_s


class RoomFull(VoteRejected):
    """The round already holds votes from the most voters a room takes; a voter already counted may still change."""

    def __init__(self, max_voters: int) -> None:
        super().__init__(f"This round already has votes from {max_voters} people, the most a room takes.")


class ServerFull(RoomError):
    """The store already holds the most open rooms it allows; a new room can start when one ends or expires."""

    def __init__(self, max_rooms: int) -> None:
        super().__init__(f"This server already holds {max_rooms} open class rooms, its limit. Try again later.")


class StoreUnavailable(RoomError):
    """The shared store (Redis) did not answer in time or failed; class votes are unavailable for now."""

    def __init__(
        self, message: str = "Class votes are unavailable right now (the shared store does not answer)."
    ) -> None:
        super().__init__(message)
