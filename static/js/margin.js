// The paper's margin: every thread of a section beside the words it is about.
//
// Without this script the margin lists each section's first threads in the order of the
// text, with a link to the section's page, which has them all and the forms. With it:
//
// - the rest of a section's threads come from the server (`margin.fragment`) as the reader
//   comes near the section, and on wide screens each card stands level with its highlight;
//   cards that would overlap stack downwards, and the active one comes level with its words;
// - every paragraph has a count of its threads beside it; pressing it opens the paragraph's
//   discussion with a form in place — in the margin on wide screens, in a panel over the
//   text on narrow ones;
// - "Comment on this section", the paragraph forms and the "Annotate" button of a selected
//   passage all open the section page's form in the margin (`margin-form.fragment`), which
//   previews and posts in place; what the server answers (the card, the counts as they now
//   stand, the message) is put on the page, so that the margin and the contents tell the truth.
//
// The section's text is never changed (offsets count its textContent): counts, forms and the
// panel live outside `.section-text`.

import {
  applyHighlights,
  el,
  firstMarkFor,
  pageData,
  paragraphSpans,
  rangeFromOffsets,
  showCard,
} from "./annotate.js";
import { announce } from "./announce.js";
import { startCaret } from "./caret.js";
import { formatNumber, gettext, ngettext } from "./i18n.js";

const HEADERS = { "X-Requested-With": "fetch", Accept: "text/html+fragment" };
const GAP = 8; // pixels between stacked cards
const WORDS = {
  paragraph: (n, section) => gettext("Paragraph %(n)s · %(section)s", { n: formatNumber(n), section }),
  threads: (n) => ngettext(", %(num)s thread", ", %(num)s threads", n, { num: formatNumber(n) }),
  discuss: (n, count) =>
    count ? ngettext("Paragraph %(n)s: %(num)s thread", "Paragraph %(n)s: %(num)s threads", count, { n: formatNumber(n), num: formatNumber(count) }) : gettext("Paragraph %(n)s: comment", { n: formatNumber(n) }),
  close: gettext("Close"),
  commentParagraph: gettext("Comment on this paragraph"),
  chooseWords: gettext("Or choose words in it with the keyboard"),
  noThreads: gettext("No threads on this paragraph yet."),
  loadFailed: gettext("The discussion could not be loaded. Check your connection and try again."),
  postFailed: gettext("It was not sent. Check your connection and try again."),
  order: gettext("Order"),
};

const data = pageData() || { anchors: [], passages: {} };
const sections = new Map(); // a section's key -> what the margin knows of it (see init)

// --- fetching fragments ---------------------------------------------------------------------

async function fetchFragment(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { ...HEADERS, ...(options.headers || {}) },
  });
  const template = document.createElement("template");
  template.innerHTML = await response.text();
  return { response, content: template.content };
}

function focusOn(element) {
  if (!element) return;
  if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
    element.setAttribute("tabindex", "-1");
  }
  element.focus({ preventScroll: false });
}

// --- where things are ---------------------------------------------------------------------

/** True when the margin stands beside the text (wide screens), not below it. */
function besideText(state) {
  const text = state.root.getBoundingClientRect();
  const margin = state.margin.getBoundingClientRect();
  return margin.left >= text.right - 1;
}

function anchorsOf(key) {
  return data.anchors.filter((a) => a.section === key);
}

function paragraphOf(state, offset) {
  const index = state.spans.findIndex(([s, e]) => offset >= s && offset < e);
  return index < 0 ? null : index + 1;
}

// --- counts ---------------------------------------------------------------------------------

/** Put the server's counts for a section on the page: the margin's heading, the contents. */
function showCounts(state, holder) {
  const count = Number(holder.dataset.threadCount || 0);
  state.margin.dataset.threadCount = String(count);
  const text = state.margin.querySelector(".margin__count");
  if (text && holder.dataset.countText) text.textContent = holder.dataset.countText;
  const link = document.querySelector(`.toc a[href="#${CSS.escape(state.key)}"]`);
  if (link) {
    let badge = link.querySelector(":scope > .toc-count");
    if (!count) {
      if (badge) badge.remove();
    } else {
      if (!badge) {
        badge = el("span", { className: "toc-count" },
          el("span", { "aria-hidden": "true" }), el("span", { className: "visually-hidden" }));
        link.append(badge);
      }
      badge.firstElementChild.textContent = formatNumber(count);
      badge.lastElementChild.textContent = WORDS.threads(count);
    }
  }
  const more = state.margin.querySelector(".margin__more");
  if (more && state.loaded) more.hidden = true;
}

