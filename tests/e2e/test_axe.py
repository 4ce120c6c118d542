"""axe-core 4.14.1 on every page and Grad Lab tab, in both modes: GradLab causes no critical or serious violation.

Three browser sessions, one per mode: `normal` (1400×900, Predict first on, the default), `open` (1400×900,
`predict=0`: what the predictions gate is on screen at once) and `present` (1280×720, `present=1`). Each view is a
page or lab tab as loaded, or after a few cheap clicks that show more: predictions locked in, *Reveal* pressed, lab
buttons clicked, expanders and switches opened. The views of one mode run in order in one browser page, and each
view is scanned once however many tests read it.

Violations that Streamlit itself causes are listed in STREAMLIT_CAUSES (rule, selector, reason) and matched by
rule *and* selector in the browser, so the same rule on a GradLab element still fails; a test proves each entry
on a bare Streamlit app (tests/e2e/bare_streamlit_app.py) served the same way. Moderate and minor findings do not
fail the run: each is a warning in pytest's summary, and every finding is written to artifacts/axe-report.json.
The moderate ones issue 19 named (headings that skip a level, an empty heading in the lab's history, decorative
icons read aloud) have tests of their own below.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from axe_checks import FAILING, Known, Scan, describe, icons_read_aloud, missing_axe, pinned_version, run_axe
from browser_helpers import open_page, wait_charts_drawn
from conftest import REPO_ROOT, require
from show_more import ACTIONS, click_and_settle

from harness import Server

pytestmark = pytest.mark.e2e

# Found by running axe on tests/e2e/bare_streamlit_app.py with GradLab's theme (.streamlit/config.toml).
STREAMLIT_CAUSES = (
    Known(
        "empty-table-header",
        '[data-testid="stTable"] thead th.blank.index_name',
        "st.table draws the header cell above a shown index as a blank <th> (&nbsp;) when the index has no "
        "name; a table can avoid it with a named label column and hide_index=True",
    ),
)
# Streamlit causes these too, but ui/base.css overrides them; the bare app must still show them and GradLab not.
FIXED_BY_CSS = (
    Known(
        "color-contrast",
        '[data-testid="stCaptionContainer"] code',
        "a caption is drawn at opacity 0.6, which takes inline code in it to 3.0:1; base.css draws captions opaque "
        "in a grey of 7.6:1",
    ),
)

REPORT = REPO_ROOT / "artifacts" / "axe-report.json"
MODES = {  # name: (viewport, query string)
    "normal": ({"width": 1400, "height": 900}, ""),
    "open": ({"width": 1400, "height": 900}, "predict=0"),
    "present": ({"width": 1280, "height": 720}, "present=1"),
}
PAGES = ("/", "/Data_Flow", "/Prediction_Trace", "/Training_Trace", "/Quiz")
LAB_TABS = (
    "① .grad lifecycle", "② Step-through training", "③ Loss landscape", "④ Autograd graph",
    "⑤ Gradient check", "⑥ Pitfalls", "⑦ Your data", "⑧ Inside nn.Module",
)  # fmt: skip
LAB = "/Grad_Lab"


@dataclass(frozen=True)
class View:
    """A page (and lab tab) in a mode, scanned after `then` (a name in show_more.ACTIONS) has been done there."""

    mode: str
    path: str
    tab: int | None = None  # index into LAB_TABS
    then: str | None = None

    @property
    def name(self) -> str:
        where = self.path if self.tab is None else f"{self.path} {LAB_TABS[self.tab]}"
        return f"{self.mode} {where}" + (f" after '{self.then}'" if self.then else "")

    @property
    def id(self) -> str:
        page = "Home" if self.path == "/" else self.path.strip("/")
        tab = "" if self.tab is None else f"-tab{self.tab + 1}"
        return f"{self.mode}-{page}{tab}" + (f"-{self.then.replace(' ', '-')}" if self.then else "")


def _views() -> list[View]:
    """Each mode's views in the order they are scanned: a view with `then` follows its plain view on the same page.

    `open` (predict=0) scans only after `expand`, and only where predictions or expanders change what is shown.
    """
    asked = ("/Data_Flow", "/Prediction_Trace", "/Quiz")
    lab_more = {0: ("lab clicks",), 1: ("step",)}
    views: list[View] = []
    for mode, then in (("normal", "answer"), ("present", "reveal")):
        for path in PAGES:
            views += [View(mode, path)] + ([View(mode, path, then=then)] if path in asked else [])
        for tab in range(len(LAB_TABS)):
            more = lab_more.get(tab, ()) + (("reveal",) if mode == "present" and tab == 0 else ())
            views += [View(mode, LAB, tab)] + [View(mode, LAB, tab, m) for m in more]
    views += [View("open", path, then="expand") for path in PAGES]
    views += [View("open", LAB, 0, "lab clicks"), View("open", LAB, 1, "step")]
    views += [View("open", LAB, tab, "expand") for tab in (3, 5, 7)]
    order = list(MODES)
    return sorted(views, key=lambda v: order.index(v.mode))  # stable: each mode keeps its own order


VIEWS = _views()


class Scanner:
    """One browser page per mode; views of a mode are scanned in VIEWS order, each once."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.pages: dict[str, object] = {}
        self.done: dict[View, Scan] = {}

    def page(self, mode: str):
        if mode not in self.pages:
            ctx = self.browser.new_context(viewport=MODES[mode][0])
            ctx.set_default_timeout(20_000)
            self.pages[mode] = ctx.new_page()
        return self.pages[mode]

    def scan(self, view: View) -> Scan:
        for earlier in VIEWS[: VIEWS.index(view) + 1]:
            if earlier.mode == view.mode and earlier not in self.done:
                self.done[earlier] = self._scan(earlier)
        return self.done[view]

    def _scan(self, view: View) -> Scan:
        page = self.page(view.mode)
        viewport, query = MODES[view.mode]
        result = Scan(view.name, viewport=f"{viewport['width']}x{viewport['height']}")
        try:
            target = view.path + (f"?{query}" if query else "")
            if page.url.split("?")[0] != self.base_url + view.path:
                open_page(page, self.base_url, target)
            if view.tab is not None:
                click_and_settle(page.get_by_role("tab", name=LAB_TABS[view.tab]))
            if view.then:
                ACTIONS[view.then](page)
            if page.locator("[data-testid=stMain] .vega-embed").count():
                wait_charts_drawn(page)
            result.url = page.url.removeprefix(self.base_url)
            result.violations = run_axe(page, STREAMLIT_CAUSES)
            result.icons = icons_read_aloud(page)
        except Exception as err:  # reported by the view's own test; the next view starts from a fresh load
            result.error = f"{type(err).__name__}: {err}".splitlines()[0]
            page.goto("about:blank")
        return result

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module", autouse=True)
def _axe_installed() -> None:
    require(missing_axe())


