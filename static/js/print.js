// The printable page of a paper: a button that opens the browser's print dialog. Without
// JavaScript the button stays hidden and the browser's own print command does the same.

for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
