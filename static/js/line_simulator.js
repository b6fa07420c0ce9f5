// LINE simulator: send messages as a LINE user, poll the chat for the bot's answers.
(function () {
  "use strict";
  const root = document.getElementById("line-sim");
  if (!root) return;
  const chat = document.getElementById("line-chat");
  const form = document.getElementById("line-form");
  const input = document.getElementById("line-text");
  const typing = document.getElementById("line-typing");
  const errorBox = document.getElementById("line-error");
  const inGroup = document.getElementById("line-in-group");
  const remaining = document.getElementById("line-remaining");
  const csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
  // Django's JavaScript catalogue (/jsi18n/, loaded before this script): the page's language.
  const gettext = window.gettext || ((s) => s);
  let lastId = 0;
  let timer = null;

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  function bubble(m) {
    const div = document.createElement("div");
    div.className = "bubble " + m.direction + (m.status === "failed" || m.status === "send_failed" ? " failed" : "");
    div.textContent = m.text || (m.kind === "non_text" ? gettext("(sticker or image)") : "");
    const meta = document.createElement("span");
    meta.className = "meta";
    const bits = [m.kind, m.status_label];
    if (m.delivery) bits.push(m.delivery === "reply" ? gettext("reply token (free)") : gettext("push (counted)"));
    if (m.seconds) bits.push(m.seconds.toFixed(1) + " s");
    if (m.error) bits.push(m.error);
    meta.textContent = bits.join(" · ");
    div.appendChild(meta);
    return div;
  }

  async function poll() {
    const url = root.dataset.messagesUrl + "?after=" + lastId + (inGroup.checked ? "&in_group=1" : "");
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const data = await response.json();
      let maxId = lastId;
      let firstPending = null;
      for (const m of data.messages) {
        const existing = document.getElementById("m" + m.id);
        const node = bubble(m);
        node.id = "m" + m.id;
        if (existing) existing.replaceWith(node); else chat.appendChild(node);
        maxId = Math.max(maxId, m.id);
        if (["queued", "generating", "pending"].includes(m.status) && firstPending === null) firstPending = m.id;
      }
      // Keep re-reading from the first message still on its way, so its status updates in place.
      lastId = firstPending !== null ? firstPending - 1 : maxId;
      if (data.messages.length) chat.scrollTop = chat.scrollHeight;
      typing.textContent = data.pending ? gettext("Marisa is thinking…") : "";
      remaining.textContent = data.remaining;
    } catch (err) {
      typing.textContent = "";
    }
    timer = setTimeout(poll, 1000);
  }

  async function send(payload) {
    showError("");
    payload.in_group = inGroup.checked;
    const response = await fetch(root.dataset.sendUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(payload),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok || data.status !== 200) {
      showError(data.error || (gettext("webhook answered") + " " + data.status + ": " + (data.webhook_answer || "")));
    }
    clearTimeout(timer);
    poll();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    send({ kind: "text", text: text });
  });
  input.addEventListener("keydown", (event) => {
    // Enter confirming an IME conversion must not send (event.isComposing / keyCode 229).
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    form.requestSubmit();
  });
  root.querySelectorAll("button[data-kind]").forEach((b) =>
    b.addEventListener("click", () => send({ kind: b.dataset.kind })));
  root.querySelectorAll("button[data-text]").forEach((b) =>
    b.addEventListener("click", () => send({ kind: "text", text: b.dataset.text })));
  inGroup.addEventListener("change", () => { chat.textContent = ""; lastId = 0; clearTimeout(timer); poll(); });
  poll();
})();