// --- loading a section's threads ------------------------------------------------------------

function threadsUrl(state, extra = {}) {
  const url = new URL(state.margin.dataset.threads, window.location.href);
  url.searchParams.set("sort", state.sort);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  return url.toString();
}

function listOf(state) {
  let list = state.margin.querySelector(":scope > .margin__threads");
  if (!list) {
    list = el("ol", { className: "margin__threads" });
    const before = state.margin.querySelector(":scope > .margin__more");
    if (before) before.before(list);
    else state.margin.append(list);
  }
  state.list = list;
  return list;
}

/** The whole of a section's discussion, page after page, in place of what the page drew. */
async function load(state, { force = false } = {}) {
  if (state.loading || (state.loaded && !force)) return state.loading;
  state.loading = (async () => {
    let url = threadsUrl(state);
    const items = [];
    let holder = null;
    while (url) {
      const { response, content } = await fetchFragment(url);
      holder = content.querySelector('[data-fragment-kind="margin"]');
      if (!response.ok || !holder) throw new Error(String(response.status));
      items.push(...holder.querySelectorAll(":scope > ol > li"));
      url = holder.dataset.next || null;
    }
    const list = listOf(state);
    const forms = [...list.querySelectorAll(":scope > li.margin__form-item")];
    list.replaceChildren(...items, ...forms);
    state.loaded = true;
    showCounts(state, holder);
    document.dispatchEvent(new CustomEvent("margin:cards", { detail: { key: state.key } }));
    layout(state);
  })();
  try {
    await state.loading;
  } catch {
    state.loaded = false;
  } finally {
    state.loading = null;
  }
  return null;
}

/** The passages of all a section's threads, when the page drew only some of them
 * (`data.passages`: a section's key -> the address of its passages' JSON): highlighted, and
 * counted beside their paragraphs. The page stays the same size however long the
 * discussion, and a section's passages come when the reader comes near it. */
async function loadPassages(state) {
  const url = data.passages && data.passages[state.key];
  if (!url || state.passagesLoaded) return;
  state.passagesLoaded = true;
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    const { anchors } = await response.json();
    const known = new Set(anchors.map((a) => String(a.id)));
    // Those posted here meanwhile stay; the server's rows replace the page's own.
    data.anchors = [
      ...data.anchors.filter((a) => a.section !== state.key || !known.has(String(a.id))),
      ...anchors,
    ];
  } catch {
    state.passagesLoaded = false;
    return;
  }
  applyHighlights(state.root, anchorsOf(state.key));
  buildCounts(state);
  document.dispatchEvent(new CustomEvent("margin:passages", { detail: { key: state.key } }));
  layout(state);
}

function watchSections() {
  if (!("IntersectionObserver" in window)) {
    for (const state of sections.values()) {
      loadPassages(state);
      load(state);
    }
    return;
  }
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const state = sections.get(entry.target.id);
      observer.unobserve(entry.target);
      loadPassages(state);
      const count = Number(state.margin.dataset.threadCount || 0);
      if (count > Number(state.margin.dataset.shown || 0)) load(state);
      else {
        state.loaded = true;
        layout(state);
      }
    }
  }, { rootMargin: "100% 0px 100% 0px" });
  for (const state of sections.values()) observer.observe(state.section);
}

// --- cards level with their passages -----------------------------------------------------------

function desiredTop(item, listTop) {
  if (item.dataset.top) return Number(item.dataset.top);
  const card = item.querySelector(".thread-card[data-annotation]");
  const mark = card && firstMarkFor(card.dataset.annotation);
  if (!mark) return 0;
  return Math.max(0, mark.getBoundingClientRect().top - listTop);
}

/**
 * Stand each card level with its passage (wide screens, the order of the text). A card that
 * would overlap the one before goes below it; the active one (`state.active`) stands level
 * with its words and those before it stack upwards from it, as far as the top of the list.
 */
