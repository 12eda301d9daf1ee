/* WebRTC mesh over the Trellis WebSocket (signaling only; media flows browser to browser).
   The peer already in the room makes the offer to a newcomer ("peer" event), so two sides never offer at once. */
(function () {
  "use strict";
  function Mesh(opts) {
    this.send = opts.send;                 // function(obj) -> sends JSON over the socket
    this.container = opts.container;       // element that receives remote <video> tiles
    this.iceServers = opts.iceServers || [];
    this.local = null;                     // MediaStream
    this.pcs = {};                         // peer id -> RTCPeerConnection
    this.labels = {};
  }
  Mesh.prototype.setLocal = function (stream) { this.local = stream; };
  Mesh.prototype.setIceServers = function (servers) { this.iceServers = servers || []; };
  Mesh.prototype._tile = function (peer) {
    var id = "tile-" + peer, fig = document.getElementById(id);
    if (fig) return fig.querySelector("video");
    fig = document.createElement("figure");
    fig.className = "th-tile"; fig.id = id;
    var v = document.createElement("video");
    v.autoplay = true; v.playsInline = true; v.setAttribute("data-remote", peer);
    var cap = document.createElement("figcaption");
    cap.textContent = this.labels[peer] || "Participant";
    v.setAttribute("aria-label", cap.textContent);
    fig.appendChild(v); fig.appendChild(cap);
    this.container.appendChild(fig);
    return v;
  };
  Mesh.prototype._pc = function (peer) {
    if (this.pcs[peer]) return this.pcs[peer];
    var self = this, pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pcs[peer] = pc;
    if (this.local) this.local.getTracks().forEach(function (t) { pc.addTrack(t, self.local); });
    pc.onicecandidate = function (e) {
      if (e.candidate) self.send({ type: "signal", to: peer, data: { candidate: e.candidate.toJSON() } });
    };
    pc.ontrack = function (e) {
      var v = self._tile(peer);
      if (v.srcObject !== e.streams[0]) v.srcObject = e.streams[0];
    };
    pc.onconnectionstatechange = function () {
      if (pc.connectionState === "failed") self.drop(peer);
    };
    return pc;
  };
  Mesh.prototype.onPeer = function (peer, label) {
    this.labels[peer] = label;
    var self = this, pc = this._pc(peer);
    pc.createOffer().then(function (offer) { return pc.setLocalDescription(offer); }).then(function () {
      self.send({ type: "signal", to: peer, data: { sdp: pc.localDescription.toJSON(), label: self.myLabel || "" } });
    }).catch(function () { self.drop(peer); });
  };
  Mesh.prototype.onSignal = function (peer, data) {
    var self = this;
    if (data.label && !this.labels[peer]) this.labels[peer] = data.label;
    var pc = this._pc(peer);
    if (data.sdp) {
      pc.setRemoteDescription(data.sdp).then(function () {
        if (data.sdp.type === "offer") {
          return pc.createAnswer().then(function (a) { return pc.setLocalDescription(a); }).then(function () {
            self.send({ type: "signal", to: peer, data: { sdp: pc.localDescription.toJSON(), label: self.myLabel || "" } });
          });
        }
      }).catch(function () { self.drop(peer); });
    } else if (data.candidate) {
      pc.addIceCandidate(data.candidate).catch(function () {});
    }
  };
  Mesh.prototype.drop = function (peer) {
    var pc = this.pcs[peer];
    if (pc) { pc.close(); delete this.pcs[peer]; }
    var fig = document.getElementById("tile-" + peer);
    if (fig) fig.remove();
  };
  Mesh.prototype.reset = function () {
    Object.keys(this.pcs).forEach(this.drop.bind(this));
  };
  Mesh.prototype.setMuted = function (muted) {
    if (this.local) this.local.getAudioTracks().forEach(function (t) { t.enabled = !muted; });
  };
  Mesh.prototype.setCamera = function (on) {
    if (this.local) this.local.getVideoTracks().forEach(function (t) { t.enabled = on; });
  };
  Mesh.prototype.states = function () {
    var out = {}, pcs = this.pcs;
    Object.keys(pcs).forEach(function (k) { out[k] = pcs[k].iceConnectionState; });
    return out;
  };
  window.TrellisMesh = Mesh;

  /* A socket that reconnects with backoff unless the server closed it for good. */
  window.trellisSocket = function (path, handlers) {
    var final = { 4401: 1, 4403: 1, 4409: 1, 4413: 1, 4429: 1 };
    var delay = 1000, ws = null, stopped = false;
    function open() {
      var proto = location.protocol === "https:" ? "wss://" : "ws://";
      ws = new WebSocket(proto + location.host + path);
      ws.onopen = function () { delay = 1000; handlers.open && handlers.open(); };
      ws.onmessage = function (e) {
        var msg; try { msg = JSON.parse(e.data); } catch (err) { return; }
        handlers.message(msg);
      };
      ws.onclose = function (e) {
        handlers.close && handlers.close(e.code);
        if (stopped || final[e.code]) return;
        setTimeout(open, delay); delay = Math.min(delay * 2, 15000);
      };
    }
    open();
    return {
      send: function (obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); },
      stop: function () { stopped = true; if (ws) ws.close(); }
    };
  };

  window.trellisLocalMedia = function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return Promise.resolve(null);
    return navigator.mediaDevices.getUserMedia({ video: true, audio: true }).catch(function () {
      return navigator.mediaDevices.getUserMedia({ audio: true }).catch(function () { return null; });
    });
  };
})();
