// What the review queue and the arena share: the JSON API call, the flash line, element building, the
// context lines, the lease heartbeat and the IME test. Loaded (deferred) before review.js and arena.js.
(function () {
  "use strict";
  const gettext = window.gettext || ((s) => s);
  const fmt = (s, values) => s.replace(/%\((\w+)\)s/g, (_, k) => String(values[k]));
  const $ = (id) => document.getElementById(id);

  function client(api, csrf) {
    return async function (path, method, body) {
      const res = await fetch(api + path, {
        method: method || "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      });
      let data = null;
      if (res.status !== 204) { try { data = await res.json(); } catch (e) { data = null; } }
      return { status: res.status, data };
    };
  }

  function flash(text, isError) {
    const box = $("flash");
    box.textContent = text;
    box.className = "flash" + (isError ? " error" : "");
    box.hidden = false;
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function renderContext(box, context) {
    box.textContent = "";
    for (const turn of context || []) {
      const line = el("div", undefined, "line");
      line.appendChild(el("span", turn.speaker + ": ", "speaker"));
      line.appendChild(el("span", turn.text));
      box.appendChild(line);
    }
  }

  // The lease of the claimed item: renewed every third of the lease (2-60 s), its time left shown in #lease.
  // `current()` is the claimed item (or null), `api` the page's client, `onConflict` what a 409 on renew shows.
  function lease(leaseSeconds, current, api, onConflict) {
    let heartbeat = null;
    let ends = 0;
    function tick() {
      if (!current() || !heartbeat) return;
      const left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
      $("lease").textContent = fmt(gettext("lease %(time)s"), { time: clock });
    }
    function stop() { if (heartbeat) clearInterval(heartbeat); heartbeat = null; $("lease").textContent = ""; }
    async function renew() {
      const held = current();
      if (!held) return;
      const res = await api(`${held.id}/renew/`);
      if (res.status === 200) ends = Date.parse(res.data.lease_expires_at);
      else if (res.status === 409) { stop(); onConflict(res.data); }
    }
    function start(secondsLeft) {
      stop();
      ends = Date.now() + secondsLeft * 1000;
      heartbeat = setInterval(renew, Math.max(2, Math.min(60, Math.floor(leaseSeconds / 3))) * 1000);
      tick();
    }
    setInterval(tick, 1000);
    return { start, stop };
  }

  function composing(e) { return e.isComposing || e.keyCode === 229; }

  window.LeaseQueue = { gettext, fmt, client, flash, el, renderContext, lease, composing };
})();
