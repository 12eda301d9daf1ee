/* Patient waiting room: live status over the WebSocket; once admitted, the video room (mesh.js). */
(function () {
  "use strict";
  var root = document.querySelector("[data-patient-room]");
  if (!root) return;
  var $ = function (sel) { return root.querySelector(sel); };
  var conn = $("[data-conn]"), call = $("[data-call]"), waiting = $("[data-waiting]");
  var mesh = new window.TrellisMesh({ send: function (o) { sock.send(o); }, container: $("[data-videos]") });
  window.trellisMesh = mesh;
  var muted = false, camOn = true, inRoom = false, sentVideo = false;

  function status(s) {
    $("[data-headline]").textContent = s.headline;
    $("[data-detail]").textContent = s.detail;
    var late = $("[data-late]");
    late.textContent = s.late_text || ""; late.hidden = !s.late_text;
    root.setAttribute("data-state", s.state);
    if (s.ended) { sock.stop(); conn.textContent = ""; }
  }
  function enterRoom(msg) {
    mesh.setIceServers(msg.ice_servers);
    inRoom = true;
    var start = mesh.local ? Promise.resolve(mesh.local) : window.trellisLocalMedia();
    start.then(function (stream) {
      if (!inRoom) return;
      mesh.setLocal(stream);
      if (stream) {
        $("[data-local]").srcObject = stream;
        mesh.setMuted(muted);
        if (stream.getVideoTracks().length && !sentVideo) { sentVideo = true; sock.send({ type: "video" }); }
      }
      call.hidden = false; waiting.hidden = true;
      sock.send({ type: "media-ready" });
    });
  }
  function leaveRoom() {
    inRoom = false; mesh.reset(); call.hidden = true; waiting.hidden = false;
  }
  var sock = window.trellisSocket(root.getAttribute("data-ws-path"), {
    open: function () {
      conn.textContent = "Connected.";
      sock.send({ type: "hello", token: root.getAttribute("data-token") });
    },
    close: function (code) {
      if (inRoom) leaveRoom();
      if (!conn.getAttribute("data-final")) conn.textContent = "Connection lost. Reconnecting…";
    },
    message: function (m) {
      if (m.type === "status") status(m.status);
      else if (m.type === "room") { if (m.key) enterRoom(m); else leaveRoom(); }
      else if (m.type === "peer") mesh.onPeer(m.peer, m.label);
      else if (m.type === "signal") mesh.onSignal(m.from, m.data);
      else if (m.type === "bye") mesh.drop(m.peer);
      else if (m.type === "force-mute") { muted = true; mesh.setMuted(true); micBtn.textContent = "Unmute"; micBtn.setAttribute("aria-pressed", "true"); }
      else if (m.type === "message") { var box = $("[data-message]"); box.textContent = m.text; box.hidden = false; }
      else if (m.type === "closed") {
        conn.setAttribute("data-final", "1");
        leaveRoom();
        $("[data-headline]").textContent = m.message;
        $("[data-detail]").textContent = "";
        conn.textContent = "";
      }
    }
  });
  var micBtn = $("[data-toggle-mic]"), camBtn = $("[data-toggle-cam]");
  micBtn.addEventListener("click", function () {
    muted = !muted; mesh.setMuted(muted);
    micBtn.textContent = muted ? "Unmute" : "Mute"; micBtn.setAttribute("aria-pressed", String(muted));
  });
  camBtn.addEventListener("click", function () {
    camOn = !camOn; mesh.setCamera(camOn);
    camBtn.textContent = camOn ? "Turn camera off" : "Turn camera on"; camBtn.setAttribute("aria-pressed", String(!camOn));
  });
  $("[data-leave]").addEventListener("click", function () { sock.send({ type: "leave" }); });
})();