function layout(state) {
  const list = state.margin.querySelector(":scope > .margin__threads");
  if (!list) return;
  const items = [...list.children];
  const aligned = state.sort === "position" && besideText(state);
  list.classList.toggle("margin__threads--aligned", aligned);
  if (!aligned) {
    list.style.height = "";
    for (const item of items) item.style.top = "";
    return;
  }
  const listTop = list.getBoundingClientRect().top;
  const boxes = items.map((item) => ({
    item,
    want: desiredTop(item, listTop),
    height: item.offsetHeight,
  }));
  const tops = [];
  let bottom = 0;
  boxes.forEach((box, i) => {
    tops[i] = Math.max(box.want, i ? bottom + GAP : 0);
    bottom = tops[i] + box.height;
  });
  const pinned = boxes.findIndex((b) => b.item.contains(state.active) || b.item === state.active);
  if (pinned > 0 && tops[pinned] > boxes[pinned].want) {
    tops[pinned] = boxes[pinned].want;
    for (let i = pinned - 1; i >= 0; i -= 1) {
      tops[i] = Math.max(0, Math.min(tops[i], tops[i + 1] - GAP - boxes[i].height));
    }
    // Where the top of the list stopped them, those below go down again.
    for (let i = 1; i < boxes.length; i += 1) {
      tops[i] = Math.max(tops[i], tops[i - 1] + boxes[i - 1].height + GAP);
    }
    for (let i = pinned + 1; i < boxes.length; i += 1) {
      tops[i] = Math.max(boxes[i].want, tops[i - 1] + boxes[i - 1].height + GAP);
    }
  }
  boxes.forEach((box, i) => {
    box.item.style.top = `${Math.round(tops[i])}px`;
  });
  const last = boxes.length ? tops[boxes.length - 1] + boxes[boxes.length - 1].height : 0;
  list.style.height = `${Math.ceil(last)}px`;
}

function layoutAll() {
  for (const state of sections.values()) {
    layout(state);
    placeCounts(state);
  }
}

// --- paragraph counts -------------------------------------------------------------------------

function paragraphRect(state, [start]) {
  const range = rangeFromOffsets(state.root, start, start + 1);
  const rects = range.getClientRects();
  return rects.length ? rects[0] : range.getBoundingClientRect();
}

function buildCounts(state) {
  state.spans = paragraphSpans(state.root.textContent);
  let box = state.section.querySelector(":scope > .para-counts");
  if (!box) {
    box = el("div", { className: "para-counts" });
    state.root.after(box);
  }
  const counts = new Map();
  for (const a of anchorsOf(state.key)) {
    const n = paragraphOf(state, a.start);
    if (n) counts.set(n, (counts.get(n) || 0) + 1);
  }
  const buttons = state.spans.map((span, i) => {
    const n = i + 1;
    const count = counts.get(n) || 0;
    const button = el("button", {
      type: "button",
      className: `para-count${count ? "" : " para-count--none"}`,
      "aria-label": WORDS.discuss(n, count),
      title: WORDS.discuss(n, count),
      dataset: { paragraph: String(n) },
    }, el("span", { "aria-hidden": "true" }, count ? formatNumber(count) : "+"));
    button.addEventListener("click", () => openParagraph(state, n, button));
    return button;
  });
  box.replaceChildren(...buttons);
  placeCounts(state);
}

function placeCounts(state) {
  const box = state.section.querySelector(":scope > .para-counts");
  if (!box || !state.spans) return;
  const base = state.section.getBoundingClientRect();
  const text = state.root.getBoundingClientRect();
  // Right of the text: in the gap before the margin, in the page's gutter, or in the room
  // the text keeps for them on its right (site.css decides which).
  const room = parseFloat(getComputedStyle(state.root).paddingRight) || 0;
  const left = room >= 30 ? text.right - base.left - room + 4 : text.right - base.left + 6;
  // Short paragraphs (a list's one-line items) stand closer than a count is high: each count
  // then starts just below the one before, so that none covers another and every one stays
  // a whole target of at least 24 by 24 pixels (WCAG 2.2, target size).
  const height = box.firstElementChild ? box.firstElementChild.offsetHeight : 0;
  let floor = -Infinity;
  [...box.children].forEach((button, i) => {
    const rect = paragraphRect(state, state.spans[i]);
    const top = Math.max(Math.round(rect.top - base.top), floor);
    button.style.top = `${top}px`;
    button.style.left = `${Math.round(left)}px`;
    floor = top + height + 2;
  });
}

