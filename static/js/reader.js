// Reading page enhancements: footnote previews, the current section in the contents,
// and keyboard access to tables that scroll. Without JavaScript, every link still works.

import { gettext } from "./i18n.js";

const TIP_ID = "footnote-tip";

function noteFor(link) {
  const id = decodeURIComponent(link.hash.slice(1));
  return document.getElementById(id);
}

function setupFootnotes() {
  const tip = document.createElement("div");
  tip.id = TIP_ID;
  tip.className = "footnote-tip";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  document.body.append(tip);
  let hideTimer = null;
  let current = null;

  function show(link) {
    const note = noteFor(link);
    if (!note) return;
    clearTimeout(hideTimer);
    const text = note.querySelector(".note__text");
    tip.replaceChildren();
    const label = document.createElement("span");
    label.className = "footnote-tip__label";
    label.textContent = link.textContent.trim();
    tip.append(label, ...Array.from((text || note).cloneNode(true).childNodes));
    tip.hidden = false;
    const box = link.getBoundingClientRect();
    const width = Math.min(tip.offsetWidth, window.innerWidth - 16);
    const left = Math.max(8, Math.min(box.left + window.scrollX - width / 2,
      window.scrollX + window.innerWidth - width - 8));
    tip.style.left = `${left}px`;
    // Below the reference, or above it when there is no room below.
    const below = box.bottom + 6 + tip.offsetHeight <= window.innerHeight;
    const top = below ? box.bottom + 6 : Math.max(8, box.top - tip.offsetHeight - 6);
    tip.style.top = `${top + window.scrollY}px`;
    link.setAttribute("aria-describedby", TIP_ID);
    current = link;
  }

  function hide(now = false) {
    clearTimeout(hideTimer);
    const doHide = () => {
      tip.hidden = true;
      if (current) current.removeAttribute("aria-describedby");
      current = null;
    };
    if (now) doHide();
    else hideTimer = setTimeout(doHide, 200);
  }

  for (const link of document.querySelectorAll(".fnref a[href^='#fn-']")) {
    link.addEventListener("mouseenter", () => show(link));
    link.addEventListener("focus", () => show(link));
    link.addEventListener("mouseleave", () => hide());
    link.addEventListener("blur", () => hide());
    link.addEventListener("click", () => hide(true));
  }
  tip.addEventListener("mouseenter", () => clearTimeout(hideTimer));
  tip.addEventListener("mouseleave", () => hide());
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !tip.hidden) hide(true);
  });
}

function setupContentsHighlight() {
  const links = new Map();
  for (const link of document.querySelectorAll(".toc a[href^='#']")) {
    links.set(decodeURIComponent(link.hash.slice(1)), link);
  }
  const sections = Array.from(document.querySelectorAll(".paper-section[id]"))
    .filter((section) => links.has(section.id));
  if (!sections.length || !("IntersectionObserver" in window)) return;
  const visible = new Set();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) visible.add(entry.target);
      else visible.delete(entry.target);
    }
    const first = sections.find((section) => visible.has(section));
    if (!first) return;
    for (const link of links.values()) link.removeAttribute("aria-current");
    links.get(first.id).setAttribute("aria-current", "location");
  }, { rootMargin: "0px 0px -60% 0px" });
  for (const section of sections) observer.observe(section);
}

function setupScrollingTables() {
  for (const wrapper of document.querySelectorAll(".section-text .table-scroll")) {
    const caption = wrapper.querySelector("caption");
    const update = () => {
      if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
        wrapper.tabIndex = 0;
        wrapper.setAttribute("role", "region");
        wrapper.setAttribute("aria-label", caption ? caption.textContent.trim() : gettext("Table"));
      } else {
        wrapper.removeAttribute("tabindex");
        wrapper.removeAttribute("role");
        wrapper.removeAttribute("aria-label");
      }
    };
    update();
    window.addEventListener("resize", update);
  }
}

function setupContentsDisclosure() {
  // The contents stay open beside the text on wide screens and fold away on narrow ones.
  const details = document.querySelector(".toc__inner");
  if (!details) return;
  const wide = window.matchMedia("(min-width: 60rem)");
  const apply = () => { details.open = wide.matches; };
  apply();
  wide.addEventListener("change", apply);
  for (const link of details.querySelectorAll("a")) {
    link.addEventListener("click", () => { if (!wide.matches) details.open = false; });
  }
}

setupContentsDisclosure();
setupFootnotes();
setupContentsHighlight();
setupScrollingTables();
