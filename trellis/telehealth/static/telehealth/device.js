/* Device check: camera preview, microphone level, speaker test tone, a rough connection note. */
(function () {
  "use strict";
  var box = document.querySelector("[data-device-check]");
  if (!box) return;
  var form = document.querySelector("[data-device-form]");
  function mark(name, ok, text) {
    var el = box.querySelector('[data-check="' + name + '"]');
    el.textContent = text; el.className = "badge " + (ok ? "badge-success" : "badge-warn");
    if (name !== "network" && form.elements[name]) form.elements[name].value = ok ? "1" : "";
  }
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then(function (stream) {
      box.querySelector("[data-preview]").srcObject = stream;
      mark("camera", stream.getVideoTracks().length > 0, "Camera: working");
      var hasMic = stream.getAudioTracks().length > 0;
      mark("microphone", hasMic, hasMic ? "Microphone: working" : "Microphone: not found");
      try {
        var ctx = new (window.AudioContext || window.webkitAudioContext)();
        var analyser = ctx.createAnalyser(); analyser.fftSize = 256;
        ctx.createMediaStreamSource(stream).connect(analyser);
        var data = new Uint8Array(analyser.frequencyBinCount), meter = box.querySelector("[data-mic-level]");
        (function tick() {
          analyser.getByteTimeDomainData(data);
          var peak = 0; for (var i = 0; i < data.length; i++) peak = Math.max(peak, Math.abs(data[i] - 128));
          meter.value = peak / 128; meter.textContent = Math.round(peak / 1.28) + "%";
          requestAnimationFrame(tick);
        })();
      } catch (e) { /* level meter is a nicety */ }
      window.trellisDeviceStream = stream;
    }).catch(function () {
      mark("camera", false, "Camera: not available");
      mark("microphone", false, "Microphone: not available");
    });
  } else {
    mark("camera", false, "Camera: this browser cannot use it");
    mark("microphone", false, "Microphone: this browser cannot use it");
  }
  box.querySelector("[data-speaker-test]").addEventListener("click", function () {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 440; gain.gain.value = 0.2; osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 1);
    } catch (e) { /* no audio output */ }
  });
  var started = performance.now();
  fetch("/healthz", { cache: "no-store" }).then(function () {
    var ms = performance.now() - started, kind = ms < 300 ? "good" : ms < 1000 ? "fair" : "poor";
    var downlink = navigator.connection && navigator.connection.downlink;
    if (downlink && downlink < 1 && kind === "good") kind = "fair";
    form.elements.network.value = kind;
    mark("network", kind !== "poor", "Connection: " + kind + (kind === "poor" ? " — video may freeze; sound only can help" : ""));
  }).catch(function () { mark("network", false, "Connection: could not be checked"); });
  form.addEventListener("submit", function () {
    if (window.trellisDeviceStream) window.trellisDeviceStream.getTracks().forEach(function (t) { t.stop(); });
  });
})();
