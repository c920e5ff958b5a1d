/* Loaded in the head, before the body is drawn, on every page. Plain ES5 so old Android
   webviews run it.

   "js" on <html>: what a page shows only when scripts run (.js-only, the reserved space for
   buttons the page's deferred scripts add) is laid out in the first paint, so nothing moves
   when those scripts run later (layout shift). */
document.documentElement.className += " js";

/* Print buttons (.js-only, data-print) on sheets, posters and records: here, with the class
   that shows them, so a button that shows also works. */
document.addEventListener("click", function (event) {
  var node = event.target;
  while (node && node.nodeType === 1) {
    if (node.hasAttribute("data-print")) { window.print(); return; }
    node = node.parentNode;
  }
});

/* Font-size switch. A signed-in member's size is kept with the account (the page's <html
   data-size> carries it, and a click posts it); the browser remembers it too, for the sign-in
   page. */
(function () {
  var KEY = "fieldside-size";
  var SIZES = ["standard", "large", "xlarge"];
  var root = document.documentElement;

  function apply(size) {
    if (SIZES.indexOf(size) < 0) { size = "standard"; }
    root.classList.remove("size-large", "size-xlarge");
    if (size !== "standard") { root.classList.add("size-" + size); }
    var buttons = document.querySelectorAll(".size-switch button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", buttons[i].getAttribute("data-size") === size ? "true" : "false");
    }
  }

  function remember(size) {
    try { window.localStorage.setItem(KEY, size); } catch (e) { /* private mode */ }
  }

  function keepWithAccount(box, size) {
    var url = box.getAttribute("data-save-url");
    if (!url) { return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url, true);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.setRequestHeader("X-CSRFToken", box.getAttribute("data-csrf") || "");
    xhr.send("size=" + encodeURIComponent(size));
  }

  var saved = root.getAttribute("data-size");
  if (saved) { remember(saved); } else {
    try { saved = window.localStorage.getItem(KEY); } catch (e) { saved = null; }
  }
  apply(saved);

  document.addEventListener("DOMContentLoaded", function () {
    apply(saved);
    var box = document.querySelector(".size-switch");
    var buttons = document.querySelectorAll(".size-switch button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () {
        var size = this.getAttribute("data-size");
        remember(size);
        apply(size);
        if (box) { keepWithAccount(box, size); }
      });
    }
  });
})();

/* Signing out with study records still on the phone: say how many, once, before leaving. They
   stay in the outbox for this member (outbox.js sends a member's items only while that member is
   signed in), so the next person on a shared phone neither sees nor sends them. */
(function () {
  function unsent(member) {
    var items = [];
    try { items = JSON.parse(window.localStorage.getItem("fieldside-outbox") || "[]") || []; } catch (e) { items = []; }
    var n = 0;
    for (var i = 0; i < items.length; i++) { if (String(items[i].member) === member) { n++; } }
    return n;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-unsent]");
    var meta = document.querySelector("meta[name='fieldside-member']");
    if (!form || !meta) { return; }
    form.addEventListener("submit", function (event) {
      var n = unsent(meta.getAttribute("content"));
      if (!n || form.getAttribute("data-warned")) { return; }
      event.preventDefault();
      form.setAttribute("data-warned", "1");
      var note = document.createElement("p");
      note.className = "notice";
      note.setAttribute("role", "alert");
      note.textContent = form.getAttribute("data-unsent").replace("{n}", String(n));
      form.insertBefore(note, form.firstChild);
      var button = form.querySelector("button[type=submit]");
      if (button) { button.textContent = form.getAttribute("data-anyway"); }
      if (window.FieldsideOutbox) { window.FieldsideOutbox.flush(); }  // maybe the signal is back
    });
  });
})();
