"""Room codes, teacher tokens and voter ids: random from `secrets`, parsed strictly.

A room code is 7 characters of Crockford's base32 alphabet (digits and capitals without I, L, O and U):
32**7 = 2**35 codes, short enough to type on a phone and read off a projector. Parsing follows Crockford:
case-insensitive, spaces and hyphens ignored, and the look-alikes O → 0, I and L → 1 accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from gradlab.rooms.errors import BadCode, NotTeacher, VoteRejected

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 7
CODE_BITS = 35  # CODE_LENGTH * log2(len(ALPHABET))
TOKEN_BYTES = 32
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -\t")
_MAX_TYPED = 40  # longer text is not a code, however many spaces it has
_VOTER = re.compile(r"[A-Za-z0-9_-]{8,64}")


def new_code() -> str:
    """A fresh random room code, 7 characters of `ALPHABET` (35 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def parse_code(text: object) -> str:
    """The canonical code in `text` (as typed or read from a link); BadCode for anything that is not one."""
    if not isinstance(text, str) or len(text) > _MAX_TYPED:
        raise BadCode(f"A room code has {CODE_LENGTH} letters and digits, like {display_code('K7P2Q9M')}.")
    code = text.translate(_IGNORED).upper().translate(_ALIASES)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        raise BadCode(f"A room code has {CODE_LENGTH} letters and digits, like {display_code('K7P2Q9M')}.")
    return code


def display_code(code: str) -> str:
    """The code as the projector shows it, in two groups: 'K7P-2Q9M' (parse_code reads it back)."""
    return f"{code[:3]}-{code[3:]}"


def new_token() -> str:
    """A secret teacher token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What a store keeps instead of the token: its SHA-256, hex (a dump of the store grants no teacher rights)."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_token(token: object, stored_hash: str) -> None:
    """NotTeacher unless `token` is the room's teacher token (constant-time comparison of the hashes)."""
    if not isinstance(token, str) or not token or len(token) > 200:
        raise NotTeacher()
    if not hmac.compare_digest(token_hash(token), stored_hash):
        raise NotTeacher()


def new_voter_id() -> str:
    """An anonymous id for one student session (16 random bytes): no name, nothing personal."""
    return secrets.token_urlsafe(16)


def check_voter(voter: object) -> str:
    """`voter` if it is a voter id (8–64 characters of A–Z, a–z, 0–9, '_' and '-'); VoteRejected otherwise."""
    if not isinstance(voter, str) or not _VOTER.fullmatch(voter):
        raise VoteRejected("This page has no valid voter id; reload it to get one.")
    return voter
