// Which files a timeline can be drawn into; apart from the renderer so --help need not load it.

/** Whether `path` names a file the timeline can be drawn into (.svg, .html or .htm). */
export function isTimelinePath(path: string): boolean {
  return /\.(svg|html?)$/i.test(path);
}
