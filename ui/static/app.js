// canhgac UI: the little script the pages need. Loaded from /static (the CSP allows no inline
// script). It never writes HTML: text goes in with textContent.
"use strict";
(function () {
  // Select every alert on the page for a bulk change.
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input.pick").forEach(function (box) { box.checked = all.checked; });
    });
  }
  // New alerts while the page is open: a badge that reloads the page when clicked.
  var badge = document.getElementById("live-alerts");
  if (badge && window.EventSource) {
    var fresh = 0;
    var source = new EventSource("/api/stream");
    source.addEventListener("alerts", function (e) {
      var data = {};
      try { data = JSON.parse(e.data); } catch (err) { return; }
      fresh += data["new"] || 0;
      badge.textContent = "+" + fresh + (document.documentElement.lang === "vi" ? " cảnh báo mới" : " new alerts");
      badge.hidden = false;
      // No reload by itself: an analyst may be halfway through reading or typing.
    });
    badge.addEventListener("click", function () { window.location.reload(); });
  }
})();
