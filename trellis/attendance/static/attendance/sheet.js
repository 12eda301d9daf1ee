/*
 * Attendance sheet at the speed of a group: row hotkeys, arrow keys between rows, "now" buttons, minutes
 * computed as times are typed, a live summary, and contradictions shown on the row as they are typed.
 *
 * The rules mirror trellis/attendance/minutes.py (the source of truth: the server refuses the same input).
 * Times are compared as site-local wall-clock minutes from the session day's midnight, given by the table
 * (data-start-min, data-end-min, data-now-min), so no time-zone arithmetic happens in the browser.
 * No build step, no inline handlers (CSP script-src 'self'); re-initialised after every htmx swap.
 */
(function () {
  "use strict";

  var KEYS = { p: "present", l: "late", e: "left_early", a: "absent_excused", u: "absent_unexcused" };
  var ATTENDED = { present: 1, late: 1, left_early: 1 };
  var TOLERANCE = 120; // OUTSIDE_TOLERANCE_MINUTES in attendance/minutes.py
  var loadedAt = Date.now();

  function rowsOf(table) { return Array.prototype.slice.call(table.tBodies[0].rows); }
  function field(row, name) { return row.querySelector('[data-field="' + name + '"]'); }
  function minutesOf(value) {
    var m = /^(\d{1,2}):(\d{2})/.exec(value || "");
    return m ? parseInt(m[1], 10) * 60 + parseInt(m[2], 10) : null;
  }
  function pad(n) { return ("0" + n).slice(-2); }

  function clock(table) {
    var start = parseInt(table.getAttribute("data-start-min"), 10);
    var end = parseInt(table.getAttribute("data-end-min"), 10);
    var now = parseInt(table.getAttribute("data-now-min"), 10) + Math.floor((Date.now() - loadedAt) / 60000);
    return { start: start, end: end, now: now };
  }

  // A typed HH:MM on the session's day; a session running past midnight takes early times as the next day.
  function onSessionDay(value, c) {
    var m = minutesOf(value);
    if (m === null) { return null; }
    if (c.end > 1440 && m < c.start) { m += 1440; }
    return m;
  }

  // Mirror of compute_minutes(): returns {minutes} or {error, field}.
  function compute(status, arrivedText, departedText, c) {
    var arrived = onSessionDay(arrivedText, c);
    var departed = onSessionDay(departedText, c);
    if (!status) { return { minutes: null }; }
    if (!ATTENDED[status]) {
      if (arrived !== null) { return { error: "An absence has no arrival or departure time; clear them or choose another status.", field: "arrived" }; }
      if (departed !== null) { return { error: "An absence has no arrival or departure time; clear them or choose another status.", field: "departed" }; }
      return { minutes: 0 };
    }
    if (status === "late" && arrived === null) { return { error: "Enter the arrival time for a late arrival.", field: "arrived" }; }
    if (status === "left_early" && departed === null) { return { error: "Enter the departure time for someone who left early.", field: "departed" }; }
    if (arrived !== null && arrived >= c.end) { return { error: "Arrival is after the session ended (or exactly at its end); mark the patient absent instead.", field: "arrived" }; }
    if (departed !== null && departed <= c.start) { return { error: "Departure is before the session began; mark the patient absent instead.", field: "departed" }; }
    if (arrived !== null && arrived > c.now) { return { error: "The arrival time is in the future; check the time.", field: "arrived" }; }
    if (departed !== null && departed > c.now) { return { error: "The departure time is in the future; check the time.", field: "departed" }; }
    if (arrived !== null && arrived < c.start - TOLERANCE) { return { error: "The arrival is more than 2 hours before the session; check the time.", field: "arrived" }; }
    if (departed !== null && departed > c.end + TOLERANCE) { return { error: "The departure is more than 2 hours after the session; check the time.", field: "departed" }; }
    if (status === "late" && arrived !== null && arrived <= c.start) { return { error: "\u201cLate\u201d needs an arrival after the start; choose Present for someone who arrived on time.", field: "arrived" }; }
    if (status === "left_early" && departed !== null && departed >= c.end) { return { error: "\u201cLeft early\u201d needs a departure before the end; choose Present for someone who stayed.", field: "departed" }; }
    if (arrived !== null && departed !== null && arrived >= departed) { return { error: "Arrival must be before departure.", field: "departed" }; }
    var from = Math.max(arrived === null ? c.start : arrived, c.start);
    var to = Math.min(departed === null ? c.end : departed, c.end);
    return { minutes: Math.max(0, Math.min(to - from, c.end - c.start)) };
  }

  function refreshRow(table, row) {
    var status = field(row, "status");
    if (!status || status.disabled) { return; }
    var result = compute(status.value, field(row, "arrived").value, field(row, "departed").value, clock(table));
    var out = row.querySelector("[data-live-minutes]");
    var box = row.querySelector("[data-row-error]");
    ["status", "arrived", "departed"].forEach(function (name) {
      var el = field(row, name);
      if (result.error && name === result.field) {
        el.setAttribute("aria-invalid", "true");
        el.setAttribute("aria-describedby", box.id);
      } else if (!result.error && el.getAttribute("aria-invalid") === "true" && row.dataset.touched) {
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-describedby");
      }
    });
    if (result.error) {
      box.textContent = result.error;
      box.hidden = false;
      row.classList.add("has-error");
      if (out) { out.textContent = "\u2014"; }
    } else {
      if (row.dataset.touched) { box.textContent = ""; box.hidden = true; row.classList.remove("has-error"); }
      if (out && result.minutes !== null) { out.textContent = String(result.minutes); }
    }
  }

  function refreshSummary(form, table) {
    var marked = 0, present = 0, rows = rowsOf(table);
    rows.forEach(function (row) {
      var s = field(row, "status");
      if (s && s.value) { marked += 1; if (ATTENDED[s.value]) { present += 1; } }
    });
    var set = function (name, n) {
      var el = form.querySelector('[data-count="' + name + '"]');
      if (el) { el.textContent = String(n); }
    };
    set("marked", marked); set("unmarked", rows.length - marked); set("present", present);
  }

  function nextStatus(table, row, step) {
    var rows = rowsOf(table);
    for (var i = rows.indexOf(row) + step; i >= 0 && i < rows.length; i += step) {
      var s = field(rows[i], "status");
      if (s && !s.disabled) { return s; }
    }
    return null;
  }

  function moveOn(form, table, row) {
    var next = nextStatus(table, row, 1);
    if (next) { next.focus(); return; }
    var save = form.querySelector("#sheet-save");
    if (save) { save.focus(); }
  }

  function fillNow(table, input) {
    var c = clock(table);
    var m = ((c.now % 1440) + 1440) % 1440;
    input.value = pad(Math.floor(m / 60)) + ":" + pad(m % 60);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function init(form) {
    var table = form.querySelector("table[data-sheet]");
    if (!table || form.dataset.sheetReady) { return; }
    form.dataset.sheetReady = "1";

    form.addEventListener("input", function (e) {
      var row = e.target.closest("tr[data-episode]");
      if (!row) { return; }
      row.dataset.touched = "1";
      refreshRow(table, row);
      refreshSummary(form, table);
    });
    form.addEventListener("change", function (e) {
      var row = e.target.closest("tr[data-episode]");
      if (!row) { return; }
      row.dataset.touched = "1";
      refreshRow(table, row);
      refreshSummary(form, table);
    });
    form.addEventListener("click", function (e) {
      var btn = e.target.closest("[data-now]");
      if (!btn) { return; }
      var input = document.getElementById(btn.getAttribute("data-now"));
      if (input && !input.disabled) { fillNow(table, input); input.focus(); }
    });

    form.addEventListener("keydown", function (e) {
      var el = e.target;
      var row = el.closest && el.closest("tr[data-episode]");
      if (!row || e.ctrlKey || e.metaKey) { return; }
      var name = el.getAttribute("data-field");
      if (name === "status") {
        if (e.altKey) { return; } // Alt+Down opens the list natively
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          var target = nextStatus(table, row, e.key === "ArrowDown" ? 1 : -1);
          e.preventDefault();
          if (target) { target.focus(); }
          return;
        }
        var status = KEYS[(e.key || "").toLowerCase()];
        if (!status || e.shiftKey) { return; }
        e.preventDefault();
        el.value = status;
        el.dispatchEvent(new Event("change", { bubbles: true }));
        if (status === "late") { field(row, "arrived").focus(); }
        else if (status === "left_early") { field(row, "departed").focus(); }
        else { moveOn(form, table, row); }
        return;
      }
      if (name === "arrived" || name === "departed") {
        if ((e.key === "n" || e.key === "N") && !e.altKey) {
          e.preventDefault();
          fillNow(table, el);
        } else if (e.key === "Enter") {
          e.preventDefault(); // Enter in a time moves on instead of submitting the whole sheet
          moveOn(form, table, row);
        }
      }
    });
    refreshSummary(form, table);
  }

  function initAll(scope) {
    var forms = (scope || document).querySelectorAll ? (scope || document).querySelectorAll("#attendance-sheet") : [];
    Array.prototype.forEach.call(forms, init);
    if (scope && scope.id === "attendance-sheet") { init(scope); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initAll(document); });
  } else { initAll(document); }
  document.addEventListener("htmx:load", function (e) { initAll(e.target); });
})();
