// Upload with a live progress bar (XHR upload events), then show the import's result or its error.
// Without JavaScript the form posts normally and the server renders the same outcome.
(function () {
  "use strict";
  // Django's JavaScript catalogue (/jsi18n/, loaded before this script): the page's language.
  var gettext = window.gettext || function (s) { return s; };
  function fmt(s, values) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return String(values[k]); }); }
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
      p.textContent = fmt(gettext("Imported 「%(title)s」 (%(format)s, %(encoding)s): %(conversations)s conversations, %(lines)s lines, %(unknown)s with an unknown speaker."), {
        title: data.title, format: data.format, encoding: data.encoding,
        conversations: data.conversations, lines: data.lines, unknown: data.unknown_speaker_lines,
      });
      var s = document.createElement("p");
      s.className = "muted";
      s.textContent = speakers ? gettext("Speakers:") + " " + speakers : "";
      var a = document.createElement("a");
      a.href = data.url;
      a.textContent = gettext("Open the conversations →");
      resultBox.append(p, s, a);
      resultBox.hidden = false;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errorBox.hidden = true;
      resultBox.hidden = true;
      box.hidden = false;
      bar.style.width = "0%";
      status.textContent = gettext("Uploading…");
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      // The server streams NDJSON: {"progress", "total"} lines while it imports, then the outcome.
      xhr.setRequestHeader("Accept", "application/x-ndjson");
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.style.width = pct + "%";
        status.textContent = fmt(gettext("Uploading… %(pct)s (%(done)s / %(total)s KB)"), {
          pct: pct + "%", done: Math.round(e.loaded / 1024), total: Math.round(e.total / 1024),
        });
      });
      xhr.upload.addEventListener("load", function () {
        bar.style.width = "0%";
        status.textContent = gettext("Uploaded. Reading and importing the dialogue…");
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
        status.textContent = fmt(gettext("Importing… %(pct)s of the file read"), { pct: pct + "%" });
      });
      xhr.addEventListener("load", function () {
        var outcome = messages().filter(function (m) { return "ok" in m; }).pop();
        if (outcome && outcome.ok) showResult(outcome);
        else if (outcome && outcome.error) showError(gettext("Import failed:") + " " + outcome.error);
        else showError(fmt(gettext("Import failed (HTTP %(status)s)."), { status: xhr.status }));
      });
      xhr.addEventListener("error", function () { showError(gettext("The upload was interrupted: nothing was imported.")); });
      xhr.send(new FormData(form));
    });
  });
})();