// --- forms in the margin -------------------------------------------------------------------------

function formUrl(state, params) {
  const url = new URL(state.formUrl, window.location.href);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

function status(state) {
  let box = state.margin.querySelector(":scope > .margin__status");
  if (!box) {
    box = el("p", { className: "margin__status" });
    state.margin.querySelector(".margin__title").after(box);
  }
  return box;
}

/** Show `message` in the margin and say it in the page's live region; `aloud: false` where a
 * modal panel says it itself (what is outside a modal dialog is not read). */
function say(state, message, { aloud = true } = {}) {
  const box = status(state);
  box.textContent = "";
  window.setTimeout(() => {
    box.textContent = message;
  }, 50);
  if (aloud) announce(message);
}

/** Open the section page's form in the margin (or in `container`), for the section, a
 * paragraph or a passage; `top`: where it stands level with its words. */
async function openForm(state, params, { top = null, container = null, opener = null } = {}) {
  closeForms(state.section, { restoreFocus: false });
  let result;
  try {
    result = await fetchFragment(formUrl(state, params));
  } catch {
    say(state, WORDS.loadFailed);
    return null;
  }
  const slot = result.content.querySelector('[data-fragment-kind="form"]');
  if (!result.response.ok || !slot) {
    if (result.response.status === 401) window.location.assign(data.login_url || "/login");
    else say(state, WORDS.loadFailed);
    return null;
  }
  const item = el(container ? "div" : "li", { className: "margin__form-item" });
  item.append(slot);
  item.opener = opener;
  item.state = state;
  if (container) {
    container.append(item);
  } else {
    const list = listOf(state);
    if (top !== null) item.dataset.top = String(top);
    const after = top === null ? null : [...list.children].find(
      (li) => !li.classList.contains("margin__form-item") && parseFloat(li.style.top || "0") > top,
    );
    if (after) after.before(item);
    else if (top === null) list.prepend(item);
    else list.append(item);
  }
  wireForm(state, item);
  state.active = item;
  layout(state);
  focusOn(item.querySelector("textarea[name=body]") || item.querySelector("select, textarea"));
  return item;
}

function wireForm(state, item) {
  const form = item.querySelector("form");
  const slot = item.querySelector('[data-fragment-kind="form"]');
  if (slot && slot.dataset.target === "paragraph" && !form.querySelector(".margin-form__choose")) {
    // A paragraph's words can be chosen from the keyboard too (caret.js).
    const n = Number(form.querySelector("input[name=paragraph]")?.value);
    const choose = el("button", { type: "button", className: "link-button margin-form__choose" },
      WORDS.chooseWords);
    choose.addEventListener("click", () => {
      item.closest("dialog")?.close();
      closeForm(item, { restoreFocus: false });
      startCaret(state.root, { paragraph: n });
    });
    form.querySelector(".margin-form__title").after(el("p", { className: "margin-form__alt" }, choose));
  }
  const select = form.querySelector("[data-kind-select]");
  const proposed = form.querySelector("[data-proposed]");
  if (select && proposed) {
    select.addEventListener("change", () => {
      proposed.hidden = select.value !== "suggestion";
      const area = proposed.querySelector("textarea");
      if (!proposed.hidden && area && !area.value) area.value = proposed.dataset.original || "";
      layout(state);
    });
  }
  form.addEventListener("submit", (event) => submitForm(state, item, event));
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeForm(item);
  });
  for (const close of form.querySelectorAll("[data-close]")) {
    close.addEventListener("click", () => closeForm(item));
  }
}

function closeForm(item, { restoreFocus = true } = {}) {
  const { opener, state } = item;
  item.remove();
  if (state) {
    if (state.active === item) state.active = null;
    layout(state);
  }
  const panel = document.querySelector("dialog.para-panel[open]");
  if (panel && panel.contains(opener)) return;
  if (restoreFocus && opener && opener.isConnected) opener.focus();
}

function closeForms(scope, options) {
  for (const item of scope.querySelectorAll(".margin__form-item")) closeForm(item, options);
}

