// FieldKit on a phone out of the hub's reach: records saved while the hub cannot be reached wait
// in an outbox in the browser (IndexedDB, with their photos) and are sent when it is back, each
// exactly once: every record carries its one-time form_token, and the hub answers a token it
// has already saved with the record it saved then. Loaded on every page after photos.js and
// before app.js; phones joined to the hub only (not the laptop itself).
//
// - app.js calls FieldKitOutbox.keep(form) when sending a form fails: the record (fields and
//   files) is stored under its form_token, and the form's text and photo drafts are cleared,
//   so the next form opened is a blank one for the next record.
// - The outbox is sent, oldest first, when a page loads, when the browser says it is online,
//   and every few seconds while records wait; a record the hub refuses (a 4xx answer other than
//   "join again") is kept, not sent again and again.
// - The service worker (static/sw.js) is registered here, in a secure context only, so the
//   record forms open without the hub; a menu tap the hub cannot answer says the phone is
//   offline instead of doing nothing.
(function () {
  "use strict";
  var box = document.getElementById("script-text");
  if (!box || !box.dataset.phone || !window.indexedDB) { return; }
  var STORE = "outbox";
  var RETRY_MS = 5000;
  var flushing = false;
  var timer = null;

  function text(name) { return box.dataset[name] || ""; }

  function say(message) {
    var status = document.getElementById("save-status");
    if (!status || !message) { return; }
    status.textContent = message;
    status.dataset.state = "offline";
    status.hidden = false;
  }

  function store(mode, work) {
    return window.FieldKitPhotos.db().then(function (base) {
      return new Promise(function (resolve, reject) {
        var t = base.transaction(STORE, mode);
        var request = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(request ? request.result : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function tokenOf(form) {
    var field = form.querySelector("input[name=form_token]");
    return field ? field.value : "";
  }

  function keep(form, submitter) {
    var token = tokenOf(form);
    if (!token) { return Promise.reject(new Error("no form_token")); }
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    var fields = [];
    data.forEach(function (value, name) { fields.push([name, value]); });  // Files are kept whole
    var action = new URL(form.getAttribute("action") || location.pathname, location.href).pathname;
    var record = { id: token, action: action, fields: fields, kept: Date.now() };
    return store("readwrite", function (s) { return s.put(record); }).then(function () {
      if (form.dataset.draftKey) { localStorage.removeItem("fieldkit-draft:" + form.dataset.draftKey); }
      var photos = window.FieldKitPhotos;
      return photos.forget(photos.key(form));
    });
  }

  function done(token) {
    return store("readwrite", function (s) { return s.delete(token); }).catch(function () {});
  }

  function all() {
    return store("readonly", function (s) { return s.getAll(); }).catch(function () { return []; });
  }

  function onThisPage(token) {
    return !!document.querySelector('input[name=form_token][value="' + token + '"]');
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(flush, RETRY_MS);
  }

  // Send the waiting records one after another; stop at the first the hub cannot be reached for.
  function flush() {
    if (flushing) { return Promise.resolve(); }
    flushing = true;
    return Promise.resolve(window.FieldKitRestoring).then(all).then(function (records) {
      var waiting = records.filter(function (r) { return !r.refused && !onThisPage(r.id); });
      waiting.sort(function (a, b) { return a.kept - b.kept; });
      var sent = 0;
      function next(index) {
        if (index >= waiting.length) { return sent; }
        var record = waiting[index];
        var body = new FormData();
        record.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
        return fetch(record.action, { method: "POST", body: body, credentials: "same-origin",
                                      headers: { "X-FieldKit-Draft": "1" } })
          .then(function (response) {
            if (response.ok) { sent += 1; return done(record.id).then(function () { return next(index + 1); }); }
            if (response.status === 401 || response.status === 429 || response.status >= 500) {
              throw new Error("not now");  // join again, or wait: try later, nothing lost
            }
            record.refused = response.status;  // the hub said why; do not send it again and again
            return store("readwrite", function (s) { return s.put(record); }).then(function () {
              return next(index + 1);
            });
          });
      }
      return next(0);
    }).then(function (sent) {
      flushing = false;
      if (sent) { say(text("outboxSent")); }
      return all().then(function (left) {
        if (left.some(function (r) { return !r.refused; })) { later(); }
      });
    }, function () {
      flushing = false;
      later();
    });
  }

  window.FieldKitOutbox = { keep: keep, done: done, flush: flush, all: all };

  // --- the service worker, and menu taps while offline ---------------------------------------
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/hub/sw.js", { scope: "/" }).catch(function () {});
  }

  document.addEventListener("htmx:sendError", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (!config || config.verb !== "get") { return; }
    say(text("offline"));
    // With the service worker the kept page (or the offline notice) opens; without it, the
    // current page stays, with the message.
    if (navigator.serviceWorker && navigator.serviceWorker.controller && config.boosted) {
      location.assign(event.detail.pathInfo.requestPath);
    }
  });

  function start() {
    fetch("/hub/ping", { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error("no hub"); } flush(); })
      .catch(function () { say(text("offline")); later(); });
  }

  window.addEventListener("online", flush);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
