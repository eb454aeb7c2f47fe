/* Matchmaker: small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // On a phone the search filters start folded, so the results come first.
  if (window.matchMedia && window.matchMedia("(max-width: 719px)").matches) {
    document.querySelectorAll("details.filters[open]").forEach(function (details) { details.removeAttribute("open"); });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-autosubmit") && target.form) {
      if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
    }
  });
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
