// Small behaviours shared by every page. No build step, no inline handlers.
"use strict";

// <form data-confirm="Question?">: ask before submitting (htmx forms use hx-confirm).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
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
