/* WebRTC mesh over the Trellis WebSocket (signaling only; media flows browser to browser), the shared socket,
   local media and tile helpers, and trellisVideo(): the one video interface the pages use (mesh or LiveKit).
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
  /* A remote participant's tile (figure > video + caption), shared by the mesh and the LiveKit client. */
  function tile(container, peer, label) {
    var id = "tile-" + peer, fig = document.getElementById(id);
    if (fig) return fig.querySelector("video");
    fig = document.createElement("figure");
    fig.className = "th-tile"; fig.id = id;
    var v = document.createElement("video");
    v.autoplay = true; v.playsInline = true; v.setAttribute("data-remote", peer);
    var cap = document.createElement("figcaption");
    cap.textContent = label || "Participant";
    v.setAttribute("aria-label", cap.textContent);
    fig.appendChild(v); fig.appendChild(cap);
    container.appendChild(fig);
    return v;
  }
  function dropTile(peer) {
    var fig = document.getElementById("tile-" + peer);
    if (fig) fig.remove();
  }
  window.trellisTile = tile;
  window.trellisDropTile = dropTile;

  Mesh.prototype.kind = "mesh";
  Mesh.prototype.signals = true;           // peers find each other through "media-ready" / "peer" / "signal"
  Mesh.prototype.join = function (msg) { this.setIceServers(msg.ice_servers); return Promise.resolve(true); };
  Mesh.prototype._tile = function (peer) { return tile(this.container, peer, this.labels[peer]); };
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
    dropTile(peer);
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

  /* The video of one page, whichever provider the organization chose. The server's "room" message names the
     provider: "mesh" (browser to browser, signaling over the Trellis socket) or "livekit" (the organization's
     LiveKit server, livekit-room.js with the vendored SDK). Both engines offer the same methods, so the waiting
     room and the staff lobby drive either one the same way. opts: send, container, status(state, text),
     onLocal(stream) (camera/microphone opened, before connecting), onRemoteMute(). */
  window.trellisVideo = function (opts) {
    var mesh = new Mesh(opts), livekit = null, engine = mesh, local = null, turn = 0;
    function pick(msg) {
      if (msg.provider !== "livekit") return mesh;
      if (!livekit && window.TrellisLiveKit) livekit = new window.TrellisLiveKit(opts);
      return livekit;
    }
    var video = {
      mesh: mesh,
      engine: function () { return engine; },
      /* Enter the room the server put us in; resolves with the local stream (null: no camera/microphone). */
      enter: function (msg) {
        var next = pick(msg), mine = ++turn;   // a later enter/leave makes this one stale
        if (engine !== next) engine.reset();
        engine = next;
        if (msg.provider === "unavailable" || !engine) {
          engine = mesh;
          opts.status && opts.status("error", msg.message || "Video could not start. Reload the page to try again.");
          return Promise.resolve(null);
        }
        var ready = local && local.getTracks().every(function (t) { return t.readyState === "live"; })
          ? Promise.resolve(local) : window.trellisLocalMedia();
        return ready.then(function (stream) {
          if (mine !== turn) return null;
          local = stream;
          engine.setLocal(stream);
          if (opts.onLocal) opts.onLocal(stream);
          return engine.join(msg).then(function () {
            if (engine.signals) opts.send({ type: "media-ready" });
            return stream;
          });
        });
      },
      retry: function () { return engine.retry ? engine.retry() : Promise.resolve(false); },
      leave: function () { turn++; engine.reset(); },
      onPeer: function (peer, label) { if (engine.signals) engine.onPeer(peer, label); },
      onSignal: function (peer, data) { if (engine.signals) engine.onSignal(peer, data); },
      drop: function (peer) { engine.drop(peer); },
      setMuted: function (muted) { engine.setMuted(muted); },
      setCamera: function (on) { engine.setCamera(on); }
    };
    return video;
  };

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
