// Keyboard shortcuts for stewards (README "Keyboard shortcuts"; the help dialog lists them).
// Queue: j / k next / previous row (its link takes the focus, so Enter opens it).
// Request page: r reply, n internal note, a assign. Everywhere (staff): ? this help.
// Never while typing (inputs, textareas, selects, editable text) or with Ctrl / Alt / Cmd held.
(function () {
  function typing(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function queueRows() {
    return Array.prototype.filter.call(
      document.querySelectorAll("#queue tbody tr"),
      function (row) { return row.querySelector("a[href]"); }
    );
  }

  function moveRow(step) {
    var rows = queueRows();
    if (!rows.length) return false;
    var index = rows.indexOf(document.querySelector("#queue tr.row-current"));
    if (index < 0) {
      var focused = document.activeElement && document.activeElement.closest("#queue tbody tr");
      index = rows.indexOf(focused);
    }
    var next = index < 0 ? (step > 0 ? 0 : rows.length - 1)
      : Math.min(rows.length - 1, Math.max(0, index + step));
    rows.forEach(function (row) { row.classList.remove("row-current"); });
    rows[next].classList.add("row-current");
    rows[next].querySelector("a[href]").focus();
    rows[next].scrollIntoView({ block: "nearest" });
    return true;
  }

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    field.scrollIntoView({ block: "center" });
    field.focus();
    return true;
  }

  function openHelp() {
    var dialog = document.getElementById("shortcuts-help");
    if (!dialog || dialog.open) return false;
    dialog.showModal();
    return true;
  }

  var KEYS = {
    j: function () { return moveRow(1); },
    k: function () { return moveRow(-1); },
    r: function () { return focusField("id_reply-body"); },
    n: function () { return focusField("id_note-body"); },
    a: function () { return focusField("id_triage-assignee"); },
    "?": openHelp,
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    if (!document.getElementById("shortcuts-help")) return; // stewards' pages only
    var action = KEYS[event.key];
    if (action && action()) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-open-shortcuts]");
    if (opener) { event.preventDefault(); openHelp(); }
    var closer = event.target.closest && event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });
})();
