// Small progressive enhancements; every page also works without them.
(function () {
  "use strict";
  // The vendored ECharts, loaded once on demand for the panels that draw charts (they arrive
  // by HTMX, in any order): every caller's callback runs once it is there.
  var echartsWaiting = null;
  window.tobloopWithEcharts = function (src, callback) {
    if (typeof echarts !== "undefined") { callback(); return; }
    if (echartsWaiting) { echartsWaiting.push(callback); return; }
    echartsWaiting = [callback];
    var s = document.createElement("script");
    s.src = src;
    s.onload = function () {
      var waiting = echartsWaiting;
      echartsWaiting = null;
      waiting.forEach(function (f) { f(); });
    };
    document.head.appendChild(s);
  };
  // <select data-autosubmit> submits its form when changed (the language switch).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
  // <form data-confirm="…"> asks before submitting (revoking a key).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // <button data-copy="#id"> copies the text of the element it names.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = button.getAttribute("data-copied") || button.textContent;
    });
  });
  // A partial request that ended on the sign-in page (the session expired) opens that page
  // instead of swapping it into the table.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var meta = document.querySelector("meta[name=login-url]");
    var xhr = event.detail.xhr;
    if (!meta || !xhr || !xhr.responseURL) return;
    var url = new URL(xhr.responseURL);
    if (url.pathname === meta.getAttribute("content")) {
      event.detail.shouldSwap = false;
      window.location.assign(url.pathname + "?next=" + encodeURIComponent(location.pathname + location.search));
    }
  });
  // Sortable column headers of a filtered list: set the form's sort field and refresh.
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest("a[data-sort]");
    if (!link) return;
    var form = document.getElementById(link.getAttribute("data-form"));
    var field = form && form.elements.namedItem("sort");
    if (!field || !window.htmx) return;
    event.preventDefault();
    field.value = link.getAttribute("data-sort");
    window.htmx.trigger(form, "change");
  });
})();
