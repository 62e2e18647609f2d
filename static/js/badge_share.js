// The pupil's badge card (templates/badges/partials/badge_card.html): copy the share link.
// <button data-copy-from="input id" data-copied="…" data-copy-failed="…">; the words come from the template.
"use strict";

document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy-from]") : null;
  if (!button) {
    return;
  }
  const field = document.getElementById(button.dataset.copyFrom);
  const status = button.closest(".badge-share")?.querySelector("[data-copy-status]");
  if (!field) {
    return;
  }
  let copied = false;
  try {
    await navigator.clipboard.writeText(field.value);
    copied = true;
  } catch {
    field.select();  // no clipboard (an insecure origin, a refused permission): the link is selected instead
  }
  if (status) {
    status.textContent = copied ? button.dataset.copied : button.dataset.copyFailed;
  }
});
