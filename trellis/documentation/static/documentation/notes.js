// Group note screen: move between patients' sections with Alt+ArrowDown / Alt+ArrowUp (and the roster links).
(function () {
  "use strict";
  function sections() { return Array.prototype.slice.call(document.querySelectorAll("[data-participant]")); }
  function focusSection(section) {
    if (!section) { return; }
    section.scrollIntoView({block: "start"});
    var first = section.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([readonly])");
    (first || section).focus();
  }
  function current(list) {
    var active = document.activeElement;
    for (var i = 0; i < list.length; i++) { if (list[i].contains(active)) { return i; } }
    return -1;
  }
  // Alt+Down opens a select and moves the caret in a text box: never take it from those (WCAG 2.1.4).
  function typing(el) {
    if (!el || !el.tagName) { return false; }
    if (el.tagName === "SELECT" || el.tagName === "TEXTAREA" || el.isContentEditable) { return true; }
    return el.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(el.type);
  }
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) { return; }
    if (typing(event.target)) { return; }
    var list = sections();
    if (!list.length) { return; }
    var i = current(list);
    var next = event.key === "ArrowDown" ? Math.min(i + 1, list.length - 1) : Math.max(i - 1, 0);
    event.preventDefault();
    focusSection(list[next]);
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-next-participant]");
    if (!link) { return; }
    var list = sections();
    var i = list.indexOf(link.closest("[data-participant]"));
    if (i >= 0 && i + 1 < list.length) { event.preventDefault(); focusSection(list[i + 1]); }
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
