"""Grad Lab with `model=net` in Chromium: every tab at 1400×900 and, with `present=1`, at 1280×720 — no exception
box, nothing clipped or scrolling sideways, and each tab's key element on screen (issue 21)."""

from __future__ import annotations

import pytest
from browser_helpers import open_page, settle
from projector_checks import clipped

from gradlab.fmt import num
from gradlab.runs.net import make_net, mse, net_data
from gradlab.settings.config import RunConfig
from ui.lab import TABS

pytestmark = pytest.mark.e2e

SIZES = {
    "screen": ({"width": 1400, "height": 900}, "/Grad_Lab?model=net&predict=0"),
    "projector": ({"width": 1280, "height": 720}, "/Grad_Lab?model=net&present=1"),
}
# What each tab must show (a Playwright locator built from the page), by tab name.
KEY = {
    "lifecycle": lambda p: p.get_by_role("button", name="optimizer.zero_grad()", exact=True),
    "stepping": lambda p: p.get_by_role("button", name="Next epoch ▶"),
    "landscape": lambda p: p.get_by_text("13 numbers", exact=False),
    "graph": lambda p: p.get_by_test_id("stGraphVizChart").locator("svg").first,
    "check": lambda p: p.get_by_text("torch.autograd.gradcheck", exact=False).first,
    "pitfalls": lambda p: p.get_by_test_id("stExpander").filter(has_text="A frozen layer still handed").first,
    "data": lambda p: p.get_by_role("button", name="Apply my data"),
}


@pytest.mark.parametrize("size", list(SIZES))
def test_every_tab_with_the_network(new_context, app_url, screenshot_dir, size):
    viewport, path = SIZES[size]
    page = new_context(viewport=viewport).new_page()
    open_page(page, app_url, path)
    problems: list[str] = []
    for name, label in TABS.items():
        if name not in KEY:  # a tab added by another part of the lesson (⑧): its own test covers it
            continue
        page.get_by_role("tab", name=label).click()
        settle(page)
        if page.get_by_test_id("stException").count():
            problems.append(f"{name}: an exception box")
        key = KEY[name](page)
        key.scroll_into_view_if_needed()
        if not key.is_visible():
            problems.append(f"{name}: its key element is not visible")
        problems += [f"{name}: {p}" for p in clipped(page)]
        page.screenshot(path=str(screenshot_dir / f"net_lab_{size}_{name}.png"), full_page=True)
    assert problems == [], "\n".join(problems)


def test_a_lifecycle_click_runs_on_the_net(new_context, app_url):
    page = new_context(viewport=SIZES["screen"][0]).new_page()
    open_page(page, app_url, "/Grad_Lab?model=net&predict=0")
    for label in ("forward + loss", "loss.backward()"):
        page.get_by_role("button", name=label, exact=True).click()
        settle(page)
    net = make_net("cpu")
    X, y = net_data(RunConfig(model="net"), "cpu")
    mse(net(X), y).backward()
    assert net.out.bias.grad is not None
    text = page.locator(".st-key-gl-lab-result").inner_text()
    assert "out.bias" in text and num(float(net.out.bias.grad[0])) in text
