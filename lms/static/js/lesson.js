/* Read-aloud with the browser's own speech synthesis (zh-CN). Hidden where there is none.
   Plain ES5 for old Android webviews. */
(function () {
  var button = document.getElementById("read-aloud");
  var body = document.getElementById("lesson");
  if (!button || !body || !("speechSynthesis" in window) || !window.SpeechSynthesisUtterance) {
    return;
  }
  var synth = window.speechSynthesis;
  var speaking = false;

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
    button.textContent = button.getAttribute("data-start");
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    if (speaking) { stop(); return; }
    var pieces = chunks(body.innerText || body.textContent || "");
    speaking = true;
    button.textContent = button.getAttribute("data-stop");
    for (var i = 0; i < pieces.length; i++) {
      var utterance = new window.SpeechSynthesisUtterance(pieces[i]);
      utterance.lang = "zh-CN";
      utterance.rate = 0.9;
      if (i === pieces.length - 1) { utterance.onend = stop; }
      synth.speak(utterance);
    }
  });
  window.addEventListener("pagehide", stop);
})();
