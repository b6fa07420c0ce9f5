// Upload with a live progress bar (XHR upload events), then show the import's result or its error.
// Without JavaScript the form posts normally and the server renders the same outcome.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }

  ready(function () {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var box = document.getElementById("upload-progress");
    var bar = box.querySelector(".progress > div");
    var status = document.getElementById("upload-status");
    var errorBox = document.getElementById("upload-error");
    var resultBox = document.getElementById("upload-result");
    var button = form.querySelector("button[type=submit]");

    function showError(message) {
      errorBox.textContent = message;
      errorBox.hidden = false;
      box.hidden = true;
      button.disabled = false;
    }

    function showResult(data) {
      box.hidden = true;
      button.disabled = false;
      var speakers = Object.keys(data.speakers).slice(0, 10).map(function (name) {
        return name + " " + data.speakers[name];
      }).join("、");
      resultBox.innerHTML = "";
      var p = document.createElement("p");
      p.textContent = "Imported 「" + data.title + "」 (" + data.format + ", " + data.encoding + "): " +
        data.conversations + " conversations, " + data.lines + " lines, " +
        data.unknown_speaker_lines + " with an unknown speaker.";
      var s = document.createElement("p");
      s.className = "muted";
      s.textContent = speakers ? "Speakers: " + speakers : "";
      var a = document.createElement("a");
      a.href = data.url;
      a.textContent = "Open the conversations →";
      resultBox.append(p, s, a);
      resultBox.hidden = false;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errorBox.hidden = true;
      resultBox.hidden = true;
      box.hidden = false;
      bar.style.width = "0%";
      status.textContent = "Uploading…";
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      // The server streams NDJSON: {"progress", "total"} lines while it imports, then the outcome.
      xhr.setRequestHeader("Accept", "application/x-ndjson");
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.style.width = pct + "%";
        status.textContent = "Uploading… " + pct + "% (" + Math.round(e.loaded / 1024) + " / " + Math.round(e.total / 1024) + " KB)";
      });
      xhr.upload.addEventListener("load", function () {
        bar.style.width = "0%";
        status.textContent = "Uploaded. Reading and importing the dialogue…";
      });
      function messages() {
        return xhr.responseText.split("\n").filter(function (line) { return line.trim(); }).map(function (line) {
          try { return JSON.parse(line); } catch (e) { return null; }  // a line still arriving
        }).filter(Boolean);
      }
      xhr.addEventListener("progress", function () {
        var last = messages().filter(function (m) { return "progress" in m; }).pop();
        if (!last || !last.total) return;
        var pct = Math.min(100, Math.round((last.progress / last.total) * 100));
        bar.style.width = pct + "%";
        status.textContent = "Importing… " + pct + "% of the file read";
      });
      xhr.addEventListener("load", function () {
        var outcome = messages().filter(function (m) { return "ok" in m; }).pop();
        if (outcome && outcome.ok) showResult(outcome);
        else showError(outcome && outcome.error ? "Import failed: " + outcome.error : "Import failed (HTTP " + xhr.status + ").");
      });
      xhr.addEventListener("error", function () { showError("The upload was interrupted: nothing was imported."); });
      xhr.send(new FormData(form));
    });
  });
})();
