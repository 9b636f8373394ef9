// Passage annotations: select text in a section, press "Annotate", post without a reload;
// annotated passages are highlighted, and a highlight and its thread card point at each other.
//
// Offsets count Unicode code points in the section's text, which is the `textContent` of its
// `.section-text` element (CONTRACT.md). The DOM counts UTF-16 units, so every offset is
// converted at the boundary. Highlighting only wraps text nodes in <mark>: the text content
// of a section never changes.
//
// Exported functions are pure DOM helpers, usable (and tested) on any element, except those
// under "selecting and annotating", which act on the page as init() set it up (keyboard
// selection, caret.js, calls them); the page set-up runs once per document, however often the
// module is imported.

import { announce } from "./announce.js";
import { formatNumber, gettext, ngettext } from "./i18n.js";

// Words this module adds to the page, in one place for translation.
export const MESSAGES = {
  selectFirst: gettext("Select some words first — with the mouse, or press Alt+Shift+S to select with the keyboard."),
};

const CONTEXT = 32; // code points of prefix and suffix, as the server stores them
const HIGHLIGHT = "annotation-highlight";
// Text nodes directly inside these elements are formatting whitespace, not rendered text.
const NO_TEXT_PARENTS = new Set([
  "TABLE", "THEAD", "TBODY", "TFOOT", "TR", "UL", "OL", "DL", "COLGROUP",
]);

// --- offsets ---------------------------------------------------------------------------

function textNodes(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
  return nodes;
}

/** UTF-16 units of `root`'s text before the boundary point (container, offset). */
function unitsBefore(root, container, offset) {
  if (!root.contains(container)) {
    // A boundary outside the element: before it counts 0, after it the whole text.
    const before = root.compareDocumentPosition(container) & Node.DOCUMENT_POSITION_PRECEDING;
    return before ? 0 : root.textContent.length;
  }
  const point = document.createRange();
  point.setStart(container, offset);
  let units = 0;
  for (const node of textNodes(root)) {
    if (node === container) return units + offset;
    // Wholly before the boundary when its end does not come after it.
    if (point.comparePoint(node, node.length) <= 0) units += node.length;
    else break;
  }
  return units;
}

/** Code points in the first `units` UTF-16 units of `text`. */
export function unitsToCodePoints(text, units) {
  return [...text.slice(0, units)].length;
}

/** UTF-16 units in the first `points` code points of `text`. */
export function codePointsToUnits(text, points) {
  let units = 0;
  let seen = 0;
  for (const char of text) {
    if (seen === points) break;
    units += char.length;
    seen += 1;
  }
  return units;
}

/** Code-point offsets {start, end} of a Range within `root`'s text (clipped to it). */
export function rangeOffsets(root, range) {
  const text = root.textContent;
  const startUnits = unitsBefore(root, range.startContainer, range.startOffset);
  const endUnits = Math.max(startUnits, unitsBefore(root, range.endContainer, range.endOffset));
  return {
    start: unitsToCodePoints(text, startUnits),
    end: unitsToCodePoints(text, endUnits),
  };
}

/** The text node and offset at `units` UTF-16 units into `root`'s text. */
function pointAt(nodes, units, preferNext) {
  let seen = 0;
  for (let i = 0; i < nodes.length; i += 1) {
    const node = nodes[i];
    const end = seen + node.length;
    if (units < end || (units === end && !(preferNext && i + 1 < nodes.length))) {
      return [node, units - seen];
    }
    seen = end;
  }
  return null;
}

/** A Range over code points [start, end) of `root`'s text: the inverse of rangeOffsets. */
export function rangeFromOffsets(root, start, end) {
  const text = root.textContent;
  const nodes = textNodes(root);
  const range = document.createRange();
  const from = pointAt(nodes, codePointsToUnits(text, start), true);
  const to = pointAt(nodes, codePointsToUnits(text, end), false);
  if (!from || !to) {
    range.selectNodeContents(root);
    if (!from) range.collapse(false);
    return range;
  }
  range.setStart(from[0], from[1]);
  range.setEnd(to[0], to[1]);
  return range;
}

