/* The phone's outbox: what a member or recorder did while the signal was gone (a roster tick, a
   lesson read, a check answered), kept on the phone and sent when the signal returns, exactly
   once. Each item has an id made here; the server keeps a receipt per id (lms/core/receipts.py),
   so a resent batch, a double tap or a second tab changes nothing.

   FieldsideOutbox.add(url, kind, body) -> id   keep an item for the signed-in member, try to send
   FieldsideOutbox.pending([member])          items not yet sent (this member's by default)
   FieldsideOutbox.flush()                    send now (also on "online", on load, every 20 s)
   FieldsideOutbox.onResult(fn)               fn(item, result) for each answered item

   An endpoint takes POST {"items": [{"id": …, …body}]} (at most 100) and answers
   {"results": [{"id": …, "ok": true|false, "replayed": bool, "error": "…", …}]}. Items are sent
   only while their own member is signed in (asked of /sync/whoami first), so on a shared phone
   one member's queue is never sent, or seen, as another's. Plain ES5 for old Android webviews. */
(function () {
  if (window.FieldsideOutbox) { return; }
  var KEY = "fieldside-outbox";
  var BATCH = 100;
  var listeners = [];
  var sending = false;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "[]") || []; } catch (e) { return []; }
  }
  function store(items) {
    try { window.localStorage.setItem(KEY, JSON.stringify(items)); return true; } catch (e) { return false; }
  }
  function meta(name) {
    var node = document.querySelector("meta[name='" + name + "']");
    return node ? node.getAttribute("content") : "";
  }
  function newId() {
    var c = window.crypto || window.msCrypto;
    if (c && c.getRandomValues) {
      var bytes = new Uint8Array(16), out = "";
      c.getRandomValues(bytes);
      for (var i = 0; i < bytes.length; i++) { out += (bytes[i] + 256).toString(16).slice(1); }
      return out;
    }
    return (new Date().getTime()).toString(36) + "-" + Math.random().toString(36).slice(2, 14);
  }

  function request(method, url, body, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    xhr.setRequestHeader("Accept", "application/json");
    if (body) {
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.setRequestHeader("X-CSRFToken", body.token);
    }
    xhr.timeout = 30000;
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) { return; }
      var parsed = null;
      try { parsed = JSON.parse(xhr.responseText); } catch (e) { parsed = null; }
      done(xhr.status, parsed);
    };
    xhr.send(body ? JSON.stringify({ items: body.items }) : null);
  }

  function pending(member) {
    member = String(member || meta("fieldside-member"));
    var items = load(), out = [];
    for (var i = 0; i < items.length; i++) {
      if (String(items[i].member) === member) { out.push(items[i]); }
    }
    return out;
  }

  function forget(ids) {
    var items = load(), keep = [];
    for (var i = 0; i < items.length; i++) {
      if (!ids[items[i].id]) { keep.push(items[i]); }
    }
    store(keep);
  }

  function sendBatches(member, token, done) {
    var mine = pending(member);
    if (!mine.length) { done(); return; }
    var url = mine[0].url, batch = [];
    for (var i = 0; i < mine.length && batch.length < BATCH; i++) {
      if (mine[i].url === url) { batch.push(mine[i]); }
    }
    var payload = [];
    for (var j = 0; j < batch.length; j++) {
      var item = {}, body = batch[j].body || {};
      for (var k in body) { if (Object.prototype.hasOwnProperty.call(body, k)) { item[k] = body[k]; } }
      item.id = batch[j].id;
      payload.push(item);
    }
    request("POST", url, { token: token, items: payload }, function (status, answer) {
      if (status !== 200 || !answer || !answer.results) { done(); return; }  // kept for later
      var byId = {}, answered = {};
      for (var b = 0; b < batch.length; b++) { byId[batch[b].id] = batch[b]; }
      for (var r = 0; r < answer.results.length; r++) {
        var result = answer.results[r];
        if (!byId[result.id] || result.retry) { continue; }
        answered[result.id] = true;
        for (var l = 0; l < listeners.length; l++) { listeners[l](byId[result.id], result); }
      }
      forget(answered);
      var progressed = false;
      for (var a in answered) { if (Object.prototype.hasOwnProperty.call(answered, a)) { progressed = true; } }
      if (progressed) { sendBatches(member, token, done); } else { done(); }
    });
  }

  function flush() {
    if (sending || !window.XMLHttpRequest || !load().length) { return; }
    sending = true;
    request("GET", "/sync/whoami", null, function (status, who) {
      if (status !== 200 || !who || !who.member) { sending = false; return; }
      sendBatches(who.member, who.token, function () { sending = false; });
    });
  }

  function add(url, kind, body) {
    var member = meta("fieldside-member");
    var item = { id: newId(), member: member, url: url, kind: kind, body: body || {},
                 at: new Date().getTime() };
    var items = load();
    items.push(item);
    if (!store(items)) { return null; }
    flush();
    return item.id;
  }

  window.FieldsideOutbox = {
    add: add,
    pending: pending,
    flush: flush,
    onResult: function (fn) { listeners.push(fn); }
  };
  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", flush);
  } else {
    flush();
  }
})();
