// Keyboard selection: choose a passage of a section's text without a mouse.
//
// In this mode a caret, drawn beside the text, moves with the arrow keys (Ctrl with them: by
// word; Home and End: to the ends of the line) and Shift with them extends the browser's own
// selection, which the "Annotate" control and its form then take as they take a mouse's.
// Enter annotates the selection, Escape leaves and gives the focus back.
//
// The section's text is never changed: its textContent is what offsets count (CONTRACT.md).
// The caret and the hint are drawn outside `.section-text`, absolutely positioned in the section.
// While the mode lasts the text element itself takes the focus (tabindex -1, so that Tab never
// lands on it otherwise) as a labelled group: axe accepts a focusable group with a name, and a
// screen reader announces that name and the instructions it is described by, while still reading
// the text inside as text (role "application" would hide it as a document).

import {
  announce,
  annotatingOpensForm,
  annotateSelection,
  annotatingOffered,
  currentSelection,
  hideSelectFirst,
  paragraphSpans,
  quoteFromRange,
  rangeFromOffsets,
  rangeOffsets,
  sectionInView,
} from "./annotate.js";
import { formatNumber, gettext, ngettext } from "./i18n.js";

// Words this module adds to the page, in one place for translation.
export const MESSAGES = {
  hint: gettext("Shift+arrows select · Enter annotates · Esc leaves"),
  hintLogIn: gettext("Shift+arrows select · Enter: log in to annotate · Esc leaves"),
  label: (section) => gettext("Text of “%(section)s”: keyboard selection", { section }),
  entered: (section) =>
    gettext("Keyboard selection in “%(section)s”. The arrow keys move the caret, Shift with them selects, Enter annotates, Escape leaves.", { section }),
  enteredLogIn: (section) =>
    gettext("Keyboard selection in “%(section)s”. The arrow keys move the caret, Shift with them selects, Enter leads to logging in to annotate, Escape leaves.", { section }),
  left: gettext("Keyboard selection ended."),
  selected: (quote, words, chars) => gettext("Selected: “%(quote)s” (%(words)s, %(chars)s).", { quote, words, chars }),
  summary: (words, chars) => gettext("Selected: %(words)s, %(chars)s", { words, chars }),
  words: (n) => ngettext("%(num)s word", "%(num)s words", n, { num: formatNumber(n) }),
  chars: (n) => ngettext("%(num)s character", "%(num)s characters", n, { num: formatNumber(n) }),
  nothing: gettext("Nothing selected"),
  nothingSaid: gettext("Nothing selected."),
  nothingYet: gettext("Nothing selected yet: hold Shift and press the arrow keys."),
  untitled: gettext("this section"),
  space: gettext("space"),
  atEnd: gettext("End of the section."),
};

const MODE_CLASS = "is-caret-mode";
const LONG_QUOTE = 100; // code points said in full; longer selections are shortened
const SAY_DELAY = 300; // ms after the last key before the selection is said

let active = null; // the one section in keyboard selection: see startCaret

function sectionTitle(root) {
  const section = root.closest(".paper-section");
  const heading = section && section.querySelector(".section-heading, h2, h3, h4, h5, h6");
  return (heading && heading.textContent.replace(/\s+/gu, " ").trim()) || MESSAGES.untitled;
}

function el(tag, className, props = {}) {
  const node = document.createElement(tag);
  node.className = className;
  Object.assign(node, props);
  return node;
}

/** A point at code-point `offset` of `root`'s text, as a collapsed Range. */
function pointAt(root, offset) {
  const range = rangeFromOffsets(root, offset, offset);
  range.collapse(true);
  return range;
}

/** The first and last text positions of `root`. */
function edge(root, atEnd) {
  const length = [...root.textContent].length;
  return pointAt(root, atEnd ? length : 0);
}

// --- the caret's place on screen ---------------------------------------------------------------

function usable(rect) {
  return rect && rect.height > 0;
}

/** Where to draw a caret at the boundary point (node, offset): {left, top, height} in the
 * viewport. A collapsed range has a box in most places; where it has none (between blocks),
 * the character after it, or else the one before it, says where the line is. */