/** A quote selector from code-point offsets: {exact, prefix, suffix, start, end}. */
export function quoteAt(text, start, end) {
  const points = [...text];
  return {
    exact: points.slice(start, end).join(""),
    prefix: points.slice(Math.max(0, start - CONTEXT), start).join(""),
    suffix: points.slice(end, end + CONTEXT).join(""),
    start,
    end,
  };
}

// White space as Python's str.isspace() has it, which differs from JavaScript's \s.
const PYTHON_BLANK = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/u;

/**
 * The paragraphs of a section's text: code-point offsets [start, end) of each run of text
 * between line breaks that is not only white space, as the server's block_spans counts them
 * (app/core/anchoring.py). Paragraph n (counted from 1) is the (n - 1)th pair.
 */
export function paragraphSpans(text) {
  const spans = [];
  let offset = 0;
  for (const line of text.split("\n")) {
    const length = [...line].length;
    if (!PYTHON_BLANK.test(line)) spans.push([offset, offset + length]);
    offset += length + 1;
  }
  return spans;
}

/** The quote a Range selects in `root`, without leading or trailing white space; null if blank. */
export function quoteFromRange(root, range) {
  const text = root.textContent;
  let { start, end } = rangeOffsets(root, range);
  const points = [...text];
  while (start < end && /\s/u.test(points[start])) start += 1;
  while (end > start && /\s/u.test(points[end - 1])) end -= 1;
  if (start >= end) return null;
  return quoteAt(text, start, end);
}

// --- highlights ------------------------------------------------------------------------

/** Remove the highlights of `root`, leaving its text and markup as they were. */
export function removeHighlights(root) {
  for (const mark of root.querySelectorAll(`mark.${HIGHLIGHT}`)) {
    mark.replaceWith(...mark.childNodes);
  }
  root.normalize();
}

/**
 * Wrap each anchor {id, start, end, kind} of `root` in <mark> elements. Text nodes are split at
 * every anchor boundary; each piece is wrapped once and carries the ids of every anchor that
 * covers it (`data-annotations`), so overlapping passages need no nesting. The first piece of
 * each passage is its keyboard stop (tabindex 0).
 */
export function applyHighlights(root, anchors) {
  removeHighlights(root);
  const text = root.textContent;
  const spans = anchors
    .map((a) => ({
      ...a,
      from: codePointsToUnits(text, a.start),
      to: codePointsToUnits(text, a.end),
    }))
    .filter((a) => a.to > a.from);
  if (!spans.length) return [];
  const cuts = new Set();
  for (const span of spans) cuts.add(span.from).add(span.to);
  // Split text nodes at every cut, from the end so earlier positions stay valid.
  let seen = 0;
  const pieces = [];
  for (const node of textNodes(root)) {
    const start = seen;
    seen += node.length;
    const inside = [...cuts].filter((c) => c > start && c < seen).sort((a, b) => b - a);
    let tail = node;
    const parts = [];
    for (const cut of inside) {
      const rest = tail.splitText(cut - start);
      parts.unshift([rest, cut]);
    }
    parts.unshift([tail, start]);
    pieces.push(...parts);
  }
  const marks = [];
  const first = new Set();
  for (const [node, at] of pieces) {
    const end = at + node.length;
    const covering = spans.filter((s) => s.from <= at && s.to >= end);
    if (!covering.length || !node.length) continue;
    const parent = node.parentNode;
    if (NO_TEXT_PARENTS.has(parent.nodeName) || (parent === root && !node.data.trim())) continue;
    const mark = document.createElement("mark");
    mark.className = HIGHLIGHT;
    // The passage that begins here, or else the innermost (latest begun) one, names the mark.
    // Inside a link the link is the keyboard stop, so a passage's own stop moves on past it.
    const inLink = parent.closest("a[href], button") && root.contains(parent.closest("a[href], button"));
    const starting = inLink ? null : covering.find((s) => !first.has(s.id));
    const primary = starting || covering.reduce((a, b) => (b.from >= a.from ? b : a));
    if (starting) {
      for (const s of covering) first.add(s.id);
      mark.tabIndex = 0;
    }
    mark.dataset.annotation = String(primary.id);
    mark.dataset.annotations = covering.map((s) => s.id).join(" ");
    mark.dataset.kind = primary.kind;
    if (covering.length > 1) mark.classList.add(`${HIGHLIGHT}--overlap`);
    parent.insertBefore(mark, node);
    mark.append(node);
    marks.push(mark);
  }
  return marks;
}

