"""Page checks run in the browser: axe-core, sideways scrolling and touch-target size."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MIN_TARGET = 24  # CSS px, WCAG 2.2 success criterion 2.5.8 (AA)


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """Run axe-core with the WCAG 2.0/2.1 A and AA rules; describe each serious violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                      resultTypes: ['violations']})""",
        WCAG_TAGS,
    )
    found = []
    for v in result["violations"]:
        if v["impact"] not in impacts:
            continue
        for node in v["nodes"][:5]:
            found.append(
                f"{v['id']} ({v['impact']}): {v['help']} at {' '.join(map(str, node['target']))}"
                f" -- {node.get('failureSummary', '').splitlines()[-1:]}"
                f" -- {node['html'][:160]}"
            )
    return found


def horizontal_overflow(page) -> dict | None:
    """None when the page fits the viewport's width: it cannot be scrolled sideways and
    nothing sticks out of it (content inside a scrolling box, like a wide table, is fine)."""
    return page.evaluate(
        """() => {
          const y = window.scrollY;
          window.scrollTo(100000, y);
          const scrolled = window.scrollX;
          window.scrollTo(0, y);
          // Content inside a scrolling or clipping box does not widen the page.
          const clipped = el => {
            for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
              if (getComputedStyle(p).overflowX !== 'visible') return true;
            }
            return false;
          };
          const wide = [];
          for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            const s = getComputedStyle(el);
            if (r.right > window.innerWidth + 1 && r.width > 0 && r.height > 0 &&
                s.visibility !== 'hidden' && !clipped(el) && !el.closest('.visually-hidden, .sr-only')) {
              wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                        ' right=' + Math.round(r.right));
            }
          }
          if (scrolled === 0 && wide.length === 0) return null;
          return {scrolledBy: scrolled, scrollWidth: document.documentElement.scrollWidth,
                  innerWidth: window.innerWidth, elements: wide.slice(0, 8)};
        }"""
    )


def small_targets(page, minimum: int = MIN_TARGET) -> list[str]:
    """Visible links, buttons and form controls smaller than minimum x minimum CSS px.

    Exceptions of WCAG 2.5.8: links inside a sentence (inline, with text around them), and
    undersized targets with room around them (a 24 px square on their centre touches no
    other target). A visually hidden checkbox or radio counts with its label.
    """
    return page.evaluate(
        """min => {
          const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
          const visible = el => {
            const s = getComputedStyle(el);
            if (s.visibility === 'hidden' || s.display === 'none') return false;
            const r = el.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && el.closest('[aria-hidden=true], [hidden], [inert]') === null;
          };
          const rectOf = el => {
            let r = el.getBoundingClientRect();
            let box = {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
            if (el.matches('input[type=checkbox], input[type=radio]')) {
              for (const label of el.labels || []) {
                const l = label.getBoundingClientRect();
                if (l.width && l.height) box = {left: Math.min(box.left, l.left), top: Math.min(box.top, l.top),
                                                right: Math.max(box.right, l.right), bottom: Math.max(box.bottom, l.bottom)};
              }
            }
            return box;
          };
          const inlineInText = el => {
            if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
            const block = el.parentElement.closest('p, li, td, dd, figcaption, label, small, .form-text') || el.parentElement;
            const text = block.textContent.replace(/\\s+/g, ' ').trim();
            return text.length > el.textContent.replace(/\\s+/g, ' ').trim().length;
          };
          const visibleLike = el => visible(el) || (el.matches('input[type=checkbox], input[type=radio]') &&
                                                     [...(el.labels || [])].some(visible));
          const targets = [...document.querySelectorAll(sel)].filter(visibleLike);
          const boxes = targets.map(rectOf);
          const out = [];
          targets.forEach((el, i) => {
            const b = boxes[i];
            const w = b.right - b.left, h = b.bottom - b.top;
            if (w >= min - 0.5 && h >= min - 0.5) return;
            if (inlineInText(el)) return;
            const cx = (b.left + b.right) / 2, cy = (b.top + b.bottom) / 2, half = min / 2;
            const crowded = boxes.some((o, j) => j !== i && !targets[j].contains(el) && !el.contains(targets[j]) &&
              o.left < cx + half && o.right > cx - half && o.top < cy + half && o.bottom > cy - half);
            if (!crowded) return;
            const name = (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '').replace(/\\s+/g, ' ').trim().slice(0, 40);
            out.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(w)}x${Math.round(h)}`);
          });
          return out;
        }""",
        minimum,
    )


def focus_indicator(page) -> dict:
    """What marks the focused element: its outline and box-shadow (and those of its label)."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body) return {tag: 'body', visible: false};
          const look = e => { const s = getComputedStyle(e);
            return {outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
                    shadow: s.boxShadow && s.boxShadow !== 'none'}; };
          const own = look(el);
          let visible = own.outline || own.shadow;
          if (!visible && el.labels) for (const l of el.labels) { const x = look(l); visible = visible || x.outline || x.shadow; }
          const r = el.getBoundingClientRect();
          const name = (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '').replace(/\\s+/g, ' ').trim().slice(0, 40);
          return {tag: el.tagName.toLowerCase(), name, visible,
                  onScreen: r.width > 0 && r.height > 0, type: el.type || ''};
        }"""
    )


def focus_is_visible(page) -> bool:
    """Whether focusing the active element changes how it looks (its area and its labels').

    Compares a picture of the element focused with one of it blurred, so any technique
    counts (outline, shadow, border, colour) and a transparent or clipped one does not.
    """
    box = page.evaluate(
        """() => {
          if (!document.getElementById('eventi-no-transitions')) {
            // Compare final looks, not the middle of a fade.
            const style = document.createElement('style');
            style.id = 'eventi-no-transitions';
            style.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
            document.head.append(style);
          }
          const el = document.activeElement;
          el.scrollIntoView({behavior: 'instant', block: 'center', inline: 'nearest'});
          const rects = [el, ...(el.labels || [])].map(e => e.getBoundingClientRect()).filter(r => r.width && r.height);
          if (!rects.length) return null;
          const pad = 8;
          const x = Math.max(0, Math.min(...rects.map(r => r.left)) - pad);
          const y = Math.max(0, Math.min(...rects.map(r => r.top)) - pad);
          const right = Math.min(window.innerWidth, Math.max(...rects.map(r => r.right)) + pad);
          const bottom = Math.min(window.innerHeight, Math.max(...rects.map(r => r.bottom)) + pad);
          return {x, y, width: right - x, height: bottom - y};
        }"""
    )
    if box is None or box["width"] <= 0 or box["height"] <= 0:
        return False
    focused = page.screenshot(clip=box, animations="disabled", caret="hide")
    page.evaluate("() => { window.__eventiFocus = document.activeElement; document.activeElement.blur(); }")
    blurred = page.screenshot(clip=box, animations="disabled", caret="hide")
    page.evaluate("() => window.__eventiFocus.focus({focusVisible: true})")
    return focused != blurred
