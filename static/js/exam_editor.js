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

  // A form sent the ordinary way (Save, add a choice, move, publish…) waits for the saves still on their
  // way: leaving the field for the button fires one, and the server might otherwise apply that older
  // text after the form's newer one. Capture phase on window, before static/js/kantoku.js's
  // confirmations: the submission is held whole and sent again once no save is out.
  const busy = () => document.querySelector("form[data-autosave].htmx-request");

  function whenIdle(callback) {
    if (!busy()) {
      callback();
      return;
    }
    document.addEventListener("htmx:afterRequest", () => window.setTimeout(() => whenIdle(callback), 0), {
      once: true,
    });
  }

  window.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !busy()) {
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      const submitter = event.submitter;
      whenIdle(() => form.requestSubmit(submitter && submitter.form === form ? submitter : undefined));
    },
    true,
  );

  for (const name of ["htmx:sendError", "htmx:responseError", "htmx:timeout"]) {
    document.addEventListener(name, (event) => {
      show(event.detail.elt, words.failed, "save-error");
    });
  }
})();
