// The strings that scripts write themselves, in the page's language.
//
// They are marked here as in Python — `gettext("Reply")`, `ngettext("%(num)s reply",
// "%(num)s replies", n)` — and extracted into the same catalogues (domain "js"). The page
// carries its language's translations of them as JSON in <script id="ui-strings">; an
// English page carries none, and a string without a translation stays as written.

let catalogue = null;

function messages() {
  if (catalogue === null) {
    const element = document.getElementById("ui-strings");
    try {
      catalogue = element ? JSON.parse(element.textContent) : {};
    } catch {
      catalogue = {};
    }
  }
  return catalogue;
}

function format(text, variables) {
  if (!variables) return text;
  return text.replace(/%\((\w+)\)s|%%/g, (match, name) => {
    if (match === "%%") return "%";
    return name in variables ? String(variables[name]) : match;
  });
}

/** The translation of `msgid`, with `%(name)s` replaced by `variables[name]`. */
export function gettext(msgid, variables) {
  const found = messages()[msgid];
  const text = typeof found === "string" && found ? found : msgid;
  return format(text, variables);
}

/** The singular or plural form for `n` (also given as `%(num)s`), by the page's language. */
export function ngettext(singular, plural, n, variables) {
  const found = messages()[singular];
  const values = { num: n, ...(variables || {}) };
  const language = document.documentElement.lang || "en";
  const isOne = new Intl.PluralRules(language).select(n) === "one";
  if (Array.isArray(found) && found[0] && found[1]) {
    return format(isOne ? found[0] : found[1], values);
  }
  return format(isOne ? singular : plural, values);
}

/** A number written the page's way (1 234 in French, 1.234 in German). */
export function formatNumber(n) {
  return new Intl.NumberFormat(document.documentElement.lang || "en").format(n);
}
