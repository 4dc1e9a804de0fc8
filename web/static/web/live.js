// Live pages: the signed-in user's server-sent events (notifications/stream.py, the ASGI process).
// Each event updates the unread badge and is re-dispatched as a `c2m:notification` DOM event (detail:
// {id, kind, title, body, url, subject_type, subject_id, unread}) for the page's own scripts. EventSource
// reconnects by itself after a dropped or ended stream (sending Last-Event-ID); a refused one (an expired
// token) is retried a minute later. Pages keep their own polling, so nothing depends on the stream.
//
// A region marked `data-live-region` (the merchant's order page) is re-fetched and swapped in place on an
// event about its subject (`data-live-subject="order:12"`, or any event of `data-live-kinds="order."`)
// and every `data-live-poll` seconds as the fallback.
(function () {
  "use strict";
  var state = document.getElementById("live-state");
  var badge = document.getElementById("unread-count");
  var seen = {};
  var lastId = 0;

  function label(name) {
    return state.dataset["label" + name.charAt(0).toUpperCase() + name.slice(1)] || name;
  }

  function setState(name) {
    if (!state || state.dataset.state === name && !state.hidden) return;
    state.hidden = false;
    state.dataset.state = name;
    state.textContent = label(name);
  }

  function setUnread(n) {
    if (!badge || typeof n !== "number") return;
    badge.dataset.count = String(n);
    var number = badge.querySelector(".n");
    if (number) number.textContent = String(n);
  }

  function streamUrl(base) {
    if (!lastId) return base;
    // A new EventSource sends no Last-Event-ID: resume after the last event through ?after= instead.
    return /[?&]after=/.test(base) ? base.replace(/([?&]after=)\d*/, "$1" + lastId) : base + (base.indexOf("?") < 0 ? "?" : "&") + "after=" + lastId;
  }

  function connect(base) {
    setState("connecting");
    var source = new EventSource(streamUrl(base));
    source.onopen = function () { setState("live"); };
    source.addEventListener("notification", function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (e.lastEventId) lastId = Math.max(lastId, parseInt(e.lastEventId, 10) || 0);
      if (seen[data.id]) return;
      seen[data.id] = true;
      setUnread(data.unread);
      document.dispatchEvent(new CustomEvent("c2m:notification", { detail: data }));
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (401/403) or unreachable: the pages' polling carries on; try the stream again later.
        source.close();
        setState("offline");
        setTimeout(function () { connect(base); }, 60000);
      } else {
        setState("connecting");
      }
    };
  }

  // --- a page region that follows its subject ------------------------------------------------------
  function withoutHidden(html) { return html.replace(/<input[^>]*type="hidden"[^>]*>/g, ""); }

  function followRegion(region) {
    var busy = false, queued = false;
    function editing() {
      var el = document.activeElement;
      return el && region.contains(el) && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName);
    }
    function refresh() {
      if (busy) { queued = true; return; }
      if (editing()) { queued = true; return; } // never swap a form from under the user's fingers
      busy = true;
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { if (!r.ok || r.redirected) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(region.id);
          // Hidden inputs (CSRF and one-time form tokens) differ on every render: not a change.
          if (fresh && withoutHidden(fresh.innerHTML) !== withoutHidden(region.innerHTML)) {
            region.innerHTML = fresh.innerHTML;
            region.dispatchEvent(new CustomEvent("c2m:region-updated", { bubbles: true }));
          }
        })
        .catch(function () { /* the next event or poll tries again */ })
        .then(function () {
          busy = false;
          if (queued) { queued = false; setTimeout(refresh, 0); }
        });
    }
    region.addEventListener("focusout", function () { if (queued) { queued = false; setTimeout(refresh, 0); } });
    var subject = region.dataset.liveSubject || "";
    var kinds = region.dataset.liveKinds || "";
    document.addEventListener("c2m:notification", function (e) {
      var d = e.detail || {};
      var about = d.subject_type + ":" + d.subject_id;
      if ((subject && about === subject) || (kinds && String(d.kind).indexOf(kinds) === 0)) refresh();
    });
    var every = parseInt(region.dataset.livePoll || "0", 10);
    if (every > 0) {
      setInterval(function () { if (!document.hidden) refresh(); }, every * 1000);
    }
    window.c2mRefreshRegion = refresh;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-region]").forEach(followRegion);
  });

  var base = state && state.dataset.eventsUrl;
  if (!base || !window.EventSource) {
    if (state) setState("offline");
    return;
  }
  connect(base);
})();