function caretBox(root, node, offset) {
  const range = document.createRange();
  range.setStart(node, offset);
  range.collapse(true);
  const rects = range.getClientRects();
  if (rects.length && usable(rects[0])) {
    return { left: rects[0].left, top: rects[0].top, height: rects[0].height };
  }
  const at = rangeOffsets(root, range).start;
  const length = [...root.textContent].length;
  for (let step = 0; step < 4; step += 1) {
    if (at + step < length) {
      const next = rangeFromOffsets(root, at + step, at + step + 1).getClientRects();
      if (next.length && usable(next[0]) && next[0].width > 0) {
        return { left: next[0].left, top: next[0].top, height: next[0].height };
      }
    }
    if (at - step > 0) {
      const prev = rangeFromOffsets(root, at - step - 1, at - step).getClientRects();
      const last = prev.length ? prev[prev.length - 1] : null;
      if (usable(last) && last.width > 0) {
        return { left: last.right, top: last.top, height: last.height };
      }
    }
  }
  const box = root.getBoundingClientRect();
  return { left: box.left, top: box.top, height: 20 };
}

function draw() {
  if (!active) return;
  const { root, caret, hint, status } = active;
  const selection = document.getSelection();
  if (!selection || !selection.rangeCount || !root.contains(selection.focusNode)) return;
  const box = caretBox(root, selection.focusNode, selection.focusOffset);
  const base = (caret.offsetParent || root.parentElement).getBoundingClientRect();
  caret.style.left = `${box.left - base.left - 1}px`;
  caret.style.top = `${box.top - base.top}px`;
  caret.style.height = `${box.height}px`;

  const found = currentSelection();
  const quote = found && found.root === root ? quoteFromRange(root, found.range) : null;
  status.textContent = quote ? summary(quote.exact).short : MESSAGES.nothing;

  // The hint above the caret's line (the "Annotate" control goes below the selection), or
  // below both when the window begins first; within the section's width.
  const width = hint.offsetWidth;
  const left = Math.max(0, Math.min(box.left - base.left - 16, base.width - width));
  hint.style.left = `${left}px`;
  let top = box.top - hint.offsetHeight - 6;
  if (top < 0) {
    const control = root.parentElement.querySelector(":scope > .annotate-button:not([hidden])");
    const below = control ? control.getBoundingClientRect().bottom : box.top + box.height;
    top = Math.max(below, box.top + box.height) + 6;
  }
  hint.style.top = `${top - base.top}px`;
  caret.scrollIntoView({ block: "nearest", inline: "nearest" });
}

function summary(text) {
  const points = [...text];
  const words = text.trim().split(/\s+/u).filter(Boolean).length;
  const shown = points.length > LONG_QUOTE
    ? `${points.slice(0, 60).join("").trimEnd()} … ${points.slice(-30).join("").trimStart()}`
    : text;
  return {
    short: MESSAGES.summary(MESSAGES.words(words), MESSAGES.chars(points.length)),
    said: MESSAGES.selected(shown, MESSAGES.words(words), MESSAGES.chars(points.length)),
  };
}

// --- moving and extending --------------------------------------------------------------------

/** Keep the selection's moving end inside the section: a move past its first or last line
 * stops at its start or end. */
function clamp(root, alter, direction) {
  const selection = document.getSelection();
  if (root.contains(selection.focusNode)) return;
  const point = edge(root, direction === "forward");
  if (alter === "extend") selection.extend(point.startContainer, point.startOffset);
  else selection.collapse(point.startContainer, point.startOffset);
}

function place(root, alter, atEnd) {
  const selection = document.getSelection();
  const point = edge(root, atEnd);
  if (alter === "extend" && selection.rangeCount) selection.extend(point.startContainer, point.startOffset);
  else selection.collapse(point.startContainer, point.startOffset);
}

/** The keys of the mode: [direction, granularity] for Selection.modify, or a command. */
function commandFor(event) {
  const word = event.ctrlKey || event.altKey;
  switch (event.key) {
    case "ArrowLeft": return ["backward", word ? "word" : "character"];
    case "ArrowRight": return ["forward", word ? "word" : "character"];
    case "ArrowUp": return ["backward", word ? "paragraph" : "line"];
    case "ArrowDown": return ["forward", word ? "paragraph" : "line"];
    case "Home": return event.ctrlKey ? ["backward", "section"] : ["backward", "lineboundary"];
    case "End": return event.ctrlKey ? ["forward", "section"] : ["forward", "lineboundary"];
    case "Enter": return "annotate";
    case "Escape": return "leave";
    default: return null;
  }
}

