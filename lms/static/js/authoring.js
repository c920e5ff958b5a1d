/* Trainer's editor: preview without leaving the page, and only the answer fields a question kind
   needs. Plain ES5; every page works without it (the preview button then posts the form). */
(function () {
  "use strict";

  function previewLesson() {
    var form = document.getElementById("lesson-form");
    var button = document.getElementById("preview-button");
    var pane = document.getElementById("preview-pane");
    var target = document.getElementById("preview");
    if (!form || !button || !pane || !target || !window.FormData) { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-preview") + "?fragment=1", true);
      xhr.onload = function () {
        if (xhr.status === 200) {
          target.innerHTML = xhr.responseText; /* sanitised on the server by the reader's cleaner */
          pane.hidden = false;
          pane.scrollIntoView();
        } else {
          target.textContent = button.getAttribute("data-failed");
          pane.hidden = false;
        }
      };
      xhr.onerror = function () {
        target.textContent = button.getAttribute("data-failed");
        pane.hidden = false;
      };
      xhr.send(new FormData(form));
    });
  }

  function questionKinds() {
    var kind = document.querySelector(".question-form select[name=kind]");
    if (!kind) { return; }
    /* each fieldset names the kinds it serves (lms/core/kinds: authoring_template) */
    var groups = document.querySelectorAll(".question-form [data-kinds]");
    function show() {
      for (var i = 0; i < groups.length; i++) {
        var kinds = groups[i].getAttribute("data-kinds").split(" ");
        groups[i].hidden = kinds.indexOf(kind.value) < 0;
      }
    }
    kind.addEventListener("change", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    previewLesson();
    questionKinds();
  });
})();
