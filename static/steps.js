// Forms in steps, made for a thumb: a form whose parts are marked `.step` (form.steps) shows one
// part at a time, with "Step 2 of 4", Back and Next. The parts stay in ONE form: moving between
// them only hides and shows, so nothing typed (or a chosen photo) is ever lost, and Save sends
// everything. Without this file the same form shows every part and one Save.
//
// - Next checks only the part on screen (unless the form is noValidate); Save is there on every
//   step, so what does not apply can be skipped. Enter in a one-line field goes to the next part
//   instead of saving early.
// - A part with data-applies-when="kind" data-applies-value="reflection" is skipped unless that
//   field has that value, or the part already holds something typed.
// - After the server sends the form back with messages, the part holding the first one opens
//   and its field takes the focus; links in the error summary open the part of their field.
(function () {
  "use strict";

  var FIELDS = "input:not([type=hidden]), select, textarea";

  function setUp(form) {
    if (form.dataset.stepsReady) { return; }
    var all = Array.prototype.slice.call(form.querySelectorAll(".step"));
    var nav = form.querySelector(".step-nav");
    if (all.length < 2 || !nav) { return; }
    form.dataset.stepsReady = "1";
    form.classList.add("in-steps");
    var back = nav.querySelector(".step-back");
    var next = nav.querySelector(".step-next");
    var save = form.querySelector(".actions [type=submit]");
    var current = all[0];

    function holdsText(step) {
      return Array.prototype.some.call(step.querySelectorAll(FIELDS), function (field) {
        if (field.type === "checkbox" || field.type === "radio" || field.type === "file") { return false; }
        return field.value !== "";
      });
    }

    function applies(step) {
      var name = step.dataset.appliesWhen;
      if (!name || step === current) { return true; }
      var field = form.elements[name];
      return (field && field.value === step.dataset.appliesValue) || holdsText(step);
    }

    function steps() { return all.filter(applies); }

    function render() {
      var list = steps();
      var index = list.indexOf(current);
      var last = index === list.length - 1;
      all.forEach(function (step) { step.hidden = step !== current; });
      var counter = current.querySelector(".step-of");
      if (counter) {
        counter.textContent = form.dataset.stepText
          .replace("{step}", String(index + 1)).replace("{total}", String(list.length));
      }
      back.hidden = index === 0;
      next.hidden = last;
      if (save) { save.classList.toggle("primary", last); }
    }

    function show(step, focus) {
      current = step;
      render();
      var target = focus || current.querySelector(".step-of") || current;
      current.scrollIntoView({ block: "start" });
      target.focus({ preventScroll: focus === undefined });
    }

    function firstInvalid(root) {
      return Array.prototype.find.call(root.querySelectorAll(FIELDS), function (field) {
        return !field.checkValidity();
      });
    }

    function goNext() {
      var wrong = form.noValidate ? null : firstInvalid(current);
      if (wrong) { wrong.reportValidity(); return; }
      var list = steps();
      var index = list.indexOf(current);
      if (index < list.length - 1) { show(list[index + 1]); }
    }

    next.addEventListener("click", goNext);
    back.addEventListener("click", function () {
      var list = steps();
      var index = list.indexOf(current);
      if (index > 0) { show(list[index - 1]); }
    });
    // Before the browser checks the whole form, open the part holding the first field it would refuse:
    // a hidden field cannot show its message.
    if (save) {
      save.addEventListener("click", function () {
        var wrong = form.noValidate ? null : firstInvalid(form);
        if (wrong && wrong.closest(".step") !== current) {
          current = wrong.closest(".step") || current;
          render();
        }
      });
    }
    form.addEventListener("keydown", function (event) {
      var field = event.target;
      if (event.key !== "Enter" || field.tagName !== "INPUT" || !next || next.hidden) { return; }
      if (["checkbox", "radio", "file", "submit", "button"].indexOf(field.type) >= 0) { return; }
      event.preventDefault();
      goNext();
    });
    form.addEventListener("change", render);

    form.fieldkitShowStep = function (field) {
      var step = field.closest(".step");
      if (step) { show(step, field); }
    };

    var invalid = form.querySelector("[aria-invalid=true], .invalid input, .invalid select, .invalid textarea");
    if (invalid && invalid.closest(".step")) {
      current = invalid.closest(".step");
      render();
      invalid.focus();
    } else {
      render();
    }
  }

  function setUpAll(root) {
    if (root.matches && root.matches("form.steps")) { setUp(root); }
    root.querySelectorAll("form.steps").forEach(setUp);
  }

  // A link to a field (the error summary) opens the part that holds it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href^='#']");
    if (!link || link.getAttribute("href").length < 2) { return; }
    var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    var form = field && field.form;
    if (form && form.fieldkitShowStep) {
      event.preventDefault();
      form.fieldkitShowStep(field);
    }
  });

  document.addEventListener("DOMContentLoaded", function () { setUpAll(document); });
  document.addEventListener("htmx:load", function (event) { setUpAll(event.target); });
})();
