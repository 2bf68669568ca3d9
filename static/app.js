// Small enhancements on top of pages that work without JavaScript.
"use strict";

// Registration: preselect the browser's own time zone until the person picks one. Browsers may call it
// by an older name (Chrome says Asia/Calcutta): each option lists its other names in data-aliases.
function guessTimezone() {
  const select = document.querySelector("select[data-guess-timezone]");
  if (!select) return;
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  const option = zone && Array.from(select.options).find(
    (candidate) => candidate.value === zone || (candidate.dataset.aliases || "").split(" ").includes(zone),
  );
  if (option) select.value = option.value;
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

// htmx 2 does not swap 4xx answers; the session forms answer 400/409/422/429 with a panel
// that shows what went wrong, so let those through.
// The event fires on the swap target; the element that sent the request is in requestConfig.
const SWAPPABLE_ERRORS = new Set([400, 409, 422, 429]);
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

// Forms: the error summary and the time zone search (templates/_macros.html) -----------------------

// GOV.UK's error summary: the focus goes to it when a page or an htmx fragment with one loads, so it
// is read out first; one of its links focuses its field and scrolls its label (or legend) into view too.
function focusErrorSummary(root) {
  const summary = root.matches("[data-error-summary]") ? root : root.querySelector("[data-error-summary]");
  if (summary) summary.focus();
}

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element && event.target.closest("[data-error-summary] a[href^='#']");
  const field = link && document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  const group = field.closest("fieldset");
  const label = (group && group.querySelector("legend")) || (field.labels && field.labels[0]) || field;
  label.scrollIntoView();
  field.focus({ preventScroll: true });
});

document.addEventListener("htmx:load", (event) => {
  if (event.detail.elt !== document.body) focusErrorSummary(event.detail.elt);
});

// The time zone search narrows its list as one types. Without JavaScript its form asks the server,
// which does the same (meetapp.auth.forms.offer_timezones): words match the zone's name, its place
// or its other names, and a list with no match stays whole.
function searchable(text) {
  return text.replace(/[_/]/g, " ").toLowerCase();
}

function filterZones(select, query, status) {
  const words = searchable(query).split(/\s+/).filter(Boolean);
  const options = Array.from(select.options);
  const matching = options.filter((option) => {
    const text = searchable(`${option.value} ${option.textContent} ${option.dataset.aliases || ""}`);
    return words.every((word) => text.includes(word));
  });
  options.forEach((option) => { option.hidden = matching.length > 0 && !matching.includes(option); });
  select.querySelectorAll("optgroup").forEach((group) => {
    group.hidden = !Array.from(group.children).some((option) => !option.hidden);
  });
  const chosen = select.selectedOptions[0];
  if (matching.length && (!chosen || chosen.hidden)) select.value = matching[0].value;
  const asked = words.length ? query.trim().split(/\s+/).join(" ") : "";
  if (!asked) {
    status.textContent = "";
  } else if (matching.length) {
    const count = matching.length === 1 ? "1 zone matches" : `${matching.length} zones match`;
    status.textContent = `${count} “${asked}”; the list shows only those.`;
  } else {
    status.textContent = `No zone matches “${asked}”; the list shows them all.`;
  }
}

