// New-order form: the colour x size grid must add up to the quantity (the service checks again), and a
// feasibility hint (factories able to make it, earliest safe due date, price range) as fields change.
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  if (!form) return;
  var lang = document.documentElement.lang || "en";
  var box = document.getElementById("feasibility");
  var body = document.getElementById("feasibility-body");
  var tpl = document.getElementById("feasibility-template");
  // Read afresh each time: "Add a colour" (grid.js) adds rows of cells.
  function sizeInputs() { return Array.prototype.slice.call(form.querySelectorAll(".grid-cell")); }
  var qty = form.querySelector("[name=quantity]");
  var timer = null;

  function sizesTotal() {
    return sizeInputs().reduce(function (sum, el) { return sum + (parseInt(el.value, 10) || 0); }, 0);
  }

  function checkSizes() {
    var total = sizesTotal(), q = parseInt(qty.value, 10) || 0;
    document.getElementById("size-total").textContent = total.toLocaleString(lang);
    document.getElementById("size-qty").textContent = q.toLocaleString(lang);
    var any = sizeInputs().some(function (el) { return el.value !== ""; });
    var ok = !any || total === q;
    var sum = document.getElementById("size-sum");
    sum.classList.toggle("bad", !ok);
    sum.classList.toggle("good", any && ok);
    document.getElementById("size-msg").hidden = ok;
    return ok;
  }

  function params() {
    var p = new URLSearchParams();
    ["category", "fabric", "quantity", "due_date", "sam_override", "material_lead_days"].forEach(function (n) {
      var el = form.querySelector("[name=" + n + "]");
      if (el && el.value) p.append(n, el.value);
    });
    form.querySelectorAll("[name=processes]:checked").forEach(function (el) { p.append("processes", el.value); });
    return p;
  }

  function money(v) { return Number(v).toLocaleString(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }); }

  function show(data) {
    var node = tpl.content.cloneNode(true);
    var set = function (k, v) { node.querySelector("[data-k=" + k + "]").textContent = v; };
    set("in_time", data.in_time.toLocaleString(lang));
    set("capable", data.capable.toLocaleString(lang));
    set("active_factories", data.active_factories.toLocaleString(lang));
    set("earliest_due", data.earliest_due
      ? new Date(data.earliest_due + "T00:00:00").toLocaleDateString(lang, { year: "numeric", month: "long", day: "numeric" })
      : box.dataset.none);
    set("price", data.price_low === null ? "—" : money(data.price_low) + " – " + money(data.price_high));
    set("minutes_per_piece", Number(data.minutes_per_piece).toLocaleString(lang));
    set("work_minutes", data.work_minutes.toLocaleString(lang));
    body.replaceChildren(node);
    box.dataset.ready = "1";
  }

  function refresh() {
    var p = params();
    if (!p.get("quantity") || !p.get("due_date")) return;
    fetch(form.dataset.feasibilityUrl + "?" + p.toString(), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(show)
      .catch(function () { body.textContent = box.dataset.error; });
  }

  form.addEventListener("input", function () {
    checkSizes();
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(refresh, 200); });
  form.addEventListener("submit", function (ev) {
    var checking = ev.submitter && ev.submitter.name === "check";
    if (!checking && !checkSizes()) {
      ev.preventDefault();
      sizeInputs()[0].focus();
      return;
    }
    if (!checking) setTimeout(function () { document.getElementById("post-order").disabled = true; }, 0);
  });
  checkSizes();
  refresh();
})();