function onKeydown(event) {
  if (!active || event.target !== active.root) return;
  const command = commandFor(event);
  if (!command) return;
  event.preventDefault();
  event.stopPropagation();
  const { root } = active;
  if (command === "leave") {
    leave({ restoreFocus: true });
    return;
  }
  if (command === "annotate") {
    const found = currentSelection();
    if (!found || found.root !== root || !quoteFromRange(root, found.range)) {
      announce(MESSAGES.nothingYet);
      return;
    }
    leave({ restoreFocus: false, quiet: true });
    annotateSelection();
    return;
  }
  const [direction, granularity] = command;
  const alter = event.shiftKey ? "extend" : "move";
  const selection = document.getSelection();
  if (!selection.rangeCount || !root.contains(selection.focusNode)) place(root, "move", false);
  if (granularity === "section") place(root, alter, direction === "forward");
  else {
    selection.modify(alter, direction, granularity);
    clamp(root, alter, direction);
  }
  draw();
  sayLater(granularity);
}

/** What follows a collapsed caret, by the unit it moved by: the character, the word, or the
 * rest of the line; so that the caret can be followed without seeing it. */
function textAfterCaret(root, granularity) {
  const selection = document.getSelection();
  const { focusNode, focusOffset } = selection;
  const unit = { character: "character", word: "word" }[granularity] || "lineboundary";
  selection.modify("extend", "forward", unit);
  const range = selection.getRangeAt(0).cloneRange();
  selection.collapse(focusNode, focusOffset);
  if (!root.contains(range.endContainer)) range.setEnd(root, root.childNodes.length);
  const text = range.toString();
  if (!text) return MESSAGES.atEnd;
  if (!text.trim()) return MESSAGES.space;
  return granularity === "character" ? text : text.trim();
}

function sayLater(granularity) {
  if (!active) return;
  clearTimeout(active.sayTimer);
  const { root } = active;
  active.sayTimer = setTimeout(() => {
    if (!active || active.root !== root) return;
    const found = currentSelection();
    const quote = found && found.root === root ? quoteFromRange(root, found.range) : null;
    let said = quote ? summary(quote.exact).said : MESSAGES.nothingSaid;
    const selection = document.getSelection();
    if (!quote && selection.isCollapsed && root.contains(selection.focusNode)) {
      said = textAfterCaret(root, granularity);
      active.lastSaid = null; // the same word met again is said again
    }
    if (said !== active.lastSaid) {
      active.lastSaid = said;
      announce(said);
    }
  }, SAY_DELAY);
}

// --- entering and leaving --------------------------------------------------------------------

let counter = 0;

/**
 * Start keyboard selection in `root` (a `.section-text` element): at the start of paragraph
 * `n` (counted from 1, as the site numbers paragraphs; the paragraphs of paragraphSpans), or at
 * code-point `offset` of its text, or else where the selection already is in it (its start
 * when there is none). Returns whether the mode started: not where the page offers no
 * annotating, nor for a paragraph the text does not have.
 */
