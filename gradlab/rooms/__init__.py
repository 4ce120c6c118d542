"""Class votes: rooms where students answer the teacher's current question on their phones (issue 22).

A teacher starts a room and gets a short code for the projector and a secret teacher token for their own
session; students join with the code and an anonymous voter id, and vote on the question the teacher asks.
`store.RoomStore` is the one API (start, ask, close, show, revote, reveal, end; state, version, vote). It
keeps its rules in one place and its data in a backend: `memory.MemoryBackend` in the process (the default,
one server) or `redis_backend.RedisBackend` (when GRADLAB_REDIS_URL is set, so that replicas share rooms);
`connect.open_store()` picks one. Bounds live in `bounds.Limits`, errors in `errors`. This package imports
only the standard library and `redis`: never torch, never streamlit.
"""
