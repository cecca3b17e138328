// Request page: tell the presence poll (hx-post on #presence, tickets/views.py desk_presence)
// that this steward is typing a reply. The poll includes #presence-typing; a keystroke in the
// reply box sets it to "1" for TYPING_MS and asks for an early poll (at most every EARLY_MS),
// so colleagues see "is typing a reply" within seconds rather than at the next 15 s poll.
(function () {
  var TYPING_MS = 20000;
  var EARLY_MS = 10000;
  var lastKey = 0;
  var lastEarly = 0;
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!target || !target.closest || !target.closest("#reply-form")) return;
    var flag = document.getElementById("presence-typing");
    if (!flag) return;
    var now = Date.now();
    lastKey = now;
    flag.value = "1";
    if (now - lastEarly > EARLY_MS) {
      lastEarly = now;
      document.body.dispatchEvent(new CustomEvent("presence-typing"));
    }
    setTimeout(function () {
      if (Date.now() - lastKey >= TYPING_MS) flag.value = "0";
    }, TYPING_MS + 50);
  });
})();
