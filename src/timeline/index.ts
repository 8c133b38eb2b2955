// The timeline: recording a run's fetch events and drawing them as SVG or self-contained HTML.

export { failureReason } from './format.js';
export { TimelineRecorder } from './recorder.js';
export {
  DEFAULT_MAX_LANES,
  DEFAULT_WIDTH_PIXELS,
  renderTimeline,
  renderTimelineHtml,
  renderTimelineSvg,
  type TimelineFormat,
  type TimelineOptions,
  timelineFormatOf,
} from './render.js';
export {
  type LaneOutcome,
  summarizeTimeline,
  type TimelineRun,
  type TimelineSummary,
} from './run.js';
