// Total blocking time with one timeline: Lighthouse's own simulation, without its mixed cut-off.
//
//   node blocking.mjs <lighthouse package dir> <artifacts dir> <cpu slowdown>   → JSON on stdout
//
// Lighthouse (lantern, simulated throttling) computes TBT as the blocking time of long tasks between
// FCP and TTI, but it takes FCP from a *different* simulation (a graph holding only what the first
// paint needs) than the one whose tasks it sums (the whole page). Every task of the whole page that
// the FCP graph leaves out (on every page: the navigation commit, where Chromium builds the script
// context for the DevTools protocol Lighthouse drives) then runs before the first paint in one
// timeline and not in the other, and the first style and layout is counted as "blocking" although
// it ends with the first paint. Lighthouse's maintainers describe this in
// https://github.com/GoogleChrome/lighthouse/issues/11677 ("Lantern EIL+TBT should use internally
// consistent FCP/TTI estimates") and propose what this script does: take FCP as the moment the first
// paint's own nodes finish *in the TBT simulation itself*. The end of the window is the later of
// Lighthouse's TTI and the last long task of that simulation, so no task after the first paint escapes.
// Everything else (graph, simulator, slowdown, 50 ms threshold, clipping, optimistic/pessimistic
// blend) is Lighthouse's own code, imported from the pinned package.
import {pathToFileURL} from 'node:url';
import path from 'node:path';

const [lighthouseDir, artifactsDir, slowdownText] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(path.join(lighthouseDir, file)).href);

const {loadArtifacts} = await load('core/lib/asset-saver.js');
const {LanternFirstContentfulPaint} = await load('core/computed/metrics/lantern-first-contentful-paint.js');
const {LanternInteractive} = await load('core/computed/metrics/lantern-interactive.js');
const {LanternTotalBlockingTime} = await load('core/computed/metrics/lantern-total-blocking-time.js');
const Lantern = await load('core/lib/lantern/lantern.js');
const {calculateSumOfBlockingTime, BLOCKING_TIME_THRESHOLD} = Lantern.Metrics.TBTUtils;

const artifacts = await loadArtifacts(artifactsDir);
const throttling = {...artifacts.settings.throttling, cpuSlowdownMultiplier: Number(slowdownText)};
const settings = {...artifacts.settings, throttling};
const context = {computedCache: new Map(), settings};
const data = {trace: artifacts.Trace, devtoolsLog: artifacts.DevtoolsLog, gatherContext: artifacts.GatherContext,
  settings, URL: artifacts.URL, SourceMaps: artifacts.SourceMaps, simulator: null};

const fcp = await LanternFirstContentfulPaint.request(data, context);
const interactive = await LanternInteractive.request(data, context);
const tbt = await LanternTotalBlockingTime.request(data, context);

const idsOf = (graph) => { const ids = new Set(); graph.traverse((node) => ids.add(node.id)); return ids; };
const cpuTimings = (simulation) => [...simulation.nodeTimings.entries()].filter(([node]) => node.type === 'cpu');

// Mirrors Lighthouse's pairing: the optimistic TBT uses the pessimistic FCP graph, and the reverse.
function estimate(simulation, fcpGraph, ttiMs) {
  const firstPaintIds = idsOf(fcpGraph);
  const tasks = cpuTimings(simulation);
  const firstPaintMs = Math.max(0, ...[...simulation.nodeTimings.entries()]
    .filter(([node]) => firstPaintIds.has(node.id)).map(([, timing]) => timing.endTime));
  const long = tasks.filter(([, timing]) => timing.duration >= BLOCKING_TIME_THRESHOLD);
  const endMs = Math.max(ttiMs, firstPaintMs, ...long.map(([, timing]) => timing.endTime));
  const events = long.map(([, t]) => ({start: t.startTime, end: t.endTime, duration: t.duration}));
  return {ms: calculateSumOfBlockingTime(events, firstPaintMs, endMs), firstPaintMs, endMs, tasks};
}

const optimistic = estimate(tbt.optimisticEstimate, fcp.pessimisticGraph, interactive.optimisticEstimate.timeInMs);
const pessimistic = estimate(tbt.pessimisticEstimate, fcp.optimisticGraph, interactive.pessimisticEstimate.timeInMs);
const {coefficients} = Lantern.Metrics.TotalBlockingTime;

// What a task spent its time on, by the trace events Chromium records inside it (ms, nesting counted once).
const KINDS = {
  'script': ['EvaluateScript', 'v8.evaluateModule', 'v8.compile', 'FunctionCall', 'TimerFire', 'RunMicrotasks',
    'EventDispatch', 'FireAnimationFrame'],
  'style and layout': ['UpdateLayoutTree', 'Layout'],
  'HTML parsing': ['ParseHTML'],
  'paint': ['PrePaint', 'Paint', 'Layerize'],
  'image decoding': ['Decode Image', 'ImageDecodeTask'],
};
function spentOn(node) {
  const spent = [];
  for (const [kind, names] of Object.entries(KINDS)) {
    const spans = node.childEvents.filter((e) => names.includes(e.name) && e.dur).map((e) => [e.ts, e.ts + e.dur])
      .sort((a, b) => a[0] - b[0]);
    let total = 0; let end = -Infinity;
    for (const [start, stop] of spans) {
      total += Math.max(0, stop - Math.max(start, end));
      end = Math.max(end, stop);
    }
    if (total >= 500) spent.push([kind, total / 1000]);
  }
  return spent.sort((a, b) => b[1] - a[1]).map(([kind, ms]) => `${kind} ${ms.toFixed(0)} ms`);
}

// The tasks after the first paint that block, in the pessimistic timeline: what to make shorter.
const blocking = pessimistic.tasks
  .filter(([, t]) => t.endTime > pessimistic.firstPaintMs && t.duration > BLOCKING_TIME_THRESHOLD)
  .map(([node, t]) => ({
    start_ms: Math.round(t.startTime), simulated_ms: Math.round(t.duration), real_ms: +(node.duration / 1000).toFixed(1),
    does: spentOn(node), urls: [...new Set(node.getEvaluateScriptURLs())],
  }));

console.log(JSON.stringify({
  tbt_ms: coefficients.optimistic * optimistic.ms + coefficients.pessimistic * pessimistic.ms,
  lighthouse_tbt_ms: tbt.timing,
  first_paint_ms: pessimistic.firstPaintMs,
  lighthouse_fcp_ms: fcp.optimisticEstimate.timeInMs,
  blocking,
}));
