"""What a projected page must pass, measured in the browser: nothing cut off or scrolling sideways, text large and dark.

Each check returns a list of findings (empty when the page passes), worded so that a failing test says what a
teacher would see: which element, its text, and by how much it misses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The darkest text GradLab draws is #111827 (relative luminance ≈ 0.011); anything lighter is the theme's grey.
INK_LUMINANCE = 0.0112

# Elements whose content is cut off or needs a sideways scroll: scrollWidth beyond clientWidth, by kind.
# A 1 px box is a screen-reader label (.gl-sr-only), not drawn.
_CLIPPED_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const kinds = [
    ['table', '[data-testid="stTable"], [data-testid="stTable"] > div'],
    ['code block', '[data-testid="stCode"] pre'],
    ['tab bar', '[role="tablist"]'],
    ['tab label', '[role="tab"], [role="tab"] [data-testid="stMarkdownContainer"]'],
    ['page link', '[data-testid="stPageLink-NavLink"], [data-testid="stPageLink-NavLink"] span, '
      + '[data-testid="stPageLink-NavLink"] p'],
    ['metric value', '[data-testid="stMetricValue"], [data-testid="stMetricValue"] > div'],
    ['metric label', '[data-testid="stMetricLabel"], '
      + '[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"], [data-testid="stMetricLabel"] p'],
    ['button label', 'button, button [data-testid="stMarkdownContainer"], button p'],
  ];
  const out = [];
  for (const [kind, sel] of kinds) {
    for (const e of main.querySelectorAll(sel)) {
      if (e.getClientRects().length === 0 || e.clientWidth <= 1 || e.closest('.gl-sr-only')) continue;
      if (e.scrollWidth > e.clientWidth + 1) {
        const text = (e.innerText || '').replace(/\\s+/g, ' ').trim().slice(0, 70);
        out.push(`${kind} "${text}": ${e.scrollWidth} px of content in ${e.clientWidth} px`);
      }
    }
  }
  // Each tab and each page link lies inside the window (a tab behind a scroll arrow is outside its bar).
  for (const e of main.querySelectorAll('[role="tab"], [data-testid="stPageLink-NavLink"]')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.left < -1 || r.right > window.innerWidth + 1) out.push(`"${e.innerText.trim()}" lies outside the window`);
  }
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) out.push(`the page scrolls sideways: ${page.scrollWidth} px wide`);
  if (main.scrollWidth > main.clientWidth + 1) {
    out.push(`the main area scrolls sideways: ${main.scrollWidth} px of content in ${main.clientWidth} px`);
  }
  return out;
}
"""

# Vega charts: every title complete (no "…") and inside its svg; axis and legend text dark and at least `minPx`.
_CHART_TEXT_JS = """
([minPx, maxLum]) => {
  const lum = (fill) => {
    const c = document.createElement('canvas').getContext('2d');
    c.fillStyle = '#fff'; c.fillStyle = fill || '#000';
    const hex = c.fillStyle.startsWith('#') ? c.fillStyle : '#000000';
    const ch = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const px = (t) => {
    const m = t.getScreenCTM();
    return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);  // rotated axis titles count too
  };
  const out = [];
  for (const svg of document.querySelectorAll('[data-testid="stMain"] .vega-embed svg')) {
    if (svg.getClientRects().length === 0) continue;
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('g.role-title text, g.role-title-text text')) {
      // A text box reaches above its letters by part of the line height: up to 0.3 em of it may stick out.
      const r = t.getBoundingClientRect(), slack = 0.3 * px(t);
      if (t.textContent.includes('…')) out.push(`chart title cut: "${t.textContent}"`);
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - slack || r.bottom > box.bottom + 1) {
        out.push(`chart title "${t.textContent}" lies outside its chart`);
      }
    }
    const sel = 'g.role-axis-label text, g.role-axis-title text, g.role-legend-label text, g.role-legend-title text';
    for (const t of svg.querySelectorAll(sel)) {
      if (!t.textContent.trim()) continue;
      const size = px(t);
      if (size < minPx - 0.5) out.push(`chart text "${t.textContent}" is ${size.toFixed(1)} px (< ${minPx})`);
      if (lum(t.getAttribute('fill')) > maxLum) out.push(`chart text "${t.textContent}" is ${t.getAttribute('fill')}`);
      if (t.textContent.includes('…')) out.push(`chart text cut: "${t.textContent}"`);
    }
  }
  return out;
}
"""