async function submitForm(state, item, event) {
  event.preventDefault();
  const form = event.target;
  const submitter = event.submitter;
  const url = (submitter && submitter.dataset.fragmentFormaction) || form.dataset.fragmentAction;
  const body = new FormData(form);
  if (submitter && submitter.name) body.append(submitter.name, submitter.value);
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  form.setAttribute("aria-busy", "true");
  let result;
  try {
    result = await fetchFragment(url, { method: "POST", body });
  } catch {
    buttons.forEach((b) => { b.disabled = false; });
    form.removeAttribute("aria-busy");
    say(state, WORDS.postFailed);
    return;
  }
  const { response, content } = result;
  const holder = content.firstElementChild;
  const kind = holder && holder.dataset.fragmentKind;
  if (kind === "form") {
    const slot = item.querySelector('[data-fragment-kind="form"]');
    slot.replaceWith(holder);
    wireForm(state, item);
    layout(state);
    const target = holder.querySelector(".form-errors, .error")
      || holder.querySelector(".preview > :is(h2, h3, h4)")
      || holder.querySelector("textarea");
    focusOn(target);
    return;
  }
  if (!response.ok || kind !== "thread") {
    buttons.forEach((b) => { b.disabled = false; });
    form.removeAttribute("aria-busy");
    const message = content.querySelector("main p:not(.error-status)")?.textContent?.trim();
    say(state, message || gettext("The server answered with error %(status)s.", { status: response.status }));
    return;
  }
  await posted(state, item, holder);
}

/** A thread was posted from a form: its words highlighted, the section's discussion fetched
 * again (the server's order and counts), its card brought forward, its author told. */
async function posted(state, item, holder) {
  const id = holder.dataset.annotation;
  if (holder.dataset.start !== undefined) {
    data.anchors.push({
      id: Number(id), section: state.key, kind: holder.dataset.kind,
      start: Number(holder.dataset.start), end: Number(holder.dataset.end),
    });
    applyHighlights(state.root, anchorsOf(state.key));
    document.getSelection()?.removeAllRanges();
  }
  const panel = item.closest("dialog.para-panel");
  item.remove();
  state.active = null;
  showCounts(state, holder);
  buildCounts(state);
  await load(state, { force: true });
  if (panel) {
    await fillPanel(panel, state, Number(panel.dataset.paragraph));
  }
  document.dispatchEvent(new CustomEvent("margin:cards", { detail: { key: state.key } }));
  say(state, holder.dataset.announce, { aloud: !panel });
  if (panel) {
    const status = panel.querySelector(".para-panel__status");
    status.textContent = holder.dataset.announce;
    focusOn(panel.querySelector(`#panel-thread-${CSS.escape(id)}`) || status);
    return;
  }
  const card = document.getElementById(`thread-${id}`);
  if (card) {
    state.active = card;
    layout(state);
    focusOn(card);
  }
}

// --- a paragraph's discussion -----------------------------------------------------------------

function openParagraph(state, n, button) {
  const cardsHere = anchorsOf(state.key).filter((a) => paragraphOf(state, a.start) === n);
  if (besideText(state)) {
    for (const c of document.querySelectorAll(".thread-card.is-active")) c.classList.remove("is-active");
    for (const a of cardsHere) document.getElementById(`thread-${a.id}`)?.classList.add("is-active");
    const top = paragraphRect(state, state.spans[n - 1]).top
      - listOf(state).getBoundingClientRect().top;
    if (canPost()) {
      openForm(state, { paragraph: n }, { top: Math.max(0, top), opener: button });
    } else {
      const first = cardsHere.length && document.getElementById(`thread-${cardsHere[0].id}`);
      if (first) focusOn(first);
      else say(state, takePartNote(state));
    }
    return;
  }
  openPanel(state, n, button);
}

function canPost() {
  return data.viewer === "participant" && data.accepts_comments;
}

function takePartNote(state) {
  const note = state.margin.querySelector(".margin__action, .margin__note");
  return note ? note.textContent.replace(/\s+/gu, " ").trim() : WORDS.noThreads;
}

