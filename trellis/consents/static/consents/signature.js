// Optional drawn signature: records strokes as SVG path data ("M x y L x y ...") in the hidden field.
(function () {
  var pad = document.getElementById("sig-pad");
  var field = document.getElementById("id_signature_drawing");
  if (!pad || !field) return;
  var ctx = pad.getContext("2d");
  var drawing = false;
  var path = [];
  function point(event) {
    var r = pad.getBoundingClientRect();
    var x = Math.round((event.clientX - r.left) * pad.width / r.width);
    var y = Math.round((event.clientY - r.top) * pad.height / r.height);
    return [x, y];
  }
  pad.addEventListener("pointerdown", function (e) {
    drawing = true;
    var p = point(e);
    path.push("M" + p[0] + " " + p[1]);
    ctx.beginPath(); ctx.moveTo(p[0], p[1]);
  });
  pad.addEventListener("pointermove", function (e) {
    if (!drawing) return;
    var p = point(e);
    path.push("L" + p[0] + " " + p[1]);
    ctx.lineTo(p[0], p[1]); ctx.stroke();
  });
  ["pointerup", "pointerleave"].forEach(function (name) {
    pad.addEventListener(name, function () { drawing = false; field.value = path.join(" "); });
  });
  var clear = document.getElementById("sig-clear");
  if (clear) clear.addEventListener("click", function () {
    path = []; field.value = ""; ctx.clearRect(0, 0, pad.width, pad.height);
  });
})();
