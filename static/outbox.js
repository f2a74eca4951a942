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
//   and every few seconds while records wait. "Join again", "too many tries", "hub mode is off"
//   and server errors mean "later"; a form token from an older session is renewed once (from
//   /hub/ping). A record the hub refuses for what it holds (e.g. 422, 413) is kept, not sent
//   again and again, and listed at the top of every page with the hub's reasons: "Open and
//   correct" sends it once more as an ordinary form, so the hub's page shows each message beside
//   its field with the values and photos filled in; saving it there ends it. "Discard" asks first.
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
    var photoKey = window.FieldKitPhotos.key(form);
    var record = { id: token, action: action, fields: fields, kept: Date.now(), photoKey: photoKey };
    return store("readwrite", function (s) { return s.put(record); }).then(function () {
      if (form.dataset.draftKey) { localStorage.removeItem("fieldkit-draft:" + form.dataset.draftKey); }
      var photos = window.FieldKitPhotos;
      return photos.forget(photos.key(form));
    }).then(function () { all().then(show); });
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

  // The hub's cheap answer: whether it can be reached, and this session's CSRF token.
  function ping() {
    return fetch("/hub/ping", { cache: "no-store", credentials: "same-origin" });
  }

  function put(record) {
    return store("readwrite", function (s) { return s.put(record); });
  }

  // What the hub said when it refused a record: the messages beside the fields, else the page's title.
  function reasons(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var found = Array.prototype.map.call(page.querySelectorAll("main .error"), function (p) {
      return p.textContent.trim();
    }).filter(Boolean);
    if (!found.length) {
      var title = page.querySelector("main h1");
      if (title) { found.push(title.textContent.trim()); }
    }
    return found.slice(0, 5);
  }

  function post(record) {
    var body = new FormData();
    record.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    return fetch(record.action, { method: "POST", body: body, credentials: "same-origin",
                                  headers: { "X-FieldKit-Draft": "1" } });
  }

  // A token from an older session (cookies cleared, the phone joined again): the current one.
  function renewToken(record) {
    return ping()
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        record.fields = record.fields.map(function (pair) {
          return pair[0] === "csrf_token" ? ["csrf_token", answer.csrf] : pair;
        });
        record.renewed = true;
        return put(record);
      });
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
        return post(record).then(function (response) {
          if (response.ok) { sent += 1; return done(record.id).then(function () { return next(index + 1); }); }
          var hubOff = response.status === 403 && response.headers.get("X-FieldKit-Hub") === "off";
          if (response.status === 401 || response.status === 429 || response.status >= 500 || hubOff) {
            throw new Error("not now");  // join again, or wait: try later, nothing lost
          }
          if (response.status === 400 && !record.renewed) {
            return renewToken(record).then(function () { return next(index); });
          }
          // The hub said why: keep the record with its reasons; do not send it again and again.
          return response.text().then(function (html) {
            record.refused = response.status;
            record.reasons = reasons(html);
            return put(record);
          }).then(function () { return next(index + 1); });
        });
      }
      return next(0);
    }).then(function (sent) {
      flushing = false;
      if (sent) { say(text("outboxSent")); }
      return all().then(function (left) {
        show(left);
        if (left.some(function (r) { return !r.refused; })) { later(); }
      });
    }, function () {
      flushing = false;
      all().then(show);
      later();
    });
  }

  // --- what waits, and what the hub refused, at the top of every page ---------------------------
  var panel = document.getElementById("outbox");

  function fill(template, name, value) { return template.replace("{" + name + "}", value); }

  function titleOf(record) {
    var named = record.fields.filter(function (pair) {
      return ["title", "note", "summary"].indexOf(pair[0]) >= 0 && typeof pair[1] === "string" && pair[1].trim();
    })[0];
    if (named) { return named[1].trim().slice(0, 80); }
    var when = new Date(record.kept).toLocaleString(document.documentElement.lang || undefined);
    return fill(panel.dataset.untitled, "when", when);
  }

  function button(label, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", action);
    return b;
  }

  function show(records) {
    if (!panel) { return; }
    // A record on this page's form (saved out of range, or being corrected) is said by the page.
    var waiting = records.filter(function (r) { return !r.refused && !onThisPage(r.id); });
    var refused = records.filter(function (r) { return r.refused && !onThisPage(r.id); });
    var count = panel.querySelector(".outbox-waiting");
    count.textContent = waiting.length ? fill(panel.dataset.waiting, "num", waiting.length) : "";
    count.hidden = !waiting.length;
    var part = panel.querySelector(".outbox-refused");
    var list = part.querySelector("ul");
    list.textContent = "";
    refused.forEach(function (record) {
      var item = document.createElement("li");
      var name = document.createElement("strong");
      name.textContent = titleOf(record);
      item.appendChild(name);
      var why = document.createElement("ul");
      why.className = "reasons";
      (record.reasons || []).forEach(function (reason) {
        var line = document.createElement("li");
        line.textContent = reason;
        why.appendChild(line);
      });
      item.appendChild(why);
      var actions = document.createElement("p");
      actions.className = "actions";
      actions.appendChild(button(panel.dataset.open, function () { correct(record); }));
      actions.appendChild(button(panel.dataset.discard, function () { discard(record); }));
      item.appendChild(actions);
      list.appendChild(item);
    });
    part.hidden = !refused.length;
    panel.hidden = !waiting.length && !refused.length;
  }

  // The refused record is sent once more as an ordinary form, so the hub's own page shows its
  // messages beside the fields, with the values; its photos wait as the form's photo draft. It
  // stays in the outbox (no longer marked refused) until a save with its token is confirmed.
  function correct(record) {
    ping().then(function (response) {
      if (!response.ok) { throw new Error("no hub"); }
      delete record.refused;
      var files = record.fields.filter(function (pair) { return pair[1] instanceof File; });
      var photos = window.FieldKitPhotos;
      return put(record).then(function () {
        if (!files.length) { return null; }
        return photos.keep(record.photoKey || record.action, files.map(function (pair) { return pair[1]; }));
      }).then(function () {
        var form = document.createElement("form");
        form.method = "post";
        form.enctype = "multipart/form-data";
        form.action = record.action;
        form.hidden = true;
        var byName = {};
        record.fields.forEach(function (pair) {
          if (pair[1] instanceof File) {
            (byName[pair[0]] = byName[pair[0]] || new DataTransfer()).items.add(pair[1]);
            return;
          }
          var input = document.createElement("input");
          input.type = "hidden";
          input.name = pair[0];
          input.value = pair[1];
          form.appendChild(input);
        });
        Object.keys(byName).forEach(function (name) {
          var input = document.createElement("input");
          input.type = "file";
          input.name = name;
          input.multiple = true;
          input.files = byName[name].files;
          form.appendChild(input);
        });
        document.body.appendChild(form);
        HTMLFormElement.prototype.submit.call(form);
      });
    }).catch(function () { say(text("offline")); });
  }

  function discard(record) {
    if (!window.confirm(panel.dataset.discardConfirm)) { return; }
    done(record.id).then(function () {
      return window.FieldKitPhotos.forget(record.photoKey || record.action);
    }).then(all).then(show);
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
    ping()
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