@pytest.fixture(scope="module")
def scanner(browser, app_url) -> Iterator[Scanner]:
    s = Scanner(browser, app_url)
    try:
        yield s
    finally:
        s.close()
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        scans = [s.done[v].as_json() for v in VIEWS if v in s.done]
        REPORT.write_text(json.dumps({"axe_core": pinned_version(), "views": scans}, indent=1, ensure_ascii=False))


def _scanned(scanner: Scanner, view: View) -> Scan:
    scan = scanner.scan(view)
    assert scan.error is None, f"{view.name}: could not be scanned: {scan.error}"
    return scan


@pytest.mark.parametrize("view", VIEWS, ids=[v.id for v in VIEWS])
def test_gradlab_causes_no_critical_or_serious_violation(scanner, view):
    scan = _scanned(scanner, view)
    for v in scan.by_gradlab(("moderate", "minor")):
        warnings.warn(f"axe {v.impact} at {view.name}:\n{describe(v, v.gradlab_nodes)}", stacklevel=1)
    bad = scan.by_gradlab(FAILING)
    assert not bad, f"{view.name} ({scan.url}):\n" + "\n".join(describe(v, v.gradlab_nodes) for v in bad)


def _all(scanner: Scanner, views: list[View] = VIEWS) -> list[Scan]:
    return [_scanned(scanner, v) for v in views]


def test_headings_never_skip_a_level(scanner):
    skips = [f"{s.view}: {n.html}" for s in _all(scanner) for v in s.violations if v.rule == "heading-order"
             for n in v.nodes]  # fmt: skip
    assert not skips, "headings skip a level:\n" + "\n".join(skips)


def test_lab_history_table_has_no_empty_heading(scanner):
    views = [v for v in VIEWS if v.then == "lab clicks"]
    empty = [f"{s.view}: {n.html}" for s in _all(scanner, views) for v in s.violations if v.rule == "empty-heading"
             for n in v.nodes]  # fmt: skip
    assert not empty, "empty headings:\n" + "\n".join(empty)


def test_no_decorative_icon_is_read_aloud(scanner):
    read = sorted({f"{icon} ({s.view.split()[0]})" for s in _all(scanner) for icon in s.icons})
    assert not read, "a screen reader announces these icons:\n" + "\n".join(read)


@pytest.fixture(scope="module")
def bare_scan(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scan]:
    """axe on tests/e2e/bare_streamlit_app.py, served from the repository root (so with GradLab's theme)."""
    log = tmp_path_factory.mktemp("bare") / "server.log"
    server = Server("tests/e2e/bare_streamlit_app.py", REPO_ROOT, log_path=log)
    ctx = browser.new_context(viewport=MODES["normal"][0])
    try:
        server.wait_healthy()
        page = ctx.new_page()
        open_page(page, server.url, "/")
        yield Scan("bare Streamlit app", violations=run_axe(page, STREAMLIT_CAUSES + FIXED_BY_CSS))
    finally:
        ctx.close()
        server.stop()


@pytest.mark.parametrize("known", STREAMLIT_CAUSES + FIXED_BY_CSS, ids=lambda k: k.rule)
def test_bare_streamlit_shows_the_known_exceptions(bare_scan, known):
    hits = [n for v in bare_scan.violations if v.rule == known.rule for n in v.nodes if n.known == known.selector]
    assert hits, f"a bare Streamlit app no longer shows {known.rule} at {known.selector}: drop the exception"
