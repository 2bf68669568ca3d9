// Small enhancements on top of pages that work without JavaScript.
"use strict";

// Registration: preselect the browser's own time zone until the person picks one.
function guessTimezone() {
  const select = document.querySelector("select[data-guess-timezone]");
  if (!select) return;
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (zone && Array.from(select.options).some((option) => option.value === zone)) {
    select.value = zone;
  }
}

// Booking: choosing a session type fills in its usual duration, unless the person typed one.
function followSessionTypeDuration() {
  const select = document.querySelector("select[data-duration-target]");
  if (!select) return;
  const duration = document.getElementById(select.dataset.durationTarget);
  if (!duration) return;
  let typedByHand = false;
  duration.addEventListener("input", () => { typedByHand = true; });
  select.addEventListener("change", () => {
    const minutes = select.selectedOptions[0] && select.selectedOptions[0].dataset.duration;
    if (minutes && !typedByHand) duration.value = minutes;
  });
}

// Settings: a Copy button next to a freshly made API token.
function enableCopyButtons() {
  document.querySelectorAll("button[data-copy-from]").forEach((button) => {
    const source = document.getElementById(button.dataset.copyFrom);
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.value);
        button.textContent = "Copied";
      } catch (error) {
        source.select();
      }
    });
  });
}

// htmx 2 does not swap 4xx answers; the session forms answer 400/409/422 with a panel
// that shows what went wrong, so let those through.
// The event fires on the swap target; the element that sent the request is in requestConfig.
const SWAPPABLE_ERRORS = new Set([400, 409, 422]);
document.addEventListener("htmx:beforeSwap", (event) => {
  const sender = event.detail.requestConfig && event.detail.requestConfig.elt;
  const form = sender && sender.closest("[data-swap-errors]");
  if (form && SWAPPABLE_ERRORS.has(event.detail.xhr.status)) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

document.addEventListener("DOMContentLoaded", () => {
  guessTimezone();
  followSessionTypeDuration();
  enableCopyButtons();
});
