// Glossary terms in the text: a marked term shows its definition (or how many proposals are
// open) beside it on hover and keyboard focus, as footnote references do; Escape hides it.
// The reader chooses which occurrences are marked without a reload. Marking only wraps text
// in elements: the text of a section, and so every passage offset, never changes.

const COOKIE = "terms";
const MODES = ["first", "all", "none"];

function tipFor(term) {
  const id = term.getAttribute("aria-describedby");
  return id ? document.getElementById(id) : null;
}

function setupTips() {
  // The tips move next to <body> so that they can be placed anywhere on the page.
  const holder = document.querySelector(".term-tips");
  if (!holder) return;
  for (const tip of Array.from(holder.querySelectorAll(".term-tip"))) {
    tip.hidden = true;
    document.body.append(tip);
  }
  holder.remove();

  let current = null; // [term, tip]
  let hideTimer = null;

  function hide(now = false) {
    clearTimeout(hideTimer);
    const doHide = () => {
      if (current) current[1].hidden = true;
      current = null;
    };
    if (now) doHide();
    else hideTimer = setTimeout(doHide, 200);
  }

  function show(term) {
    const tip = tipFor(term);
    if (!tip) return;
    clearTimeout(hideTimer);
    if (current && current[1] !== tip) current[1].hidden = true;
    tip.hidden = false;
    const box = term.getBoundingClientRect();
    const width = Math.min(tip.offsetWidth, window.innerWidth - 16);
    const left = Math.max(8, Math.min(box.left + window.scrollX,
      window.scrollX + window.innerWidth - width - 8));
    tip.style.left = `${left}px`;
    // Below the term, or above it when there is no room below.
    const below = box.bottom + 6 + tip.offsetHeight <= window.innerHeight;
    const top = below ? box.bottom + 6 : Math.max(8, box.top - tip.offsetHeight - 6);
    tip.style.top = `${top + window.scrollY}px`;
    current = [term, tip];
  }

  const termOf = (event) => event.target.closest && event.target.closest(".section-text a.term");
  document.addEventListener("mouseover", (event) => {
    const term = termOf(event);
    if (term) show(term);
  });
  document.addEventListener("focusin", (event) => {
    const term = termOf(event);
    if (term) show(term);
    else if (current && !current[1].contains(event.target)) hide(true);
  });
  document.addEventListener("mouseout", (event) => {
    const term = termOf(event);
    if (term && current && current[0] === term && !term.contains(event.relatedTarget)) hide();
  });
  document.addEventListener("focusout", (event) => {
    const term = termOf(event);
    if (term && current && current[0] === term) hide();
  });
  document.addEventListener("click", (event) => {
    if (termOf(event)) hide(true);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && current) hide(true);
  });
  for (const tip of document.querySelectorAll(".term-tip")) {
    tip.addEventListener("mouseenter", () => clearTimeout(hideTimer));
    tip.addEventListener("mouseleave", () => hide());
  }
}

// --- which occurrences are marked ----------------------------------------------------------

function replaceWith(element, tag, attributes) {
  const other = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null) other.setAttribute(name, value);
  }
  element.parentNode.insertBefore(other, element);
  while (element.firstChild) other.append(element.firstChild); // text nodes move, unchanged
  element.remove();
  return other;
}

function applyMode(mode) {
  for (const spot of document.querySelectorAll(".section-text [data-term]")) {
    const slug = spot.dataset.term;
    const first = spot.hasAttribute("data-term-first");
    const active = mode === "all" || (mode === "first" && first);
    const isLink = spot.matches("a.term");
    if (active === isLink) continue;
    const common = { "data-term": slug, "data-term-first": first ? "" : null };
    if (active) {
      const tip = document.getElementById(`term-tip-${slug}`);
      if (!tip) continue;
      replaceWith(spot, "a", {
        class: `term term--${tip.dataset.state || "adopted"}`,
        href: `/glossary/${encodeURIComponent(slug)}`,
        ...common,
        "aria-describedby": tip.id,
      });
    } else {
      replaceWith(spot, "span", { class: "term-spot", ...common });
    }
  }
}

function setupChoice() {
  const form = document.querySelector("form.term-marking");
  if (!form) return;
  const apply = form.querySelector(".term-marking__apply");
  if (apply) apply.hidden = true;
  form.addEventListener("change", (event) => {
    const mode = event.target.value;
    if (event.target.name !== "terms" || !MODES.includes(mode)) return;
    applyMode(mode);
    document.cookie = `${COOKIE}=${mode}; path=/; max-age=31536000; SameSite=Lax${location.protocol === "https:" ? "; Secure" : ""}`;
    const url = new URL(window.location.href);
    if (url.searchParams.has(COOKIE)) {
      url.searchParams.set(COOKIE, mode);
      history.replaceState(history.state, "", url);
    }
  });
}

setupTips();
setupChoice();
