"""The bounds of class votes, stated once: the README quotes these numbers and the tests check each one."""

from __future__ import annotations

from dataclasses import dataclass

MAX_ROOMS = 200  # open rooms per store (per server in process; per deployment with Redis)
MAX_VOTERS = 500  # voters per room per round; a voter already counted may always change their vote
RATE_VOTES = 10  # votes one voter may cast ...
RATE_WINDOW_S = 10.0  # ... in this sliding window (seconds)
IDLE_S = 3 * 3600.0  # a room with no vote and no teacher step for this long expires


@dataclass(frozen=True)
class Limits:
    """The bounds one store applies; tests shrink them (say `Limits(max_rooms=3, idle_s=1)`)."""

    max_rooms: int = MAX_ROOMS
    max_voters: int = MAX_VOTERS
    rate_votes: int = RATE_VOTES
    rate_window_s: float = RATE_WINDOW_S
    idle_s: float = IDLE_S

    def __post_init__(self) -> None:
        for name in ("max_rooms", "max_voters", "rate_votes"):
            if getattr(self, name) < 1:
                raise ValueError(f"Limits.{name} must be at least 1")
        for name in ("rate_window_s", "idle_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive")