function setUpZoneSearches() {
  document.querySelectorAll("input[data-timezone-search]").forEach((input) => {
    const select = document.getElementById(input.dataset.timezoneSearch);
    const status = document.getElementById(input.getAttribute("aria-describedby"));
    if (!select || !status || !input.form) return;
    input.addEventListener("input", () => filterZones(select, input.value, status));
    // Enter or Find: the list is narrowed already, so go on to it instead of asking the server.
    input.form.addEventListener("submit", (event) => {
      event.preventDefault();
      filterZones(select, input.value, status);
      select.focus();
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpZoneSearches();
  focusErrorSummary(document.body);
});

// Join status fragments (templates/sessions/_status.html) ---------------------------------
// The server renders the right text and htmx polls the fragment back. This keeps the
// countdown ticking between polls without a request per second, asks for the fragment the
// moment the countdown reaches zero, and speaks up only at sensible moments.

const AUTO_JOIN_KEY = "meetapp.autoJoin";
// A live region is read out when its text changes, not when it is inserted with text in it.
const ANNOUNCE_AFTER_MS = 150;
// A fragment kept in a hidden tab may hold a join link past its short life.
const STALE_AFTER_MS = 30 * 1000;
const startedCountdowns = new WeakSet();
const fragmentLoadedAt = new WeakMap();
// Per fragment id: the state last shown, and the minute last announced.
const shownStates = new Map();
const announcedMinutes = new Map();

// The rule of countdown_text in meetapp/domain/countdown.py, which renders the first text:
// "2 days 4 hours", "5 hours 12 minutes", "04:41". tests/unit/test_countdown.py runs both on one table.
function countdownText(seconds) {
  const count = (number, unit) => `${number} ${unit}${number === 1 ? "" : "s"}`;
  const twoUnits = (big, bigUnit, small, smallUnit) =>
    small ? `${count(big, bigUnit)} ${count(small, smallUnit)}` : count(big, bigUnit);
  const left = Math.max(0, Math.floor(seconds));
  if (left >= 86400) return twoUnits(Math.floor(left / 86400), "day", Math.floor((left % 86400) / 3600), "hour");
  if (left >= 3600) return twoUnits(Math.floor(left / 3600), "hour", Math.floor((left % 3600) / 60), "minute");
  const pad = (value) => String(value).padStart(2, "0");
  return `${pad(Math.floor(left / 60))}:${pad(left % 60)}`;
}

function announce(fragment, text) {
  const region = fragment.querySelector("[data-announce]");
  if (!region || !text) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, ANNOUNCE_AFTER_MS);
}

function refreshFragment(fragment) {
  if (window.htmx && fragment.isConnected && fragment.hasAttribute("hx-get")) {
    window.htmx.trigger(fragment, "refresh");
  }
}

// The server's clock as an element carrying it said, and when this page read it.
const serverClocks = new WeakMap();

// Milliseconds until the fragment's opening time, by the server's clock (on the page's <body>),
// never the browser's: a fragment from memory is then as exact as a fresh one.
function millisecondsLeft(timer) {
  const clock = timer.closest("[data-server-now-ms]");
  if (!clock) return NaN;
  let reading = serverClocks.get(clock);
  if (!reading) {
    reading = { serverMs: Number(clock.dataset.serverNowMs), at: performance.now() };
    serverClocks.set(clock, reading);
  }
  return Date.parse(timer.dataset.countdownUntil) - (reading.serverMs + performance.now() - reading.at);
}

// Counts down to the opening time (see millisecondsLeft), waking when the shown second changes
// rather than on a fixed beat.
function startCountdown(fragment) {
  const timer = fragment.querySelector("[data-countdown-until]");
  const text = timer && timer.querySelector("[data-countdown-text]");
  const remaining = timer ? millisecondsLeft(timer) : NaN;
  if (!text || !Number.isFinite(remaining) || startedCountdowns.has(fragment)) return;
  startedCountdowns.add(fragment);
  const deadline = performance.now() + remaining;
  const tick = () => {
    if (!fragment.isConnected) return;
    const left = deadline - performance.now();
    if (left <= 0) {
      text.textContent = countdownText(0);
      refreshFragment(fragment);
      return;
    }
    const seconds = Math.ceil(left / 1000);
    text.textContent = countdownText(seconds);
    announceMinute(fragment, seconds);
    setTimeout(tick, (left % 1000) + 5);
  };
  tick();
}

// Once a minute in the last hour, at the moment the countdown shows the whole minute ("05:00" is
// "in 5 minutes"), so what is spoken is what is shown; a minute reached by a jump (a tab that slept)
// is skipped. The first minute a page sees is not news.
function announceMinute(fragment, seconds) {
  const minutes = Math.ceil(seconds / 60);
  const last = announcedMinutes.get(fragment.id);
  announcedMinutes.set(fragment.id, minutes);
  if (last === undefined || last === minutes || seconds % 60 !== 0 || seconds >= 3600) return;
  announce(fragment, `Joining opens in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
}

function autoJoinBox() {
  return document.querySelector("input[data-auto-join]");
}

// The waiting page's "Take me in automatically": on unless this browser was told otherwise,
// since the waiting page is there to move into the meeting when it opens.
function setUpAutoJoin() {
  const box = autoJoinBox();
  if (!box) return;
  try {
    box.checked = window.localStorage.getItem(AUTO_JOIN_KEY) !== "no";
  } catch (error) {
    box.checked = true;
  }
  box.addEventListener("change", () => {
    try {
      window.localStorage.setItem(AUTO_JOIN_KEY, box.checked ? "yes" : "no");
    } catch (error) {
      // Not remembered (storage blocked); the box still works on this page.
    }
  });
  const field = box.closest("[data-auto-join-field]");
  if (field) field.hidden = false;
}

// `swapped`: the fragment itself just replaced an earlier version of itself.
function fragmentLoaded(fragment, swapped) {
  fragmentLoadedAt.set(fragment, performance.now());
  const state = fragment.dataset.joinState;
  const previous = shownStates.get(fragment.id);
  shownStates.set(fragment.id, state);
  startCountdown(fragment);
  if (!swapped || previous === undefined || previous === state) return;
  announce(fragment, fragment.dataset.announceText);
  const box = autoJoinBox();
  const link = fragment.querySelector("a[data-join-link]");
  if (state === "available" && link && box && box.checked) {
    // Replace the waiting page, so Back does not lead to it again.
    window.location.replace(link.href);
  }
}

function joinFragmentsIn(root, swapped) {
  if (!(root instanceof Element)) return;
  if (root.matches("[data-join-state]")) fragmentLoaded(root, swapped);
  root.querySelectorAll("[data-join-state]").forEach((fragment) => fragmentLoaded(fragment, false));
}

document.addEventListener("htmx:load", (event) => {
  const root = event.detail.elt;
  if (root !== document.body) joinFragmentsIn(root, true);
});

// Back to a tab that slept, or to a page from the back/forward cache: ask again at once.
function refreshStaleFragments() {
  document.querySelectorAll("[data-join-state][hx-get]").forEach((fragment) => {
    if (performance.now() - (fragmentLoadedAt.get(fragment) || 0) > STALE_AFTER_MS) refreshFragment(fragment);
  });
}
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refreshStaleFragments();
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    document.querySelectorAll("[data-join-state]").forEach((fragment) => fragmentLoadedAt.delete(fragment));
    refreshStaleFragments();
  }
});

// When the login session has ended, a poll is redirected to the login page: reload the whole
// page (it goes to the login page and back) rather than swap a login form into the fragment.
document.addEventListener("htmx:beforeSwap", (event) => {
  const sender = event.detail.requestConfig && event.detail.requestConfig.elt;
  const xhr = event.detail.xhr;
  if (!sender || !sender.matches || !sender.matches("[data-join-state]") || !xhr.responseURL) return;
  const asked = new URL(event.detail.requestConfig.path, window.location.href).pathname;
  if (new URL(xhr.responseURL).pathname !== asked) {
    event.detail.shouldSwap = false;
    window.location.reload();
  }
});

document.addEventListener("DOMContentLoaded", () => {
  setUpAutoJoin();
  joinFragmentsIn(document.body, false);
});
