// FieldKit's service worker, for phones joined to the hub over HTTPS (registered by app.js with
// scope "/"). It lets a phone that has left the hub's Wi-Fi keep opening the record forms:
//
// - At install it keeps the pages a phone records with (home, new issue, new meeting, the
//   offline notice) and the static files they need.
// - Pages are fetched from the hub first (every page seen is kept for later, so an issue's page
//   with its follow-up visit form is there offline too); when the hub cannot be reached within a
//   few seconds, the kept copy is shown, and a page never seen shows the offline notice.
// - A kept form gets a fresh one-time form_token each time it is shown, so two records made
//   offline from the same kept page are two records, not one sent twice.
// - Static files come from the cache first (and are refreshed behind). Everything else (forms sent, htmx fragments, the
//   ping) goes to the hub as it is: records made offline wait in the page's outbox (app.js).
"use strict";

var CACHE = "fieldkit-v1";
var PAGES = ["/", "/issues/new", "/meetings/new", "/hub/offline"];
var STATIC = ["/static/app.css", "/static/print.css", "/static/app.js", "/static/photos.js", "/static/outbox.js",
              "/static/htmx-2.0.11.min.js", "/static/icon.svg"];
var OFFLINE = "/hub/offline";
var NETWORK_WAIT_MS = 4000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // One by one: a page this phone may not open (e.g. no right to record meetings) is skipped.
    return Promise.all(PAGES.concat(STATIC).map(function (url) {
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && !response.redirected) { return cache.put(url, response); }
        return null;
      }).catch(function () { return null; });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) {
      return caches.delete(n);
    }));
  }).then(function () { return self.clients.claim(); }));
});

function newToken() {
  return self.crypto && self.crypto.randomUUID ? self.crypto.randomUUID()
    : Date.now().toString(16) + Math.random().toString(16).slice(2);
}

// A kept page as it is shown again: every one-time form_token in it replaced by a fresh one.
function fresh(response) {
  return response.text().then(function (html) {
    var body = html.replace(/(name="form_token" value=")[^"]*(")/g, function (_all, before, after) {
      return before + newToken() + after;
    });
    var headers = new Headers(response.headers);
    headers.set("X-FieldKit-Offline", "1");
    return new Response(body, { status: 200, headers: headers });
  });
}

function withinTime(promise) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("the hub did not answer in time")); }, NETWORK_WAIT_MS);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

function page(request) {
  var url = new URL(request.url);
  return withinTime(fetch(request)).then(function (response) {
    var html = (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
    if (response.ok && html && !response.redirected && url.pathname.indexOf("/hub/join") !== 0) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(url.pathname + url.search, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(url.pathname + url.search).then(function (kept) {
        return kept || cache.match(OFFLINE);
      });
    }).then(function (kept) {
      return kept ? fresh(kept) : Response.error();
    });
  });
}

// Static files: the kept copy at once, refreshed from the hub for next time when it answers.
function asset(request) {
  var fetched = fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  });
  return caches.match(request, { ignoreSearch: true }).then(function (kept) {
    if (kept) { fetched.catch(function () {}); return kept; }
    return fetched;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") { event.respondWith(page(request)); return; }
  if (url.pathname.indexOf("/static/") === 0) { event.respondWith(asset(request)); }
});
