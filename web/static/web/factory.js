// Factory phone pages: live countdowns to offer deadlines, new offers without reloading,
// and forms that cannot be sent twice by a double tap (the server's one-time token is the real guard).
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.dataset.deadline) - now) / 1000);
      if (left <= 0) {
        el.textContent = el.dataset.expired;
        el.classList.add("urgent");
        var card = el.closest(".offer");
        if (card) card.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        return;
      }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
      el.classList.toggle("urgent", left < 120);
    });
  }

  function guardForms(root) {
    root.querySelectorAll("form.once").forEach(function (form) {
      if (form.dataset.guarded) return;
      form.dataset.guarded = "1";
      form.addEventListener("submit", function () {
        setTimeout(function () { form.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }, 0);
      });
    });
  }

  // Fetch the open offers now; replace the list only when the set changed, so a half-open decline menu
  // is not closed under a finger. Exposed (window.c2mRefreshOffers) for the live stream (live.js).
  function refreshOffers() {
    var box = document.getElementById("offers");
    if (!box) return Promise.resolve();
    var status = document.getElementById("poll-status");
    return fetch(box.dataset.pollUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        var ids = data.ids.join(",");
        if (ids !== box.dataset.ids) {
          box.innerHTML = data.html;
          box.dataset.ids = ids;
          guardForms(box);
          tick();
        }
        if (status) status.textContent = status.dataset.live;
      })
      .catch(function () { if (status) status.textContent = status.dataset.offline; });
  }

  // Polling stays as the fallback to the live stream: every 10 s while the page is visible.
  function poll() {
    if (!document.getElementById("offers")) return;
    var interval = 10000;
    function once() {
      if (document.hidden) { return setTimeout(once, interval); }
      refreshOffers().then(function () { setTimeout(once, interval); });
    }
    setTimeout(once, interval);
    document.addEventListener("c2m:notification", function () { refreshOffers(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    guardForms(document);
    tick();
    setInterval(tick, 1000);
    poll();
  });
  window.c2mLang = lang;
  window.c2mRefreshOffers = refreshOffers;
})();
