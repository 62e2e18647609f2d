// The test editor (docs/design.md §3, "The editor"): the save state of each form that saves itself.
// A form with data-autosave="<id of its state element>" is posted by htmx a moment after typing stops
// (hx-trigger in the template); the server's answer is the state ("Saved at 10:42", or why it was not
// saved), swapped into the element. Here only the states between: unsaved while typing, saving while
// the request is out, and failed when the server cannot be reached (what was typed stays in the form).
// Words come from the page (KantokuI18n). No inline handlers (CSP).
"use strict";

(() => {
  const words = window.KantokuI18n.text;

  function stateOf(form) {
    return form && form.dataset && form.dataset.autosave ? document.getElementById(form.dataset.autosave) : null;
  }

  function show(form, text, kind) {
    const state = stateOf(form);
    if (!state) {
      return;
    }
    state.textContent = "";
    const span = document.createElement("span");
    span.className = kind;
    span.textContent = text;
    state.appendChild(span);
  }

  document.addEventListener("input", (event) => {
    const form = event.target.form;
    if (stateOf(form)) {
      show(form, words.unsaved, "save-pending");
    }
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    show(event.detail.elt, words.saving, "save-pending");
  });

  for (const name of ["htmx:sendError", "htmx:responseError", "htmx:timeout"]) {
    document.addEventListener(name, (event) => {
      show(event.detail.elt, words.failed, "save-error");
    });
  }
})();
