/* Patient waiting room: live status over the WebSocket; once admitted, the video room (trellisVideo in mesh.js:
   browser-to-browser or the organization's LiveKit server, whichever the server's "room" message names). */
(function () {
  "use strict";
  var root = document.querySelector("[data-patient-room]");
  if (!root) return;
  var $ = function (sel) { return root.querySelector(sel); };
  var conn = $("[data-conn]"), call = $("[data-call]"), waiting = $("[data-waiting]");
  var videoStatus = $("[data-video-status]"), retryBtn = $("[data-video-retry]");
  var video = window.trellisVideo({
    send: function (o) { sock.send(o); }, container: $("[data-videos]"),
    status: function (state, text) {
      videoStatus.textContent = text; videoStatus.setAttribute("data-video-state", state);
      videoStatus.className = "th-video-status" + (state === "failed" || state === "error" ? " th-warn-text" : "");
      retryBtn.hidden = state !== "failed";
      if (state === "connected") sentCamera(localStream);  // LiveKit: the camera is published now
    },
    onLocal: function (stream) {
      if (!stream || !inRoom) return;
      localStream = stream;
      $("[data-local]").srcObject = stream;
      video.setMuted(muted); video.setCamera(camOn);
      if (video.engine().kind === "mesh") sentCamera(stream);  // the mesh sends it to each peer as they come
    },
    onRemoteMute: function () { forceMute(); }
  });
  window.trellisMesh = video.mesh;
  window.trellisVideoRoom = video;
  var muted = false, camOn = true, inRoom = false, sentVideo = false, localStream = null;

  /* Tell the server once that this patient sent video (attendance modality: video, else audio only). */
  function sentCamera(stream) {
    if (stream && stream.getVideoTracks().length && !sentVideo) { sentVideo = true; sock.send({ type: "video" }); }
  }

  function status(s) {
    $("[data-headline]").textContent = s.headline;
    $("[data-detail]").textContent = s.detail;
    var late = $("[data-late]");
    late.textContent = s.late_text || ""; late.hidden = !s.late_text;
    root.setAttribute("data-state", s.state);
    if (s.ended) { sock.stop(); conn.textContent = ""; }
  }
  function forceMute() {
    muted = true; video.setMuted(true); micBtn.textContent = "Unmute"; micBtn.setAttribute("aria-pressed", "true");
  }
  function enterRoom(msg) {
    inRoom = true;
    call.hidden = false; waiting.hidden = true;
    video.enter(msg);
  }
  function leaveRoom() {
    inRoom = false; video.leave(); call.hidden = true; waiting.hidden = false;
    videoStatus.textContent = ""; retryBtn.hidden = true;
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
      else if (m.type === "peer") video.onPeer(m.peer, m.label);
      else if (m.type === "signal") video.onSignal(m.from, m.data);
      else if (m.type === "bye") video.drop(m.peer);
      else if (m.type === "force-mute") forceMute();
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
    muted = !muted; video.setMuted(muted);
    micBtn.textContent = muted ? "Unmute" : "Mute"; micBtn.setAttribute("aria-pressed", String(muted));
  });
  camBtn.addEventListener("click", function () {
    camOn = !camOn; video.setCamera(camOn);
    camBtn.textContent = camOn ? "Turn camera off" : "Turn camera on"; camBtn.setAttribute("aria-pressed", String(!camOn));
  });
  retryBtn.addEventListener("click", function () { retryBtn.hidden = true; video.retry(); });
  $("[data-leave]").addEventListener("click", function () { sock.send({ type: "leave" }); });
})();
