// Lotse's service worker. The server puts its settings (version, URLs) in LOTSE before this text: see
// app/pwa/routes.py. It keeps three things: the app shell (versioned: a new deploy replaces it), the
// signed-in user's own pages for reading offline (emptied at logout), and the forms sent without a
// connection (IndexedDB), which it sends once the connection is back, each with its idempotency key.
"use strict";

var SHELL = "lotse-shell-" + LOTSE.version;
var PAGES = "lotse-pages";
var SYNC_TAG = "lotse-queue";
var REFRESH_AFTER = 10 * 60 * 1000;
var QUEUED = LOTSE.queued.map(function (path) {
  return new RegExp("^" + path.replace("{id}", "\\d+") + "$");
});

// --- IndexedDB: the queue of forms, and what the worker knows about the phone's user -------------------

function openDatabase() {
  return new Promise(function (resolve, reject) {
    var request = indexedDB.open("lotse", 1);
    request.onupgradeneeded = function () {
      request.result.createObjectStore("queue", { keyPath: "key" });
      request.result.createObjectStore("meta");
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });
}

async function inStore(name, mode, work) {
  var database = await openDatabase();
  return new Promise(function (resolve, reject) {
    var transaction = database.transaction(name, mode);
    var request = work(transaction.objectStore(name));
    transaction.oncomplete = function () { database.close(); resolve(request && request.result); };
    transaction.onerror = function () { database.close(); reject(transaction.error); };
  });
}

function queuedItems() { return inStore("queue", "readonly", function (s) { return s.getAll(); }); }
function keepItem(item) { return inStore("queue", "readwrite", function (s) { return s.put(item); }); }
function dropItem(key) { return inStore("queue", "readwrite", function (s) { return s.delete(key); }); }
function readMeta() {
  return inStore("meta", "readonly", function (s) { return s.get("phone"); }).then(function (meta) {
    return meta || { user: null, lang: null, refreshed: 0 };
  });
}
function writeMeta(meta) { return inStore("meta", "readwrite", function (s) { return s.put(meta, "phone"); }); }

// --- install and activate: precache the shell, drop the caches of earlier versions -------------------

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) { return cache.addAll(LOTSE.shell); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("lotse-shell-") === 0 && name !== SHELL;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

// --- requests ----------------------------------------------------------------------------------------

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (LOTSE.signout.indexOf(url.pathname) !== -1) {
      event.respondWith(logOut(request));
    } else if (request.mode === "navigate" && QUEUED.some(function (re) { return re.test(url.pathname); })) {
      event.respondWith(sendOrQueue(request));
    } else if (request.mode === "navigate") {
      // Other changes need the server there and then: without a connection, say so instead of failing blank.
      event.respondWith(fetch(request).catch(offlinePage));
    }
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.indexOf(LOTSE.static) === 0) {
    event.respondWith(fromShell(request));
  } else if (request.mode === "navigate") {
    event.respondWith(page(request));
  }
});

async function fromShell(request) {
  var cache = await caches.open(SHELL);
  // A page kept from an earlier version asks for older asset versions: today's shell serves them.
  var kept = (await cache.match(request)) || (await cache.match(request, { ignoreSearch: true }));
  return kept || fetch(request);
}

async function page(request) {
  try {
    return await fetch(request);
  } catch (error) {
    var kept = await (await caches.open(PAGES)).match(request, { ignoreVary: true });
    if (kept) return markedOffline(kept);
    return offlinePage();
  }
}

async function offlinePage() {
  var cache = await caches.open(SHELL);
  return (await cache.match(LOTSE.offline, { ignoreSearch: true, ignoreVary: true })) || Response.error();
}

// A kept page says it is a copy: the server rendered its "offline — as of" note hidden, with the time.
async function markedOffline(response) {
  var text = (await response.text()).replace("data-offline-note hidden", "data-offline-note");
  return new Response(text, { status: response.status, headers: response.headers });
}

