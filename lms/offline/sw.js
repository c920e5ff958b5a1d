/* 田埂课堂's service worker, served at /sw.js by lms/offline/views.py, which fills in the release
   (VERSION) and the shell's URLs. Plain ES5 with promises.

   Caches:
   - fieldside-shell-<release>: this release's CSS, JS, icons and the "not saved" page. A new
     release installs a new shell and deletes every cache of an older release.
   - fieldside-saved-v1-m<member>-<course>: a course a member saved (offline.js fills it). Kept
     across releases (only a change of its format, v1, drops it), read only while that member is
     the one last seen signed in on this phone.
   - fieldside-state: who was last signed in (the X-Fieldside-Member header of each page).

   Pages come from the network first; with no answer in time, from the member's saved courses,
   else the "not saved" page. CSS, JS and media come from the caches first. */
var VERSION = "__VERSION__";
var SHELL = "fieldside-shell-" + VERSION;
var SAVED = "fieldside-saved-v1-";
var STATE = "fieldside-state";
var SHELL_URLS = __SHELL__;
var FALLBACK = "__FALLBACK__";
var WAIT_MS = 8000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_URLS);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("fieldside-") === 0 && name !== SHELL && name !== STATE &&
        name.indexOf(SAVED) !== 0;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function setMember(id) {
  return caches.open(STATE).then(function (cache) {
    return cache.put("/__member", new Response(String(id || "")));
  });
}

function member() {
  return caches.open(STATE).then(function (cache) { return cache.match("/__member"); })
    .then(function (found) { return found ? found.text() : ""; });
}

function savedCaches(id) {
  var prefix = SAVED + "m" + id + "-";
  return caches.keys().then(function (names) {
    return names.filter(function (name) { return id && name.indexOf(prefix) === 0; });
  });
}

function matchIn(names, request) {
  if (!names.length) { return Promise.resolve(undefined); }
  return caches.open(names[0]).then(function (cache) { return cache.match(request); })
    .then(function (found) { return found || matchIn(names.slice(1), request); });
}

function withTimeout(promise) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, WAIT_MS);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

function fromSaved(request) {
  return member().then(savedCaches).then(function (names) { return matchIn(names, request); })
    .then(function (found) {
      return found || caches.match(FALLBACK, { cacheName: SHELL }).then(function (page) {
        return page || Response.error();
      });
    });
}

function page(event) {
  var request = event.request;
  return withTimeout(fetch(request)).then(function (response) {
    var id = response.headers.get("X-Fieldside-Member") || "";
    var copy = response.clone();
    event.waitUntil(setMember(id).then(function () {
      if (!id || !response.ok || response.redirected) { return; }
      // a saved page seen online again replaces the kept copy (a graded check, a new text)
      return savedCaches(id).then(function (names) {
        return Promise.all(names.map(function (name) {
          return caches.open(name).then(function (cache) {
            return cache.match(request).then(function (old) {
              if (old) { return cache.put(request, copy); }
            });
          });
        }));
      });
    }));
    return response;
  }, function () { return fromSaved(request); });
}

function asset(request) {
  return caches.match(request).then(function (found) {
    if (found) { return found; }
    return fetch(request).catch(function () {
      // a saved page of an earlier release asks for its own CSS or JS: this release's will do
      return caches.match(request, { cacheName: SHELL, ignoreSearch: true }).then(function (same) {
        return same || Response.error();
      });
    });
  });
}

self.addEventListener("message", function (event) {
  if (event.data && event.data.member !== undefined) { event.waitUntil(setMember(event.data.member)); }
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname === "/sw.js") { return; }
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/media/") === 0) {
    event.respondWith(asset(request));
  }
});
