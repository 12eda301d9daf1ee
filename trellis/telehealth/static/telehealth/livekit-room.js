/* The LiveKit engine behind trellisVideo() (mesh.js): connects to the organization's LiveKit server with the room
   token Trellis minted for this person and room, publishes the camera and microphone already opened for the page,
   and shows remote participants in the same tiles as the mesh. Needs the vendored SDK
   (vendor/livekit-client/livekit-client.umd.js, global LivekitClient) loaded first.
   Presence is not tracked here: the Trellis socket records join/admit/leave whatever carries the media.
   The page only ever says "connected" when the SDK reports the room connected. */
(function () {
  "use strict";
  var CONNECT_OPTIONS = { autoSubscribe: true, maxRetries: 1, websocketTimeout: 10000, peerConnectionTimeout: 15000 };
  var FAILED = "Video could not connect to the clinic's video server. You are still checked in. " +
               "Try again in a moment; if it keeps failing, please call the clinic.";

  function LiveKit(opts) {
    this.container = opts.container;
    this.status = opts.status || function () {};
    this.onRemoteMute = opts.onRemoteMute || function () {};
    this.local = null;
    this.room = null;
    this.msg = null;
    this.muted = false;
    this.camOn = true;
    this.state = "idle";     // idle | connecting | connected | failed (read by tests)
  }
  LiveKit.prototype.kind = "livekit";
  LiveKit.prototype.signals = false;
  LiveKit.prototype.setLocal = function (stream) { this.local = stream; };
  LiveKit.prototype.setIceServers = function () {};
  LiveKit.prototype.onPeer = function () {};
  LiveKit.prototype.onSignal = function () {};

  LiveKit.prototype._say = function (state, text) { this.state = state; this.status(state, text); };

  LiveKit.prototype.join = function (msg) {
    var LK = window.LivekitClient, self = this;
    this.reset();
    this.msg = msg;
    if (!LK) {
      this._say("failed", "Video could not start on this page. Reload the page to try again.");
      return Promise.resolve(false);
    }
    var room = new LK.Room({ adaptiveStream: true, dynacast: true, stopLocalTrackOnUnpublish: false });
    var up = false;           // this room reached "connected" once
    this.room = room;
    room
      .on(LK.RoomEvent.TrackSubscribed, function (track, publication, participant) {
        if (room === self.room) self._attach(LK, track, participant);
      })
      .on(LK.RoomEvent.TrackUnsubscribed, function (track) { track.detach().forEach(function (el) { if (el.tagName === "AUDIO") el.remove(); }); })
      .on(LK.RoomEvent.ParticipantDisconnected, function (participant) { self.drop(participant.identity); })
      .on(LK.RoomEvent.Reconnecting, function () { if (room === self.room) self._say("connecting", "Video connection lost. Reconnecting…"); })
      .on(LK.RoomEvent.Reconnected, function () { if (room === self.room) self._say("connected", "Video connected."); })
      .on(LK.RoomEvent.TrackMuted, function (publication, participant) {
        // The facilitator's "mute everyone" reaches us from the LiveKit server as a mute of our microphone.
        if (room === self.room && participant === room.localParticipant && publication.kind === "audio" && !self.muted) {
          self.muted = true; self.onRemoteMute();
        }
      })
      .on(LK.RoomEvent.Disconnected, function () {
        // Only a connection that was up can "end"; a failed connect is reported by connect() below, and a room
        // we left on purpose (reset) is no longer self.room.
        if (room !== self.room || !up) return;
        self._clear(); self.room = null;
        self._say("failed", "The video connection ended. Try again, or wait for the clinic.");
      });
    this._say("connecting", "Connecting to the video server…");
    return room.connect(msg.url, msg.token, CONNECT_OPTIONS).then(function () {
      if (room !== self.room) return false;
      up = true;
      return self._publish(LK).then(function () {
        self._say("connected", "Video connected.");
        return true;
      });
    }).catch(function () {
      if (room !== self.room) return false;
      self.room = null;
      room.disconnect(false).catch(function () {});
      self._say("failed", FAILED);
      return false;
    });
  };
  LiveKit.prototype.retry = function () { return this.msg ? this.join(this.msg) : Promise.resolve(false); };

  LiveKit.prototype._publish = function (LK) {
    var lp = this.room.localParticipant, stream = this.local, self = this, jobs = [];
    if (!stream) return Promise.resolve();
    stream.getAudioTracks().forEach(function (t) {
      jobs.push(lp.publishTrack(t, { source: LK.Track.Source.Microphone }).then(function (pub) { if (self.muted) return pub.mute(); }));
    });
    stream.getVideoTracks().forEach(function (t) {
      jobs.push(lp.publishTrack(t, { source: LK.Track.Source.Camera, simulcast: true }).then(function (pub) { if (!self.camOn) return pub.mute(); }));
    });
    return Promise.all(jobs);
  };

  LiveKit.prototype._attach = function (LK, track, participant) {
    var v = window.trellisTile(this.container, participant.identity, participant.name);
    if (track.kind === "video") track.attach(v);
    else v.parentNode.appendChild(track.attach());   // an <audio> element inside the participant's tile
  };

  LiveKit.prototype._publication = function (source) {
    var LK = window.LivekitClient;
    return this.room && this.room.localParticipant ? this.room.localParticipant.getTrackPublication(LK.Track.Source[source]) : null;
  };
  LiveKit.prototype.setMuted = function (muted) {
    this.muted = muted;
    var pub = this._publication("Microphone");
    if (pub) (muted ? pub.mute() : pub.unmute()).catch(function () {});
  };
  LiveKit.prototype.setCamera = function (on) {
    this.camOn = on;
    var pub = this._publication("Camera");
    if (pub) (on ? pub.unmute() : pub.mute()).catch(function () {});
  };
  LiveKit.prototype.drop = function (identity) { window.trellisDropTile(identity); };
  LiveKit.prototype._clear = function () {
    Array.prototype.forEach.call(this.container.querySelectorAll("figure.th-tile[id^='tile-']"), function (f) { f.remove(); });
  };
  /* Leave the room (back to the waiting room, another room, or the page is closing). Keeps the camera open. */
  LiveKit.prototype.reset = function () {
    var room = this.room;
    this.room = null;
    this._clear();
    if (room) room.disconnect(false).catch(function () {});
    this.state = "idle";
  };
  LiveKit.prototype.states = function () { return { livekit: this.state }; };

  window.TrellisLiveKit = LiveKit;
})();
