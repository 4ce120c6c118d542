"""Keep Python's garbage collector off the rerun path."""

from __future__ import annotations

import gc
import sys

_HEAVY = ("torch", "pandas", "altair")
_frozen: set[str] = set()


def freeze_loaded_libraries() -> None:
    """Move the objects of big libraries, once loaded, into the collector's permanent generation.

    Python's collector walks every tracked object in a full collection. With torch, pandas and altair loaded
    that is ~250k long-lived objects (about 60–110 ms on a small machine). After a gc.freeze() the collector
    skips them; objects made later are collected as usual. (Streamlit's own full collection after every run,
    `runner.postScriptGC`, is off in .streamlit/config.toml: it still cost 38% of the CPU under load.)
    There is no collect before the freeze: right after these imports it finds ~20 unreachable objects and
    costs ~100 ms of a cold start. The price: objects of the session running at that moment that later
    become cyclic garbage stay in memory, a few hundred small objects, at most once per library (three
    times per process).
    """
    loaded = {name for name in _HEAVY if name in sys.modules}
    if loaded - _frozen:
        gc.freeze()
        _frozen.update(loaded)