// --- the page --------------------------------------------------------------------------

function idsOf(mark) {
  return (mark.dataset.annotations || mark.dataset.annotation || "").split(" ").filter(Boolean);
}

function cardFor(id) {
  return document.getElementById(`thread-${id}`);
}

function marksFor(id) {
  return document.querySelectorAll(`mark.${HIGHLIGHT}[data-annotations~="${CSS.escape(String(id))}"]`);
}

export function firstMarkFor(id) {
  const all = [...marksFor(id)];
  return all.find((m) => m.tabIndex === 0 && m.dataset.annotation === String(id))
    || all.find((m) => m.tabIndex === 0) || all[0] || null;
}

/** Mark these threads' passages and cards as the ones in question. */
export function showCard(id) {
  activate([String(id)]);
}

function activate(ids) {
  for (const el of document.querySelectorAll(".thread-card.is-active, mark.is-active")) {
    el.classList.remove("is-active");
  }
  for (const id of ids) {
    for (const mark of marksFor(id)) mark.classList.add("is-active");
    const card = cardFor(id);
    if (!card) {
      fetchMissingCard(id);
      continue;
    }
    card.classList.add("is-active");
    // Bring the card into view inside the margin when the margin scrolls; never move the text.
    const margin = card.closest(".margin");
    if (margin && margin.scrollHeight > margin.clientHeight + 1) {
      const top = card.offsetTop - margin.offsetTop;
      if (top < margin.scrollTop || top + card.offsetHeight > margin.scrollTop + margin.clientHeight) {
        margin.scrollTop = top;
      }
    }
  }
}

const fetching = new Set();
let labels = {};

/** The margin shows only the latest threads: fetch the card of an older one when its passage
 * is hovered or focused, and bring it forward once it is there. */
async function fetchMissingCard(id) {
  if (fetching.has(id)) return;
  fetching.add(id);
  const mark = firstMarkFor(id);
  const root = mark && mark.closest(".section-text");
  const margin = root && document.getElementById(`discussion-${root.dataset.section}`);
  if (!margin) return;
  let html;
  try {
    const response = await fetch(`/annotations/${encodeURIComponent(id)}/card`, { credentials: "same-origin" });
    if (!response.ok) return;
    html = await response.text();
  } catch {
    return;
  }
  if (cardFor(id)) return;
  const template = document.createElement("template");
  template.innerHTML = html;
  if (!template.content.querySelector(`#thread-${CSS.escape(String(id))}`)) return;
  const item = document.createElement("li");
  item.className = "margin__fetched";
  item.append(template.content);
  marginList(margin).append(item);
  wireHighlights(labels);
  document.dispatchEvent(new CustomEvent("margin:cards", { detail: { key: root.dataset.section } }));
  // Still the passage in question? Then its card comes forward.
  if (document.activeElement?.closest?.(`mark[data-annotations~="${CSS.escape(String(id))}"]`)
      || [...marksFor(id)].some((m) => m.matches(":hover"))) {
    activate([id]);
  }
}

function marginList(margin) {
  let list = margin.querySelector(".margin__threads");
  if (!list) {
    list = document.createElement("ol");
    list.className = "margin__threads";
    margin.querySelector(".margin__title").after(list);
  }
  return list;
}

function describeMarks(kindLabels) {
  for (const mark of document.querySelectorAll(`mark.${HIGHLIGHT}`)) {
    const ids = idsOf(mark);
    const described = ids.map((id) => `thread-${id}`).filter((id) => document.getElementById(id));
    if (described.length) mark.setAttribute("aria-describedby", described.join(" "));
    else mark.removeAttribute("aria-describedby");
    const kind = kindLabels[mark.dataset.kind] || gettext("Annotation");
    mark.title = ids.length > 1
      ? ngettext("%(num)s annotated passage overlaps here (Enter: go to its thread)", "%(num)s annotated passages overlap here (Enter: go to its thread)", ids.length, { num: formatNumber(ids.length) })
      : gettext("%(kind)s on this passage (Enter: go to its thread)", { kind });
  }
}

