/* Site lobby overview: re-fetches the list whenever any session at the user's sites changes. */
(function () {
  "use strict";
  var root = document.querySelector("[data-site-lobby]");
  if (!root) return;
  var conn = root.querySelector("[data-conn]"), list = root.querySelector("[data-lobby-list]");
  var pending = null;
  function refresh() {
    pending = null;
    fetch(root.getAttribute("data-refresh-url"), { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) list.innerHTML = html; });
  }
  window.trellisSocket(root.getAttribute("data-ws-path"), {
    open: function () { conn.textContent = "Live"; },
    close: function () { conn.textContent = "Connection lost. Reconnecting…"; },
    message: function (m) { if (m.type === "refresh" && !pending) pending = setTimeout(refresh, 300); }
  });
})();
