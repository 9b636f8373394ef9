// Site-wide progressive enhancement: mark the page as scripted for CSS.
document.documentElement.classList.add("js");
