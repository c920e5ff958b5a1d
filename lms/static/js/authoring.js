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
    var correct = document.querySelectorAll(".question-form input[name=correct]");
    function show() {
      for (var i = 0; i < groups.length; i++) {
        var kinds = groups[i].getAttribute("data-kinds").split(" ");
        groups[i].hidden = kinds.indexOf(kind.value) < 0;
      }
      /* one right option for 单选: radio buttons, so a second tick replaces the first */
      var seen = false;
      for (var j = 0; j < correct.length; j++) {
        correct[j].type = kind.value === "single" ? "radio" : "checkbox";
        if (kind.value === "single" && correct[j].checked) {
          if (seen) { correct[j].checked = false; }
          seen = true;
        }
      }
    }
    kind.addEventListener("change", show);
    show();
  }

  function recorder() {
    /* the lesson's audio from the phone's microphone: small files (opus at 24 kbit/s is about
       180 KB a minute), uploaded to the lesson's audio route, which checks the bytes */
    var box = document.getElementById("recorder");
    if (!box || !window.MediaRecorder || !window.FormData || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia) { return; }
    var types = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm",
                 "audio/mp4"];
    var type = "";
    for (var t = 0; t < types.length; t++) {
      if (!window.MediaRecorder.isTypeSupported || window.MediaRecorder.isTypeSupported(types[t])) {
        type = types[t];
        break;
      }
    }
    var start = document.createElement("button");
    start.type = "button";
    start.className = "button";
    start.id = "record-start";
    start.textContent = box.getAttribute("data-start");
    var save = document.createElement("button");
    save.type = "button";
    save.className = "button primary";
    save.id = "record-save";
    save.textContent = box.getAttribute("data-save");
    save.hidden = true;
    var listen = document.createElement("audio");
    listen.controls = true;
    listen.hidden = true;
    var note = document.createElement("p");
    note.className = "hint";
    note.id = "record-status";
    note.setAttribute("role", "status");
    box.appendChild(start);
    box.appendChild(listen);
    box.appendChild(save);
    box.appendChild(note);
    box.hidden = false;

    var rec = null, stream = null, parts = [], blob = null;
    function finish() {
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
      stream = null;
    }
    start.addEventListener("click", function () {
      if (rec && rec.state === "recording") { rec.stop(); return; }
      navigator.mediaDevices.getUserMedia({audio: true}).then(function (s) {
        stream = s;
        parts = [];
        var options = {audioBitsPerSecond: 24000};
        if (type) { options.mimeType = type; }
        try {
          rec = new window.MediaRecorder(stream, options);
        } catch (e) {
          rec = new window.MediaRecorder(stream);
        }
        rec.ondataavailable = function (event) {
          if (event.data && event.data.size) { parts.push(event.data); }
        };
        rec.onstop = function () {
          finish();
          blob = new Blob(parts, {type: (rec.mimeType || type || "audio/webm")});
          listen.src = URL.createObjectURL(blob);
          listen.hidden = false;
          save.hidden = false;
          note.textContent = "";
          start.textContent = box.getAttribute("data-start");
        };
        rec.start(1000);
        start.textContent = box.getAttribute("data-stop");
        save.hidden = true;
        note.textContent = box.getAttribute("data-recording");
      }, function () {
        note.textContent = box.getAttribute("data-denied");
      });
    });
    save.addEventListener("click", function () {
      if (!blob) { return; }
      var data = new FormData();
      data.append("csrf_token", box.getAttribute("data-csrf"));
      var ext = blob.type.indexOf("ogg") >= 0 ? ".ogg" :
        (blob.type.indexOf("mp4") >= 0 ? ".m4a" : ".webm");
      data.append("file", blob, "recording" + ext);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", box.getAttribute("data-url"), true);
      xhr.onload = function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (xhr.status === 200 && answer && answer.next) {
          window.location.href = answer.next;
          window.location.reload();
        } else {
          save.disabled = false;
          note.textContent = (answer && answer.error) || box.getAttribute("data-failed");
        }
      };
      xhr.onerror = function () {
        save.disabled = false;
        note.textContent = box.getAttribute("data-failed");
      };
      save.disabled = true;
      note.textContent = box.getAttribute("data-saving");
      xhr.send(data);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    previewLesson();
    questionKinds();
    recorder();
  });
})();
