// Small progressive enhancements; every page works without JavaScript.
// [data-poll-url]: replace the element's contents with the URL's HTML every N seconds
// (the incident war room's live timeline).
(function () {
  function poll(el) {
    var url = el.getAttribute("data-poll-url");
    var seconds = parseInt(el.getAttribute("data-poll-seconds") || "10", 10);
    setInterval(function () {
      if (document.hidden) return;
      fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null && html !== el.innerHTML) el.innerHTML = html; })
        .catch(function () {});
    }, seconds * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll-url]").forEach(poll);
  });
})();
