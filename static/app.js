// FieldKit's small enhancements. Every page works without this file; it only adds comfort:
// language picker submits on change, device location, file size check before upload,
// and drafts kept in the browser until the server has saved the form.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Translate in context: a marked text opens its entry instead of doing what its link or button does.
  // (Without this file, the page's list of texts links to the same entries.) A <summary> keeps opening
  // what it folds (the phone's menu), and the switch keeps switching: their texts are in the list.
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var marked = target && target.closest(".i18n-mark[data-translate]");
    if (!marked || marked.closest("summary, .translate-switch, .translate-panel")) { return; }
    event.preventDefault();
    event.stopPropagation();
    window.location.assign(marked.dataset.translate);
  }, true);

  function onReady(root) {
    root.querySelectorAll("select.autosubmit").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
    root.querySelectorAll("button.locate").forEach(setUpLocate);
    root.querySelectorAll("input[type=file][data-max-bytes]").forEach(setUpSizeCheck);
    root.querySelectorAll("form.draft[data-draft-key]").forEach(setUpDraft);
  }

  // Sentences for scripts, translated by the page (base.html's #script-text).
  function scriptText(name, values) {
    var box = document.getElementById("script-text");
    var text = (box && box.dataset[name]) || "";
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }

  function setUpLocate(button) {
    if (!("geolocation" in navigator)) { button.hidden = true; return; }
    var status = document.getElementById(button.dataset.statusId);
    button.addEventListener("click", function () {
      if (window.isSecureContext === false) {  // browsers refuse location over plain http
        status.textContent = scriptText("gpsInsecure") || status.dataset.failed;
        return;
      }
      status.textContent = status.dataset.busy;
      navigator.geolocation.getCurrentPosition(function (position) {
        var form = button.form;
        var metres = Math.round(position.coords.accuracy);
        form.elements.lat.value = position.coords.latitude.toFixed(6);
        form.elements.lon.value = position.coords.longitude.toFixed(6);
        form.elements.gps_accuracy.value = metres;
        form.elements.gps_accuracy.dispatchEvent(new Event("input", { bubbles: true }));
        status.textContent = scriptText("gpsFound", { metres: metres.toLocaleString(document.documentElement.lang || undefined) });
      }, function (error) {
        var name = { 1: "gpsDenied", 2: "gpsUnavailable", 3: "gpsTimeout" }[error.code];
        status.textContent = (name && scriptText(name)) || status.dataset.failed;
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
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

// --- Hub: drafts kept on the phone until the hub confirms the save ----------------------------
// A plain POST form carrying a one-time form_token is sent with fetch instead of a page load.
// If the hub cannot be reached, the page stays as it is, says "not saved yet", keeps the typed
// text (also in localStorage, so a reload keeps it) and sends the same form again, with the same
// form_token, until the hub answers: the server turns a repeated token into the first result,
// so the record is saved exactly once. Forms driven by hx-post/hx-put are left to htmx.
(function () {
  "use strict";
  var PENDING_PREFIX = "fieldkit-pending:";
  var DRAFT_PREFIX = "fieldkit-draft:";
  var retryTimer = null;
  var inFlight = false;

  function statusBox() { return document.getElementById("save-status"); }

  function showStatus(kind) {
    var box = statusBox();
    if (!box) { return; }
    if (!kind) { box.hidden = true; box.textContent = ""; return; }
    box.textContent = box.dataset[kind] || "";
    box.dataset.state = kind;
    box.hidden = false;
  }

  function handled(form) {
    return form && form.method && form.method.toLowerCase() === "post" &&
      form.querySelector("input[name=form_token]") &&
      !form.hasAttribute("hx-post") && !form.hasAttribute("hx-put") && !form.hasAttribute("hx-patch");
  }

  function keyOf(form) {
    var action = new URL(form.getAttribute("action") || location.pathname, location.href);
    return PENDING_PREFIX + (form.dataset.draftKey || action.pathname);
  }

  function valuesOf(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "file" || field.type === "submit" || field.type === "button") { return; }
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) { return; }
      values[field.name] = field.value;
    });
    return values;
  }

  function remember(form) {
    var action = new URL(form.getAttribute("action") || location.pathname, location.href).pathname;
    localStorage.setItem(keyOf(form), JSON.stringify({ action: action, values: valuesOf(form) }));
  }

  function forget(form) {
    localStorage.removeItem(keyOf(form));
    if (form.dataset.draftKey) { localStorage.removeItem(DRAFT_PREFIX + form.dataset.draftKey); }
    var photos = window.FieldKitPhotos;  // static/photos.js: photos kept until the hub confirms
    return Promise.resolve(photos ? photos.forget(photos.key(form)) : null);
  }

  function keepPhotos(form) {
    var photos = window.FieldKitPhotos;
    var files = [];
    form.querySelectorAll("input[type=file][name=files]").forEach(function (input) {
      files = files.concat(Array.prototype.slice.call(input.files));
    });
    var box = document.getElementById("script-text");
    if (!photos || !files.length || !box || !box.dataset.phone) { return Promise.resolve(); }  // phones only
    return photos.keep(photos.key(form), files).catch(function () {});
  }

  function outboxDone(form) {
    var token = form.elements.form_token && form.elements.form_token.value;
    return window.FieldKitOutbox && token ? window.FieldKitOutbox.done(token) : Promise.resolve();
  }

  function scheduleRetry(form, delay) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { send(form, delay); }, delay);
  }

  function send(form, delay) {
    if (inFlight) { return; }
    inFlight = true;
    remember(form);
    showStatus(statusBox() && statusBox().dataset.state === "unsaved" ? "unsaved" : "saving");
    var body = new FormData(form);
    var submitter = form.fieldkitSubmitter;
    if (submitter && submitter.name) { body.append(submitter.name, submitter.value); }
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                         headers: { "X-FieldKit-Draft": "1" } })
      .then(function (response) {
        inFlight = false;
        if (response.redirected && response.ok) {
          showStatus(null);
          return Promise.all([forget(form), outboxDone(form)]).then(function () { location.assign(response.url); });
        }
        if (response.status === 401) {
          // The phone must (re)enter the PIN: the draft stays until the form is sent again.
          location.assign("/hub/join?next=" + encodeURIComponent(location.pathname));
          return null;
        }
        // Any other answer (422 with messages beside the fields, 403 hub off ...): the hub is
        // reachable and saved nothing, so send the form the ordinary way and show its page. Its
        // photos wait as the form's photo draft, so the page with the messages has them again;
        // a record in the outbox stays there until a save with its token is confirmed.
        localStorage.removeItem(keyOf(form));
        if (submitter && submitter.name) {
          var carried = document.createElement("input");
          carried.type = "hidden";
          carried.name = submitter.name;
          carried.value = submitter.value;
          form.appendChild(carried);
        }
        return keepPhotos(form).then(function () { HTMLFormElement.prototype.submit.call(form); });
      })
      .catch(function () {
        inFlight = false;
        showStatus("unsaved");
        // On a phone, the record also waits in the outbox (static/outbox.js), so leaving this
        // page, or recording another, loses nothing; it is still sent once.
        var token = form.elements.form_token && form.elements.form_token.value;
        if (window.FieldKitOutbox && token && form.fieldkitKept !== token) {
          window.FieldKitOutbox.keep(form, submitter).then(function () { form.fieldkitKept = token; },
                                                            function () {});
        }
        delay = Math.min((delay || 750) * 2, 5000);
        scheduleRetry(form, delay);
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!handled(form) || !window.fetch) { return; }
    if (!form.checkValidity()) { return; }
    event.preventDefault();
    event.stopPropagation();
    form.fieldkitSubmitter = event.submitter || null;
    send(form);
  }, true);

  window.addEventListener("online", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (handled(form) && localStorage.getItem(keyOf(form))) { send(form); }
    });
  });

  function hubReachable() {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 4000) : null;
    return fetch("/hub/ping", { cache: "no-store", credentials: "same-origin",
                                signal: controller ? controller.signal : undefined })
      .then(function (response) { clearTimeout(timer); return response.ok; },
            function () { clearTimeout(timer); return false; });
  }

  // A form left unsaved comes back into its page and is sent from there (the page then shows the
  // saved record). On a phone out of the hub's reach, a record already in the outbox stays there
  // instead, and this form is blank for the next record. The outbox waits for these decisions
  // (FieldKitRestoring) so that a record is never sent by both at once.
  function restorePending() {
    var decisions = [];
    document.querySelectorAll("form").forEach(function (form) {
      if (!handled(form)) { return; }
      var stored = localStorage.getItem(keyOf(form));
      if (!stored) { return; }
      try {
        var pending = JSON.parse(stored);
      } catch (e) { localStorage.removeItem(keyOf(form)); return; }
      var outbox = window.FieldKitOutbox;
      var token = pending.values && pending.values.form_token;
      if (token && form.elements.form_token && form.elements.form_token.value === token) {
        localStorage.removeItem(keyOf(form));  // the hub's page shows this very record already
        return;
      }
      if (!outbox || !token) { restore(form, pending); return; }
      decisions.push(Promise.all([outbox.all(), hubReachable()]).then(function (found) {
        var queued = found[0].filter(function (r) { return r.id === token; })[0];
        if (queued && !found[1]) {
          localStorage.removeItem(keyOf(form));
        } else {
          restore(form, pending, queued);
        }
      }));
    });
    window.FieldKitRestoring = Promise.all(decisions).catch(function () {});
  }

  // The files of a record kept in the outbox go back into the form's file inputs.
  function restoreFiles(form, record) {
    if (!record || !window.DataTransfer) { return; }
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      var transfer = new DataTransfer();
      record.fields.forEach(function (pair) {
        if (pair[0] === input.name && pair[1] instanceof File) { transfer.items.add(pair[1]); }
      });
      if (transfer.files.length) { input.files = transfer.files; }
    });
  }

  function restore(form, pending, record) {
    try {
      Object.keys(pending.values).forEach(function (name) {
        var field = form.elements[name];
        if (!field) { return; }
        if (field instanceof RadioNodeList) {
          Array.prototype.forEach.call(field, function (option) {
            option.checked = option.value === pending.values[name];
          });
        } else if (field.type === "checkbox") {
          field.checked = true;
        } else if (name !== "csrf_token") {
          field.value = pending.values[name];  // the same form_token: a resend saves once
        }
      });
    } catch (e) { localStorage.removeItem(keyOf(form)); return; }
    showStatus("unsaved");
    var photos = window.FieldKitPhotos;  // its photos come back from IndexedDB first
    Promise.resolve(photos ? photos.ready(form) : null).then(function () {
      restoreFiles(form, record);
      send(form);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restorePending);
  } else {
    restorePending();
  }
})();