export function startCaret(root, where = {}) {
  if (!(root instanceof Element) || !root.matches(".section-text[data-section]")) return false;
  if (!annotatingOffered()) return false;
  const text = root.textContent;
  let offset = null;
  if (where && where.paragraph !== undefined) {
    const span = Number.isInteger(where.paragraph) ? paragraphSpans(text)[where.paragraph - 1] : null;
    if (!span || where.paragraph < 1) return false;
    [offset] = span;
  } else if (where && where.offset !== undefined) {
    if (!Number.isInteger(where.offset)) return false;
    offset = Math.min(Math.max(0, where.offset), [...text].length);
  }
  let returnTo = document.activeElement;
  if (active) {
    returnTo = active.returnTo;
    leave({ restoreFocus: false, quiet: true });
  }
  hideSelectFirst();

  counter += 1;
  const title = sectionTitle(root);
  const keys = el("p", "caret-hint__keys", {
    id: `caret-hint-${counter}`,
    textContent: annotatingOpensForm() ? MESSAGES.hint : MESSAGES.hintLogIn,
  });
  const status = el("p", "caret-hint__status");
  const hint = el("div", "caret-hint");
  hint.append(keys, status);
  const caret = el("span", "caret-mark");
  caret.setAttribute("aria-hidden", "true");
  root.after(caret, hint);

  const saved = {};
  for (const name of ["tabindex", "role", "aria-label", "aria-describedby"]) {
    saved[name] = root.getAttribute(name);
  }
  root.tabIndex = -1;
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", MESSAGES.label(title));
  root.setAttribute("aria-describedby", keys.id);
  root.classList.add(MODE_CLASS);

  const onFocusOut = () => {
    // Focus that leaves the text (Tab, a click elsewhere, a link inside it) ends the mode;
    // a window that merely loses the focus does not.
    setTimeout(() => {
      if (active && active.root === root && document.activeElement !== root && document.hasFocus()) {
        leave({ restoreFocus: false });
      }
    }, 0);
  };
  const onSelection = () => requestAnimationFrame(draw);
  active = {
    root, returnTo, caret, hint, status, saved, onFocusOut, onSelection,
    sayTimer: null, lastSaid: null,
  };
  root.addEventListener("keydown", onKeydown);
  root.addEventListener("focusout", onFocusOut);
  document.addEventListener("selectionchange", onSelection);
  window.addEventListener("resize", onSelection);

  root.focus({ preventScroll: true });
  const selection = document.getSelection();
  const found = currentSelection();
  if (offset !== null || !found || found.root !== root) {
    const point = pointAt(root, offset ?? 0);
    selection.removeAllRanges();
    selection.addRange(point);
  }
  draw();
  announce(annotatingOpensForm() ? MESSAGES.entered(title) : MESSAGES.enteredLogIn(title));
  return true;
}

/** Leave keyboard selection, if it is on: the text is as it was, the focus back where it was
 * (or, when it was nowhere in particular, no longer on the text). */
export function stopCaret() {
  if (!active) return false;
  leave({ restoreFocus: true });
  return true;
}

function leave({ restoreFocus, quiet = false }) {
  const state = active;
  if (!state) return;
  active = null;
  const { root, returnTo, caret, hint, saved } = state;
  clearTimeout(state.sayTimer);
  root.removeEventListener("keydown", onKeydown);
  root.removeEventListener("focusout", state.onFocusOut);
  document.removeEventListener("selectionchange", state.onSelection);
  window.removeEventListener("resize", state.onSelection);
  caret.remove();
  hint.remove();
  root.classList.remove(MODE_CLASS);
  if (restoreFocus) {
    const back = returnTo && returnTo.isConnected && returnTo !== document.body && returnTo !== root;
    if (back) returnTo.focus({ preventScroll: true });
    else if (document.activeElement === root) root.blur();
  }
  for (const [name, value] of Object.entries(saved)) {
    if (value === null) root.removeAttribute(name);
    else root.setAttribute(name, value);
  }
  if (!quiet) announce(MESSAGES.left);
}

// --- the shortcut ----------------------------------------------------------------------------

/** Where the shortcut starts: before the focused element of the text, else at the first line
 * of the text in view. */
function startingPoint(root) {
  const found = currentSelection();
  if (found && found.root === root) return {};
  const focused = document.activeElement;
  if (focused && focused !== root && root.contains(focused)) {
    const range = document.createRange();
    range.setStartBefore(focused);
    range.collapse(true);
    return { offset: rangeOffsets(root, range).start };
  }
  const box = root.getBoundingClientRect();
  if (box.top < 0 && document.caretRangeFromPoint) {
    const y = Math.min(box.bottom - 2, 24);
    for (let x = box.left + 2; x < Math.min(box.right, box.left + 200); x += 16) {
      const range = document.caretRangeFromPoint(x, y);
      if (range && root.contains(range.startContainer)) {
        return { offset: rangeOffsets(root, range).start };
      }
    }
  }
  return { offset: 0 };
}

function isTyping(target) {
  return target instanceof Element && target.closest("input, textarea, select, [contenteditable]");
}

function setupShortcut() {
  const html = document.documentElement;
  if (html.dataset.caretReady) return;
  html.dataset.caretReady = "true";
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    if (!(event.code === "KeyS" || event.key === "S" || event.key === "s")) return;
    if (isTyping(event.target) || !annotatingOffered()) return;
    const root = sectionInView();
    if (!root) return;
    event.preventDefault();
    if (active && active.root === root) return;
    startCaret(root, startingPoint(root));
  });
}

setupShortcut();
