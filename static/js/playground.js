// Playground: Enter sends, Shift+Enter is a new line, and Enter that confirms an IME conversion never sends.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("playground-form");
    if (!form) return;
    var box = form.querySelector("textarea[name=message]");
    var errors = document.getElementById("playground-errors");

    box.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      if (box.value.trim()) form.requestSubmit();
    });

    // A refused message (400) shows its reason above the box; the message stays for the user to fix.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.xhr.status === 400) {
        event.detail.shouldSwap = true;
        event.detail.target = errors;
        event.detail.swapOverride = "innerHTML";
      }
    });
    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt !== form || !event.detail.successful) return;
      errors.innerHTML = "";
      box.value = "";
      box.focus();
    });
  });
})();
