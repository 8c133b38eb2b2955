// The timeline: recording a run's fetch events and drawing them as SVG or self-contained HTML.

export { MAX_EMBEDDED_EVENTS, readTimelineRuns } from './embed.js';
export {
  DEFAULT_SAMPLE_INTERVAL_SECONDS,
  type EventLoopSample,
  EventLoopSampler,
  type EventLoopSamplerOptions,
  type EventLoopUtilization,
  type EventLoopUtilizationFunction,
  runtimeEventLoopUtilization,
} from './event-loop.js';
export { failureReason } from './format.js';
export { TimelineRecorder, type TimelineRecorderOptions } from './recorder.js';
export {
  DEFAULT_MAX_LANES,
  DEFAULT_WIDTH_PIXELS,
  renderTimeline,
  renderTimelineHtml,
  renderTimelineSvg,
  type TimelineFormat,
  type TimelineOptions,
  type TimelineRuns,
  timelineFormatOf,
} from './render.js';
export {
  type LaneOutcome,
  summarizeTimeline,
  type TimelineRun,
  type TimelineSummary,
} from './run.js';
