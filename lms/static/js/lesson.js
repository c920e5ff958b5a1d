/* Lesson page. Plain ES5 for old Android webviews.
   - Read-aloud with the browser's own speech synthesis (zh-CN). The button is made here (without
     script it could do nothing). Where the phone has no Chinese voice (no speechSynthesis, or
     no zh voice once the voices have loaded) it says so and plays the lesson's recording, if
     the lesson has one, instead of "speaking" in silence.
   - Printing opens the share box, so the short link and QR code go on the sheet. */
(function () {
  var tools = document.getElementById("lesson-tools");
  var article = document.getElementById("lesson");
  var lessonBody = document.getElementById("lesson-body");

  function openShare(open) {
    var boxes = document.querySelectorAll("details.share");
    for (var i = 0; i < boxes.length; i++) {
      if (open && !boxes[i].open) {
        boxes[i].open = true;
        boxes[i].setAttribute("data-opened-for-print", "1");
        // the QR code waits (lazy) until someone opens the box: fetch it now for the sheet
        var images = boxes[i].getElementsByTagName("img");
        for (var j = 0; j < images.length; j++) { images[j].setAttribute("loading", "eager"); }
      } else if (!open && boxes[i].getAttribute("data-opened-for-print")) {
        boxes[i].open = false;
        boxes[i].removeAttribute("data-opened-for-print");
      }
    }
  }
  window.addEventListener("beforeprint", function () { openShare(true); });
  window.addEventListener("afterprint", function () { openShare(false); });
  if (window.matchMedia) {  // browsers without beforeprint (older Safari)
    var printing = window.matchMedia("print");
    if (printing.addListener) {
      printing.addListener(function (query) { openShare(query.matches); });
    }
  }

  if (!tools || !article || !lessonBody) { return; }
  var synth = ("speechSynthesis" in window && window.SpeechSynthesisUtterance) ?
    window.speechSynthesis : null;
  var recording = tools.getElementsByTagName("audio")[0] || null;
  var speaking = false;
  var button = document.createElement("button");
  button.type = "button";
  button.id = "read-aloud";
  button.className = "button";
  button.textContent = tools.getAttribute("data-read-start");
  var note = document.createElement("p");
  note.className = "hint";
  note.id = "read-aloud-note";
  note.setAttribute("role", "status");

  function chinese(voices) {
    for (var i = 0; i < voices.length; i++) {
      var lang = String(voices[i].lang || "").toLowerCase().replace("_", "-");
      if (lang.indexOf("zh") === 0 || lang.indexOf("cmn") === 0 || lang.indexOf("yue") === 0) {
        return voices[i];
      }
    }
    return null;
  }

  function withVoice(done) {
    // a phone without a Chinese voice would "speak" in silence: find one first. Voices may
    // arrive a little after the page (voiceschanged); wait for them, not for ever.
    if (!synth || !synth.getVoices) { done(null); return; }
    var voice = chinese(synth.getVoices() || []);
    if (voice) { done(voice); return; }
    var finished = false;
    function finish() {
      if (finished) { return; }
      finished = true;
      if (synth.removeEventListener) { synth.removeEventListener("voiceschanged", finish); }
      done(chinese(synth.getVoices() || []));
    }
    if (synth.addEventListener) { synth.addEventListener("voiceschanged", finish); }
    window.setTimeout(finish, 1500);
  }
  if (synth && synth.getVoices) { synth.getVoices(); }  // starts loading them in Chrome
  function chunks(text) {
    // long utterances are cut off by some engines: speak sentence by sentence
    var flat = text.replace(/\s+/g, " ");
    var out = [], current = "";
    for (var i = 0; i < flat.length; i++) {
      current += flat.charAt(i);
      if ("。！？；".indexOf(flat.charAt(i)) >= 0 && current.length > 60) {
        out.push(current);
        current = "";
      } else if (current.length > 180) {
        out.push(current);
        current = "";
      }
    }
    if (current.replace(/\s/g, "")) { out.push(current); }
    return out;
  }

  function stop() {
    if (synth) { synth.cancel(); }
    if (recording && !recording.paused) { recording.pause(); }
    speaking = false;
    button.textContent = tools.getAttribute("data-read-start");
  }

  function words() {
    // the title and the lesson text; not the page's buttons, counters or share box
    var title = article.querySelector("h1");
    var heading = title ? (title.innerText || title.textContent || "") + "。" : "";
    return heading + (lessonBody.innerText || lessonBody.textContent || "");
  }

  function speak(voice) {
    var pieces = chunks(words());
    for (var i = 0; i < pieces.length; i++) {
      var utterance = new window.SpeechSynthesisUtterance(pieces[i]);
      utterance.lang = "zh-CN";
      utterance.voice = voice;
      utterance.rate = 0.9;
      if (i === pieces.length - 1) { utterance.onend = stop; }
      synth.speak(utterance);
    }
  }

  function noVoice() {
    note.textContent = tools.getAttribute("data-no-voice") +
      (recording ? tools.getAttribute("data-play-recording") : "");
    if (!recording) { stop(); return; }
    recording.onended = stop;
    var playing = recording.play();
    if (playing && playing.then) {
      playing.then(null, function () {
        stop();
        note.textContent = tools.getAttribute("data-no-voice");
      });
    }
  }

  button.addEventListener("click", function () {
    if (speaking) { stop(); return; }
    speaking = true;
    button.textContent = tools.getAttribute("data-read-stop");
    note.textContent = "";
    withVoice(function (voice) {
      if (!speaking) { return; }
      if (voice) { speak(voice); } else { noVoice(); }
    });
  });
  if (recording) {
    recording.addEventListener("pause", function () {
      if (speaking && !(synth && synth.speaking)) { stop(); }
    });
  }
  window.addEventListener("pagehide", stop);
  var slot = document.getElementById("read-slot");  // its space is kept: nothing moves
  if (slot) {
    slot.appendChild(button);
    slot.appendChild(note);
  } else {
    tools.insertBefore(button, tools.firstChild);
    tools.appendChild(note);
  }
})();
