// The time-box countdown (slo/templates/slo/_timebox.html): the server renders the working
// seconds left and whether the clock runs now; this counts down while it runs and, at zero,
// shows the next steps. Without JavaScript the page still says how much was left when loaded.
(function () {
  function start(el) {
    var seconds = parseInt(el.getAttribute("data-timebox-seconds") || "0", 10);
    var running = el.getAttribute("data-timebox-running") === "1";
    var clock = el.querySelector(".timebox-clock");
    var left = el.querySelector(".timebox-left");
    var over = el.querySelector(".timebox-over");
    if (!running || seconds <= 0 || !clock) return;
    var ends = Date.now() + seconds * 1000;
    var timer = setInterval(function () {
      var remaining = Math.max(0, Math.round((ends - Date.now()) / 1000));
      var minutes = Math.floor(remaining / 60);
      var rest = remaining % 60;
      clock.textContent = minutes + ":" + (rest < 10 ? "0" : "") + rest;
      if (remaining === 0) {
        clearInterval(timer);
        if (left) left.hidden = true;
        if (over) over.hidden = false;
      }
    }, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-timebox-seconds]").forEach(start);
  });
})();
