/**
 * What one step of a snapshot DR pair acts on (System.stepClaims: the engine never runs two steps
 * with a key in common at once) and where it copies from (System.describeSource, the plan's
 * `<- source`), for the systems whose steps carry a `source` side: HDFS directories, Ozone buckets.
 */
import type { Step } from '../model/plan.js';
import type { PairSide } from './snapshot-floors.js';

/** `<endpoint>\0<path>` of the step's target and, when it reads another place, of that place. */
export function pairStepClaims(step: Step, source: PairSide | undefined, endpoint: (cluster: string) => string): string[] {
  const key = (s: PairSide) => `${endpoint(s.cluster)}\u0000${s.path}`;
  const r = [key(step.target)];
  if (source) {
    const k = key(source);
    if (k !== r[0]) r.push(k);
  }
  return r;
}

/** `cluster:path[@snapshot]` of the place a step copies from; undefined for a step that copies nothing. */
export function pairSourceText(source: PairSide | undefined, snapshot: string | undefined): string | undefined {
  if (!source) return undefined;
  return snapshot ? `${source.cluster}:${source.path}@${snapshot}` : `${source.cluster}:${source.path}`;
}
