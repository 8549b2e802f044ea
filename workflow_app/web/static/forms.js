/*
 * Progressive enhancement for forms rendered by templates/forms/_macros.html.
 * No framework, no inline handlers: include with
 *   <script src="{{ url_for('static', filename='forms.js') }}" defer></script>
 *
 * - editable tables (table[data-array]): "Add row" clones <template data-row-template>,
 *   replacing __INDEX__ with the next free index; "Remove" deletes a row (the server ignores
 *   blank rows and renumbers, so gaps in indexes are fine);
 * - computed fields (output[data-compute]): recalculated while typing, mirroring
 *   x-compute in workflow_app/forms.py (sub, add, sum); the server recomputes on submit anyway;
 * - the error summary (#form-errors) gets focus after a failed submit.
 */
(function () {
  "use strict";

  var INDEX_ATTRS = ["name", "id", "for", "aria-describedby", "aria-labelledby", "data-name", "data-prefix", "data-index"];

  function parseNumber(text) {
    if (text === null || text === undefined) { return null; }
    var s = String(text).replace(/[\s\u00a0\u202f\u2009']+/g, "");
    if (s === "") { return null; }
    if (s.indexOf(",") !== -1 && s.indexOf(".") === -1 && s.split(",").length === 2) {
      s = s.replace(",", ".");
    }
    if (!/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) { return NaN; }
    var n = Number(s);
    return isFinite(n) ? n : NaN;
  }

  function formatNumber(n) {
    if (Number.isInteger(n)) { return String(n); }
    return String(parseFloat(n.toFixed(10)));
  }

  function escapeRe(s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  /* value of a named field (input or computed output) inside scope:
     undefined = not on the page, null = empty, NaN = not a number */
  function fieldValue(scope, name) {
    var els = scope.querySelectorAll("[name], output[data-name]");
    var found = false;
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var elName = el.tagName === "OUTPUT" ? el.getAttribute("data-name") : el.getAttribute("name");
      if (elName !== name) { continue; }
      if (el.closest("template")) { continue; }
      if (el.tagName === "OUTPUT") { return parseNumber(el.value !== undefined ? el.value : el.textContent); }
      if (el.type === "checkbox" || el.type === "radio") {
        found = true;
        if (el.checked) { return parseNumber(el.value); }
        continue;
      }
      return parseNumber(el.value);
    }
    return found ? null : undefined;
  }

  /* values of "<array>-<i>-<field>" for every row that has any input filled in (blank rows are
     ignored by the server too); a filled row without a number yields NaN, like the server,
     which then leaves the sum empty */
  function columnValues(scope, arrayName, field) {
    var rowRe = new RegExp("^" + escapeRe(arrayName) + "-([0-9]+)-");
    var filled = {};
    var order = [];
    scope.querySelectorAll("[name]").forEach(function (el) {
      if (el.closest("template")) { return; }
      var m = rowRe.exec(el.getAttribute("name"));
      if (!m) { return; }
      if (!(m[1] in filled)) { filled[m[1]] = false; order.push(m[1]); }
      if (el.type === "hidden" || el.type === "file") { return; }
      var has = (el.type === "checkbox" || el.type === "radio") ? el.checked : String(el.value).trim() !== "";
      if (has) { filled[m[1]] = true; }
    });
    var values = [];
    order.forEach(function (index) {
      if (!filled[index]) { return; }
      var v = fieldValue(scope, arrayName + "-" + index + "-" + field);
      values.push(v === null || v === undefined ? NaN : v);
    });
    return values;
  }

  function evaluate(scope, spec, prefix) {
    var op = Object.keys(spec)[0];
    var operands = spec[op];
    var values = [];
    var i, v;
    if (op === "add" || op === "sub") {
      for (i = 0; i < operands.length; i++) {
        v = typeof operands[i] === "number" ? operands[i] : fieldValue(scope, prefix + operands[i]);
        if (v === undefined) { return undefined; }  // operand not on the page: keep server value
        if (v === null || isNaN(v)) { return null; }
        values.push(v);
      }
      if (!values.length) { return null; }
      var result = op === "add" ? 0 : values.shift();
      for (i = 0; i < values.length; i++) { result = op === "add" ? result + values[i] : result - values[i]; }
      return result;
    }
    if (op === "sum") {
      if (operands.length === 1) {
        values = [];
        scope.querySelectorAll("[name]").forEach(function (el) {
          if (el.getAttribute("name") === prefix + operands[0] && !el.closest("template")) {
            values.push(parseNumber(el.value));
          }
        });
        values = values.filter(function (x) { return x !== null; });
      } else {
        values = columnValues(scope, prefix + operands[0], operands[1]);
      }
      var total = 0;
      for (i = 0; i < values.length; i++) {
        if (isNaN(values[i])) { return null; }
        total += values[i];
      }
      return total;
    }
    return undefined;
  }

  function recompute(scope) {
    var outputs = scope.querySelectorAll("output[data-compute]");
    // a few passes so that sums over computed row fields settle
    for (var pass = 0; pass < 3; pass++) {
      for (var i = 0; i < outputs.length; i++) {
        var out = outputs[i];
        if (out.closest("template")) { continue; }
        var spec;
        try { spec = JSON.parse(out.getAttribute("data-compute")); } catch (e) { continue; }
        var value = evaluate(scope, spec, out.getAttribute("data-prefix") || "");
        if (value === undefined) { continue; }
        out.value = value === null ? "" : formatNumber(value);
      }
    }
  }

  function renumber(table) {
    var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
    for (var i = 0; i < rows.length; i++) {
      var num = rows[i].querySelector(".row-num");
      if (num) { num.textContent = String(i + 1); }
    }
  }

  function replaceIndex(root, index) {
    var nodes = [root].concat(Array.prototype.slice.call(root.querySelectorAll("*")));
    nodes.forEach(function (el) {
      if (!el.getAttribute) { return; }
      INDEX_ATTRS.forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v && v.indexOf("__INDEX__") !== -1) { el.setAttribute(attr, v.split("__INDEX__").join(String(index))); }
      });
    });
  }

  function clearRow(row) {
    row.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { el.checked = false; }
      else if (el.tagName === "SELECT") { el.selectedIndex = 0; }
      else if (el.type !== "hidden") { el.value = ""; }
      else { el.parentNode.removeChild(el); }
    });
    row.querySelectorAll("output").forEach(function (el) { el.value = ""; });
  }

  function setupTable(table) {
    var wrapper = table.closest(".field-table") || table.parentNode;
    var template = wrapper.querySelector("template[data-row-template]");
    var addButton = wrapper.querySelector(".row-add");
    var scope = table.closest(".form-body") || document;
    if (!template || !addButton) { return; }
    var tbody = table.tBodies[0];

    addButton.hidden = false;
    table.querySelectorAll(".row-remove").forEach(function (b) { b.hidden = false; });

    addButton.addEventListener("click", function () {
      var index = parseInt(table.getAttribute("data-next-index"), 10) || tbody.rows.length;
      table.setAttribute("data-next-index", String(index + 1));
      var fragment = template.content.cloneNode(true);
      var row = fragment.querySelector("tr");
      replaceIndex(row, index);
      row.querySelectorAll(".row-remove").forEach(function (b) { b.hidden = false; });
      tbody.appendChild(fragment);
      renumber(table);
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    });

    table.addEventListener("click", function (event) {
      var button = event.target.closest(".row-remove");
      if (!button || !table.contains(button)) { return; }
      var row = button.closest("tr");
      if (tbody.rows.length > 1) {
        var next = row.nextElementSibling || row.previousElementSibling;
        row.parentNode.removeChild(row);
        var focusTarget = next && next.querySelector(".row-remove");
        (focusTarget || addButton).focus();
      } else {
        clearRow(row);  // keep at least one row to type into
      }
      renumber(table);
      recompute(scope);
    });
  }

  function init() {
    document.querySelectorAll("table[data-array]").forEach(setupTable);

    document.querySelectorAll(".form-body").forEach(function (body) {
      if (!body.querySelector("output[data-compute]")) { return; }
      var handler = function () { recompute(body); };
      body.addEventListener("input", handler);
      body.addEventListener("change", handler);
    });

    var summary = document.getElementById("form-errors");
    if (summary) { summary.focus(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