function addShowPassage(card) {
  const id = card.dataset.annotation;
  if (!id || !firstMarkFor(id) || card.querySelector(".show-passage")) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link-button show-passage";
  button.textContent = gettext("Show passage");
  button.addEventListener("click", () => {
    const mark = firstMarkFor(id);
    if (!mark) return;
    mark.scrollIntoView({ block: "center" });
    // A passage wholly inside a link has the link as its keyboard stop.
    const target = mark.tabIndex === 0 ? mark : mark.closest("a[href]") || mark;
    target.focus({ preventScroll: true });
    activate([id]);
    // Its words flash once, so that the eye finds them.
    const marks = [...marksFor(id)];
    for (const m of marks) m.classList.remove("is-flashing");
    void mark.offsetWidth; // restart the animation
    for (const m of marks) m.classList.add("is-flashing");
    window.setTimeout(() => marks.forEach((m) => m.classList.remove("is-flashing")), 1600);
  });
  const footer = card.querySelector(".thread-card__footer") || card;
  footer.append(button);
}

function wireHighlights(kindLabels) {
  describeMarks(kindLabels);
  for (const card of document.querySelectorAll(".margin .thread-card[data-annotation]")) {
    addShowPassage(card);
  }
}

function setupHighlightEvents() {
  const onEnter = (event) => {
    const mark = event.target.closest && event.target.closest(`mark.${HIGHLIGHT}`);
    if (mark) activate(idsOf(mark));
  };
  document.addEventListener("mouseover", onEnter);
  document.addEventListener("focusin", onEnter);
  document.addEventListener("mouseover", (event) => {
    const card = event.target.closest && event.target.closest(".margin .thread-card[data-annotation]");
    if (card && firstMarkFor(card.dataset.annotation)) activate([card.dataset.annotation]);
  });
  document.addEventListener("keydown", (event) => {
    const mark = event.target.closest && event.target.closest(`mark.${HIGHLIGHT}`);
    if (!mark || event.key !== "Enter") return;
    event.preventDefault();
    // The margin (margin.js) brings the card level with its words and focuses it.
    document.dispatchEvent(new CustomEvent("margin:open-card", { detail: { id: mark.dataset.annotation } }));
  });
}

// --- selecting and posting ---------------------------------------------------------------

/** An element with its properties (or attributes) and children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

/** The selection within one section's text: {root, range}, or null when there is none. */
export function currentSelection() {
  const selection = document.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  const startEl = range.startContainer.nodeType === Node.ELEMENT_NODE
    ? range.startContainer : range.startContainer.parentElement;
  const root = startEl && startEl.closest(".section-text");
  if (!root) return null;
  const endEl = range.endContainer.nodeType === Node.ELEMENT_NODE
    ? range.endContainer : range.endContainer.parentElement;
  // A selection that runs on beyond its section is cut at the section's end.
  if (!endEl || !root.contains(endEl)) {
    const clipped = range.cloneRange();
    clipped.setEnd(root, root.childNodes.length);
    return { root, range: clipped };
  }
  return { root, range };
}

// --- announcing ---------------------------------------------------------------------------

// Said in the page's one polite live region (static/js/announce.js); callers of this module
// import it from here.
export { announce };

/** The section text that keyboard commands apply to: the one holding the focus, else the one
 * that takes the most of the window. */
export function sectionInView() {
  const focused = document.activeElement?.closest?.(".paper-section");
  const own = focused && focused.querySelector(".section-text[data-section]");
  if (own && own.textContent.trim()) return own;
  let best = null;
  let bestHeight = 0;
  for (const root of document.querySelectorAll(".section-text[data-section]")) {
    if (!root.textContent.trim()) continue;
    const box = root.getBoundingClientRect();
    const height = Math.min(box.bottom, window.innerHeight) - Math.max(box.top, 0);
    if (height > bestHeight) {
      best = root;
      bestHeight = height;
    }
  }
  return best;
}

