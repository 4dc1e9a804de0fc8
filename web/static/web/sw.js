// The service worker (served at /sw.js by web/views/push.py, which sets self.C2M_SW before this script).
// It shows the platform's Web Push notifications (notifications/channels/push.py sends them) with every
// page of the site closed, and a tap opens where the notification leads: for a new offer, the offer's page
// where the factory accepts it. The payload is JSON: {title, body, url, tag, notification_id, kind,
// renotify}. The tag is the delivery's idempotency key, so a push sent twice replaces the first.
"use strict";

var CONFIG = self.C2M_SW || {};
var ICON = CONFIG.icon || "/static/web/icons/icon-192.png";

self.addEventListener("install", function () {
  // A new version takes over at once: nothing here holds state an old page relies on.
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function parsePayload(data) {
  if (!data) return {};
  try {
    return data.json() || {};
  } catch (err) {
    return { body: data.text() };
  }
}

self.addEventListener("push", function (event) {
  var msg = parsePayload(event.data);
  var title = msg.title || "C2M";
  var options = {
    body: msg.body || "",
    icon: ICON,
    badge: ICON,
    data: { url: msg.url || "/", notification_id: msg.notification_id, kind: msg.kind },
    // A kind the factory must answer in minutes (a new offer) stays up until tapped or dismissed.
    requireInteraction: !!msg.renotify,
  };
  if (msg.tag) {
    options.tag = msg.tag;
    // Offers ring and vibrate again even when the same tag replaces one already shown.
    options.renotify = !!msg.renotify;
  }
  event.waitUntil(
    self.registration.showNotification(title, options).then(function () {
      // Open pages refresh at once (the inbox's offer list listens for c2m:notification via live.js).
      return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
        list.forEach(function (client) { client.postMessage({ type: "c2m:push", notification: msg }); });
      });
    })
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || "/";
  var url = new URL(target, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
      // A tab already on that page: bring it forward.
      for (var i = 0; i < list.length; i++) {
        if (list[i].url === url && "focus" in list[i]) return list[i].focus();
      }
      // Another tab of the site: take it there, so the phone does not pile up tabs.
      for (var j = 0; j < list.length; j++) {
        var client = list[j];
        if (new URL(client.url).origin === self.location.origin && "navigate" in client) {
          return client.navigate(url)
            .then(function (c) { return (c || client).focus(); })
            // navigate() only works on a page this worker controls; otherwise open a new window.
            .catch(function () { return self.clients.openWindow(url); });
        }
      }
      return self.clients.openWindow(url);
    })
  );
});

self.addEventListener("pushsubscriptionchange", function (event) {
  // The push service replaced the subscription: subscribe again with the same key. The next page load
  // (web/static/web/push.js) posts the new one to the server, which drops the old on its first 410.
  var old = event.oldSubscription;
  if (!old || !old.options || !old.options.applicationServerKey) return;
  event.waitUntil(
    self.registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: old.options.applicationServerKey,
    })
  );
});
