// Group note screen, the same keyboard model as the attendance sheet: skip links ("Skip to the first patient",
// "Skip to Sign", and at the end of every section "Next patient" / "Skip to Sign", handled by trellis.js's
// data-skip-focus) and a key to move between patients: Alt+ArrowDown / Alt+ArrowUp. Plain arrows cannot be used
// (they change radio buttons and selects), and Alt+arrows are left alone inside selects and text boxes, where
// they open the list or move the caret (WCAG 2.1.4).
(function () {
  "use strict";
  function sections() { return Array.prototype.slice.call(document.querySelectorAll("[data-participant]")); }
  // Focus lands on the section itself (tabindex=-1, named by its heading): a screen reader announces the
  // patient, Tab enters the first field, and a second Alt+ArrowDown moves on again (a select would keep it).
  function focusSection(section) {
    if (!section) { return; }
    section.focus();
  }
  function current(list) {
    var active = document.activeElement;
    for (var i = 0; i < list.length; i++) { if (list[i].contains(active)) { return i; } }
    return -1;
  }
  function typing(el) {
    if (!el || !el.tagName) { return false; }
    if (el.tagName === "SELECT" || el.tagName === "TEXTAREA" || el.isContentEditable) { return true; }
    return el.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(el.type);
  }
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    if (typing(event.target)) { return; }
    var list = sections();
    if (!list.length) { return; }
    var i = current(list);
    var next = event.key === "ArrowDown" ? Math.min(i + 1, list.length - 1) : Math.max(i - 1, 0);
    event.preventDefault();
    focusSection(list[next]);
  });
})();

// A refused save or signature is answered on the POST URL with the user's text and its errors; replace the
// address with the note's own URL so that reloading (or the history) never re-submits the form.
(function () {
  "use strict";
  var marker = document.querySelector("[data-replace-url]");
  if (marker && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", marker.getAttribute("data-replace-url"));
  }
})();
