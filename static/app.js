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

// Live pages: the clock in the page, and one conditional poll -----------------------------------
// What the clock changes happens here, with no request (templates/sessions/_status.html): each join
// status fragment's parts show and hide at their times, the Join control becomes a link at the
// opening, and the countdown ticks, all by the server's clock on <body>. What people change comes
// with the page's one poll (startLivePoll): about once a minute, answered 304 while nothing changed.

const AUTO_JOIN_KEY = "meetapp.autoJoin";
// A live region is read out when its text changes, not when it is inserted with text in it.
const ANNOUNCE_AFTER_MS = 150;
// The longest wait between two polls of a shown page, so that a change shows within a minute.
const POLL_EVERY_MS = 55 * 1000;
// The minute last announced, per fragment id.
const announcedMinutes = new Map();
// Fragments this page has brought up to its clock at least once: a state seen first is not news.
const seenFragments = new WeakSet();

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

function announce(region, text) {
  if (!region || !text) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, ANNOUNCE_AFTER_MS);
}

// The page's own live region, for changes that replace whole rows or panels.
function pageAnnouncer() {
  let region = document.getElementById("live-announcer");
  if (!region) {
    region = document.createElement("span");
    region.id = "live-announcer";
    region.className = "visually-hidden";
    region.setAttribute("aria-live", "polite");
    document.body.append(region);
  }
  return region;
}

// The page's clock: the server's time when it rendered the page (<body data-server-now-ms>) plus the
// time since, never the browser's own clock, so every viewer's Join opens at the server's instant.
let serverClock = null;
function pageNow() {
  if (!serverClock) {
    const rendered = Number(document.body.dataset.serverNowMs);
    serverClock = { serverMs: Number.isFinite(rendered) ? rendered : Date.now(), at: performance.now() };
  }
  return serverClock.serverMs + (performance.now() - serverClock.at);
}

function inTimeRange(part, now) {
  const from = part.dataset.shownFrom;
  const until = part.dataset.shownUntil;
  return (!from || now >= Date.parse(from)) && (!until || now < Date.parse(until));
}

// The state by the clock, in the API's names: a confirmed session is too_early, available, then
// expired; any other keeps what the server said until the poll brings news.
function clockState(fragment, now) {
  if (!fragment.hasAttribute("data-confirmed")) return fragment.dataset.joinState;
  if (now < Date.parse(fragment.dataset.opensAt)) return "too_early";
  return now < Date.parse(fragment.dataset.closesAt) ? "available" : "expired";
}

function autoJoinBox() {
  return document.querySelector("input[data-auto-join]");
}

// Brings one fragment to `now`. A change of state is announced once, and on the waiting page with
// "Take me in automatically" the opening goes straight into the meeting, through the join door.
function applyClock(fragment, now) {
  fragment.querySelectorAll("[data-shown-from], [data-shown-until]").forEach((part) => {
    part.hidden = !inTimeRange(part, now);
  });
  const state = clockState(fragment, now);
  const link = fragment.querySelector("a[data-join-link]");
  if (link && state === "available") {
    link.href = link.dataset.href;
    link.removeAttribute("role");
    link.removeAttribute("aria-disabled");
  } else if (link) {
    link.removeAttribute("href");
    link.setAttribute("role", "link");
    link.setAttribute("aria-disabled", "true");
  }
  const timer = fragment.querySelector("[data-countdown-until]");
  const left = timer ? Date.parse(timer.dataset.countdownUntil) - now : 0;
  if (left > 0) {
    const seconds = Math.ceil(left / 1000);
    timer.textContent = countdownText(seconds);
    announceMinute(fragment, seconds);
  }
  const previous = fragment.dataset.joinState;
  const news = seenFragments.has(fragment);
  seenFragments.add(fragment);
  if (now >= Date.parse(fragment.dataset.closesAt)) fragment.setAttribute("data-final", "");
  if (state === previous) return;
  fragment.dataset.joinState = state;
  fragment.classList.replace(`join-state-${previous.replace("_", "-")}`, `join-state-${state.replace("_", "-")}`);
  const region = fragment.querySelector("[data-announce]");
  if (news && state === "available") announce(region, fragment.dataset.sayAvailable);
  if (news && state === "expired") announce(region, fragment.dataset.sayExpired);
  const box = autoJoinBox();
  if (state === "available" && link && box && box.checked) {
    // Replace the waiting page, so Back does not lead to it again.
    window.location.replace(link.href);
  }
}

