// The queue's bulk actions: "Select every request on this page" ticks the rows too, and
// unticking a row unticks it (so only the ticked rows are sent). Without JavaScript the
// select-all box still works: the server adds every row of the page.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var all = document.querySelector("input.select-all");
    if (!all) return;
    var rows = Array.prototype.slice.call(document.querySelectorAll("input.row-select"));
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
      all.indeterminate = false;
    });
    rows.forEach(function (box) {
      box.addEventListener("change", function () {
        var ticked = rows.filter(function (b) { return b.checked; }).length;
        all.checked = ticked === rows.length;
        all.indeterminate = ticked > 0 && ticked < rows.length;
      });
    });
  });
})();
