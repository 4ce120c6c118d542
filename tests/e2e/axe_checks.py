"""axe-core in the browser: inject the pinned copy, run it on the whole document, and describe what it finds.

axe-core comes from the npm registry into tests/e2e/axe/node_modules (`npm ci --prefix tests/e2e/axe`, pinned by
that folder's package-lock.json); `.ci/run` installs it. Each finding keeps the CSS selector axe gives, a piece of
the element's HTML, and which known Streamlit exception (if any) the element matches, decided in the browser with
`Element.matches`, so an exception never covers more than the elements its selector names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("critical", "serious")  # the impacts that fail the test; moderate and minor are reported


def pinned_version() -> str:
    """The axe-core version that tests/e2e/axe/package.json pins."""
    return str(json.loads((AXE_DIR / "package.json").read_text())["dependencies"]["axe-core"])


def missing_axe() -> str | None:
    """Why axe-core cannot be injected here, or None."""
    if not AXE_JS.is_file():
        return "axe-core is not installed (npm ci --prefix tests/e2e/axe)"
    installed = json.loads((AXE_JS.parent / "package.json").read_text())["version"]
    if installed != pinned_version():
        return f"axe-core {installed} is installed, {pinned_version()} is pinned (npm ci --prefix tests/e2e/axe)"
    return None


@dataclass(frozen=True)
class Known:
    """A violation that Streamlit itself causes: axe's rule id, a CSS selector its elements match, and why."""

    rule: str
    selector: str
    reason: str


@dataclass(frozen=True)
class Node:
    """One element axe flagged."""

    target: str
    html: str
    known: str | None  # the selector of the Known exception it matches, or None: GradLab's


@dataclass(frozen=True)
class Violation:
    """One axe rule that failed on a view, with every element it flagged."""

    rule: str
    impact: str
    help: str
    nodes: tuple[Node, ...]

    @property
    def gradlab_nodes(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.known is None)


@dataclass
class Scan:
    """What one view showed axe (and the screen-reader check that axe has no rule for)."""

    view: str
    url: str = ""
    viewport: str = ""
    violations: list[Violation] = field(default_factory=list)
    icons: list[str] = field(default_factory=list)
    error: str | None = None

    def by_gradlab(self, impacts: tuple[str, ...]) -> list[Violation]:
        """The violations of these impacts that have at least one element not covered by a known exception."""
        return [v for v in self.violations if v.impact in impacts and v.gradlab_nodes]

    def as_json(self) -> dict[str, object]:
        return {
            "view": self.view, "url": self.url, "viewport": self.viewport, "error": self.error,
            "violations": [
                {"rule": v.rule, "impact": v.impact, "help": v.help, "count": len(v.nodes),
                 "nodes": [{"target": n.target, "html": n.html,
                            "cause": "gradlab" if n.known is None else "streamlit", "known": n.known}
                           for n in v.nodes]}
                for v in self.violations
            ],
            "decorative_icons_read_aloud": self.icons,
        }  # fmt: skip


_RUN_JS = """
async ([known]) => {
  const r = await axe.run(document, { resultTypes: ['violations'], elementRef: true });
  return r.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => {
      const hit = known.find(([rule, sel]) => rule === v.id && n.element && n.element.matches(sel));
      return { target: n.target.map(String).join(' >>> '), html: n.html.slice(0, 240), known: hit ? hit[1] : null };
    }),
  }));
}
"""

# Streamlit draws a Markdown `:material/name:` shortcode as <span role="img" aria-label="name icon">, so a screen
# reader says "calculate icon" before the words it decorates (the `icon=` of st.info and friends is aria-hidden).
_ICONS_JS = """
() => [...document.querySelectorAll('span[role="img"][aria-label$=" icon"]')]
  .filter((e) => !e.closest('[aria-hidden="true"]') && e.checkVisibility({ visibilityProperty: true }))
  .map((e) => {
    const where = e.closest('[data-testid="stSidebar"]') ? 'sidebar' : 'main';
    const text = (e.parentElement.innerText || '').replace(/\\s+/g, ' ').trim().slice(0, 60);
    return `${where}: "${e.getAttribute('aria-label')}" in "${text}"`;
  })
"""


def inject(page: Page) -> str:
    """Load the pinned axe-core into `page` (once per document) and return its version."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    return str(page.evaluate("axe.version"))


def run_axe(page: Page, known: tuple[Known, ...]) -> list[Violation]:
    """Every axe violation on the page as it is now, each element matched against the known exceptions."""
    inject(page)
    raw = page.evaluate(_RUN_JS, [[[k.rule, k.selector] for k in known]])
    return [Violation(v["rule"], v["impact"] or "minor", v["help"], tuple(Node(**n) for n in v["nodes"])) for v in raw]


def icons_read_aloud(page: Page) -> list[str]:
    """Decorative Markdown icons that a screen reader announces, with the text around each."""
    return list(page.evaluate(_ICONS_JS))


def describe(v: Violation, nodes: tuple[Node, ...]) -> str:
    """One line per element: rule, impact, what axe says, where, and the element's HTML."""
    return "\n".join(f"  {v.rule} ({v.impact}): {v.help}\n    at {n.target}\n    {n.html}" for n in nodes)
