// The attribution page's keys: 1-9 pick a speaker, N types a new name, S skips; Enter never submits
// while the IME converts. A static file, so the page's Content-Security-Policy allows it without a nonce.
(function () {
  const form = document.getElementById("attribution-form");
  const name = document.getElementById("new-name");
  if (!form) return;  // no line is waiting
  form.addEventListener("keydown", (e) => {
    // Enter confirming an IME conversion in the name field must not submit the form.
    if (e.key !== "Enter") return;
    if (e.isComposing || e.keyCode === 229) { e.preventDefault(); return; }
    if (e.target === name) { e.preventDefault(); document.getElementById("assign-new").click(); }
  });
  document.addEventListener("keydown", (e) => {
    if (e.isComposing || e.keyCode === 229 || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA") return;
    const button = form.querySelector(`button[data-key="${e.key}"]`);
    if (button) { e.preventDefault(); button.click(); }
    else if (e.key === "s") { e.preventDefault(); document.getElementById("skip-line").click(); }
    else if (e.key === "n") { e.preventDefault(); name.focus(); }
  });
})();