async function fillPanel(panel, state, n) {
  const list = panel.querySelector(".para-panel__threads");
  list.setAttribute("aria-busy", "true");
  try {
    const { response, content } = await fetchFragment(threadsUrl(state, { paragraph: n, sort: "position" }));
    const holder = content.querySelector('[data-fragment-kind="margin"]');
    if (!response.ok || !holder) throw new Error(String(response.status));
    const items = [...holder.querySelectorAll(":scope > ol > li")];
    // Ids stay unique on the page: the panel's copies carry their own.
    for (const card of holder.querySelectorAll(".thread-card[id]")) card.id = `panel-${card.id}`;
    list.replaceChildren(...items);
    if (!items.length) list.replaceChildren(el("li", { className: "para-panel__empty" }, WORDS.noThreads));
  } catch {
    list.replaceChildren(el("li", {}, WORDS.loadFailed));
  } finally {
    list.removeAttribute("aria-busy");
  }
}

/** On narrow screens: the paragraph's threads and its form in a panel over the text
 * (`withForm`: false when a highlight opened it, to read its thread). */
async function openPanel(state, n, opener, { withForm = true } = {}) {
  document.querySelector("dialog.para-panel")?.remove();
  const titleId = `para-panel-title-${state.key}-${n}`;
  const close = el("button", { type: "button", className: "para-panel__close" }, WORDS.close);
  const panel = el("dialog", {
    className: "para-panel", "aria-labelledby": titleId,
    dataset: { paragraph: String(n), sectionKey: state.key },
  },
  el("div", { className: "para-panel__head" },
    el("h2", { id: titleId, className: "para-panel__title" },
      WORDS.paragraph(n, state.heading)),
    close),
  el("p", { className: "para-panel__status", role: "status" }),
  el("ol", { className: "para-panel__threads margin__threads" }),
  el("div", { className: "para-panel__form" }));
  close.addEventListener("click", () => panel.close());
  panel.addEventListener("close", () => {
    panel.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  document.body.append(panel);
  panel.showModal();
  await fillPanel(panel, state, n);
  if (canPost() && withForm) {
    await openForm(state, { paragraph: n }, {
      container: panel.querySelector(".para-panel__form"), opener,
    });
  } else if (canPost()) {
    const start = el("button", { type: "button", className: "button button--secondary" },
      WORDS.commentParagraph);
    start.addEventListener("click", async () => {
      start.remove();
      await openForm(state, { paragraph: n }, { container: panel.querySelector(".para-panel__form"), opener });
    });
    panel.querySelector(".para-panel__form").append(start);
  } else {
    const note = state.margin.querySelector(".margin__action, .margin__note");
    if (note) panel.querySelector(".para-panel__form").append(note.cloneNode(true));
    focusOn(panel.querySelector(".para-panel__threads .thread-card") || close);
  }
}

// --- highlights and cards ------------------------------------------------------------------------

/** A highlight was pressed: its card, loaded if need be, level with it and focused. */
async function openCard(id) {
  const mark = firstMarkFor(id);
  const section = mark && mark.closest(".paper-section");
  const state = section && sections.get(section.id);
  if (!state) return;
  if (!besideText(state)) {
    const n = paragraphOf(state, data.anchors.find((a) => String(a.id) === String(id))?.start ?? -1);
    if (n) {
      await openPanel(state, n, mark, { withForm: false });
      const copy = document.getElementById(`panel-thread-${id}`);
      if (copy) {
        copy.classList.add("is-active");
        focusOn(copy.querySelector(".thread-card__footer a[href]") || copy);
      }
      return;
    }
  }
  if (!document.getElementById(`thread-${id}`)) await load(state);
  const card = document.getElementById(`thread-${id}`);
  if (!card) return;
  state.active = card;
  layout(state);
  showCard(id);
  const link = card.querySelector(".thread-card__footer a[href]");
  focusOn(link || card);
}

function watchHighlights() {
  document.addEventListener("margin:open-card", (event) => openCard(event.detail.id));
  document.addEventListener("click", (event) => {
    const mark = event.target.closest && event.target.closest("mark.annotation-highlight");
    if (!mark || event.target.closest("a[href]")) return;
    const selection = document.getSelection();
    if (selection && !selection.isCollapsed) return; // choosing words, not pressing a highlight
    openCard(mark.dataset.annotation);
  });
}

// --- opening forms from the page ---------------------------------------------------------------

function watchForms() {
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-margin-form]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    const state = sections.get(link.closest(".paper-section")?.id);
    if (!state) return;
    event.preventDefault();
    openForm(state, {}, { opener: link });
  });
  // "on one of its paragraphs": the paragraphs' own buttons are the way.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.margin__paragraph-link");
    const state = link && sections.get(link.closest(".paper-section")?.id);
    if (!state || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const first = state.section.querySelector(".para-count");
    if (!first) return;
    event.preventDefault();
    first.scrollIntoView({ block: "center" });
    first.focus({ preventScroll: true });
  });
  // A selected passage, from annotate.js's "Annotate" button.
  document.addEventListener("margin:annotate", (event) => {
    const { root, quote, opener } = event.detail;
    const state = sections.get(root.closest(".paper-section")?.id);
    if (!state) return;
    const params = { quote: quote.exact, quote_start: quote.start, quote_end: quote.end };
    const range = rangeFromOffsets(root, quote.start, quote.end);
    const rect = range.getClientRects()[0] || range.getBoundingClientRect();
    if (besideText(state)) {
      const top = rect.top - listOf(state).getBoundingClientRect().top;
      openForm(state, params, { top: Math.max(0, top), opener });
    } else {
      openPanelForPassage(state, params, opener);
    }
  });
}

