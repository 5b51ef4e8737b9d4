// What every organisation page script needs, written once (agencies, contracts, console, trade): the element
// look-up, the element builder, and the dictionary look-up with {name} parameters (the page's language first,
// then zh-CN, then the key itself). Loaded before the page's own script (both deferred, so in order).
"use strict";
window.ShiftexKit = Object.freeze({
  $: (id) => document.getElementById(id),
  translate(text, lang, key, params) {
    const s = text[lang][key] ?? text["zh-CN"][key] ?? key;
    return s.replace(/\{(\w+)\}/g, (_, k) => (params && params[k] !== undefined ? String(params[k]) : ""));
  },
  // props: class, text, onclick, onsubmit; anything else is an attribute (data-*, aria-*, type…); null/undefined/false are left out
  el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k === "onclick") node.addEventListener("click", v);
      else if (k === "onsubmit") node.addEventListener("submit", v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
    return node;
  },
});
