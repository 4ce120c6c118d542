"""What a keyboard and a screen reader need that Streamlit 1.67 does not do, done in the browser (issue 19 §6).

One small script, installed once per browser tab, with two jobs:

- **Focus survives a rerun.** Streamlit drops focus to the page's body when a rerun removes or disables the
  focused control (*Lock in* replaced by its verdict, *Reveal* by the answer, lab buttons waiting for the next
  prediction): the next Tab started again at the top, and a screen reader announced nothing. The script
  remembers the stable `st-key-<key>` classes around the focused element and, when focus has fallen to the body
  because that element went away or was disabled, puts it back: on the same keyed control if it is there and
  enabled, else on the nearest keyed container that still exists (made focusable with tabindex=-1), so the next
  Tab continues from there and a screen reader reads what replaced the control.
- **Decorative icons stay silent.** Streamlit draws a Markdown `:material/name:` shortcode as an image named
  "name icon", so a screen reader said "science icon Try this", "calculate icon GradLab". Every such icon in
  GradLab's text decorates words that say the same thing, so the script marks each one `aria-hidden` as it is
  drawn (the `icon=` of st.info and friends is hidden by Streamlit already).

tests/e2e/test_focus.py presses *Lock in*, *Reveal* and a lab button with the keyboard and checks where focus is;
tests/e2e/test_axe.py checks that no decorative icon is read aloud on any page or lab tab.
"""

from __future__ import annotations

import streamlit as st

KEY = "gl-a11y"  # the hidden container of the script (base.css)

# No "<" inside the script: Streamlit sanitises the HTML, and a tag-like word in a comment breaks it.
_SCRIPT = """<script>
(() => {
  if (window.__glA11y) return;
  window.__glA11y = true;
  const FOCUSABLE = 'button:not([disabled]), a[href], input:not([disabled]), select:not([disabled]), '
    + 'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
  let last = null;  // { el, keys }: the focused element and the st-key-* classes from it outwards
  const keysOf = (el) => {
    const keys = [];
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      for (const c of e.classList) if (c.startsWith('st-key-')) keys.push(c);
    }
    return keys;
  };
  document.addEventListener('focusin', (ev) => {
    const keys = keysOf(ev.target);
    last = keys.length ? { el: ev.target, keys } : null;
  }, true);
  const restore = () => {
    const active = document.activeElement;
    // Lost: on the body, or still on the remembered control that was just disabled (Chromium moves it to the
    // body only at its next rendering step, with no event and no DOM change to observe).
    const lost = !active || active === document.body || (active === last?.el && active.disabled);
    if (!last || !lost) return;
    if (last.el.isConnected && !last.el.disabled) return;  // focus left on purpose (a click on the page)
    for (const [i, key] of last.keys.entries()) {
      const box = document.querySelector('.' + CSS.escape(key));
      if (!box) continue;
      const control = i === 0 ? box.querySelector(FOCUSABLE) : null;
      if (control) { control.focus({ preventScroll: true }); return; }
      if (i === 0) continue;  // the same control, disabled: its container instead
      if (!box.hasAttribute('tabindex')) box.setAttribute('tabindex', '-1');
      box.focus({ preventScroll: true });
      return;
    }
  };
  new MutationObserver(restore).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['disabled'],
  });

  // Markdown icons: silence each one as it is drawn (only added nodes are looked at, never the whole page).
  const ICON = '[data-testid="stMarkdownContainer"] span[role="img"][aria-label$=" icon"]';
  const silence = (root) => {
    if (root.matches?.(ICON)) root.setAttribute('aria-hidden', 'true');
    root.querySelectorAll?.(ICON).forEach((e) => e.setAttribute('aria-hidden', 'true'));
  };
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1) silence(n);
  }).observe(document.body, { subtree: true, childList: true });
  silence(document.body);
})();
</script>"""


def browser_aids() -> None:
    """Install the script in this browser tab (once; later calls draw the same hidden element)."""
    with st.container(key=KEY):
        st.html(_SCRIPT, unsafe_allow_javascript=True)
