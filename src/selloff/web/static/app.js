// selloff dashboard: draws the Plotly figures embedded as JSON, sorts and filters tables. No inline script
// anywhere (the Content-Security-Policy forbids it); no request leaves the page's origin.
(function () {
  "use strict";

  function drawFigures() {
    document.querySelectorAll("script.plotly-figure").forEach(function (el) {
      var target = document.getElementById(el.dataset.target);
      if (!target || typeof Plotly === "undefined") { return; }
      var fig = JSON.parse(el.textContent);
      Plotly.newPlot(target, fig.data, fig.layout, {displaylogo: false, responsive: true});
    });
  }

  function cellValue(row, i, numeric) {
    var cell = row.cells[i];
    if (!cell) { return numeric ? -Infinity : ""; }
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
    if (numeric) {
      var n = parseFloat(raw);
      return isNaN(n) ? -Infinity : n;
    }
    return raw.trim().toLowerCase();
  }

  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, i) {
      th.classList.add("sort");
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      function sort() {
        var numeric = th.dataset.type === "num";
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, i, numeric), y = cellValue(b, i, numeric);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { sort(); } });
    });
  }

  function makeFilter(input) {
    var table = document.getElementById(input.dataset.table);
    if (!table) { return; }
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawFigures();
    document.querySelectorAll("table.sortable").forEach(makeSortable);
    document.querySelectorAll("input.table-filter").forEach(makeFilter);
  });
})();
