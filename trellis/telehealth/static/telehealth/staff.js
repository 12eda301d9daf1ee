/* Staff lobby of one session: live list, admit/breakout/message/not seen, running late, and the video
   (trellisVideo in mesh.js: browser-to-browser or the organization's LiveKit server). */
(function () {
  "use strict";
  var root = document.querySelector("[data-staff-lobby]");
  if (!root) return;
  var $ = function (sel) { return document.querySelector(sel); };
  var canHost = root.getAttribute("data-can-host") === "1";
  var tbody = root.querySelector("[data-lobby-rows]"), conn = root.querySelector("[data-conn]");
  var feedback = root.querySelector("[data-feedback]");
  var videos = root.querySelector("[data-videos]");
  var videoStatus = root.querySelector("[data-video-status]"), retryBtn = root.querySelector("[data-video-retry]");
  var mic = root.querySelector("[data-toggle-mic]"), cam = root.querySelector("[data-toggle-cam]");
  var inRoom = null, muted = false, camOn = true;
  var video = videos ? window.trellisVideo({
    send: function (o) { sock.send(o); }, container: videos,
    status: function (state, text) {
      videoStatus.textContent = text; videoStatus.setAttribute("data-video-state", state);
      videoStatus.className = "text-sm th-video-status" + (state === "failed" || state === "error" ? " th-warn-text" : "");
      retryBtn.hidden = state !== "failed";
    },
    onLocal: function (stream) {
      if (stream) root.querySelector("[data-local]").srcObject = stream;
      video.setMuted(muted); video.setCamera(camOn);
    },
    onRemoteMute: function () { muted = true; mic.textContent = "Unmute"; mic.setAttribute("aria-pressed", "true"); }
  }) : null;
  window.trellisMesh = video ? video.mesh : null;
  window.trellisVideoRoom = video;
  var TONES = { waiting: "badge-warn", admitted: "badge-success", breakout: "badge-info", not_seen: "badge-neutral",
                removed: "badge-neutral", not_arrived: "badge-neutral" };

  function since(iso, label) {
    if (!iso) return "—";
    var mins = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
    return label + " (" + mins + " min)";  // label is the clinic's local time, formatted by the server
  }
  function button(label, action, link, extra) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "btn btn-sm" + (extra || ""); b.textContent = label;
    b.setAttribute("data-action", action); b.setAttribute("data-link", link);
    return b;
  }
  function render(lobby) {
    tbody.textContent = "";
    if (!lobby.length) {
      var tr = document.createElement("tr"), td = document.createElement("td");
      td.colSpan = 5; td.textContent = "No links yet. Send links to the roster to start."; tr.appendChild(td); tbody.appendChild(tr);
      return;
    }
    lobby.forEach(function (r) {
      var tr = document.createElement("tr"); tr.setAttribute("data-link", r.link); tr.setAttribute("data-state", r.state);
      var name = document.createElement("td"); name.textContent = r.name; tr.appendChild(name);
      var st = document.createElement("td"), badge = document.createElement("span");
      badge.className = "badge " + (TONES[r.state] || ""); badge.textContent = r.state_label; st.appendChild(badge);
      if (!r.connected && (r.state === "waiting" || r.state === "admitted" || r.state === "breakout")) {
        var off = document.createElement("span"); off.className = "text-sm"; off.textContent = " (offline)"; st.appendChild(off);
      }
      if (r.reason) { var rs = document.createElement("div"); rs.className = "text-sm"; rs.textContent = r.reason; st.appendChild(rs); }
      tr.appendChild(st);
      var w = document.createElement("td"); w.textContent = r.state === "waiting" ? since(r.waiting_since, r.since_label) : "—"; tr.appendChild(w);
      var dev = document.createElement("td"); dev.textContent = r.device; if (!r.device_ok) dev.className = "th-warn-text"; tr.appendChild(dev);
      var act = document.createElement("td"); act.className = "actions";
      if (canHost) {
        if (r.state === "waiting") { act.appendChild(button("Admit", "admit", r.link, " btn-primary")); act.appendChild(button("Private room", "breakout", r.link)); }
        if (r.state === "admitted") { act.appendChild(button("Private room", "breakout", r.link)); act.appendChild(button("Remove", "remove", r.link)); }
        if (r.state === "breakout") act.appendChild(button("Back to group", "return", r.link));
        if (r.state === "waiting" || r.state === "not_arrived") act.appendChild(button("Will not be seen", "not_seen", r.link));
      }
      if (r.state === "waiting") act.appendChild(button("Message", "message", r.link));
      tr.appendChild(act);
      tbody.appendChild(tr);
    });
  }
  var initial = document.getElementById("lobby-data");
  if (initial) render(JSON.parse(initial.textContent));

  function startVideo(msg) {
    video.mesh.myLabel = "Clinician";
    ["[data-toggle-mic]", "[data-toggle-cam]", "[data-mute-all]"].forEach(function (s) { root.querySelector(s).hidden = false; });
    root.querySelector("[data-join]").hidden = true;
    root.querySelector("[data-back-main]").hidden = msg.key === "main";
    root.querySelector("[data-room-label]").textContent = msg.key === "main" ? "You are in the group room." : "You are in a private room with one patient.";
    video.enter(msg);
  }
  var sock = window.trellisSocket(root.getAttribute("data-ws-path"), {
    open: function () { conn.textContent = "Live"; if (inRoom) sock.send({ type: "join-room" }); },
    close: function () { conn.textContent = "Connection lost. Reconnecting…"; if (video) video.leave(); },
    message: function (m) {
      if (m.type === "lobby") render(m.lobby);
      else if (m.type === "room" && video) {
        video.leave(); inRoom = m.key; videoStatus.textContent = ""; retryBtn.hidden = true;
        if (m.key) startVideo(m);
      }
      else if (m.type === "peer" && video) video.onPeer(m.peer, m.label);
      else if (m.type === "signal" && video) video.onSignal(m.from, m.data);
      else if (m.type === "bye" && video) video.drop(m.peer);
      else if (m.type === "error") feedback.textContent = m.message;
      else if (m.type === "sent") feedback.textContent = "Message sent.";
      else if (m.type === "closed") { feedback.textContent = m.message; }
    }
  });
  tbody.addEventListener("click", function (e) {
    var b = e.target.closest("[data-action]"); if (!b) return;
    var action = b.getAttribute("data-action"), link = b.getAttribute("data-link"), msg = { type: action, link: link };
    if (action === "not_seen") { var why = window.prompt("Reason the patient will not be seen (the patient is told the clinic will call):"); if (!why) return; msg.reason = why; }
    if (action === "message") { var text = window.prompt("Short message to the patient (280 characters):"); if (!text) return; msg.text = text; }
    feedback.textContent = "";
    sock.send(msg);
  });
  var admitAll = root.querySelector("[data-admit-all]");
  if (admitAll) admitAll.addEventListener("click", function () { sock.send({ type: "admit_all" }); });
  var late = root.querySelector("[data-late-form]");
  if (late) late.addEventListener("submit", function (e) {
    e.preventDefault(); sock.send({ type: "late", minutes: parseInt(late.querySelector("input").value, 10) || 0 });
    feedback.textContent = "Patients were told.";
  });
  if (video) {
    root.querySelector("[data-join]").addEventListener("click", function () { sock.send({ type: "join-room" }); });
    retryBtn.addEventListener("click", function () { retryBtn.hidden = true; video.retry(); });
    mic.addEventListener("click", function () { muted = !muted; video.setMuted(muted); mic.textContent = muted ? "Unmute" : "Mute"; mic.setAttribute("aria-pressed", String(muted)); });
    cam.addEventListener("click", function () { camOn = !camOn; video.setCamera(camOn); cam.textContent = camOn ? "Turn camera off" : "Turn camera on"; cam.setAttribute("aria-pressed", String(!camOn)); });
    root.querySelector("[data-mute-all]").addEventListener("click", function () { sock.send({ type: "mute_all" }); feedback.textContent = "Everyone else was muted."; });
    root.querySelector("[data-back-main]").addEventListener("click", function () {
      var row = tbody.querySelector('tr[data-state="breakout"]');
      if (row) sock.send({ type: "return", link: row.getAttribute("data-link") }); else sock.send({ type: "join-room" });
    });
    root.querySelector("[data-end]").addEventListener("click", function () {
      if (window.confirm("End the session for everyone?")) sock.send({ type: "end" });
    });
  }
})();
