/*
 * Trellis shell behaviour. Plain JavaScript, no build step, no inline handlers
 * (CSP script-src 'self'). Every feature is opt-in through data attributes and
 * documented in trellis/web/README.md. The page works without this file; it
 * only adds convenience (sorting, filtering, shortcuts) and safety (idle
 * sign-out, visible save errors).
 */
(function () {
  "use strict";

  var doc = document;
  var root = doc.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  function $(sel, ctx) { return (ctx || doc).querySelector(sel); }
  function $$(sel, ctx) { return Array.prototype.slice.call((ctx || doc).querySelectorAll(sel)); }
  function onReady(fn) {
    if (doc.readyState === "loading") { doc.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }
  function isTyping(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  /* ------------------------------------------------------------------ */
  /* Live region announcements (screen readers) and toasts               */
  /* ------------------------------------------------------------------ */
  var announcer = null;
  function announce(text) {
    if (!announcer) {
      announcer = doc.createElement("div");
      announcer.className = "visually-hidden";
      announcer.setAttribute("role", "status");
      announcer.setAttribute("aria-live", "polite");
      doc.body.appendChild(announcer);
    }
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function toastContainer() {
    var box = doc.getElementById("toasts");
    if (!box) {
      box = doc.createElement("div");
      box.id = "toasts";
      box.className = "toasts";
      doc.body.appendChild(box);
    }
    return box;
  }

  /**
   * Show a non-blocking message. kind: "error" | "success" | "info" | "warning".
   * Errors stay until dismissed; others fade after a few seconds.
   */
  function toast(message, kind, options) {
    kind = kind || "info";
    options = options || {};
    var box = toastContainer();
    // Do not stack identical messages (e.g. autosave failing every few seconds).
    var existing = $$(".toast", box).filter(function (t) { return t.dataset.message === message; });
    if (existing.length) { return existing[0]; }
    var el = doc.createElement("div");
    el.className = "alert toast alert-" + kind;
    el.dataset.message = message;
    el.setAttribute("role", kind === "error" ? "alert" : "status");
    var body = doc.createElement("div");
    body.className = "alert-body";
    var p = doc.createElement("p");
    p.textContent = message;
    body.appendChild(p);
    el.appendChild(body);
    var close = doc.createElement("button");
    close.type = "button";
    close.className = "alert-close";
    close.setAttribute("aria-label", "Dismiss message");
    close.textContent = "×";
    close.addEventListener("click", function () { el.remove(); });
    el.appendChild(close);
    box.appendChild(el);
    var ttl = options.timeout !== undefined ? options.timeout : (kind === "error" ? 0 : 6000);
    if (ttl > 0) { window.setTimeout(function () { el.remove(); }, ttl); }
    return el;
  }

  /* ------------------------------------------------------------------ */
  /* Site accent fallback: if the inline custom property was blocked by a  */
  /* strict CSP, apply data-accent through the CSSOM (allowed by CSP).     */
  /* ------------------------------------------------------------------ */
  function applyAccent() {
    var accent = root.getAttribute("data-accent");
    var contrast = root.getAttribute("data-accent-contrast");
    if (accent && /^#[0-9a-fA-F]{3,8}$/.test(accent) && !root.style.getPropertyValue("--accent")) {
      root.style.setProperty("--accent", accent);
      if (contrast) { root.style.setProperty("--accent-contrast", contrast); }
    }
  }

  /* ------------------------------------------------------------------ */
  /* Side navigation drawer (narrow screens)                             */
  /* ------------------------------------------------------------------ */
  function initNavToggle() {
    $$("[data-nav-toggle]").forEach(function (btn) {
      var nav = doc.getElementById(btn.getAttribute("aria-controls"));
      if (!nav) { return; }
      function set(open) {
        if (open) {
          // Open the drawer just below the top bar, whose height varies on narrow screens.
          var bar = btn.closest(".topbar");
          if (bar) { root.style.setProperty("--drawer-top", Math.max(0, Math.round(bar.getBoundingClientRect().bottom)) + "px"); }
        }
        nav.classList.toggle("is-open", open);
        btn.setAttribute("aria-expanded", open ? "true" : "false");
      }
      btn.addEventListener("click", function () {
        var open = btn.getAttribute("aria-expanded") !== "true";
        set(open);
        if (open) {
          var first = $("a", nav);
          if (first) { first.focus(); }
        }
      });
      doc.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && nav.classList.contains("is-open")) { set(false); btn.focus(); }
      });
      doc.addEventListener("click", function (e) {
        if (nav.classList.contains("is-open") && !nav.contains(e.target) && !btn.contains(e.target)) { set(false); }
      });
    });
  }

  /* ------------------------------------------------------------------ */
  /* <details> menus: close on Escape / outside click                     */
  /* ------------------------------------------------------------------ */
  function initMenus() {
    doc.addEventListener("click", function (e) {
      $$("details[data-menu][open]").forEach(function (d) {
        if (!d.contains(e.target)) { d.removeAttribute("open"); }
      });
    });
    doc.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") { return; }
      $$("details[data-menu][open]").forEach(function (d) {
        d.removeAttribute("open");
        var s = $("summary", d);
        if (s) { s.focus(); }
      });
    });
  }

  /* ------------------------------------------------------------------ */
  /* Dismissible alerts                                                  */
  /* ------------------------------------------------------------------ */
  function initDismiss() {
    doc.addEventListener("click", function (e) {
      var btn = e.target.closest && e.target.closest("[data-dismiss]");
      if (!btn) { return; }
      var target = btn.closest(btn.getAttribute("data-dismiss") || ".alert");
      if (target) { target.remove(); }
    });
  }

  /* ------------------------------------------------------------------ */
  /* (a) Sortable tables: <table data-sortable>                           */
  /*     th[data-sort="none"] opts a column out; td[data-sort-value] gives  */
  /*     the value to sort by (ISO dates, minutes, ...);                  */
  /*     th[data-sort-type="number|date|text"] forces the comparison.      */
  /* ------------------------------------------------------------------ */
  var collator = (window.Intl && Intl.Collator) ? new Intl.Collator(undefined, { numeric: true, sensitivity: "base" }) : null;

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var v = cell.getAttribute("data-sort-value");
    if (v === null) { v = cell.getAttribute("data-sort"); }
    return v !== null ? v : (cell.textContent || "").trim();
  }

  function parseNumber(s) {
    if (s === "" || s === null) { return null; }
    var cleaned = String(s).replace(/[\s,$%]/g, "").replace(/^\((.*)\)$/, "-$1");
    if (!/^[-+]?\d*\.?\d+(e[-+]?\d+)?$/i.test(cleaned)) { return null; }
    return parseFloat(cleaned);
  }

  function compareValues(a, b, type) {
    if (type !== "text") {
      var na = parseNumber(a), nb = parseNumber(b);
      if (type === "number" || (na !== null && nb !== null)) {
        if (na === null) { return nb === null ? 0 : 1; }   // blanks last
        if (nb === null) { return -1; }
        return na - nb;
      }
      if (type === "date") {
        var da = Date.parse(a), db = Date.parse(b);
        if (isNaN(da)) { return isNaN(db) ? 0 : 1; }
        if (isNaN(db)) { return -1; }
        return da - db;
      }
    }
    if (a === "" && b !== "") { return 1; }
    if (b === "" && a !== "") { return -1; }
    return collator ? collator.compare(a, b) : (a < b ? -1 : a > b ? 1 : 0);
  }

  function sortTable(table, th, direction) {
    var headRow = th.parentNode;
    var index = Array.prototype.indexOf.call(headRow.cells, th);
    var tbody = table.tBodies[0];
    if (!tbody || index < 0) { return; }
    var type = th.getAttribute("data-sort-type") || "auto";
    var rows = Array.prototype.slice.call(tbody.rows).filter(function (r) { return !r.classList.contains("filter-empty"); });
    var decorated = rows.map(function (row, i) { return { row: row, value: cellValue(row, index), i: i }; });
    decorated.sort(function (x, y) {
      var c = compareValues(x.value, y.value, type);
      if (c === 0) { return x.i - y.i; }  // stable
      return direction === "descending" ? -c : c;
    });
    var frag = doc.createDocumentFragment();
    decorated.forEach(function (d) { frag.appendChild(d.row); });
    tbody.appendChild(frag);
    $$("th[aria-sort]", headRow).forEach(function (other) {
      if (other !== th) { other.removeAttribute("aria-sort"); }
    });
    th.setAttribute("aria-sort", direction);
    announce("Sorted by " + (th.textContent || "").trim() + ", " + direction);
  }

  function initSortable(scope) {
    $$("table[data-sortable]", scope).forEach(function (table) {
      if (table.dataset.sortableReady) { return; }
      table.dataset.sortableReady = "1";
      var head = table.tHead;
      if (!head || !head.rows.length) { return; }
      var headRow = head.rows[head.rows.length - 1];
      $$("th", headRow).forEach(function (th) {
        if (th.getAttribute("data-sort") === "none" || !th.textContent.trim()) { return; }
        var btn = doc.createElement("button");
        btn.type = "button";
        btn.className = "sort-btn";
        while (th.firstChild) { btn.appendChild(th.firstChild); }
        th.appendChild(btn);
        btn.addEventListener("click", function () {
          var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
          sortTable(table, th, dir);
        });
      });
      var initial = $("th[data-sort-default]", headRow);
      if (initial) { sortTable(table, initial, initial.getAttribute("data-sort-default") === "descending" ? "descending" : "ascending"); }
    });
  }

  /* ------------------------------------------------------------------ */
  /* (b) Quick filter: <table data-filter-input="#q"> or                   */
  /*     <input data-filter-table="#table-id">. Whitespace-separated terms  */
  /*     must all appear in the row (case-insensitive).                    */
  /* ------------------------------------------------------------------ */
  function bindFilter(input, table) {
    if (!input || !table || input.dataset.filterReady) { return; }
    input.dataset.filterReady = "1";
    var tbody = table.tBodies[0];
    if (!tbody) { return; }
    var counter = input.getAttribute("data-filter-count") ? $(input.getAttribute("data-filter-count")) : null;
    var emptyRow = null;
    function run() {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var rows = Array.prototype.slice.call(tbody.rows).filter(function (r) { return r !== emptyRow; });
      var shown = 0;
      rows.forEach(function (row) {
        var text = (row.getAttribute("data-filter-text") || row.textContent || "").toLowerCase();
        var match = terms.every(function (t) { return text.indexOf(t) !== -1; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (shown === 0 && rows.length) {
        if (!emptyRow) {
          emptyRow = doc.createElement("tr");
          emptyRow.className = "filter-empty";
          var td = doc.createElement("td");
          td.colSpan = (table.tHead && table.tHead.rows[0]) ? table.tHead.rows[0].cells.length : 1;
          td.textContent = "No rows match \u201c" + input.value + "\u201d. Clear the filter to see all rows.";
          emptyRow.appendChild(td);
        } else {
          emptyRow.cells[0].textContent = "No rows match \u201c" + input.value + "\u201d. Clear the filter to see all rows.";
        }
        tbody.appendChild(emptyRow);
      } else if (emptyRow && emptyRow.parentNode) {
        emptyRow.parentNode.removeChild(emptyRow);
      }
      var msg = terms.length ? shown + " of " + rows.length + " rows shown" : rows.length + " rows";
      if (counter) { counter.textContent = msg; }
      if (terms.length) { announce(msg); }
    }
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 120);
    });
    // Enter in a quick filter must not submit a surrounding form.
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); run(); } });
    if (input.value) { run(); }
  }

  function initFilters(scope) {
    $$("table[data-filter-input]", scope).forEach(function (table) {
      bindFilter($(table.getAttribute("data-filter-input")), table);
    });
    $$("input[data-filter-table]", scope).forEach(function (input) {
      bindFilter(input, $(input.getAttribute("data-filter-table")));
    });
  }

  /* ------------------------------------------------------------------ */
  /* (d) Keyboard shortcut "/" focuses the patient search                */
  /* ------------------------------------------------------------------ */
  function initShortcuts() {
    doc.addEventListener("keydown", function (e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (isTyping(e.target)) {
        if (e.key === "Escape" && e.target.matches && e.target.matches("[data-shortcut]")) { e.target.blur(); }
        return;
      }
      if (e.key === "/" || e.key === "?") {
        var target = $('[data-shortcut="' + e.key + '"]');
        if (target) {
          e.preventDefault();
          target.focus();
          if (target.select) { target.select(); }
        }
      }
    });
  }

  /* Skip links that land on a control: <a href="#x" data-skip-focus="css selector">.                */
  function initSkipFocus() {
    doc.addEventListener("click", function (e) {
      var link = e.target.closest && e.target.closest("a[data-skip-focus]");
      if (!link) { return; }
      var target = $(link.getAttribute("data-skip-focus"));
      if (target) { e.preventDefault(); target.focus(); }
    });
  }

  /* ------------------------------------------------------------------ */
  /* (e) <select data-autosubmit> submits its form on change; the form's   */
  /*     [data-autosubmit-fallback] button is hidden once JS runs.          */
  /* ------------------------------------------------------------------ */
  function initAutosubmit(scope) {
    $$("[data-autosubmit]", scope).forEach(function (el) {
      if (el.dataset.autosubmitReady) { return; }
      el.dataset.autosubmitReady = "1";
      var form = el.form || el.closest("form");
      if (!form) { return; }
      $$("[data-autosubmit-fallback]", form).forEach(function (b) { b.hidden = true; });
      el.addEventListener("change", function () {
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      });
    });
  }

  /* ------------------------------------------------------------------ */
  /* (f) data-confirm="Are you sure…?" on buttons, links and forms        */
  /* ------------------------------------------------------------------ */
  function initConfirm() {
    doc.addEventListener("click", function (e) {
      var el = e.target.closest && e.target.closest("[data-confirm]");
      if (!el || el.tagName === "FORM") { return; }
      if (!window.confirm(el.getAttribute("data-confirm"))) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    }, true);
    doc.addEventListener("submit", function (e) {
      var form = e.target;
      if (form.hasAttribute && form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
        e.preventDefault();
      }
    }, true);
  }

  /* ------------------------------------------------------------------ */
  /* Unsaved-changes guard: <form data-warn-unsaved>                      */
  /* ------------------------------------------------------------------ */
  function initUnsaved(scope) {
    $$("form[data-warn-unsaved]", scope).forEach(function (form) {
      if (form.dataset.unsavedReady) { return; }
      form.dataset.unsavedReady = "1";
      form.addEventListener("input", function () { form.dataset.dirty = "1"; });
      form.addEventListener("submit", function () { delete form.dataset.dirty; });
      form.addEventListener("htmx:afterRequest", function (e) {
        if (e.detail && e.detail.successful) { delete form.dataset.dirty; }
      });
    });
  }
  window.addEventListener("beforeunload", function (e) {
    if (root.dataset.loggingOut) { return; }
    if ($("form[data-warn-unsaved][data-dirty]")) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  /* ------------------------------------------------------------------ */
  /* (g) htmx: visible request errors, save status, never lose input     */
  /* ------------------------------------------------------------------ */
  function statusFor(elt) {
    var form = elt && elt.closest ? (elt.closest("form") || elt) : null;
    if (!form) { return null; }
    return $("[data-save-status]", form) || (form.id ? $('[data-save-status="#' + form.id + '"]') : null);
  }
  function setSaveStatus(elt, state, text, swapTarget) {
    var el = statusFor(elt);
    if (!el) { return; }
    el.setAttribute("data-state", state);
    // If the server's response was swapped into (or around) the status element, keep its wording.
    if (swapTarget && (el === swapTarget || el.contains(swapTarget) || swapTarget.contains(el))) { return; }
    el.textContent = text;
  }
  function timeNow() {
    var d = new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function describeStatus(xhr) {
    var s = xhr ? xhr.status : 0;
    if (s === 403) { return "You may not do this, or your session has ended. Copy anything you typed, then reload the page."; }
    if (s === 404) { return "That record is no longer available. Reload the page."; }
    if (s === 409) { return "Someone else changed this record while you were editing. Your text is still on the page: copy it, reload, and apply your change again."; }
    if (s === 413) { return "That upload is too large."; }
    if (s === 429) { return "Too many requests. Wait a moment and try again."; }
    if (s >= 500) { return "The server had a problem and nothing was saved. Your text is still on the page; try again in a moment."; }
    return "The request failed (" + s + "). Your text is still on the page; try again.";
  }

  function initHtmx() {
    doc.body.addEventListener("htmx:beforeRequest", function (e) {
      setSaveStatus(e.target, "saving", "Saving\u2026");
    });
    doc.body.addEventListener("htmx:afterRequest", function (e) {
      if (e.detail && e.detail.successful) {
        setSaveStatus(e.target, "saved", "Saved " + timeNow(), e.detail.target);
      }
    });
    doc.body.addEventListener("htmx:responseError", function (e) {
      var xhr = e.detail && e.detail.xhr;
      setSaveStatus(e.target, "error", "Not saved \u2014 try again");
      toast(describeStatus(xhr), "error");
    });
    doc.body.addEventListener("htmx:sendError", function (e) {
      setSaveStatus(e.target, "error", "Not saved \u2014 offline?");
      toast("Could not reach the server. Check your connection; nothing you typed has been lost.", "error");
    });
    doc.body.addEventListener("htmx:timeout", function (e) {
      setSaveStatus(e.target, "error", "Not saved \u2014 timed out");
      toast("The server took too long to answer. Your text is still on the page; try again.", "error");
    });
    // Keep focus and announce the result after every swap (WCAG 2.4.3, 4.1.3): an outerHTML swap removes
    // the focused element, which drops focus to <body> and leaves screen-reader users at the top of the page.
    var focusedId = null;
    doc.body.addEventListener("htmx:beforeSwap", function () {
      var active = doc.activeElement;
      focusedId = active && active !== doc.body && active.id ? active.id : null;
    });
    doc.body.addEventListener("htmx:afterSettle", function (e) {
      var target = e.detail && e.detail.target;
      var scope = target && target.isConnected ? target : doc;
      var wanted = $("[data-focus-after-swap]", scope);
      var active = doc.activeElement;
      var lost = !active || active === doc.body || !active.isConnected;
      if (wanted) {
        if (!wanted.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(wanted.tagName)) { wanted.setAttribute("tabindex", "-1"); }
        wanted.focus();
      } else if (lost && focusedId && doc.getElementById(focusedId)) {
        doc.getElementById(focusedId).focus();
      } else if (lost && target && target.isConnected) {
        if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
        target.focus({ preventScroll: true });
      }
      var said = $$("[data-announce]", scope).map(function (el) { return (el.textContent || "").trim(); })
        .filter(Boolean).join(" ");
      if (said) { announce(said); }
    });
    // htmx:load fires on every element htmx inserts (any swap style).
    doc.body.addEventListener("htmx:load", function (e) { if (e.target !== doc.body) { enhance(e.target); } });
    // Note: htmx requests are NOT idle activity (polling would keep a session open forever);
    // the user events that trigger them already count.
  }

  /* ------------------------------------------------------------------ */
  /* (c) Idle sign-out: <body data-idle-timeout="900">. Warns 60 s before  */
  /*     the limit, then submits form[data-logout-form]. Activity in any   */
  /*     tab of the same browser keeps all tabs alive (localStorage).      */
  /*     The server enforces its own timeout independently.               */
  /* ------------------------------------------------------------------ */
  var idle = {
    limit: 0,
    warnAt: 0,
    lastKey: "trellis:last-activity",
    last: Date.now(),
    dialog: null,
    countdown: null,
    tickTimer: null,
    touch: function () {},
  };

  function initIdle() {
    var seconds = parseInt(doc.body.getAttribute("data-idle-timeout") || "0", 10);
    var logoutForm = $("form[data-logout-form]");
    if (!seconds || seconds < 60 || !logoutForm) { return; }
    idle.limit = seconds * 1000;
    idle.warnAt = Math.max(idle.limit - 60000, idle.limit / 2);
    var keepaliveUrl = doc.body.getAttribute("data-keepalive-url");

    function readShared() {
      try { return parseInt(window.localStorage.getItem(idle.lastKey) || "0", 10) || 0; } catch (err) { return 0; }
    }
    function writeShared(t) {
      try { window.localStorage.setItem(idle.lastKey, String(t)); } catch (err) { /* private mode */ }
    }
    var lastWrite = 0;
    idle.touch = function () {
      var now = Date.now();
      idle.last = now;
      if (now - lastWrite > 5000) { writeShared(now); lastWrite = now; }
      if (idle.dialog && idle.dialog.open) { closeWarning(); }
    };
    idle.touch();

    function buildDialog() {
      var d = doc.createElement("dialog");
      d.className = "dialog";
      d.setAttribute("aria-labelledby", "idle-title");
      d.setAttribute("aria-describedby", "idle-text");
      d.innerHTML = '<h2 id="idle-title">Are you still there?</h2>' +
        '<p id="idle-text">To protect patient information you will be signed out in <strong data-idle-countdown>60</strong> seconds.</p>' +
        '<div class="dialog-actions">' +
        '<button type="button" class="btn btn-secondary" data-idle-logout>Sign out now</button>' +
        '<button type="button" class="btn btn-primary" data-idle-stay>Stay signed in</button></div>';
      doc.body.appendChild(d);
      $("[data-idle-stay]", d).addEventListener("click", function () { stay(); });
      $("[data-idle-logout]", d).addEventListener("click", function () { logout(false); });
      d.addEventListener("cancel", function (e) { e.preventDefault(); stay(); });
      idle.countdown = $("[data-idle-countdown]", d);
      return d;
    }
    function openWarning() {
      if (!idle.dialog) { idle.dialog = buildDialog(); }
      if (idle.dialog.open) { return; }
      if (idle.dialog.showModal) { idle.dialog.showModal(); } else { idle.dialog.setAttribute("open", ""); }
      $("[data-idle-stay]", idle.dialog).focus();
    }
    function closeWarning() {
      if (!idle.dialog) { return; }
      if (idle.dialog.close && idle.dialog.open) { idle.dialog.close(); } else { idle.dialog.removeAttribute("open"); }
    }
    function stay() {
      closeWarning();
      lastWrite = 0;
      idle.touch();
      // Keep the server session alive too (GET: no CSRF needed, no data read).
      if (keepaliveUrl && window.fetch) {
        window.fetch(keepaliveUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } }).catch(function () {});
      }
    }
    function logout(isIdle) {
      root.dataset.loggingOut = "1";
      // Let autosaving forms flush a draft first.
      doc.dispatchEvent(new CustomEvent("trellis:before-idle-logout", { bubbles: true }));
      if (isIdle) {
        var reason = doc.createElement("input");
        reason.type = "hidden";
        reason.name = "reason";
        reason.value = "idle";
        logoutForm.appendChild(reason);
      }
      window.setTimeout(function () { logoutForm.submit(); }, isIdle ? 400 : 0);
    }

    // Activity listeners (passive, throttled by touch()).
    ["keydown", "mousedown", "pointerdown", "touchstart", "wheel", "scroll", "input"].forEach(function (type) {
      doc.addEventListener(type, function () {
        if (idle.dialog && idle.dialog.open) { return; } // only the dialog buttons keep the session
        idle.touch();
      }, { passive: true, capture: true });
    });
    var lastMove = 0;
    doc.addEventListener("mousemove", function () {
      var now = Date.now();
      if (now - lastMove > 2000 && !(idle.dialog && idle.dialog.open)) { lastMove = now; idle.touch(); }
    }, { passive: true });
    window.addEventListener("storage", function (e) {
      if (e.key === idle.lastKey && e.newValue) {
        var t = parseInt(e.newValue, 10);
        if (t > idle.last) { idle.last = t; if (idle.dialog && idle.dialog.open) { closeWarning(); } }
      }
    });

    idle.tickTimer = window.setInterval(function () {
      var shared = readShared();
      if (shared > idle.last) { idle.last = shared; }
      var elapsed = Date.now() - idle.last;
      if (elapsed >= idle.limit) {
        window.clearInterval(idle.tickTimer);
        logout(true);
      } else if (elapsed >= idle.warnAt) {
        openWarning();
        if (idle.countdown) { idle.countdown.textContent = String(Math.ceil((idle.limit - elapsed) / 1000)); }
      } else if (idle.dialog && idle.dialog.open) {
        closeWarning();
      }
    }, 1000);
  }

  /* ------------------------------------------------------------------ */
  /* Calendar placement: .cal[data-cal-start="07:00"][data-cal-end="20:00"] */
  /* .cal-event[data-start="09:00"][data-end="10:30"] inside .cal-day     */
  /* ------------------------------------------------------------------ */
  function toMinutes(hhmm) {
    var m = /^(\d{1,2}):(\d{2})/.exec(hhmm || "");
    return m ? parseInt(m[1], 10) * 60 + parseInt(m[2], 10) : null;
  }
  function initCalendars(scope) {
    $$(".cal[data-cal-start]", scope).forEach(function (cal) {
      var start = toMinutes(cal.getAttribute("data-cal-start"));
      var end = toMinutes(cal.getAttribute("data-cal-end")) || (start + 13 * 60);
      var slot = 15;
      if (start === null || end <= start) { return; }
      var slots = Math.ceil((end - start) / slot);
      cal.style.setProperty("--cal-slots", String(slots));
      // As many columns as the grid has (days of a week, or a day's rooms/staff); CSSOM, allowed by the CSP.
      var cols = $$(".cal-body > .cal-day", cal).length;
      if (cols) { cal.style.setProperty("--cal-cols", String(cols)); }
      $$(".cal-day", cal).forEach(function (day) { day.classList.remove("cal-day-stacked"); });
      $$(".cal-event[data-start]", cal).forEach(function (ev) {
        var s = toMinutes(ev.getAttribute("data-start"));
        var e = toMinutes(ev.getAttribute("data-end"));
        if (s === null) { return; }
        if (e === null || e <= s) { e = s + slot; }
        var row = Math.max(1, Math.floor((s - start) / slot) + 1);
        var span = Math.max(1, Math.ceil((Math.min(e, end) - Math.max(s, start)) / slot));
        ev.style.gridRow = row + " / span " + span;
      });
    });
  }

  /* ------------------------------------------------------------------ */
  /* Tables not wrapped in .table-wrap get one, so wide tables scroll     */
  /* inside the page instead of overflowing it. A scrolling region is made */
  /* keyboard-focusable and named after the table caption.                */
  /* ------------------------------------------------------------------ */
  function wrapTables(scope) {
    var tables = $$("table.table", scope);
    if (scope && scope.matches && scope.matches("table.table")) { tables.push(scope); }
    tables.forEach(function (table) {
      var parent = table.parentNode;
      var wrap = parent;
      if (!parent.classList || !parent.classList.contains("table-wrap")) {
        wrap = doc.createElement("div");
        wrap.className = "table-wrap";
        parent.insertBefore(wrap, table);
        wrap.appendChild(table);
      }
      if (wrap.scrollWidth > wrap.clientWidth + 1 && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        var caption = table.caption ? table.caption.textContent.trim() : "";
        wrap.setAttribute("aria-label", (caption || "Table") + " (scrolls sideways)");
      }
    });
  }

  /* ------------------------------------------------------------------ */
  /* Enhance a subtree (page load and every htmx swap)                    */
  /* ------------------------------------------------------------------ */
  function enhance(scope) {
    scope = scope || doc;
    wrapTables(scope);
    initSortable(scope);
    initFilters(scope);
    initAutosubmit(scope);
    initUnsaved(scope);
    initCalendars(scope);
  }

  onReady(function () {
    applyAccent();
    initNavToggle();
    initMenus();
    initDismiss();
    initShortcuts();
    initSkipFocus();
    initConfirm();
    initHtmx();
    initIdle();
    enhance(doc);
  });

  // Small public API for page scripts (static files only; CSP forbids inline JS).
  window.Trellis = { toast: toast, announce: announce, enhance: enhance, sortTable: sortTable };
})();
