// Sortable tables: click (or Enter on) a header to sort by that column.
// Numeric cells carry their raw value in data-v; others sort as text.
(function () {
  "use strict";
  document.querySelectorAll("table.sortable").forEach(function (t) {
    var heads = t.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.tabIndex = 0;
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var body = t.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          if (x.dataset.v !== undefined && y.dataset.v !== undefined) {
            return (parseFloat(x.dataset.v) - parseFloat(y.dataset.v)) * dir;
          }
          return x.textContent.localeCompare(y.textContent) * dir;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  });
})();