# Graphviz pictures: every label at least `minPx` as drawn (its font size times the picture's scale).
_GRAPH_TEXT_JS = """
([minPx]) => {
  const out = [];
  for (const t of document.querySelectorAll('[data-testid="stMain"] [data-testid="stGraphVizChart"] svg text')) {
    if (t.getClientRects().length === 0 || !t.textContent.trim()) continue;
    const m = t.getScreenCTM();
    const size = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    if (size < minPx - 0.5) out.push(`graph text "${t.textContent}" is ${size.toFixed(1)} px (< ${minPx})`);
  }
  return out;
}
"""


def clipped(page: Page) -> list[str]:
    """Tables, code, tab bars, page links, metrics and buttons that are cut off or scroll sideways."""
    return page.evaluate(_CLIPPED_JS)


def chart_text(page: Page, min_px: float) -> list[str]:
    """Chart titles cut or outside their chart; axis and legend text lighter than the ink or under `min_px`."""
    return page.evaluate(_CHART_TEXT_JS, [min_px, INK_LUMINANCE])


def graph_text(page: Page, min_px: float) -> list[str]:
    """Graph labels drawn under `min_px`."""
    return page.evaluate(_GRAPH_TEXT_JS, [min_px])


# Text that a projector washes out: contrast with its background below `minGrey` for grey text on a neutral
# background (captions, table headers, code punctuation), below `minColour` where either is coloured (alerts,
# links, syntax colours, primary buttons). The background is the nearest opaque one drawn behind the text;
# opacity counts; disabled controls are exempt, as in WCAG.
_FAINT_TEXT_JS = """
([minGrey, minColour]) => {
  const rgba = (css) => { const m = css.match(/[\\d.]+/g).map(Number); return m.length > 3 ? m : [...m, 1]; };
  const lum = (rgb) => {
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
  };
  const out = new Set();
  const walker = document.createTreeWalker(document.querySelector('[data-testid="stMain"]'), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (!n.textContent.trim() || !e || e.getClientRects().length === 0) continue;
    if (e.closest('.gl-sr-only, [disabled], [aria-disabled="true"], svg, [data-testid="stElementToolbar"]')) continue;
    const fg = rgba(getComputedStyle(e).color);
    let alpha = fg[3];
    for (let a = e; a; a = a.parentElement) alpha *= parseFloat(getComputedStyle(a).opacity);
    if (alpha < 0.05) continue;  // not drawn (a slider's end labels until hovered)
    let bg = [255, 255, 255];
    const r = e.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
    for (let a = e; a; a = a.parentElement) {
      const c = rgba(getComputedStyle(a).backgroundColor), box = a.getBoundingClientRect();
      const behind = box.left <= x && x <= box.right && box.top <= y && y <= box.bottom;  // not a label set beside it
      if (c[3] > 0.5 && behind) { bg = c.slice(0, 3); break; }
    }
    const rgb = fg.slice(0, 3).map((c, i) => c * alpha + bg[i] * (1 - alpha));
    const [hi, lo] = [lum(rgb), lum(bg)].sort((a, b) => b - a);
    const contrast = (hi + 0.05) / (lo + 0.05);
    const neutral = (c) => Math.max(...c) - Math.min(...c) < 40;
    const grey = neutral(rgb) && neutral(bg);  // grey on white or light grey: the washed-out case
    if (contrast < (grey ? minGrey : minColour)) {
      const text = n.textContent.trim().slice(0, 40);
      out.add(`"${text}" (${e.tagName.toLowerCase()}) has contrast ${contrast.toFixed(1)}:1`);
    }
  }
  return [...out].slice(0, 20);
}
"""


def faint_text(page: Page, min_grey: float = 7.0, min_colour: float = 4.5) -> list[str]:
    """Text in the main area with too little contrast against a white page."""
    return page.evaluate(_FAINT_TEXT_JS, [min_grey, min_colour])


def all_problems(page: Page, min_px: float) -> list[str]:
    """Every finding of the four checks."""
    return clipped(page) + chart_text(page, min_px) + graph_text(page, min_px) + faint_text(page)