// --- selecting and annotating ----------------------------------------------------------------

// Set once the page offers annotating: what annotateSelection needs.
let annotating = null;

/** Whether this page lets the viewer annotate a selection (or log in to). */
export function annotatingOffered() {
  return annotating !== null;
}

/** Whether annotating a selection opens the passage form (else it leads to logging in). */
export function annotatingOpensForm() {
  return annotating !== null && annotating.viewer === "participant";
}

/**
 * Annotate the current selection, as the "Annotate" control does: a participant gets the
 * passage form in the margin, anyone else the log-in page that leads back here. With nothing
 * selected, say how to select instead. Returns whether a form opened or the page moved on.
 */
export function annotateSelection() {
  if (!annotating) return false;
  const { data, kindLabels, viewer, control, define } = annotating;
  const found = currentSelection();
  let quote = found && quoteFromRange(found.root, found.range);
  let root = found && found.root;
  if (!quote && annotating.pending) ({ root, quote } = annotating.pending);
  if (!quote) {
    showSelectFirst(sectionInView());
    return false;
  }
  hideSelectFirst();
  if (viewer !== "participant") {
    window.location.assign(loginHref(data, root));
    return true;
  }
  control.hidden = true;
  define.hidden = true;
  openForm(root, quote, root);
  return true;
}

function loginHref(data, root) {
  const next = `${window.location.pathname}#${root.dataset.section}`;
  return `${data.login_url}?next=${encodeURIComponent(next)}`;
}

let selectFirstNote = null;

/** "Select some words first": said, and shown at the top of the visible part of the section's
 * text (or below the focused element in it). */
function showSelectFirst(root) {
  announce(MESSAGES.selectFirst);
  if (!root) return;
  if (!selectFirstNote) {
    selectFirstNote = el("p", { className: "select-first-note", id: "select-first-note" });
  }
  selectFirstNote.textContent = MESSAGES.selectFirst;
  if (root.nextElementSibling !== selectFirstNote) root.after(selectFirstNote);
  selectFirstNote.hidden = false;
  const section = root.closest(".paper-section") || root.parentElement;
  const base = section.getBoundingClientRect();
  const text = root.getBoundingClientRect();
  const focused = root.contains(document.activeElement) ? document.activeElement : null;
  const top = focused
    ? focused.getBoundingClientRect().bottom + 6
    : Math.max(text.top, 8);
  selectFirstNote.style.top = `${Math.max(0, top - base.top)}px`;
  selectFirstNote.style.left = `${Math.max(0, text.left - base.left)}px`;
}

export function hideSelectFirst() {
  if (selectFirstNote) selectFirstNote.hidden = true;
}

