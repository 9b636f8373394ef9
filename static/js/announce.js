// What scripts change, said to screen readers: the page's one polite live region.
//
// templates/base.html puts the region in every page before anything is said in it (screen
// readers follow a region that is already there, not one that arrives with its words); the
// flash messages of a page without scripts stand in the same region. Scripts pass the words
// already translated: the server's (`data-announce` of a fragment) or `gettext`'s.

const REGION_ID = "site-status";
const SAID_CLASS = "site-status__said";

function said() {
  let region = document.getElementById(REGION_ID);
  if (!region) {
    // A page that does not extend base.html (none should): a region of its own.
    region = document.createElement("div");
    region.id = REGION_ID;
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    document.body.append(region);
  }
  let holder = region.querySelector(`.${SAID_CLASS}`);
  if (!holder) {
    holder = document.createElement("p");
    holder.className = `${SAID_CLASS} visually-hidden`;
    region.append(holder);
  }
  return holder;
}

let pending = null;

/** Say `text` politely; the same words twice in a row are said again. */
export function announce(text) {
  if (!text) return;
  const holder = said();
  holder.textContent = "";
  window.clearTimeout(pending);
  // A separate task, so that the change from empty to the words is one the reader notices.
  pending = window.setTimeout(() => {
    holder.textContent = text;
  }, 50);
}
