// input[data-lookup][list]: as the user types, fill the input's <datalist> with the matching
// names from the JSON endpoint in data-lookup ({"results": [{"id", "slug", "name"}]}). The
// queue's community filter uses it instead of a <select> of every community; without
// JavaScript the server resolves the typed name or slug.
(function () {
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    var timer = null;
    var asked = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q === asked) return;
        asked = q;
        fetch(input.getAttribute("data-lookup") + "?q=" + encodeURIComponent(q), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) {
            if (q !== asked) return; // a later keystroke asked again
            var options = data.results.map(function (c) {
              var option = document.createElement("option");
              option.value = c.name;
              option.label = c.slug;
              return option;
            });
            list.replaceChildren.apply(list, options);
          })
          .catch(function () {});
      }, 150);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-lookup][list]").forEach(attach);
  });
})();
