// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  function countWords(text) {
    var trimmed = text.trim();
    return trimmed === "" ? 0 : trimmed.split(/\s+/).length;
  }
  function wireWordCount(area) {
    var limit = parseInt(area.getAttribute("data-word-limit"), 10);
    var output = document.getElementById(area.id + "-count");
    if (!output || !limit) { return; }
    function update() {
      var words = countWords(area.value);
      var left = limit - words;
      output.textContent = left >= 0
        ? "You have " + left + " word" + (left === 1 ? "" : "s") + " remaining"
        : "You have " + (-left) + " word" + (left === -1 ? "" : "s") + " too many";
      output.classList.toggle("word-count-over", left < 0);
    }
    area.addEventListener("input", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var areas = document.querySelectorAll("textarea[data-word-limit]");
    for (var i = 0; i < areas.length; i++) { wireWordCount(areas[i]); }
    var summary = document.querySelector("[data-focus]");
    if (summary) { summary.focus(); }
  });
})();
