// The moderation queue, compact: a long contribution is shown clamped to a few lines, with a
// button to read all of it in place (and to fold it again).
//
// Without this script every body is shown whole. Clamping is only visual: the whole text
// stays in the page, so a screen reader reads all of it whatever the button says.

function clamp(queue) {
  const more = queue.dataset.readAll;
  const less = queue.dataset.readLess;
  for (const body of queue.querySelectorAll(".mod-item__body")) {
    body.classList.add("is-clamped");
    if (body.scrollHeight <= body.clientHeight + 1) {
      body.classList.remove("is-clamped"); // short enough to show whole
      continue;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button mod-item__more";
    button.textContent = more;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", body.id);
    button.addEventListener("click", () => {
      const open = body.classList.toggle("is-clamped") === false;
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? less : more;
    });
    body.after(button);
  }
}

const queue = document.querySelector(".mod-queue[data-read-all]");
if (queue) clamp(queue);
