/* The roster on the recorder's phone: one tap per member (到 / 假 / 缺, 迟到 as a mark), the
   counts follow at once, and each tap goes through the outbox (outbox.js): sent now, or kept
   on the phone while there is no signal and sent once when it returns. Marks made on other
   phones (QR check-ins) are fetched every few seconds. Also refreshes the QR code page.
   Plain ES5 for old Android webviews. */
(function () {
  var qr = document.getElementById("qr");
  if (qr) {
    var period = parseInt(qr.getAttribute("data-period"), 10) * 1000;
    setInterval(function () {
      qr.src = qr.getAttribute("data-src") + "?at=" + new Date().getTime();
    }, period / 3);
  }
  var list = document.getElementById("roll");
  if (!list || !window.FieldsideOutbox) { return; }
  var url = list.getAttribute("data-ticks");
  var note = document.getElementById("roll-note");
  var rows = list.querySelectorAll("li[data-user]");
  var byUser = {};
  for (var i = 0; i < rows.length; i++) { byUser[rows[i].getAttribute("data-user")] = rows[i]; }

  function show(row) {
    var mark = row.getAttribute("data-mark");
    var late = row.getAttribute("data-late") === "1";
    var buttons = row.querySelectorAll("button[data-set]");
    for (var b = 0; b < buttons.length; b++) {
      var what = buttons[b].getAttribute("data-set");
      buttons[b].setAttribute("aria-pressed", String(what === "late" ? late : what === mark));
      if (what === "late") { buttons[b].hidden = mark !== "present"; }
    }
    row.querySelector(".reason").hidden = mark !== "leave";
  }

  function recount() {
    var n = { expected: rows.length, present: 0, leave: 0, absent: 0, unmarked: 0 };
    for (var r = 0; r < rows.length; r++) {
      var mark = rows[r].getAttribute("data-mark");
      if (n.hasOwnProperty(mark)) { n[mark] += 1; } else { n.unmarked += 1; }
    }
    for (var key in n) {
      if (n.hasOwnProperty(key)) {
        var cell = document.querySelector("[data-count=" + key + "]");
        if (cell) { cell.textContent = n[key]; }
      }
    }
  }

  function pendingCount(row) {
    var n = parseInt(row.getAttribute("data-pending") || "0", 10);
    return isNaN(n) ? 0 : n;
  }

  function send(row) {
    var body = { user: parseInt(row.getAttribute("data-user"), 10),
                 status: row.getAttribute("data-mark"),
                 late: row.getAttribute("data-late") === "1",
                 reason: row.querySelector(".reason").value };
    row.setAttribute("data-pending", String(pendingCount(row) + 1));
    window.FieldsideOutbox.add(url, "attendance", body);
    if (!navigator.onLine && note) {
      note.textContent = list.getAttribute("data-offline");
      note.hidden = false;
    }
  }

  list.addEventListener("click", function (event) {
    var button = event.target;
    if (!button.getAttribute || !button.getAttribute("data-set")) { return; }
    var row = button.parentNode.parentNode;
    var what = button.getAttribute("data-set");
    if (what === "late") {
      row.setAttribute("data-late", row.getAttribute("data-late") === "1" ? "0" : "1");
    } else {
      if (row.getAttribute("data-mark") === what) { return; }  // the same tap twice: nothing
      row.setAttribute("data-mark", what);
      if (what !== "present") { row.setAttribute("data-late", "0"); }
    }
    show(row);
    recount();
    send(row);
    if (what === "leave") { row.querySelector(".reason").focus(); }
  });
  list.addEventListener("change", function (event) {
    if (event.target.className === "reason") { send(event.target.parentNode); }
  });

  window.FieldsideOutbox.onResult(function (item, result) {
    if (item.url !== url) { return; }
    var row = byUser[String(item.body.user)];
    if (row) { row.setAttribute("data-pending", String(Math.max(0, pendingCount(row) - 1))); }
    if (note) {
      note.hidden = result.ok;
      if (!result.ok) { note.textContent = result.error || ""; }
    }
  });

  // what this phone queued earlier and has not sent yet still shows after a reload
  var queued = window.FieldsideOutbox.pending();
  for (var q = 0; q < queued.length; q++) {
    var kept = queued[q], row = kept.url === url && byUser[String(kept.body.user)];
    if (row) {
      row.setAttribute("data-mark", kept.body.status);
      row.setAttribute("data-late", kept.body.late ? "1" : "0");
      row.setAttribute("data-pending", String(pendingCount(row) + 1));
    }
  }
  for (var s = 0; s < rows.length; s++) { show(rows[s]); }
  recount();

  function poll() {
    if (!navigator.onLine) { return; }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", list.getAttribute("data-marks"), true);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4 || xhr.status !== 200) { return; }
      var data;
      try { data = JSON.parse(xhr.responseText); } catch (e) { return; }
      for (var user in data.marks) {
        var row = byUser[user];
        if (row && !pendingCount(row) && data.marks.hasOwnProperty(user)) {
          row.setAttribute("data-mark", data.marks[user][0] || "");
          row.setAttribute("data-late", data.marks[user][1] ? "1" : "0");
          show(row);
        }
      }
      recount();
      var guests = document.getElementById("roll-guests");
      if (guests && data.guests.length) {
        var html = "";
        for (var g = 0; g < data.guests.length; g++) {
          html += "<li></li>";
        }
        guests.innerHTML = html;
        var items = guests.querySelectorAll("li");
        for (var k = 0; k < items.length; k++) {
          items[k].textContent = data.guests[k][1] + "（" + data.guests[k][2] + "）";
        }
      }
    };
    xhr.send(null);
  }
  setInterval(poll, 5000);
})();
