/* Progress: tell the server a lesson page was opened (first/last seen).
   Plain ES5 for old Android webviews; a failed request costs the member nothing. */
(function () {
  var mark = document.getElementById("progress-mark");
  if (mark && window.XMLHttpRequest) {
    try {
      var token = mark.getAttribute("data-csrf") || "";
      var xhr = new XMLHttpRequest();
      xhr.open("POST", mark.getAttribute("data-seen-url"), true);
      xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.send("csrf_token=" + encodeURIComponent(token));
    } catch (e) { /* offline or blocked: nothing to do */ }
  }
})();