function setupAnnotating(data, kindLabels) {
  const viewer = data.viewer; // "participant", "anonymous" or "unconfirmed"
  if (!data.accepts_comments || viewer === "unconfirmed") return;
  let control;
  if (viewer === "participant") {
    control = el("button", {
      type: "button", className: "annotate-button", "aria-keyshortcuts": "Alt+Shift+A",
      title: gettext("Annotate the selected passage (Alt+Shift+A)"),
    }, gettext("Annotate"));
  } else {
    control = el("a", { className: "annotate-button", href: "#" }, gettext("Log in to annotate"));
  }
  control.hidden = true;
  // A short selection may be a term: offer to define it (the glossary's form, pre-filled).
  const define = el("a", { className: "annotate-button define-button", href: "/glossary/new" },
    gettext("Define this term"));
  define.hidden = true;
  annotating = { data, kindLabels, viewer, control, define, pending: null };

  function place(root, range) {
    if (root.nextElementSibling !== control) root.after(control);
    const section = root.closest(".paper-section") || root.parentElement;
    const rects = range.getClientRects();
    const last = rects.length ? rects[rects.length - 1] : range.getBoundingClientRect();
    const base = section.getBoundingClientRect();
    control.style.top = `${Math.max(0, last.bottom - base.top + 6)}px`;
    const left = Math.min(last.right - base.left, section.clientWidth - 120);
    control.style.left = `${Math.max(0, left - 40)}px`;
    if (!define.hidden) {
      if (control.nextElementSibling !== define) control.after(define);
      define.style.top = control.style.top;
      define.style.left = `${control.offsetLeft + control.offsetWidth + 8}px`;
    }
  }

  function looksLikeTerm(text) {
    const words = text.trim().split(/\s+/u);
    return text.trim().length > 1 && text.length <= 80 && words.length <= 6 && !/[\n.;:!?]/u.test(text.trim());
  }

  function update() {
    if (control.contains(document.activeElement) || define.contains(document.activeElement)) return;
    const found = currentSelection();
    const quote = found && quoteFromRange(found.root, found.range);
    if (!quote) {
      annotating.pending = null;
      control.hidden = true;
      define.hidden = true;
      return;
    }
    hideSelectFirst();
    annotating.pending = { root: found.root, quote };
    define.hidden = !looksLikeTerm(quote.exact);
    define.href = `/glossary/new?label=${encodeURIComponent(quote.exact.trim())}`;
    if (viewer !== "participant") control.href = loginHref(data, found.root);
    control.hidden = false;
    place(found.root, found.range);
  }

  let timer = null;
  document.addEventListener("selectionchange", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 60);
  });
  for (const type of ["mouseup", "keyup", "touchend"]) {
    document.addEventListener(type, (event) => {
      if (control.contains(event.target) || define.contains(event.target)) return;
      clearTimeout(timer);
      update();
    });
  }
  // Keep the selection when the button is pressed with a pointer.
  control.addEventListener("mousedown", (event) => event.preventDefault());
  define.addEventListener("mousedown", (event) => event.preventDefault());
  document.addEventListener("keydown", (event) => {
    if (event.altKey && event.shiftKey && (event.key === "A" || event.key === "a" || event.code === "KeyA")) {
      event.preventDefault();
      if (control.hidden) update();
      if (!control.hidden) control.focus();
      else showSelectFirst(sectionInView());
    } else if (event.key === "Escape") {
      hideSelectFirst();
    }
  });
  if (viewer === "participant") control.addEventListener("click", () => annotateSelection());
}

/** The passage's form opens in the margin, beside its words (margin.js): the section page's
 * form, with the words and where they stand. */
function openForm(root, quote, opener) {
  document.dispatchEvent(new CustomEvent("margin:annotate", { detail: { root, quote, opener } }));
}

// --- start -----------------------------------------------------------------------------

let pageDataCache;

/** The page's data (#passage-data): one object, shared with the margin's script, so that a
 * passage posted there is highlighted here too. */
export function pageData() {
  if (pageDataCache !== undefined) return pageDataCache;
  const block = document.getElementById("passage-data");
  pageDataCache = null;
  if (block) {
    try {
      pageDataCache = JSON.parse(block.textContent);
    } catch {
      pageDataCache = null;
    }
  }
  return pageDataCache;
}

export function init() {
  const html = document.documentElement;
  if (html.dataset.annotateReady) return false;
  const data = pageData();
  if (!data) return false;
  html.dataset.annotateReady = "true";
  const kindLabels = data.kinds || {};
  labels = kindLabels;
  for (const root of document.querySelectorAll(".section-text[data-section]")) {
    const anchors = data.anchors.filter((a) => a.section === root.dataset.section);
    if (anchors.length) applyHighlights(root, anchors);
  }
  wireHighlights(kindLabels);
  // Cards that other scripts put into a margin (a reply, an edit) point back at their passage too.
  let pendingWire = null;
  const observer = new MutationObserver(() => {
    clearTimeout(pendingWire);
    pendingWire = setTimeout(() => wireHighlights(kindLabels), 50);
  });
  for (const margin of document.querySelectorAll(".margin[data-section]")) {
    observer.observe(margin, { childList: true, subtree: true });
  }
  // Passages the margin's script fetched for a section, highlighted: described and linked too.
  document.addEventListener("margin:passages", () => wireHighlights(kindLabels));
  setupHighlightEvents();
  setupAnnotating(data, kindLabels);
  return true;
}

init();
