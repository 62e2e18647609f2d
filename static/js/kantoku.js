// Small behaviours shared by every page, and the words of the page's scripts. No build step, no
// inline handlers. Loaded first, before static/js/socket.js, static/js/inbox.js and the page's script.
"use strict";

// The words a script shows reach it one way: here. The view translates them with gettext, so they
// are in locale/*/django.po with the page's other words, and puts them in its context as `i18n` (a
// dict, nested where a script needs it); the page's template writes it once with
// {{ i18n|json_script:"i18n" }}, escaped for a script element; and this reads it, once, for all the
// page's scripts (window.KantokuI18n.text). Chosen over Django's JavaScriptCatalog with gettext() in
// JS: no extra view, URL, djangojs catalog or request, a page carries only its own words, and labels
// the server already has (the models' choices: signal kinds, session statuses) are reused as they
// are, not typed again in JS. Scripts show the words with textContent. A word with placeholders uses
// Python's "%(name)s" format: KantokuI18n.format(text.key, {name: value}).
window.KantokuI18n = (() => {
  const element = document.getElementById("i18n");
  const text = element ? JSON.parse(element.textContent) : {};

  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, (match, key) => (key in values ? String(values[key]) : match));
  }

  return Object.freeze({ text, format });
})();

// <form data-confirm="Question?">: ask before submitting (htmx forms use hx-confirm). Like hx-confirm,
// the question is the form's own, translated where the template writes the form; no script holds it.
// Asked only when the form is valid: a form with an empty required field goes to the server, whose
// answer names the field, rather than asking "Really?" about something that cannot happen.
// <form data-busy="Importing…">: once the submission goes ahead, its submit buttons are disabled at
// once (a double click sends nothing twice) and the form's [data-busy-status] says the form's words.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) {
    return;
  }
  const question = form.dataset.confirm;
  if (question && form.checkValidity() && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form.dataset.busy !== undefined) {
    if (form.dataset.submitted) {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "true";
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach((button) => {
      button.disabled = true;
    });
    const status = form.querySelector("[data-busy-status]");
    if (status) {
      status.textContent = busyText(form);
      status.hidden = false;
    }
  }
});

// <form data-busy-count-text="key" data-busy-seconds-each="0.3">: the busy words name the number of
// rows of the chosen file (its non-blank lines but the header) and the wait that makes, with the
// page's words KantokuI18n.text[key] ("%(count)s", "%(seconds)s"); without a count, data-busy's.
function busyText(form) {
  const words = KantokuI18n.text[form.dataset.busyCountText];
  const count = Number(form.dataset.busyCount);
  if (!words || !count) {
    return form.dataset.busy;
  }
  const seconds = Math.max(5, Math.ceil((count * Number(form.dataset.busySecondsEach)) / 5) * 5);
  return KantokuI18n.format(words, { count, seconds });
}

document.addEventListener("change", (event) => {
  const input = event.target;
  const form = input.form;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || !form || !form.dataset.busyCountText) {
    return;
  }
  delete form.dataset.busyCount;
  const file = input.files && input.files[0];
  if (!file || file.size > 1024 * 1024) {
    return;
  }
  // Bytes, not text: a Shift_JIS file has the same line feeds, and no decoding is needed to count them.
  file.arrayBuffer().then((buffer) => {
    const bytes = new Uint8Array(buffer);
    let lines = 0;
    let blank = true;
    for (const byte of bytes) {
      if (byte === 0x0a) {
        lines += blank ? 0 : 1;
        blank = true;
      } else if (byte !== 0x0d && byte !== 0x20 && byte !== 0x09 && byte !== 0x2c) {
        blank = false;
      }
    }
    lines += blank ? 0 : 1;
    if (lines > 1) {
      form.dataset.busyCount = String(lines - 1);
    }
  });
});

// A page restored from the back/forward cache gets its busy forms back in working order.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) {
    return;
  }
  document.querySelectorAll("form[data-busy][data-submitted]").forEach((form) => {
    delete form.dataset.submitted;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button, input[type=submit]").forEach((button) => {
      button.disabled = false;
    });
  });
});

// <select data-autosubmit>: submit the form on change (the language switch).
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});

// <button data-print>: print the page (credential slips).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// htmx leaves an error response unswapped; a 429 (config/ratelimits.py) is a form that says to wait
// and keeps what was typed, so it is shown like any other answer.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 429) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
