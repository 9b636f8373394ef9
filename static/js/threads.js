// The discussion in place: reply, edit and delete on a thread page without a reload.
//
// The server stays the one renderer: every link and form here works without this script,
// and with it the same forms are fetched as HTML fragments (app/annotations/fragments.py),
// posted with the same fields and CSRF token, and what the server answers is swapped in —
// the new reply, the edited article, the placeholder, or the form again with its errors.
// Changes are announced in the page's polite live region, and focus follows the change.

import { announce as say } from "./announce.js";
import { gettext } from "./i18n.js";

const HEADERS = { "X-Requested-With": "fetch", Accept: "text/html+fragment" };

function parse(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content;
}

async function fetchFragment(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { ...HEADERS, ...(options.headers || {}) },
  });
  return { response, content: parse(await response.text()) };
}

// What an error page says: its message paragraph, or the status line.
function errorMessage(content, response) {
  const paragraphs = Array.from(content.querySelectorAll("main p")).filter(
    (p) => !p.classList.contains("error-status") && !p.querySelector("a"),
  );
  const text = paragraphs.map((p) => p.textContent.trim()).find(Boolean);
  return text || gettext("The server answered with error %(status)s.", { status: response.status });
}

function focusOn(element) {
  if (!element) return;
  if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
    element.setAttribute("tabindex", "-1");
  }
  element.focus();
}

// What is said when the server names nothing more precise (`data-announce`: "Question
// posted.", or that it awaits review).
const MESSAGES = {
  posted: () => gettext("Comment posted."),
  replied: () => gettext("Reply posted."),
  edited: () => gettext("Edited"),
  deleted: () => gettext("Deleted"),
};

function announce(key, told) {
  say(told || MESSAGES[key]());
}

function updateHeading(holder) {
  const heading = document.getElementById("replies-title");
  if (heading && holder && holder.dataset.repliesHeading) {
    heading.textContent = holder.dataset.repliesHeading;
  }
}

function showError(slot, message) {
  let box = slot.querySelector(":scope > .form-errors[data-client]");
  if (!box) {
    box = document.createElement("div");
    box.className = "form-errors";
    box.setAttribute("role", "alert");
    box.dataset.client = "";
    slot.prepend(box);
  }
  box.replaceChildren(Object.assign(document.createElement("p"), { textContent: message }));
  focusOn(box);
}

// --- panels opened in place ---------------------------------------------------------------

function panelFor(articleId) {
  return document.querySelector(`.inline-form[data-for="${CSS.escape(articleId)}"]`);
}

function closePanel(panel, { restoreFocus = true } = {}) {
  if (!panel) return;
  const opener = panel.opener;
  panel.remove();
  if (restoreFocus && opener && opener.isConnected) opener.focus();
}

async function openPanel(link) {
  const article = link.closest("article");
  if (!article) return;
  const existing = panelFor(article.id);
  if (existing && existing.dataset.kind === link.dataset.open) {
    focusOn(existing.querySelector("textarea, button[type=submit]"));
    return;
  }
  closePanel(existing, { restoreFocus: false });
  let result;
  try {
    result = await fetchFragment(link.dataset.fragment);
  } catch {
    window.location.assign(link.href);
    return;
  }
  const panel = result.content.querySelector('[data-fragment-kind="panel"]');
  if (!result.response.ok || !panel) {
    window.location.assign(link.href); // the page without JavaScript says why
    return;
  }
  panel.dataset.kind = link.dataset.open;
  panel.opener = link;
  article.after(panel);
  focusOn(panel.querySelector("textarea, button[type=submit]"));
}

// --- answers to a posted form -------------------------------------------------------------

function insertReply(holder) {
  const item = holder.querySelector("li");
  const after = holder.dataset.after && document.getElementById(holder.dataset.after);
  if (after && after.closest("li")) {
    after.closest("li").after(item);
    return item;
  }
  const owner = holder.dataset.into !== "top" && document.getElementById(holder.dataset.into);
  const ownerItem = owner && owner.closest("li");
  if (ownerItem) {
    let list = ownerItem.querySelector(":scope > ol.replies");
    if (!list) {
      list = document.createElement("ol");
      list.className = "replies";
      ownerItem.append(list);
    }
    list.append(item);
    return item;
  }
  const top = document.querySelector("ol.replies--top");
  top.hidden = false;
  top.append(item);
  return item;
}