async function openPanelForPassage(state, params, opener) {
  const n = paragraphOf(state, Number(params.quote_start)) || 1;
  document.querySelector("dialog.para-panel")?.remove();
  await openPanel(state, n, opener);
  const panel = document.querySelector("dialog.para-panel");
  if (!panel) return;
  closeForms(panel, { restoreFocus: false });
  await openForm(state, params, { container: panel.querySelector(".para-panel__form"), opener });
}

// --- the order of the margin -----------------------------------------------------------------------

function addOrderChoice(state) {
  if (Number(state.margin.dataset.threadCount || 0) < 2) return;
  const id = `margin-order-${state.key}`;
  const select = el("select", { id, className: "margin__order-select" },
    ...[...data.sorts || []].map(([value, label]) => el("option", { value }, label)));
  if (!select.options.length) return;
  select.value = state.sort;
  select.addEventListener("change", async () => {
    state.sort = select.value;
    state.active = null;
    await load(state, { force: true });
    layout(state);
  });
  state.margin.querySelector(".margin__title")
    .after(el("p", { className: "margin__order" }, el("label", { htmlFor: id }, WORDS.order), " ", select));
}

// --- start -------------------------------------------------------------------------------------

export function init() {
  const html = document.documentElement;
  if (html.dataset.marginReady) return;
  html.dataset.marginReady = "true";
  for (const margin of document.querySelectorAll(".paper-section > aside.margin[data-threads]")) {
    const section = margin.parentElement;
    const root = section.querySelector(":scope > .section-text");
    if (!root) continue;
    const heading = section.querySelector(".section-heading")?.textContent.trim() || "";
    const action = margin.querySelector("a[data-margin-form]");
    const state = {
      key: section.id, section, root, margin, heading,
      list: margin.querySelector(":scope > .margin__threads"),
      loaded: false, loading: null, sort: "position", active: null,
      formUrl: action ? action.dataset.marginForm : null,
    };
    sections.set(section.id, state);
    buildCounts(state);
    addOrderChoice(state);
  }
  document.documentElement.classList.add("has-margin-script");
  watchSections();
  watchHighlights();
  watchForms();
  let pending = null;
  const again = () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(layoutAll);
  };
  window.addEventListener("resize", again);
  if ("ResizeObserver" in window) {
    // The text reflowing, and cards changing height (a button added, a form's errors).
    const observer = new ResizeObserver(again);
    for (const state of sections.values()) observer.observe(state.root);
    const watchCards = () => {
      for (const item of document.querySelectorAll(".paper-section .margin__threads > li")) observer.observe(item);
    };
    document.addEventListener("margin:cards", () => requestAnimationFrame(watchCards));
    requestAnimationFrame(watchCards);
  }
  document.fonts?.ready.then(again);
  document.addEventListener("margin:cards", again);
  // Back to this page from another (a thread deleted, a post approved): what is loaded is
  // fetched again, so that the counts are the server's.
  const refresh = () => {
    for (const state of sections.values()) if (state.loaded) load(state, { force: true });
  };
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) refresh();
  });
  // Back from another tab (a moderator's queue, the thread's own page) after a while.
  let hiddenAt = 0;
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) hiddenAt = Date.now();
    else if (hiddenAt && Date.now() - hiddenAt > 15_000) refresh();
  });
  again();
}

init();
