// FieldKit photos on phones joined to the hub (not on the laptop itself, whose photos travel no
// Wi-Fi and stay whole): shrunk before they are sent, and kept in the browser until the hub
// has saved them. Every page works without this file (photos are then sent as they are).
//
// - Shrink: when photos are chosen in a file input named "files", each JPEG, PNG or WebP photo
//   is redrawn on a canvas with its long side at most 1600 px and sent as JPEG (quality 0.85),
//   unless that would not be smaller. Audio, documents and photos the browser cannot read go as
//   they are. A checkbox added under the input, "Send the original photos", keeps them whole.
//   Redrawing also drops the camera's metadata (the hub strips it again anyway).
// - Keep: in a form that saves exactly once (it has a form_token), the chosen (shrunk) files are
//   stored in IndexedDB under the form's key as soon as they
//   are chosen, so a reload, a closed tab or a lost connection loses no photo; they are put back
//   into the form when it is shown again, and deleted only when the hub has confirmed the save
//   (app.js calls FieldKitPhotos.forget then).
(function () {
  "use strict";
  var LONG_SIDE = 1600;
  var QUALITY = 0.85;
  var SHRINKABLE = /^image\/(jpeg|png|webp)$/;
  var DB_NAME = "fieldkit";
  var STORE = "photos";
  var working = new WeakMap();  // input -> promise of the shrinking in progress

  function text(name) {
    var box = document.getElementById("script-text");
    return (box && box.dataset[name]) || "";
  }

  // --- IndexedDB: one record per form key: {key, files: [{name, type, lastModified, blob}]} ---
  var dbPromise = null;
  function db() {
    if (!window.indexedDB) { return Promise.reject(new Error("no IndexedDB")); }
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var base = request.result;
          if (!base.objectStoreNames.contains(STORE)) { base.createObjectStore(STORE, { keyPath: "key" }); }
          if (!base.objectStoreNames.contains("outbox")) { base.createObjectStore("outbox", { keyPath: "id" }); }
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function tx(mode, work) {
    return db().then(function (base) {
      return new Promise(function (resolve, reject) {
        var t = base.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function save(key, files) {
    var kept = Array.prototype.map.call(files, function (file) {
      return { name: file.name, type: file.type, lastModified: file.lastModified, blob: file };
    });
    if (!kept.length) { return tx("readwrite", function (store) { store.delete(key); }); }
    return tx("readwrite", function (store) { store.put({ key: key, files: kept }); });
  }

  function load(key) {
    return tx("readonly", function (store) { return store.get(key); }).then(function (record) {
      return record ? record.files.map(function (f) {
        return new File([f.blob], f.name, { type: f.type, lastModified: f.lastModified });
      }) : [];
    });
  }

  function forget(key) {
    return tx("readwrite", function (store) { store.delete(key); }).catch(function () {});
  }

  // --- shrinking ---------------------------------------------------------------------------
  function shrink(file) {
    if (!SHRINKABLE.test(file.type) || !window.createImageBitmap) { return Promise.resolve(file); }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type === "image/jpeg") {  // small enough: not redrawn
        if (bitmap.close) { bitmap.close(); }
        return file;
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // a transparent PNG becomes JPEG on white, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });  // a photo the browser cannot read goes as it is
  }

  function setFiles(input, files) {
    var transfer = new DataTransfer();
    files.forEach(function (file) { transfer.items.add(file); });
    input.fieldkitSetting = true;
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    input.fieldkitSetting = false;
  }

  function checkSizes(input) {
    var limit = parseInt(input.dataset.maxBytes || "0", 10);
    var tooBig = limit && Array.prototype.some.call(input.files, function (f) { return f.size > limit; });
    input.setCustomValidity(tooBig ? (input.dataset.tooLarge || "") : "");
  }

  // Only forms that save exactly once (a form_token, sent again until the hub confirms) keep
  // their photos: keeping others would offer them again after they were sent.
  function keeps(form) { return !!form.querySelector("input[name=form_token]"); }

  function formKey(form) {
    var action = new URL(form.getAttribute("action") || location.pathname, location.href);
    return form.dataset.draftKey || action.pathname;
  }

  function prepare(input, original) {
    var originals = input.fieldkitOriginals || [];
    var generation = (input.fieldkitGeneration || 0) + 1;
    input.fieldkitGeneration = generation;
    delete input.dataset.photosReady;
    var chosen = original.checked ? Promise.resolve(originals) : Promise.all(originals.map(shrink));
    var job = chosen.then(function (files) {
      if (input.fieldkitGeneration !== generation) { return working.get(input); }  // chosen again since
      setFiles(input, files);
      checkSizes(input);
      input.dataset.photosReady = "1";
      return keeps(input.form) ? save(formKey(input.form), files).catch(function () {}) : null;
    });
    working.set(input, job);
    return job;
  }

  function setUp(input) {
    if (input.fieldkitPhotos || !input.form || !window.DataTransfer || !text("phone")) { return; }
    input.fieldkitPhotos = true;
    var box = document.createElement("div");
    box.className = "check send-original";
    var original = document.createElement("input");
    original.type = "checkbox";
    original.id = input.id + "-original";
    var label = document.createElement("label");
    label.htmlFor = original.id;
    label.textContent = text("photoOriginal");
    box.appendChild(original);
    box.appendChild(label);
    input.insertAdjacentElement("afterend", box);

    input.addEventListener("change", function () {
      if (input.fieldkitSetting) { return; }
      input.fieldkitOriginals = Array.prototype.slice.call(input.files);
      delete input.dataset.photosReady;
      prepare(input, original);
    });
    original.addEventListener("change", function () {
      if (input.fieldkitOriginals && input.fieldkitOriginals.length) { prepare(input, original); }
    });
    // Photos kept from before a reload (not yet confirmed by the hub) come back into the form.
    if (!input.files.length && keeps(input.form)) {
      var restoring = load(formKey(input.form)).then(function (files) {
        if (files.length && !input.files.length) {
          input.fieldkitOriginals = files;
          setFiles(input, files);
          checkSizes(input);
        }
        input.dataset.photosReady = "1";
      }).catch(function () { input.dataset.photosReady = "1"; });
      working.set(input, restoring);
    } else {
      input.dataset.photosReady = "1";
    }
  }

  // A form sent while its photos are still being shrunk (or restored) waits for them.
  function ready(form) {
    var jobs = Array.prototype.map.call(form.querySelectorAll("input[type=file][name=files]"), function (input) {
      return working.get(input) || Promise.resolve();
    });
    return Promise.all(jobs);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var inputs = form.querySelectorAll ? form.querySelectorAll("input[type=file][name=files]") : [];
    var waiting = Array.prototype.some.call(inputs, function (input) {
      return input.fieldkitPhotos && input.dataset.photosReady !== "1";
    });
    if (!waiting) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    var submitter = event.submitter;
    ready(form).then(function () { form.requestSubmit(submitter || undefined); });
  }, true);

  function scan(root) {
    root.querySelectorAll("input[type=file][name=files]").forEach(setUp);
  }

  window.FieldKitPhotos = { ready: ready, forget: forget, keep: save, key: formKey, shrink: shrink, db: db };
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) {
    if (event.target !== document.body) { scan(event.target); }
  });
})();