async function logOut(request) {
  // Nothing kept is readable by the next person using the phone, even if logging out fails offline.
  await caches.delete(PAGES);
  await inStore("queue", "readwrite", function (s) { return s.clear(); });
  await writeMeta({ user: null, lang: null, refreshed: 0 });
  try {
    return await fetch(request);
  } catch (error) {
    return Response.redirect(LOTSE.offline, 303);
  }
}

// --- forms that wait for the connection ----------------------------------------------------------------

function field(entries, name) {
  var found = entries.find(function (entry) { return entry[0] === name; });
  return found ? found[1] : "";
}

async function sendOrQueue(request) {
  var copy = request.clone();
  try {
    return await fetch(request);
  } catch (error) {
    var form = await copy.formData();
    var entries = [];
    form.forEach(function (value, name) { if (typeof value === "string") entries.push([name, value]); });
    var key = field(entries, "idempotency_key");
    if (!key) {
      key = self.crypto.randomUUID();
      entries.push(["idempotency_key", key]);
    }
    var meta = await readMeta();
    await keepItem({
      key: key,
      url: request.url,
      entries: entries,
      label: field(entries, "queue_label") || new URL(request.url).pathname,
      user: meta.user,
      state: "waiting",
      message: "",
      queuedAt: Date.now(),
    });
    if (self.registration.sync) self.registration.sync.register(SYNC_TAG).catch(function () {});
    return Response.redirect(LOTSE.offline + "?queued=" + encodeURIComponent(key), 303);
  }
}

var sending = null;
var askedAgain = false;

// Sends what waits, one at a time; resolves to how many still wait for a connection or a login. Asked while
// a round is under way (which may have begun offline), it runs one more round after it.
function sendQueued() {
  if (sending) {
    askedAgain = true;
    return sending;
  }
  sending = (async function () {
    var waiting = await sendAll();
    while (askedAgain) {
      askedAgain = false;
      waiting = await sendAll();
    }
    return waiting;
  })().finally(function () { sending = null; });
  return sending;
}

// Back online, the connection may take a moment to carry requests: try again a few times, a second apart.
async function sendWhenOnline() {
  var waiting = await sendQueued();
  for (var attempt = 0; waiting && attempt < 3; attempt++) {
    await new Promise(function (resolve) { setTimeout(resolve, 1000); });
    waiting = await sendQueued();
  }
  return waiting;
}

async function sendAll() {
  var items = (await queuedItems()).filter(function (item) { return item.state !== "refused"; });
  items.sort(function (a, b) { return a.queuedAt - b.queuedAt; });
  if (!items.length) return 0;
  var session;
  try {
    var answer = await fetch(LOTSE.token, { redirect: "manual", headers: { Accept: "application/json" } });
    session = answer.ok ? await answer.json() : null;
  } catch (error) {
    return items.length;  // still offline
  }
  var waiting = 0;
  for (var item of items) {
    // Logged out by expiry, or someone else logged in: the item waits for its own user to log in again.
    if (!session || (item.user !== null && item.user !== undefined && item.user !== session.user)) {
      await setState(item, "login", "");
      waiting += 1;
      continue;
    }
    var body = new URLSearchParams();
    item.entries.forEach(function (entry) { if (entry[0] !== "csrf_token") body.append(entry[0], entry[1]); });
    body.append("csrf_token", session.csrf);
    var response;
    try {
      response = await fetch(item.url, {
        method: "POST",
        body: body,
        redirect: "manual",
        headers: { Accept: "application/json", "X-CSRFToken": session.csrf },
      });
    } catch (error) {
      return waiting + items.length - items.indexOf(item);  // the connection dropped again
    }
    if (response.type === "opaqueredirect") {
      await setState(item, "login", "");
      waiting += 1;
      continue;
    }
    var result = {};
    try { result = await response.json(); } catch (error) { result = {}; }
    if (response.ok) {
      await dropItem(item.key);
      tell({ type: "sent", label: item.label, message: result.message || "", url: result.url || "" });
    } else if (response.status >= 500 || response.status === 429) {
      waiting += 1;  // the server could not take it now: the next attempt will
    } else {
      // Refused for good (the dialog was cancelled, the same key came with other content ...): the user sees
      // why and decides; it is never dropped silently.
      await setState(item, "refused", result.message || "");
      tell({ type: "refused", label: item.label, message: result.message || "" });
    }
  }
  tell({ type: "changed" });
  return waiting;
}

