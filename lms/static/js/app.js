/* Font-size switch, remembered per browser. Plain ES5 so old Android webviews run it. */
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

  var saved = null;
  try { saved = window.localStorage.getItem(KEY); } catch (e) { saved = null; }
  apply(saved);

  document.addEventListener("DOMContentLoaded", function () {
    apply(saved);
    var buttons = document.querySelectorAll(".size-switch button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () {
        var size = this.getAttribute("data-size");
        try { window.localStorage.setItem(KEY, size); } catch (e) { /* private mode */ }
        apply(size);
      });
    }
  });
})();
