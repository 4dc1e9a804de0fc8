// The order form's colour x size grid: row and column totals as cells change, and "Add a colour"
// adds a row in place. Without JS the grid is plain inputs and the button posts the form back with
// one more row, so nothing here is needed to order.
(function () {
  "use strict";
  var table = document.getElementById("colour-grid");
  if (!table) return;
  var form = table.closest("form");
  var lang = document.documentElement.lang || "en";
  var rowsField = form.querySelector("[name=colour_rows]");
  var addButton = document.getElementById("add-colour");
  var MAX_ROWS = 30;

  function num(el) { return parseInt(el.value, 10) || 0; }
  function show(el, n, any) { el.textContent = any ? n.toLocaleString(lang) : "–"; }

  function totals() {
    var rows = table.tBodies[0].rows, all = 0, anyAll = false, bySize = {};
    Array.prototype.forEach.call(rows, function (tr) {
      var sum = 0, any = false;
      tr.querySelectorAll(".grid-cell").forEach(function (cell) {
        if (cell.value === "") return;
        any = true; anyAll = true;
        sum += num(cell);
        bySize[cell.dataset.size] = (bySize[cell.dataset.size] || 0) + num(cell);
      });
      show(tr.querySelector(".row-total"), sum, any);
      all += sum;
    });
    table.querySelectorAll(".col-total").forEach(function (td) {
      show(td, bySize[td.dataset.size] || 0, td.dataset.size in bySize);
    });
    show(document.getElementById("grid-total"), all, anyAll);
  }

  function cellName(row, size) { return row === 0 ? "size_" + size : "size_" + row + "_" + size; }

  function addRow(ev) {
    var body = table.tBodies[0], n = body.rows.length;
    if (n >= MAX_ROWS) return;
    ev.preventDefault();
    var tr = body.rows[n - 1].cloneNode(true);
    var colour = tr.querySelector(".grid-colour");
    colour.name = "colour_" + n; colour.id = "id_colour_" + n; colour.value = "";
    colour.setAttribute("aria-label", colour.getAttribute("aria-label").replace(/\d+/, String(n + 1)));
    tr.querySelectorAll(".grid-cell").forEach(function (cell) {
      cell.name = cellName(n, cell.dataset.size); cell.id = "id_" + cell.name; cell.value = "";
      cell.setAttribute("aria-label", cell.getAttribute("aria-label").replace(/\d+/, String(n + 1)));
    });
    body.appendChild(tr);
    rowsField.value = String(n + 1);
    totals();
    colour.focus();
  }

  table.addEventListener("input", totals);
  if (addButton) addButton.addEventListener("click", addRow);
  totals();
})();