function setState(item, state, message) {
  item.state = state;
  item.message = message;
  return keepItem(item);
}

function tell(message) {
  return self.clients.matchAll({ type: "window" }).then(function (windows) {
    windows.forEach(function (client) { client.postMessage(message); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(sendQueued().then(function (waiting) {
    if (waiting) throw new Error("entries still waiting");  // the browser tries again later
  }));
});

// --- the user's own pages, kept for reading offline ---------------------------------------------------

async function keepPages(user, lang) {
  var meta = await readMeta();
  if (meta.user !== user) {
    await caches.delete(PAGES);  // another account: nothing of the last one stays
    meta = { user: user, lang: null, refreshed: 0 };
    await writeMeta(meta);
  }
  if (meta.lang === lang && Date.now() - meta.refreshed < REFRESH_AFTER) return;
  var list;
  try {
    var answer = await fetch(LOTSE.pages, { redirect: "manual", headers: { Accept: "application/json" } });
    if (!answer.ok) return;
    list = await answer.json();
  } catch (error) {
    return;
  }
  if (list.user !== user) return;  // the session changed meanwhile: the next page tells
  var cache = await caches.open(PAGES);
  var wanted = new Set();
  for (var path of list.pages) {
    wanted.add(new URL(path, self.location.href).href);
    try {
      var response = await fetch(path, { redirect: "manual", headers: { "X-Lotse-Offline-Copy": "1" } });
      if (response.ok) await cache.put(path, response);
    } catch (error) {
      return;  // the connection went: keep what is there, try again on the next page
    }
  }
  for (var request of await cache.keys()) {
    if (!wanted.has(request.url)) await cache.delete(request);
  }
  try {
    // The offline page in the language the user reads now.
    var offline = await fetch(LOTSE.offline);
    if (offline.ok) await (await caches.open(SHELL)).put(LOTSE.offline, offline);
  } catch (error) {
    return;
  }
  await writeMeta({ user: user, lang: lang, refreshed: Date.now() });
}

// --- messages from the pages ----------------------------------------------------------------------------

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var source = event.source;
  var work;
  if (data.type === "page") {
    // A page was opened: send what waits, and keep the signed-in user's pages up to date.
    work = data.user ? sendQueued().then(function () { return keepPages(Number(data.user), data.lang); }) : sendQueued();
  } else if (data.type === "online") {
    work = sendWhenOnline();
  } else if (data.type === "list") {
    // Only the entries of the user the page is for (or, on the offline page, of the last one signed in): after
    // a session expired, the next person to log in does not read what someone else left waiting.
    work = Promise.all([queuedItems(), readMeta()]).then(function (found) {
      var who = data.user ? Number(data.user) : found[1].user;
      var items = found[0].filter(function (item) {
        return item.user === null || item.user === undefined || who === null || item.user === who;
      });
      items.sort(function (a, b) { return a.queuedAt - b.queuedAt; });
      source.postMessage({ type: "list", items: items.map(function (item) {
        return { key: item.key, label: item.label, state: item.state, message: item.message };
      }) });
    });
  } else if (data.type === "dismiss") {
    work = dropItem(String(data.key)).then(function () { return tell({ type: "changed" }); });
  }
  if (work) event.waitUntil(work.catch(function () {}));
});
