// Web Push on the factory phone pages: registers the service worker (/sw.js) and offers an
// "Enable notifications" button; once allowed, the browser's subscription is posted to the API
// (POST /api/v1/push-subscriptions/, the session cookie and the CSRF header), so a new offer reaches the
// phone with the page closed. A phone already subscribed posts its subscription again, silently, on every
// load: the server may have dropped it (a 410 once), or another account used this phone before.
// The texts and URLs come from the #push-box element's data attributes (phone_base.html).
(function () {
  "use strict";
  var box = document.getElementById("push-box");
  if (!box || !("serviceWorker" in navigator)) return;
  var button = document.getElementById("push-enable");
  var status = document.getElementById("push-status");
  var hint = document.getElementById("push-hint");

  function say(key) {
    if (status) status.textContent = box.dataset[key] || "";
  }

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": cookie("csrftoken") },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (r) {
      if (!r.ok) throw new Error(method + " " + url + ": " + r.status);
      return r.status === 204 ? null : r.json();
    });
  }

  function show(state, withButton) {
    box.dataset.state = state;
    box.hidden = false;
    if (button) { button.hidden = !withButton; button.disabled = false; }
    if (hint) hint.hidden = !withButton;
  }

  // Just turned on: say so (and keep the box up to say it); already on at load: stay out of the way.
  function saved(quiet) {
    box.dataset.state = "on";
    if (quiet === true) { box.hidden = true; return; }
    show("on", false);
    say("labelOn");
  }

  function offer() {
    show("off", true);
    say("");
  }

  function blocked() {
    show("blocked", false);
    say("labelBlocked");
  }

  function post(subscription) {
    return api("POST", box.dataset.subscribeUrl, subscription.toJSON());
  }

  function enable(registration) {
    if (button) button.disabled = true;
    say("labelWorking");
    return api("GET", box.dataset.keyUrl)
      .then(function (answer) {
        if (!answer.enabled) throw new Error("push is not configured on the server");
        return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(answer.public_key) });
      })
      .then(post)
      .then(saved)
      .catch(function (err) {
        if (window.Notification && Notification.permission === "denied") {
          blocked();
        } else {
          if (button) button.disabled = false;
          say("labelFailed");
        }
        if (window.console) console.warn("push:", err);
      });
  }

  var registered = navigator.serviceWorker.register(box.dataset.workerUrl, { scope: "/" });
  registered.catch(function (err) { if (window.console) console.warn("service worker:", err); });

  // A push arriving while a page is open refreshes its offers at once (factory.js).
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "c2m:push" && window.c2mRefreshOffers) window.c2mRefreshOffers();
  });

  if (!("PushManager" in window) || !window.Notification) {
    box.dataset.state = "unsupported";
    return;
  }
  if (Notification.permission === "denied") {
    blocked();
    return;
  }
  navigator.serviceWorker.ready.then(function (registration) {
    if (button) button.addEventListener("click", function () { enable(registration); });
    return registration.pushManager.getSubscription().then(function (subscription) {
      if (subscription && Notification.permission === "granted") {
        return post(subscription).then(function () { saved(true); }, offer);
      }
      offer();
    });
  });
})();
