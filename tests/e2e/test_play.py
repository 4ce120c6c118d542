"""Play/pause in a real browser: the fragment's timer really advances the step-through training."""

from __future__ import annotations

import pytest
from browser_helpers import open_page, settle

pytestmark = pytest.mark.e2e


def test_play_runs_every_epoch_to_the_end_then_stops(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab?epochs=3")
    page.get_by_role("tab", name="② Step-through training").click()
    settle(page)
    panel = page.get_by_role("tabpanel", name="② Step-through training")
    panel.get_by_role("button", name="▶ Play").click()
    # 3 epochs at one per 0.8 s tick, with no further clicks
    expect(panel.get_by_text("Finished: 3 epoch(s) ran.")).to_be_visible(timeout=20_000)
    settle(page)
    expect(panel.get_by_role("button", name="▶ Play")).to_be_disabled()
