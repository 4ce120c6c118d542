"""The capacity benchmark's simulated student (bench/student.py) speaks Streamlit's protocol as a browser does.

If a Streamlit upgrade changed the handshake, widget ids or rerun messages, `python -m bench capacity` would
measure something else than a class; these checks fail first.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.student import Student

pytestmark = pytest.mark.e2e


async def _classroom_moves(url: str) -> Student:
    s = Student(url)
    await s.connect()
    try:
        await s.open("/Training_Trace?lr=0.05")
        assert "Log scale for the loss" in s.widgets  # the linked page ran, not the home page
        await s.set("Epochs", "10")  # a stop of the Epochs slider, as a browser picks it
        assert s.query == "lr=0.05&epochs=10"  # the sidebar rewrote the URL, as in a browser
        assert "Log scale for the loss" in s.widgets  # ...and the rerun stayed on the linked page
        await s.goto("Grad Lab")
        await s.click("forward + loss")
        await s.open_tab("② Step-through training")
        await s.click("▶ Play")
        assert s.timers  # Play started the fragment's timer (run_every)
        fragment = next(iter(s.timers))
        for _ in range(14):
            if not s.timers:
                break
            await s.tick(fragment)
        assert not s.timers  # 10 epochs played, then Play stopped its timer
        assert s.widgets["▶ Play"].disabled
    finally:
        await s.close()
    return s


def test_a_simulated_student_drives_the_real_app(app_url):
    # Its own thread: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        s = pool.submit(asyncio.run, _classroom_moves(app_url)).result(timeout=120)
    assert s.exceptions == []
    assert 0 < s.largest < 1024 * 1024  # within server.maxMessageSize
