"""Two browsers are two learners: the Grad Lab's tensors and the sidebar settings never leak between sessions."""

from __future__ import annotations

import pytest
from browser_helpers import last_loss, open_page, settle, sidebar, slider, table_rows

from gradlab.fmt import num
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig

pytestmark = pytest.mark.e2e

W_GRAD = "-37.5"  # w.grad[0] after one forward + backward on the card's data


def lifecycle_tensor_table(page):
    """The autograd-facts table of the '.grad lifecycle' tab (tensor → columns)."""
    panel = page.get_by_role("tabpanel", name="① .grad lifecycle")
    return panel.get_by_test_id("stTable").first


def grad_column(page) -> dict[str, str]:
    """The `.grad` cell of w and b in the lifecycle tab."""
    rows = table_rows(lifecycle_tensor_table(page))
    return {name: cells[-1] for name, cells in rows.items()}


def click_lab(page, label: str) -> None:
    page.get_by_role("tabpanel", name="① .grad lifecycle").get_by_role("button", name=label, exact=True).click()
    settle(page)


def test_two_contexts_are_isolated(new_context, app_url, expect):
    a = open_page(new_context().new_page(), app_url, "/Grad_Lab?predict=0")
    b = new_context().new_page()

    assert grad_column(a) == {"w": "None", "b": "None"}
    click_lab(a, "forward + loss")
    click_lab(a, "backward()")
    expect(lifecycle_tensor_table(a)).to_contain_text(W_GRAD)
    assert W_GRAD in grad_column(a)["w"]

    open_page(b, app_url, "/Grad_Lab?predict=0")
    assert grad_column(b) == {"w": "None", "b": "None"}
    expect(lifecycle_tensor_table(b)).not_to_contain_text(W_GRAD)

    open_page(b, app_url, "/Grad_Lab?epochs=9")
    expect(slider(b, "Epochs")).to_have_attribute("aria-valuetext", "9")

    # A, rerun through its own sidebar: still 5 epochs, its URL untouched, its lab tensors kept.
    sidebar(a).get_by_role("link", name="Training Trace", exact=True).click()
    expect(a.get_by_test_id("stMain").locator("h1").first).to_have_text("Training Trace")
    settle(a)
    expect(slider(a, "Epochs")).to_have_attribute("aria-valuetext", "5")
    expect(last_loss(a)).to_have_text(num(train(RunConfig()).end_loss))
    assert "epochs" not in a.url
    sidebar(a).get_by_role("link", name="Grad Lab", exact=True).click()
    expect(a.get_by_test_id("stMain").locator("h1").first).to_have_text("Grad Lab")
    settle(a)
    assert W_GRAD in grad_column(a)["w"]
