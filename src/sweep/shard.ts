/**
 * Shards: a deterministic slice of the grid for one machine of a cluster. Shard I of N
 * takes the points whose grid index is I modulo N, so every shard gets a fair mix of
 * cheap and expensive points (axes vary fastest at the end).
 */
import { ParamError } from "../model/params.js";

export interface Shard {
  index: number;
  count: number;
}

/** Parse `I/N` with 0 <= I < N. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const allowed = "I/N with 0 <= I < N, e.g. 0/4";
  if (!m) throw new ParamError("shard", text, allowed);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!(count >= 1 && index < count)) throw new ParamError("shard", text, allowed);
  return { index, count };
}

/**
 * The shard from a cluster's environment: Slurm job arrays (SLURM_ARRAY_TASK_ID minus
 * SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job
 * (JOB_COMPLETION_INDEX, of `shardCount`, i.e. the Job's `completions`). Null outside both.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv, shardCount?: number): Shard | null {
  if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_COUNT !== undefined) {
    const id = Number(env.SLURM_ARRAY_TASK_ID);
    const min = env.SLURM_ARRAY_TASK_MIN !== undefined ? Number(env.SLURM_ARRAY_TASK_MIN) : 0;
    const count = shardCount ?? Number(env.SLURM_ARRAY_TASK_COUNT);
    return parseShard(`${id - min}/${count}`);
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (shardCount === undefined)
      throw new ParamError("shard-count", undefined, "the Job's completions, required with JOB_COMPLETION_INDEX");
    return parseShard(`${env.JOB_COMPLETION_INDEX}/${shardCount}`);
  }
  return null;
}

/** Whether a point (by grid index) belongs to a shard (null: the whole grid). */
export function inShard(index: number, shard: Shard | null): boolean {
  return shard === null || index % shard.count === shard.index;
}