// Once a minute in the last hour, at the moment the countdown shows the whole minute ("05:00" is
// "in 5 minutes"), so what is spoken is what is shown; a minute reached by a jump (a tab that slept)
// is skipped. The first minute a page sees is not news.
function announceMinute(fragment, seconds) {
  const minutes = Math.ceil(seconds / 60);
  const last = announcedMinutes.get(fragment.id);
  announcedMinutes.set(fragment.id, minutes);
  if (last === undefined || last === minutes || seconds % 60 !== 0 || seconds >= 3600) return;
  announce(fragment.querySelector("[data-announce]"), `Joining opens in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
}

// One timer for the whole page, waking just after each second of the page's clock while any fragment
// can still change by it: the opening and the close are whole seconds, so each shows within a few
// milliseconds of its instant.
let clockTimer = null;
function tick() {
  clearTimeout(clockTimer);
  const now = pageNow();
  const fragments = document.querySelectorAll("[data-join-state][data-closes-at]:not([data-final])");
  fragments.forEach((fragment) => applyClock(fragment, now));
  if (fragments.length) clockTimer = setTimeout(tick, 1000 - (now % 1000) + 5);
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

// The poll's news: each element replaces the one with its id. A dashboard row the page lacks (a session
// booked meanwhile) joins Upcoming in start order. A panel whose form the viewer has begun to fill in
// is not pulled away under them: a notice offers the change instead.
function swapIn(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  Array.from(template.content.children).forEach((incoming) => {
    const current = incoming.id ? document.getElementById(incoming.id) : null;
    if (current && beingFilledIn(current)) {
      offerChange(current, incoming);
    } else if (current) {
      replace(current, incoming);
    } else if (incoming.matches(".session-row")) {
      insertRow(incoming);
    }
  });
  tick();
}

function replace(current, incoming) {
  const changedStatus = incoming.dataset.status && current.dataset.status !== incoming.dataset.status;
  current.replaceWith(incoming);
  if (window.htmx) window.htmx.process(incoming);
  if (changedStatus) announce(pageAnnouncer(), incoming.dataset.say);
}

function insertRow(row) {
  const list = document.getElementById("upcoming-sessions");
  if (!list) return;
  const later = Array.from(list.children).find((other) => other.dataset.startsAt > row.dataset.startsAt);
  list.insertBefore(row, later || null);
  document.querySelectorAll("[data-empty-upcoming]").forEach((empty) => { empty.hidden = true; });
  announce(pageAnnouncer(), row.dataset.say);
}

function beingFilledIn(element) {
  const fields = element.querySelectorAll("input:not([type=hidden]), textarea, select");
  return Array.from(fields).some((field) => field === document.activeElement
    || (field.type === "checkbox" || field.type === "radio" ? field.checked !== field.defaultChecked
      : field.tagName === "SELECT" ? Array.from(field.options).some((option) => option.selected !== option.defaultSelected)
        : field.value !== field.defaultValue));
}

const offeredChanges = new WeakMap();
function offerChange(current, incoming) {
  const already = offeredChanges.has(current);
  offeredChanges.set(current, incoming);
  if (already) return;
  const notice = document.createElement("p");
  notice.className = "alert alert-info";
  notice.setAttribute("role", "status");
  notice.textContent = "This session has changed. ";
  const show = document.createElement("button");
  show.type = "button";
  show.className = "button";
  show.textContent = "Show the change";
  show.addEventListener("click", () => {
    replace(current, offeredChanges.get(current));
    tick();
  });
  notice.append(show);
  current.prepend(notice);
}

// The page's one poll, on its element with data-live-poll: every POLL_EVERY_MS, with the ETag the page
// was rendered with (data-live-etag) and, after a change, the one that came with it. 304: nothing to do.
// 200: swap in the answer, or (data-live-refresh) what that address gives now. Paused while the tab is
// hidden, it asks at once when the tab is shown again if a poll came due meanwhile. It stops for good
// once nothing can change any more: past data-live-until by the page's clock, or when an element
// matching data-live-stop-on is on the page (a cancelled session, say).
function startLivePoll() {
  const root = document.querySelector("[data-live-poll]");
  if (!root) return;
  let etag = root.dataset.liveEtag;
  let timer = null;
  let cameDueWhileHidden = false;
  const over = () => {
    const until = root.dataset.liveUntil;
    const stopOn = root.dataset.liveStopOn;
    return Boolean((until && pageNow() >= Date.parse(until)) || (stopOn && document.querySelector(stopOn)));
  };
  const poll = async () => {
    if (over()) return;
    if (document.visibilityState === "hidden") {
      cameDueWhileHidden = true;
      return;
    }
    let news = null;
    try {
      const answer = await fetch(root.dataset.livePoll, { headers: { "If-None-Match": etag }, cache: "no-store" });
      if (answer.redirected) {
        // The login has ended: the page goes to the login page, and back after it.
        window.location.reload();
        return;
      }
      if (answer.ok) {
        if (root.dataset.liveRefresh) answer.body?.cancel();
        news = root.dataset.liveRefresh ? await fetchFragment(root.dataset.liveRefresh) : await answer.text();
        // Kept only with its news: a change that could not be fetched is asked for again.
        if (news !== null) etag = answer.headers.get("ETag") || etag;
      }
    } catch (error) {
      // Offline for a moment: the next poll asks again.
    }
    if (news !== null) swapIn(news);
    timer = setTimeout(poll, POLL_EVERY_MS);
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && cameDueWhileHidden) {
      cameDueWhileHidden = false;
      clearTimeout(timer);
      poll();
    }
  });
  // Pages opened in the same second must not poll in step: the first poll comes after a random half
  // to whole period, the next ones a period apart, so each page keeps its own phase.
  timer = setTimeout(poll, POLL_EVERY_MS * (0.5 + Math.random() / 2));
}

async function fetchFragment(address) {
  const answer = await fetch(address, { headers: { "HX-Request": "true" }, cache: "no-store" });
  return answer.ok && !answer.redirected ? answer.text() : null;
}

// Back to a tab that slept, or to a page from the back/forward cache: the clock catches up at once.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") tick();
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) tick();
});
// A panel swapped in after an action (confirm, reschedule…) may hold a fragment to bring to the clock.
document.addEventListener("htmx:load", (event) => {
  if (event.detail.elt !== document.body) tick();
});

document.addEventListener("DOMContentLoaded", () => {
  pageNow();
  setUpAutoJoin();
  tick();
  startLivePoll();
});
