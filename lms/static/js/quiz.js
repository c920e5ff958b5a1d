/* Quizzes: save each answer as it is given (retrying when the signal comes back), the answer
   timer, the unanswered count before submitting, and 错题本 practice checked in place.
   Every page works without this file. Plain ES5 (no arrow functions, no optional chaining,
   XMLHttpRequest rather than fetch) for old Android webviews. */
(function () {
  if (window.fieldsideQuiz) { return; }  // included twice (lesson page sections)
  window.fieldsideQuiz = true;

  function post(url, data, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url, true);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.timeout = 15000;
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) { return; }
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      done(xhr.status, body);
    };
    xhr.send(data);
  }

  function fieldValues(form, name) {
    var out = [];
    var inputs = form.querySelectorAll("[name='" + name + "']");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { continue; }
      out.push(input.value);
    }
    return out;
  }

  function setStatus(fieldset, text, bad) {
    var status = fieldset.querySelector(".save-status");
    if (!status) { return; }
    status.textContent = text;
    status.className = "save-status" + (bad ? " is-bad" : "");
  }

  function answered(form, fieldset) {
    var values = fieldValues(form, "q-" + fieldset.getAttribute("data-key"));
    for (var i = 0; i < values.length; i++) {
      if (values[i].replace(/\s/g, "")) { return true; }
    }
    return false;
  }

  function updateUnanswered(form) {
    var target = form.querySelector(".unanswered");
    if (!target) { return; }
    var sets = form.querySelectorAll("fieldset.question");
    var missing = 0;
    for (var i = 0; i < sets.length; i++) {
      if (!answered(form, sets[i])) { missing++; }
    }
    target.textContent = missing ? target.getAttribute("data-template").replace("N", missing) : "";
  }

  function quizForm(form) {
    var url = form.getAttribute("data-save-url");
    var token = form.querySelector("[name=csrf_token]");
    var pending = {};
    var busy = {};
    var finished = false;

    function save(fieldset) {
      var key = fieldset.getAttribute("data-key");
      if (busy[key]) { pending[key] = fieldset; return; }
      delete pending[key];
      busy[key] = true;
      var data = new FormData();
      if (token) { data.append("csrf_token", token.value); }
      data.append("shown", key);
      var values = fieldValues(form, "q-" + key);
      for (var i = 0; i < values.length; i++) { data.append("q-" + key, values[i]); }
      setStatus(fieldset, "…", false);
      post(url, data, function (status, body) {
        busy[key] = false;
        if (status === 200) {
          setStatus(fieldset, form.getAttribute("data-saved"), false);
        } else if (status === 0 || status >= 500) {
          pending[key] = fieldset;
          setStatus(fieldset, form.getAttribute("data-offline"), true);
        } else {
          setStatus(fieldset, (body && body.error) || form.getAttribute("data-unsaved"), true);
        }
        if (pending[key] && status === 200) { save(pending[key]); }
      });
    }

    function retry() {
      if (finished) { return; }
      for (var key in pending) {
        if (Object.prototype.hasOwnProperty.call(pending, key) && !busy[key]) { save(pending[key]); }
      }
    }

    var timers = {};
    function changed(event) {
      var node = event.target;
      while (node && node !== form && node.tagName !== "FIELDSET") { node = node.parentNode; }
      if (!node || node === form) { return; }
      var fieldset = node;
      var key = fieldset.getAttribute("data-key");
      updateUnanswered(form);
      if (event.type === "input") {  // typing: save after a pause
        clearTimeout(timers[key]);
        timers[key] = setTimeout(function () { save(fieldset); }, 1200);
        return;
      }
      clearTimeout(timers[key]);
      save(fieldset);
    }

    form.addEventListener("change", changed);
    form.addEventListener("input", function (event) {
      if (event.target.type === "text") { changed(event); }
    });
    form.addEventListener("submit", function () { finished = true; });
    window.addEventListener("online", retry);
    setInterval(retry, 10000);
    updateUnanswered(form);

    var timer = document.querySelector("[data-remaining]");
    if (timer && form.id === "quiz-form") {
      var ends = new Date().getTime() + parseInt(timer.getAttribute("data-remaining"), 10) * 1000;
      var tick = function () {
        var left = Math.max(0, Math.round((ends - new Date().getTime()) / 1000));
        var m = Math.floor(left / 60), s = left % 60;
        if (left <= 0) {
          timer.textContent = timer.getAttribute("data-expired-text");
          if (!finished) { finished = true; form.submit(); }
          return;
        }
        timer.textContent = timer.getAttribute("data-left-text") + " " + m + ":" + (s < 10 ? "0" : "") + s;
        setTimeout(tick, 1000);
      };
      if (parseInt(timer.getAttribute("data-remaining"), 10) > 0) { tick(); }
    }
  }

  function practiceForm(form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData) { return; }
      event.preventDefault();
      var result = form.querySelector(".practice-result");
      post(form.action, new FormData(form), function (status, body) {
        if (status !== 200 || !body) {
          result.textContent = (body && body.error) || form.getAttribute("data-offline");
          return;
        }
        var text = body.correct ? form.getAttribute("data-right") : form.getAttribute("data-wrong");
        if (body.resolved) { text += " " + form.getAttribute("data-resolved"); }
        if (body.answer) { text += " " + form.getAttribute("data-answer-label") + body.answer + "。"; }
        if (body.explanation) { text += " " + body.explanation; }
        result.textContent = text;
        result.className = "practice-result " + (body.correct ? "is-right" : "is-wrong");
        if (body.resolved) {
          var button = form.querySelector("button[type=submit]");
          if (button) { button.disabled = true; }
        }
      });
    });
  }

  function init() {
    if (!window.XMLHttpRequest || !window.FormData) { return; }
    var forms = document.querySelectorAll("form.quiz-form");
    for (var i = 0; i < forms.length; i++) { quizForm(forms[i]); }
    var practice = document.querySelectorAll("form.practice-form");
    for (var j = 0; j < practice.length; j++) { practiceForm(practice[j]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
