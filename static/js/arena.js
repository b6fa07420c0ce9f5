// The blind A/B arena page: claim a match, vote by keyboard or click, lease heartbeat, conflicts shown.
// Talks to /api/arena/. The versions are never sent to the page, so nothing here can show them.
(function () {
  "use strict";
  const root = document.getElementById("arena");
  if (!root) return;
  const API = root.dataset.api;
  const CSRF = root.dataset.csrf;
  const LEASE = parseInt(root.dataset.leaseSeconds || "600", 10);
  const $ = (id) => document.getElementById(id);
  const note = $("note");
  let match = null; // the claimed match as the API returned it
  let busy = false;
  // Django's JavaScript catalogue (/jsi18n/) and lease_queue.js are loaded before this script.
  const { gettext, fmt, flash, el, renderContext, composing } = window.LeaseQueue;
  const api = window.LeaseQueue.client(API, CSRF);
  const leaseClock = window.LeaseQueue.lease(LEASE, () => match, api, (data) => showConflict(data));
  const LABELS = { a: gettext("A is better"), b: gettext("B is better"), tie: gettext("tie"), both_bad: gettext("both bad") };

  function show(data) {
    match = data;
    $("conflict").hidden = true;
    $("empty").hidden = true;
    $("start").hidden = true;
    $("match").hidden = false;
    $("match-id").textContent = data.id;
    $("match-source").textContent = data.source;
    $("question").textContent = data.question;
    $("reply-a").textContent = data.reply_a;
    $("reply-b").textContent = data.reply_b;
    $("guidelines").textContent = data.guidelines;
    for (const name of document.querySelectorAll(".prompt-name")) name.textContent = data.prompt_name;
    renderContext($("context"), data.context);
    note.value = "";
    leaseClock.start(data.lease_seconds_left || LEASE);
  }

  function showEmpty() {
    match = null; leaseClock.stop();
    $("match").hidden = true; $("start").hidden = true; $("empty").hidden = false;
  }

  async function refreshProgress() {
    const res = await api("progress/", "GET");
    if (res.status === 200) {
      $("voted-today").textContent = res.data.voted_today;
      $("remaining").textContent = res.data.remaining;
    }
  }

  // ---- the lease: renewed while the page is open ----

  function showConflict(data) {
    $("conflict").hidden = false;
    $("conflict-detail").textContent = (data && data.detail) || gettext("the match changed");
  }

  // ---- actions ----
  async function next() {
    if (busy) return;
    busy = true;
    try {
      const res = await api("claim/");
      if (res.status === 204) showEmpty();
      else if (res.status === 200) show(res.data);
      else flash(fmt(gettext("could not claim: %(detail)s"), { detail: (res.data && res.data.detail) || res.status }), true);
    } finally { busy = false; }
    refreshProgress();
  }

  async function vote(outcome) {
    if (!match || busy) return;
    busy = true;
    const sent = match;
    let res;
    try { res = await api(`${sent.id}/vote/`, "POST", { outcome, note: note.value }); } finally { busy = false; }
    if (res.status === 200) {
      flash(fmt(gettext("match #%(id)s: %(outcome)s."), { id: sent.id, outcome: LABELS[outcome] }));
      match = null; leaseClock.stop();
      await next();
    } else if (res.status === 409) {
      leaseClock.stop(); showConflict(res.data);
    } else {
      flash((res.data && res.data.detail) || fmt(gettext("error %(status)s"), { status: res.status }), true);
    }
  }

  // ---- keyboard: IME-safe; Alt combos anywhere, plain keys only outside the note ----
  const BY_KEY = { a: "a", "1": "a", b: "b", "2": "b", t: "tie", "3": "tie", x: "both_bad", "4": "both_bad" };
  const BY_CODE = {
    KeyA: "a", Digit1: "a", KeyB: "b", Digit2: "b", KeyT: "tie", Digit3: "tie", KeyX: "both_bad", Digit4: "both_bad",
  };
  function inField(e) { return e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA"; }
  document.addEventListener("keydown", (e) => {
    if (composing(e)) return; // a key here belongs to the IME's conversion, never to a vote
    if (e.altKey && !e.ctrlKey && !e.metaKey && BY_CODE[e.code]) { e.preventDefault(); vote(BY_CODE[e.code]); return; }
    if (inField(e)) {
      if (e.key === "Enter" || e.key === "Escape") { e.preventDefault(); e.target.blur(); }
      return; // plain keys type the note
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const key = e.key.toLowerCase();
    if (BY_KEY[key]) { e.preventDefault(); vote(BY_KEY[key]); }
    else if (key === "w") { e.preventDefault(); if (match) note.focus(); }
    else if (key === "n") { e.preventDefault(); if (!match) next(); }
  });

  for (const button of document.querySelectorAll("[data-outcome]")) {
    button.addEventListener("click", () => vote(button.dataset.outcome));
  }
  $("next-btn").addEventListener("click", next);
  $("conflict-next").addEventListener("click", () => { match = null; next(); });
  // Closing the page gives the match back at once instead of after the lease runs out.
  window.addEventListener("pagehide", () => {
    if (!match) return;
    fetch(`${API}${match.id}/release/`, {
      method: "POST", keepalive: true, credentials: "same-origin", headers: { "X-CSRFToken": CSRF },
    });
  });
  refreshProgress();
  next();
})();
