"""Clicks that show more of a page before it is checked: predictions locked in, Reveal pressed, lab buttons run.

Each action finds its controls by what the user sees (role and label) and waits for the app to settle after every
click. Answering, revealing, the lab's buttons and stepping fail when what they press is not there; expanding opens
whatever expanders and switches a page has.
"""

from __future__ import annotations

from collections.abc import Callable

from browser_helpers import settle


def _main(page):
    return page.get_by_test_id("stMain")


def click_and_settle(locator) -> None:
    """Click, then wait until the rerun it starts has finished."""
    locator.click()
    settle(locator.page)


def _answer(page) -> None:
    """Lock in every open prediction (first option, or 0), and answer the quiz's first question."""
    main = _main(page)
    lock = main.get_by_role("button", name="Lock in my prediction")
    quiz = page.url.split("?")[0].endswith("/Quiz")
    assert quiz or lock.count(), "no prediction to lock in"
    for _ in range(12):
        if lock.count() == 0:
            break
        box = lock.first.locator(
            "xpath=ancestor::div[@data-testid='stVerticalBlock'][.//input[@type='radio' or @type='number']][1]"
        )
        number = box.locator("input[type=number]")
        if number.count():
            number.first.fill("0")  # the form sends it with Lock in (Enter alone would submit it too)
        else:
            click_and_settle(box.get_by_test_id("stRadioOption").first)
        click_and_settle(lock.first)
    if quiz:
        click_and_settle(main.get_by_test_id("stRadioOption").first)
        check = main.get_by_role("button", name="Check", exact=True)
        if check.count():
            click_and_settle(check.first)


def _reveal(page) -> None:
    """Press every Reveal (each shows the next part of the page) and the quiz's first Reveal the answer."""
    pressed = 0
    for name, most in (("Reveal", 30), ("Reveal the answer", 1)):
        buttons = _main(page).get_by_role("button", name=name, exact=True)
        for _ in range(most):
            if buttons.count() == 0:
                break
            click_and_settle(buttons.first)
            pressed += 1
    assert pressed, "nothing to reveal"
    _expand(page, switches=False)


def _expand(page, switches: bool = True) -> None:
    """Open every closed expander in the main area and, with `switches`, turn on every switch there."""
    main = _main(page)
    # All at once: a click on each would wait for the page to settle in between.
    page.evaluate(
        "document.querySelectorAll('[data-testid=stMain] details:not([open])').forEach((d) => { d.open = true; })"
    )
    settle(page)
    off = main.get_by_test_id("stCheckbox").filter(has=page.get_by_role("switch", checked=False))
    for _ in range(6 if switches else 0):
        if off.count() == 0:
            break
        click_and_settle(off.first.locator("label"))


def _predict_if_asked(page, button) -> None:
    """A lab button waits for a prediction: pick the first option of the one asked."""
    if button.is_disabled():
        click_and_settle(_main(page).get_by_test_id("stRadioOption").first)


def _lab_clicks(page) -> None:
    """Grad Lab ①: forward + loss, then backward(), each predicted first where asked (the history table appears)."""
    for name in ("forward + loss", "backward()"):
        button = _main(page).get_by_role("button", name=name, exact=True)
        _predict_if_asked(page, button)
        click_and_settle(button)


def _step(page) -> None:
    """Grad Lab ②: two epochs, the second predicted first where asked."""
    for _ in range(2):
        button = _main(page).get_by_role("button", name="Step one epoch", exact=True)
        _predict_if_asked(page, button)
        click_and_settle(button)


ACTIONS: dict[str, Callable[..., None]] = {
    "answer": _answer, "reveal": _reveal, "expand": _expand, "lab clicks": _lab_clicks, "step": _step,
}  # fmt: skip