function swapSlot(form, fresh) {
  const slot = form.closest(".form-slot");
  slot.replaceWith(fresh);
  const target =
    fresh.querySelector(".form-errors") ||
    fresh.querySelector(".preview > :is(h2, h3, h4)") ||
    fresh.querySelector("textarea");
  focusOn(target);
}

function handleAnswer(form, result) {
  const { response, content } = result;
  const panel = form.closest(".inline-form");
  const kind = content.firstElementChild && content.firstElementChild.dataset.fragmentKind;
  const holder = content.firstElementChild;
  if (kind === "form") {
    swapSlot(form, holder);
    return;
  }
  if (!response.ok) {
    showError(form.closest(".form-slot") || form.parentElement, errorMessage(content, response));
    return;
  }
  if (kind === "reply") {
    const item = insertReply(holder);
    updateHeading(holder);
    if (panel) closePanel(panel, { restoreFocus: false });
    else form.reset();
    focusOn(item.querySelector("article"));
    announce("replied", holder.dataset.announce);
  } else if (kind === "article") {
    const fresh = holder.querySelector("article");
    const old = document.getElementById(fresh.id);
    if (old) old.replaceWith(fresh);
    const note = holder.querySelector("[data-reply-box]");
    const box = document.querySelector("#reply-form .form-slot");
    if (note && box) box.replaceWith(note);
    updateHeading(holder);
    if (panel) closePanel(panel, { restoreFocus: false });
    focusOn(fresh);
    announce(form.dataset.submit === "delete" ? "deleted" : "edited");
  } else if (kind === "removed") {
    if (holder.dataset.redirect) {
      // The thread is gone: its address leaves the history too, so "Back" cannot lead to it.
      window.location.replace(holder.dataset.redirect);
      return;
    }
    if (panel) closePanel(panel, { restoreFocus: false });
    for (const id of holder.dataset.removed.split(" ").filter(Boolean)) {
      const gone = document.getElementById(id);
      if (gone) (gone.closest("li") || gone).remove();
    }
    const top = document.querySelector("ol.replies--top");
    if (top && !top.children.length) top.hidden = true;
    updateHeading(holder);
    focusOn(document.getElementById("replies-title"));
    announce("deleted");
  } else {
    showError(form.closest(".form-slot") || form.parentElement, errorMessage(content, response));
  }
}

async function submitInPlace(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.fragmentAction) return;
  event.preventDefault();
  const submitter = event.submitter;
  const url = (submitter && submitter.dataset.fragmentFormaction) || form.dataset.fragmentAction;
  const body = new FormData(form);
  if (submitter && submitter.name) body.append(submitter.name, submitter.value);
  const buttons = form.querySelectorAll("button");
  buttons.forEach((button) => {
    button.disabled = true;
  });
  form.setAttribute("aria-busy", "true");
  let result;
  try {
    result = await fetchFragment(url, { method: "POST", body });
  } catch {
    buttons.forEach((button) => {
      button.disabled = false;
    });
    form.removeAttribute("aria-busy");
    form.submit(); // the page without JavaScript
    return;
  }
  buttons.forEach((button) => {
    button.disabled = false;
  });
  form.removeAttribute("aria-busy");
  handleAnswer(form, result);
}

// --- wiring -------------------------------------------------------------------------------

function setupThreadPage() {
  if (!document.querySelector("[data-thread]")) return;
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-open][data-fragment]");
    if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      openPanel(link);
      return;
    }
    const close = event.target.closest("[data-close]");
    if (close) closePanel(close.closest(".inline-form"));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const panel = event.target.closest && event.target.closest(".inline-form");
    if (panel) closePanel(panel);
  });
  document.addEventListener("submit", submitInPlace);
}

