// The status page's hub search, as you type. Without JavaScript the same form is a plain GET
// search answered by the server (?q=...). Hides hub tiles that do not match, hides community
// groups with no match and opens those with one; says how many match.
(function () {
  function norm(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").trim();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.getElementById("hub-search");
    var groups = document.querySelectorAll("#hubs .community-group");
    var count = document.getElementById("hub-search-count");
    if (!input || !groups.length) return;
    var openAtLoad = [];
    groups.forEach(function (g) { openAtLoad.push(g.open); });
    function apply() {
      var q = norm(input.value);
      var shown = 0;
      groups.forEach(function (group, i) {
        var community = norm(group.getAttribute("data-name"));
        var any = false;
        group.querySelectorAll(".hub-tile").forEach(function (tile) {
          var match = !q || community.indexOf(q) !== -1 || norm(tile.getAttribute("data-name")).indexOf(q) !== -1;
          tile.hidden = !match;
          if (match) { any = true; shown += 1; }
        });
        group.hidden = !any;
        group.open = q ? any : openAtLoad[i];
      });
      if (count) count.textContent = q ? count.getAttribute(shown === 1 ? "data-one" : "data-many").replace("{n}", shown) : "";
    }
    input.addEventListener("input", apply);
  });
})();
