// FieldKit's small enhancements. Every page works without this file; it only adds comfort:
// language picker submits on change, device location, file size check before upload,
// and drafts kept in the browser until the server has saved the form.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function onReady(root) {
    root.querySelectorAll("select.autosubmit").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
    root.querySelectorAll("button.locate").forEach(setUpLocate);
    root.querySelectorAll("input[type=file][data-max-bytes]").forEach(setUpSizeCheck);
    root.querySelectorAll("form.draft[data-draft-key]").forEach(setUpDraft);
  }

  function setUpLocate(button) {
    if (!("geolocation" in navigator)) { button.hidden = true; return; }
    var status = document.getElementById(button.dataset.statusId);
    button.addEventListener("click", function () {
      status.textContent = status.dataset.busy;
      navigator.geolocation.getCurrentPosition(function (position) {
        var form = button.form;
        form.elements.lat.value = position.coords.latitude.toFixed(6);
        form.elements.lon.value = position.coords.longitude.toFixed(6);
        form.elements.gps_accuracy.value = Math.round(position.coords.accuracy);
        status.textContent = "";
      }, function () { status.textContent = status.dataset.failed; },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
  }

  function setUpSizeCheck(input) {
    var limit = parseInt(input.dataset.maxBytes, 10);
    input.addEventListener("change", function () {
      var tooBig = Array.prototype.some.call(input.files, function (f) { return f.size > limit; });
      input.setCustomValidity(tooBig ? input.dataset.tooLarge : "");
      if (tooBig) { input.reportValidity(); }
    });
  }

  var DRAFT_PREFIX = "fieldkit-draft:";

  function setUpDraft(form) {
    var key = DRAFT_PREFIX + form.dataset.draftKey;
    var cleared = sessionStorage.getItem("fieldkit-saved");
    if (cleared === key && !form.querySelector("[aria-invalid=true]")) {
      localStorage.removeItem(key);
    }
    sessionStorage.removeItem("fieldkit-saved");
    var saved = localStorage.getItem(key);
    if (saved && !form.querySelector("[aria-invalid=true]")) {
      try {
        var values = JSON.parse(saved);
        Object.keys(values).forEach(function (name) {
          var field = form.elements[name];
          if (field && field.type !== "hidden" && field.type !== "file" && !field.value) {
            field.value = values[name];
          }
        });
      } catch (e) { localStorage.removeItem(key); }
    }
    form.addEventListener("input", function () {
      var values = {};
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.type !== "hidden" && field.type !== "file" &&
            field.type !== "radio" && field.type !== "checkbox" && field.value) {
          values[field.name] = field.value;
        }
      });
      localStorage.setItem(key, JSON.stringify(values));
    });
    form.addEventListener("submit", function () { sessionStorage.setItem("fieldkit-saved", key); });
  }

  document.addEventListener("DOMContentLoaded", function () { onReady(document); });
  document.addEventListener("htmx:load", function (event) {
    if (event.target !== document.body) { onReady(event.target); }
  });
})();

// --- Meetings (minutes printing, validation fragments) -----------------------------------
// Meeting notes are autosaved by htmx attributes in the page itself (hx-post on input), so a
// server-side draft survives a crash; this section only adds the print button and lets htmx
// swap 422 fragments, which carry messages beside fields.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.print-page");
    if (button) { window.print(); }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
