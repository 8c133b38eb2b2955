// The timeline's CSS: the picture's own, and the page an HTML timeline sits on.

/** The picture's classes; it goes inside the SVG, so a .svg file looks the same on its own. */
export const TIMELINE_STYLE = [
  '.timeline{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif;font-size:12px}',
  '.timeline text{fill:#1a1a1a}',
  '.timeline .mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}',
  '.timeline .background{fill:#fff}',
  '.timeline .heading{font-size:18px;font-weight:600}',
  '.timeline .subheading{fill:#444}',
  '.timeline .column{fill:#555;font-size:11px;font-weight:600}',
  '.timeline .tick{fill:#555;font-size:11px}',
  '.timeline .grid{stroke:#e2e2e2;stroke-width:1}',
  '.timeline .grid.zero{stroke:#9a9a9a}',
  '.timeline .stripe{fill:#e9eef4;fill-opacity:.55}',
  '.timeline .outcome{font-size:11px}',
  '.timeline .outcome.done{fill:#00684a}',
  '.timeline .outcome.failed{fill:#a33f00;font-weight:600}',
  '.timeline .outcome.unfinished{fill:#666}',
  '.timeline .seg{stroke-width:2;fill:none}',
  '.timeline .seg.queued{stroke:#b3b3b3;stroke-dasharray:1 3;stroke-linecap:round}',
  '.timeline .seg.connecting{stroke:#8c8c8c;stroke-dasharray:4 3}',
  '.timeline .seg.receiving{stroke:#4d4d4d}',
  '.timeline .marker.connected{fill:#fff;stroke:#cc79a7;stroke-width:2}',
  '.timeline .marker.first-byte{fill:#e69f00;stroke:#7a5200;stroke-width:.75}',
  '.timeline .marker.done{fill:#009e73;stroke:#00523b;stroke-width:.75}',
  '.timeline .marker.failed{fill:none;stroke:#d55e00;stroke-width:2.5;stroke-linecap:round}',
  '.timeline .marker.failed-hit{fill:transparent}',
  '.timeline .failure-text{fill:#a33f00;font-size:11px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round;pointer-events:none}',
  '.timeline .chunk .mark{fill:#0072b2}',
  '.timeline .chunk:hover .mark{fill:#00304d}',
  '.timeline .chunk .details{display:none;pointer-events:none}',
  '.timeline .chunk:hover .details{display:inline}',
  '.timeline .details-box{fill:#fffbe6;stroke:#333;stroke-width:1}',
  '.timeline .details-text{font-size:11px}',
  '.timeline .summary-row text,.timeline .empty-row text{fill:#333;font-style:italic}',
  '.timeline .note{fill:#555;font-size:11.5px}',
  '.timeline .run-title{font-size:15px;font-weight:600}',
  '.timeline .run-summary{fill:#444}',
  '.timeline .thread-stripe{fill:#f6f1e7}',
  '.timeline .thread-track{fill:#e8e1d3}',
  '.timeline .thread-busy{fill:#b35900}',
  '.timeline .thread-hit{fill:transparent}',
  // The bars lie over the slices; a pointer passes through them to the slice it is over.
  '.timeline .thread-bars{pointer-events:none}',
  '.timeline .thread-slice:hover .thread-hit{fill:#d9cbb0}',
  '.timeline .thread-outcome{fill:#7a3d00}',
  '.timeline .thread-slice .details{display:none;pointer-events:none}',
  '.timeline .thread-slice:hover .details{display:inline}',
].join('');

/** The HTML page around the picture: a plain frame, nothing from the network. */
export const PAGE_STYLE =
  'body{margin:0;padding:24px;background:#f4f4f4;color:#1a1a1a}' +
  '.frame{display:inline-block;max-width:100%;overflow:auto;background:#fff;' +
  'border:1px solid #d9d9d9;border-radius:6px}.frame svg{display:block}';
