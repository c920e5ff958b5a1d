/* Saving a course to the phone, and studying it without signal. Plain ES5 (promises only where
   the browser has a service worker, which implies them).

   - Course page (#offline-save): "保存到手机" asks the server to prepare the course
     (/offline/courses/<slug>/save starts the offline lesson checks and lists the URLs), then
     fetches each URL into the member's cache for that course, with a progress bar in bytes;
     then shows the space used and a button to remove it. Where there is no service worker
     (iOS WeChat, old X5 cores, plain HTTP) it says so and offers the printed sheet.
   - Pages with [data-offline-slug] (我的学习) mark the member's saved courses.
   - The "not saved" page lists the saved courses of the member last signed in here.
   The index of saved courses is kept per member in localStorage ("fieldside-saved"). */
(function () {
  var INDEX = "fieldside-saved";
  var LAST = "fieldside-member-last";

  function meta(name) {
    var node = document.querySelector("meta[name='" + name + "']");
    return node ? node.getAttribute("content") : "";
  }
  function read(key, fallback) {
    try { return JSON.parse(window.localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function write(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full or private */ }
  }
  function savedOf(member) {
    var all = read(INDEX, {});
    return all[member] || {};
  }
  function setSaved(member, slug, entry) {
    var all = read(INDEX, {});
    all[member] = all[member] || {};
    if (entry) { all[member][slug] = entry; } else { delete all[member][slug]; }
    write(INDEX, all);
  }
  function size(bytes) {
    if (bytes >= 1000000) { return (bytes / 1000000).toFixed(1) + " MB"; }
    return Math.max(1, Math.round(bytes / 1000)) + " KB";
  }
  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, key) {
      return values[key] !== undefined ? values[key] : all;
    });
  }
  function supported() {
    return !!(window.navigator.serviceWorker && window.caches && window.fetch && window.Promise);
  }

  var member = meta("fieldside-member");
  if (member) { write(LAST, member); }
  else if (document.querySelector("form[action$='/login']")) { write(LAST, ""); }

  // ---- the course page's box ---------------------------------------------------------------
  function saveBox(box) {
    var slug = box.getAttribute("data-slug");
    var state = box.querySelector(".offline-state");
    var bar = box.querySelector("progress");
    var saveButton = box.querySelector("[data-action=save]");
    var removeButton = box.querySelector("[data-action=remove]");
    if (!supported() || !member) { return; }
    box.querySelector(".offline-unsupported").hidden = true;
    box.querySelector(".offline-controls").hidden = false;

    function show() {
      var entry = savedOf(member)[slug];
      bar.hidden = true;
      saveButton.disabled = false;
      if (entry) {
        var total = 0, mine = savedOf(member);
        for (var s in mine) { if (Object.prototype.hasOwnProperty.call(mine, s)) { total += mine[s].bytes || 0; } }
        state.textContent = fill(box.getAttribute("data-saved"), { size: size(entry.bytes), all: size(total) });
        saveButton.textContent = box.getAttribute("data-update");
        removeButton.hidden = false;
      } else {
        state.textContent = box.getAttribute("data-not-saved");
        saveButton.textContent = box.getAttribute("data-save");
        removeButton.hidden = true;
      }
    }

    function fail() {
      state.textContent = box.getAttribute("data-failed");
      bar.hidden = true;
      saveButton.disabled = false;
    }

    function prepare() {
      return new Promise(function (resolve, reject) {
        var xhr = new XMLHttpRequest();
        xhr.open("POST", box.getAttribute("data-save-url"), true);
        xhr.setRequestHeader("Accept", "application/json");
        xhr.setRequestHeader("X-CSRFToken", box.getAttribute("data-csrf"));
        xhr.onreadystatechange = function () {
          if (xhr.readyState !== 4) { return; }
          if (xhr.status !== 200) { reject(new Error("prepare " + xhr.status)); return; }
          try { resolve(JSON.parse(xhr.responseText)); } catch (e) { reject(e); }
        };
        xhr.send();
      });
    }

    function download(plan) {
      var got = 0, i = 0;
      bar.hidden = false;
      function progress() {
        bar.max = Math.max(plan.total, got, 1);
        bar.value = got;
        state.textContent = fill(box.getAttribute("data-progress"), { got: size(got), total: size(Math.max(plan.total, got)) });
      }
      progress();
      return caches.open(plan.cache).then(function (cache) {
        function next() {
          if (i >= plan.items.length) { return got; }
          var url = plan.items[i++].url;
          return fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (!response.ok || response.redirected) { throw new Error("fetch " + url); }
            var copy = response.clone();
            return response.blob().then(function (blob) {
              got += blob.size;
              progress();
              return cache.put(url, copy);
            });
          }).then(next);
        }
        return next();
      });
    }

    saveButton.addEventListener("click", function () {
      saveButton.disabled = true;
      state.textContent = box.getAttribute("data-preparing");
      var plan = null;
      navigator.serviceWorker.register("/sw.js").then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        // the worker learns whose courses it keeps from each page; tell it now, before any
        // page has passed through it
        registration.active.postMessage({ member: member });
        return prepare();
      }).then(function (answer) {
        plan = answer;
        return caches["delete"](plan.cache);  // a fresh copy: nothing of an older save stays
      }).then(function () { return download(plan); }).then(function (bytes) {
        setSaved(member, slug, { title: box.getAttribute("data-title"), url: box.getAttribute("data-course-url"),
                                 cache: plan.cache, bytes: bytes, at: new Date().getTime() });
        show();
      }, function () {
        if (plan) { caches["delete"](plan.cache); }
        setSaved(member, slug, null);
        fail();
      });
    });

    removeButton.addEventListener("click", function () {
      var entry = savedOf(member)[slug];
      setSaved(member, slug, null);
      if (entry && entry.cache) { caches["delete"](entry.cache); }
      show();
      state.textContent = box.getAttribute("data-removed");
    });
    show();
  }

  // ---- marks on 我的学习, and the list on the "not saved" page -------------------------------
  function markSaved() {
    var mine = savedOf(member), holder = document.querySelector("[data-offline-label]");
    var marks = document.querySelectorAll("[data-offline-slug]");
    for (var i = 0; i < marks.length; i++) {
      var slug = marks[i].getAttribute("data-offline-slug");
      if (mine[slug] && holder && !marks[i].querySelector(".tag-offline")) {
        var tag = document.createElement("span");
        tag.className = "tag tag-offline";
        tag.textContent = holder.getAttribute("data-offline-label");
        marks[i].appendChild(document.createTextNode(" "));
        marks[i].appendChild(tag);
      }
    }
  }

  function listSaved(box) {
    // the signed-in member's courses; on the "not saved" page, the member last signed in here
    var who = member || read(LAST, ""), mine = who ? savedOf(who) : {};
    var list = box.querySelector("ul"), any = false;
    for (var slug in mine) {
      if (!Object.prototype.hasOwnProperty.call(mine, slug)) { continue; }
      var item = document.createElement("li"), link = document.createElement("a");
      link.href = mine[slug].url;
      link.textContent = mine[slug].title;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" · " + size(mine[slug].bytes || 0)));
      list.appendChild(item);
      any = true;
    }
    if (!any && box.getAttribute("data-empty")) {
      var empty = document.createElement("p");
      empty.textContent = box.getAttribute("data-empty");
      box.appendChild(empty);
    }
    box.hidden = !any && !box.getAttribute("data-empty");
  }

  // ---- the lesson page: 我读完了 and the check's answers through the outbox --------------------
  function lessonPage(box) {
    var outbox = window.FieldsideOutbox;
    if (!outbox || !member) { return; }
    var url = box.getAttribute("data-sync-url");
    var lessonId = parseInt(box.getAttribute("data-lesson"), 10);
    var check = document.querySelector("#check form.quiz-form");
    var match = check && /attempts\/(\d+)\/submit/.exec(check.getAttribute("action"));
    var attemptId = match ? parseInt(match[1], 10) : null;
    var done = document.querySelector("#progress-mark form");
    var saved = !!savedOf(member)[box.getAttribute("data-slug")];

    function queueing() { return saved || window.navigator.onLine === false; }
    function note(form, text) {
      var p = document.createElement("p");
      p.className = "notice offline-note";
      p.setAttribute("role", "status");
      p.textContent = text;
      form.parentNode.replaceChild(p, form);
      return p;
    }
    function values(form, name) {
      var out = [], inputs = form.querySelectorAll("[name='" + name + "']");
      for (var i = 0; i < inputs.length; i++) {
        if ((inputs[i].type === "radio" || inputs[i].type === "checkbox") && !inputs[i].checked) { continue; }
        out.push(inputs[i].value);
      }
      return out;
    }
    var notes = {};
    var waiting = outbox.pending(member);
    for (var i = 0; i < waiting.length; i++) {
      var body = waiting[i].body || {};
      if (check && check.parentNode && body.kind === "check_answers" && body.attempt === attemptId) {
        notes.check = note(check, box.getAttribute("data-queued-check"));
      } else if (done && done.parentNode && body.kind === "lesson_read" && body.lesson === lessonId) {
        notes.read = note(done, box.getAttribute("data-queued-read"));
      }
    }
    // a timed check is graded online only (its deadline is the server's): offline it says so
    var timed = check && check.hasAttribute("data-timed");
    if (check && check.parentNode) {
      check.addEventListener("submit", function (event) {
        if (timed && window.navigator.onLine === false) {
          event.preventDefault();
          var hint = check.querySelector(".offline-timed") || document.createElement("p");
          hint.className = "notice offline-timed";
          hint.setAttribute("role", "alert");
          hint.textContent = box.getAttribute("data-timed");
          check.appendChild(hint);
          return;
        }
        if (timed || !queueing()) { return; }
        event.preventDefault();
        var answers = {}, shown = check.querySelectorAll("input[name=shown]");
        for (var k = 0; k < shown.length; k++) { answers[shown[k].value] = values(check, "q-" + shown[k].value); }
        var id = outbox.add(url, "check_answers", { kind: "check_answers", attempt: attemptId,
                                                    answers: answers, member: member });
        notes.check = note(check, box.getAttribute(id ? "data-queued-check" : "data-not-kept"));
      });
    }
    if (done && done.parentNode) {
      done.addEventListener("submit", function (event) {
        if (!queueing()) { return; }
        event.preventDefault();
        var id = outbox.add(url, "lesson_read", { kind: "lesson_read", lesson: lessonId, member: member });
        notes.read = note(done, box.getAttribute(id ? "data-queued-read" : "data-not-kept"));
      });
    }
    // a check that needs the network to start (timed, or a retry) says so instead of failing
    var starts = document.querySelectorAll("#check form[action$='/start']");
    for (var s = 0; s < starts.length; s++) {
      starts[s].addEventListener("submit", function (event) {
        if (window.navigator.onLine !== false) { return; }
        event.preventDefault();
        note(this, box.getAttribute("data-online-only"));
      });
    }
    outbox.onResult(function (item, result) {
      var body = item.body || {};
      if (result.ok && body.kind === "check_answers" && body.attempt === attemptId && notes.check) {
        notes.check.textContent = fill(box.getAttribute(result.passed ? "data-passed" : "data-missed"),
                                       { right: result.right, needed: result.needed });
      } else if (result.ok && body.kind === "lesson_read" && body.lesson === lessonId && notes.read) {
        notes.read.textContent = box.getAttribute("data-read");
      } else if (!result.ok && notes[body.kind === "lesson_read" ? "read" : "check"] &&
                 (body.attempt === attemptId || body.lesson === lessonId)) {
        notes[body.kind === "lesson_read" ? "read" : "check"].textContent = result.error;
      }
    });
  }

  function start() {
    var box = document.getElementById("offline-save");
    if (box) { saveBox(box); }
    if (member) { markSaved(); }
    var lesson = document.getElementById("offline-lesson");
    if (lesson) { lessonPage(lesson); }
    var list = document.getElementById("offline-saved-list");
    if (list) { listSaved(list); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
