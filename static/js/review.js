// The review queue page: claim, edit in place with a live character diff, decide by keyboard,
// undo, lease heartbeat, and conflicts shown instead of overwriting. Talks to /api/review/.
(function () {
  "use strict";
  const root = document.getElementById("review");
  if (!root) return;
  const API = root.dataset.api;
  const CSRF = root.dataset.csrf;
  const LEASE = parseInt(root.dataset.leaseSeconds || "600", 10);
  const $ = (id) => document.getElementById(id);
  // Django's JavaScript catalogue (/jsi18n/) and lease_queue.js are loaded before this script.
  const { gettext, fmt, flash, el, renderContext, composing } = window.LeaseQueue;
  const api = window.LeaseQueue.client(API, CSRF);
  const ACTIONS = {
    accept: gettext("accept"), edit: gettext("edit"), reject: gettext("reject"),
    skip: gettext("skip"), undo: gettext("undo"),
  };
  const STATUSES = {
    pending: gettext("pending"), accepted: gettext("accepted"), edited: gettext("accepted with edits"),
    rejected: gettext("rejected"), skipped: gettext("skipped"),
  };
  const editor = $("editor");
  let item = null; // the claimed item as the API returned it
  let busy = false;
  const leaseClock = window.LeaseQueue.lease(LEASE, () => item, api, (data) => showConflict(data));

  // ---- the diff: character-level LCS, small and ours (replies are short) ----
  function diffChars(a, b) {
    const A = Array.from(a), B = Array.from(b); // code points, so surrogate pairs stay whole
    let start = 0;
    while (start < A.length && start < B.length && A[start] === B[start]) start++;
    let endA = A.length, endB = B.length;
    while (endA > start && endB > start && A[endA - 1] === B[endB - 1]) { endA--; endB--; }
    const ops = [];
    if (start > 0) ops.push(["=", A.slice(0, start).join("")]);
    const midA = A.slice(start, endA), midB = B.slice(start, endB);
    if (midA.length * midB.length > 4000000) {
      if (midA.length) ops.push(["-", midA.join("")]);
      if (midB.length) ops.push(["+", midB.join("")]);
    } else {
      ops.push(...lcsOps(midA, midB));
    }
    if (endA < A.length) ops.push(["=", A.slice(endA).join("")]);
    return merge(ops);
  }
  function lcsOps(A, B) {
    const n = A.length, m = B.length;
    const L = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        L[i][j] = A[i] === B[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    const ops = [];
    let i = 0, j = 0;
    while (i < n && j < m) {
      if (A[i] === B[j]) { ops.push(["=", A[i]]); i++; j++; }
      else if (L[i + 1][j] >= L[i][j + 1]) { ops.push(["-", A[i]]); i++; }
      else { ops.push(["+", B[j]]); j++; }
    }
    while (i < n) ops.push(["-", A[i++]]);
    while (j < m) ops.push(["+", B[j++]]);
    return ops;
  }
  function merge(ops) {
    const out = [];
    for (const [op, s] of ops) {
      if (out.length && out[out.length - 1][0] === op) out[out.length - 1][1] += s;
      else out.push([op, s]);
    }
    return out;
  }
  window.marisaDiff = diffChars; // exposed for tests and the console

  function renderDiff() {
    if (!item) return;
    const box = $("diff");
    box.textContent = "";
    const changed = editor.value !== item.text;
    box.classList.toggle("unchanged", !changed);
    if (!changed) { box.textContent = gettext("(no changes)"); }
    else {
      for (const [op, s] of diffChars(item.text, editor.value)) {
        const el = document.createElement(op === "=" ? "span" : op === "+" ? "ins" : "del");
        if (op === "=") el.className = "same";
        el.textContent = s;
        box.appendChild(el);
      }
    }
    $("accept-btn").firstChild.textContent = (changed ? gettext("Accept with edits") : gettext("Accept")) + " ";
    $("accept-btn").dataset.mode = changed ? "edit" : "accept";
    const markers = $("markers");
    markers.textContent = "";
    for (const m of item.style_markers || []) {
      const chip = document.createElement("span");
      chip.textContent = m;
      if (editor.value.includes(m)) chip.className = "on";
      markers.appendChild(chip);
    }
  }

  // ---- talking to the API ----
  function show(data) {
    item = data;
    $("conflict").hidden = true;
    $("empty").hidden = true;
    $("start").hidden = true;
    $("item").hidden = false;
    $("item-id").textContent = data.id;
    $("item-model").textContent = data.model;
    $("item-set").textContent = data.question_set;
    $("item-version").textContent = data.version;
    $("question").textContent = data.question;
    $("prompt-name").textContent = data.prompt_name;
    renderContext($("context"), data.context);
    $("guidelines").textContent = data.guidelines;
    const ml = $("marker-list");
    ml.textContent = "";
    for (const m of data.style_markers || []) ml.appendChild(el("span", m));
    const sib = $("siblings");
    sib.textContent = "";
    for (const c of data.candidates || []) {
      const li = el("li", undefined, c.current ? "current" : "");
      li.appendChild(el("span", c.final_text || c.text));
      li.appendChild(el("span", ` (${c.model}, ${STATUSES[c.status] || c.status})`, "muted"));
      sib.appendChild(li);
    }
    renderHistory(data.history || []);
    editor.value = data.draft;
    $("reason").value = "";
    renderDiff();
    leaseClock.start(data.lease_seconds_left || LEASE);
    editor.focus();
    editor.setSelectionRange(editor.value.length, editor.value.length);
  }

  function renderHistory(history) {
    const list = $("history");
    list.textContent = "";
    if (!history.length) list.appendChild(el("li", gettext("no actions yet"), "muted"));
    for (const h of history) {
      const li = el("li", undefined, h.undone ? "undone" : "");
      li.appendChild(el("b", ACTIONS[h.action] || h.action));
      li.appendChild(el("span", " " + fmt(gettext("by %(user)s"), { user: h.user }) + " "));
      li.appendChild(el("span", h.at_label || h.at, "muted"));  // the server's zone, labelled
      if (h.text_after) li.appendChild(el("div", "→ " + h.text_after));
      if (h.reason) li.appendChild(el("div", h.reason, "muted"));
      list.appendChild(li);
    }
  }

  async function refreshProgress() {
    const res = await api("progress/", "GET");
    if (res.status === 200) {
      $("decided-today").textContent = res.data.decided_today;
      $("remaining").textContent = res.data.remaining;
      $("undo-btn").disabled = !res.data.can_undo;
    }
  }

  // ---- the lease: renewed while the page is open ----

  // ---- actions ----
  async function next() {
    if (busy) return;
    busy = true;
    try {
      const res = await api("claim/");
      if (res.status === 204) {
        item = null; leaseClock.stop();
        $("item").hidden = true; $("start").hidden = true; $("empty").hidden = false;
      } else if (res.status === 200) show(res.data);
      else flash(fmt(gettext("could not claim: %(detail)s"), { detail: (res.data && res.data.detail) || res.status }), true);
    } finally { busy = false; }
    refreshProgress();
  }

  function showConflict(data) {
    $("conflict").hidden = false;
    $("conflict-detail").textContent = (data && data.detail) || gettext("the item changed");
    $("conflict-text").textContent = data && data.current_text !== undefined ? data.current_text : "";
    if (data && data.history) renderHistory(data.history);
  }

  async function submit(action) {
    if (!item || busy) return;
    busy = true;
    const sent = item;
    const body = { action, version: sent.version, text: editor.value, reason: $("reason").value };
    if (action === "accept" && editor.value !== sent.text) body.action = "edit";
    let res;
    try { res = await api(`${sent.id}/submit/`, "POST", body); } finally { busy = false; }
    if (res.status === 200) {
      const done = res.data.status === "pending" ? STATUSES.skipped : STATUSES[res.data.status] || res.data.status;
      flash(fmt(gettext("#%(id)s %(status)s. (Ctrl+Z outside the editor undoes it)"), { id: sent.id, status: done }));
      item = null; leaseClock.stop();
      await next();
    } else if (res.status === 409) {
      leaseClock.stop();
      showConflict(res.data);
    } else {
      flash((res.data && res.data.detail) || fmt(gettext("error %(status)s"), { status: res.status }), true);
    }
  }

  async function undo() {
    if (busy) return;
    busy = true;
    let res;
    try { res = await api("undo/"); } finally { busy = false; }
    if (res.status === 200) { show(res.data); flash(fmt(gettext("undone: #%(id)s is back with your text"), { id: res.data.id })); }
    else flash((res.data && res.data.detail) || fmt(gettext("cannot undo (%(status)s)"), { status: res.status }), true);
    refreshProgress();
  }

  // ---- keyboard: IME-safe; combos anywhere, plain keys only outside text fields ----
  function inField(e) { return e.target === editor || e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA"; }
  document.addEventListener("keydown", (e) => {
    if (composing(e)) return; // Enter here confirms a conversion, never a submit
    const key = e.key.toLowerCase();
    if (e.key === "Enter" && e.target === editor) {
      e.preventDefault(); // a reply is one line: Enter never inserts a line break
      if (!e.shiftKey && !e.altKey) submit("accept");
      return;
    }
    if (e.key === "Enter" && e.ctrlKey) { e.preventDefault(); submit("accept"); return; }
    if (e.key === "Enter" && e.target.id === "reason") { e.preventDefault(); submit("reject"); return; }
    if (e.altKey && !e.ctrlKey && !e.metaKey) {
      const code = e.code;
      if (code === "KeyR") { e.preventDefault(); submit("reject"); }
      else if (code === "KeyS") { e.preventDefault(); submit("skip"); }
      else if (code === "KeyN") { e.preventDefault(); if (!item) next(); }
      else if (code === "KeyZ") { e.preventDefault(); undo(); }
      return;
    }
    if (e.key === "Escape" && inField(e)) { e.target.blur(); return; }
    if (inField(e)) return; // plain keys type text inside fields (Ctrl+Z there is the field's own undo)
    if ((e.ctrlKey || e.metaKey) && key === "z") { e.preventDefault(); undo(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (key === "a") { e.preventDefault(); submit("accept"); }
    else if (key === "r") { e.preventDefault(); submit("reject"); }
    else if (key === "s") { e.preventDefault(); submit("skip"); }
    else if (key === "n") { e.preventDefault(); if (!item) next(); }
    else if (key === "e") { e.preventDefault(); editor.focus(); }
  });

  editor.addEventListener("input", renderDiff);
  $("next-btn").addEventListener("click", next);
  $("conflict-next").addEventListener("click", () => { item = null; next(); });
  $("accept-btn").addEventListener("click", () => submit("accept"));
  $("reject-btn").addEventListener("click", () => submit("reject"));
  $("skip-btn").addEventListener("click", () => submit("skip"));
  $("reset-btn").addEventListener("click", () => { if (item) { editor.value = item.text; renderDiff(); editor.focus(); } });
  $("undo-btn").addEventListener("click", undo);
  // Closing the page gives the item back at once instead of after the lease runs out.
  window.addEventListener("pagehide", () => {
    if (!item) return;
    fetch(`${API}${item.id}/release/`, {
      method: "POST", keepalive: true, credentials: "same-origin", headers: { "X-CSRFToken": CSRF },
    });
  });
  refreshProgress();
  next();
})();