// --- a new thread on a section's page -------------------------------------------------------

// The section page's list, made when the first thread arrives.
function threadList() {
  let list = document.querySelector(".discussion__threads ol.thread-list");
  if (list) return list;
  list = document.createElement("ol");
  list.className = "thread-list";
  const empty = document.querySelector(".discussion__threads [data-threads-empty]");
  if (empty) empty.replaceWith(list);
  else document.querySelector(".discussion__threads").append(list);
  return list;
}

function insertThread(holder) {
  const item = holder.querySelector("li");
  if ("hidden" in holder.dataset) return null; // not of the kind the list shows
  const after = holder.dataset.after && document.getElementById(holder.dataset.after);
  if (after && after.closest("li")) {
    after.closest("li").after(item);
  } else if (holder.dataset.into === "top") {
    threadList().prepend(item);
  } else {
    threadList().append(item);
  }
  return item;
}

// Back to an empty form once posted: no text, no messages, no marks, no preview.
function clearThreadForm(form) {
  const slot = form.closest(".form-slot");
  form.reset();
  form.querySelectorAll("textarea").forEach((area) => {
    area.value = "";
  });
  slot.querySelectorAll(".form-errors, .preview, .field--error > .error").forEach((e) => e.remove());
  slot.querySelectorAll(".field--error").forEach((e) => e.classList.remove("field--error"));
  slot.querySelectorAll("[aria-invalid]").forEach((e) => {
    e.removeAttribute("aria-invalid");
    const ids = (e.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter((id) => id && document.getElementById(id));
    if (ids.length) e.setAttribute("aria-describedby", ids.join(" "));
    else e.removeAttribute("aria-describedby");
  });
}

async function postThread(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const slot = form.closest("[data-thread-form]");
  if (!slot || !slot.dataset.fragmentAction) return;
  const submitter = event.submitter;
  if (submitter && submitter.name === "preview") return; // the preview page, as without JavaScript
  event.preventDefault();
  const body = new FormData(form);
  if (submitter && submitter.name) body.append(submitter.name, submitter.value);
  const buttons = form.querySelectorAll("button");
  const busy = (on) => {
    buttons.forEach((button) => {
      button.disabled = on;
    });
    if (on) form.setAttribute("aria-busy", "true");
    else form.removeAttribute("aria-busy");
  };
  busy(true);
  let result;
  try {
    // The page's sort and kind come along: the answer says where the thread goes in this list.
    result = await fetchFragment(slot.dataset.fragmentAction + window.location.search, {
      method: "POST",
      body,
    });
  } catch {
    busy(false);
    form.submit(); // the page without JavaScript
    return;
  }
  busy(false);
  const { response, content } = result;
  const holder = content.firstElementChild;
  const kind = holder && holder.dataset.fragmentKind;
  if (kind === "form") {
    swapSlot(form, holder);
    return;
  }
  if (!response.ok || kind !== "thread") {
    showError(slot, errorMessage(content, response));
    return;
  }
  const item = insertThread(holder);
  const heading = document.getElementById("threads-title");
  if (heading && holder.dataset.threadsHeading) heading.textContent = holder.dataset.threadsHeading;
  clearThreadForm(form);
  focusOn(item ? item.querySelector("article") : heading);
  announce("posted", holder.dataset.announce);
}

// On a section's page, "on one of its paragraphs" leads to the picker: start there.
function setupSectionPage() {
  if (document.querySelector("[data-thread-form]")) document.addEventListener("submit", postThread);
  if (window.location.hash !== "#paragraph") return;
  const picker = document.getElementById("paragraph");
  if (!picker || picker.tagName !== "FIELDSET") return;
  const start = () => focusOn(picker.querySelector("input:checked") || picker.querySelector("input"));
  // After the browser's own scroll to the fragment, which would take the focus away again.
  if (document.readyState === "complete") window.setTimeout(start, 0);
  else window.addEventListener("load", () => window.setTimeout(start, 0), { once: true });
}

setupThreadPage();
setupSectionPage();
