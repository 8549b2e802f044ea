"""Server-side rendering of BPMN 2.0 diagrams (BPMN DI) to standalone SVG.

The renderer reads the diagram interchange part of a BPMN file
(``BPMNDiagram/BPMNPlane/BPMNShape/BPMNEdge`` with ``dc:Bounds`` and
``di:waypoint``) and draws it with plain SVG primitives.  The progress of a
process instance can be overlaid: flow nodes that are done, flow nodes that
are current, and sequence flows that were taken.

Every drawn element is an SVG ``<g id="el-<bpmn id>" class="...">`` with a
``<title>`` (its name, or its id when unnamed), so pages and tests can find
elements and browsers show a tooltip.  Styling is done with presentation
attributes only, so the SVG looks the same inline and inside ``<img>``.

Public API: :func:`render_svg`, :func:`render_svgs`, :func:`flow_map` and :class:`DiagramError`. The modules:
``di`` reads the file, ``svg`` holds the small drawing pieces, ``shapes`` and ``edges`` draw, ``render`` assembles.
"""

from .di import DiagramError
from .render import element_names, flow_map, render_svg, render_svgs

__all__ = ["DiagramError", "element_names", "flow_map", "render_svg", "render_svgs"]
