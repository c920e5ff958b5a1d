/* Lesson page. Plain ES5 for old Android webviews.
   - Read-aloud with the browser's own speech synthesis (zh-CN). The button is made here, and only
     where speech synthesis exists: a button rendered hidden would show anyway wherever a style
     gives buttons a display (ours does), and without script it could do nothing.
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

  if (!tools || !article || !lessonBody || !("speechSynthesis" in window) ||
      !window.speechSynthesis || !window.SpeechSynthesisUtterance) {
    return;
  }
  var synth = window.speechSynthesis;
  var speaking = false;
  var button = document.createElement("button");
  button.type = "button";
  button.id = "read-aloud";
  button.className = "button";
  button.textContent = tools.getAttribute("data-read-start");

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
    synth.cancel();
    speaking = false;
    button.textContent = tools.getAttribute("data-read-start");
  }

  function words() {
    // the title and the lesson text; not the page's buttons, counters or share box
    var title = article.querySelector("h1");
    var heading = title ? (title.innerText || title.textContent || "") + "。" : "";
    return heading + (lessonBody.innerText || lessonBody.textContent || "");
  }

  button.addEventListener("click", function () {
    if (speaking) { stop(); return; }
    var pieces = chunks(words());
    speaking = true;
    button.textContent = tools.getAttribute("data-read-stop");
    for (var i = 0; i < pieces.length; i++) {
      var utterance = new window.SpeechSynthesisUtterance(pieces[i]);
      utterance.lang = "zh-CN";
      utterance.rate = 0.9;
      if (i === pieces.length - 1) { utterance.onend = stop; }
      synth.speak(utterance);
    }
  });
  window.addEventListener("pagehide", stop);
  tools.insertBefore(button, tools.firstChild);
})();
