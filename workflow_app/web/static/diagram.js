/*
 * The process diagram on the history page: zoom (buttons, Ctrl + wheel) and pan (drag, or scroll the box).
 * Without JavaScript the server's SVG is shown at its natural size in a scrolling box. No framework, no
 * inline handlers (the CSP allows none): included with <script src=".../diagram.js" defer>.
 */
(function () {
  "use strict";

  function setup(box) {
    var svg = box.querySelector("svg");
    var bar = document.querySelector("[data-diagram-tools='" + box.id + "']");
    if (!svg || !bar) { return; }
    var baseW = parseFloat(svg.getAttribute("width")) || svg.getBoundingClientRect().width;
    var baseH = parseFloat(svg.getAttribute("height")) || svg.getBoundingClientRect().height;
    var scale = 1;
    var label = bar.querySelector("[data-zoom-level]");

    function apply(next, cx, cy) {
      var old = scale;
      scale = Math.min(4, Math.max(0.05, next));
      // keep the point under the cursor (or the centre) where it was
      var px = (cx === undefined ? box.clientWidth / 2 : cx) + box.scrollLeft;
      var py = (cy === undefined ? box.clientHeight / 2 : cy) + box.scrollTop;
      svg.setAttribute("width", String(Math.round(baseW * scale)));
      svg.setAttribute("height", String(Math.round(baseH * scale)));
      box.scrollLeft = px * scale / old - (cx === undefined ? box.clientWidth / 2 : cx);
      box.scrollTop = py * scale / old - (cy === undefined ? box.clientHeight / 2 : cy);
      if (label) { label.textContent = Math.round(scale * 100) + "%"; }
      box.setAttribute("data-scale", String(scale));
    }

    function fitScale() { return Math.min(1, (box.clientWidth - 16) / baseW); }
    function fit() { apply(fitScale()); }

    bar.hidden = false;
    box.classList.add("is-interactive");
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-zoom]");
      if (!button) { return; }
      var what = button.getAttribute("data-zoom");
      if (what === "in") { apply(scale * 1.25); }
      else if (what === "out") { apply(scale / 1.25); }
      else if (what === "fit") { fit(); }
      else { apply(1); }
    });
    box.addEventListener("wheel", function (event) {
      if (!event.ctrlKey) { return; }  // plain wheel scrolls the page/box as usual
      event.preventDefault();
      var rect = box.getBoundingClientRect();
      apply(scale * (event.deltaY < 0 ? 1.1 : 1 / 1.1), event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });
    var drag = null;
    box.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      drag = { x: event.clientX, y: event.clientY, left: box.scrollLeft, top: box.scrollTop };
      box.setPointerCapture(event.pointerId);
      box.classList.add("is-dragging");
    });
    box.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      box.scrollLeft = drag.left - (event.clientX - drag.x);
      box.scrollTop = drag.top - (event.clientY - drag.y);
    });
    function stop() { drag = null; box.classList.remove("is-dragging"); }
    box.addEventListener("pointerup", stop);
    box.addEventListener("pointercancel", stop);
    // readable labels first: the whole width when that is legible, else 60% and pan (the overview: «По ширине»)
    apply(Math.max(fitScale(), 0.6), 0, 0);
    box.scrollLeft = 0;
    box.scrollTop = 0;
  }

  function init() { document.querySelectorAll(".diagram[id]").forEach(setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
