/**
 * Shards: a deterministic slice of the grid for one machine of a cluster. Shard I of N
 * takes the points whose grid index is I - 1 modulo N, so every shard gets a fair mix of
 * cheap and expensive points (axes vary fastest at the end).
 *
 * On the command line shards count from 1, `--shard 1/3 … 3/3`, as `jest --shard`,
 * `vitest --shard` and `playwright test --shard` do. A Shard object (and manifest.json's
 * `shard`) holds the 0-based `index`: shard "1/3" is `{index: 0, count: 3}`.
 */
import { InputError } from "../errors.js";
import { ParamError } from "../model/params.js";

/** One shard of a sweep's grid, 0-based (`--shard 2/3` is `{ index: 1, count: 3 }`). */
export interface Shard {
  /** 0-based: the points with grid index ≡ index (mod count). */
  index: number;
  /** Number of shards, at least 1. */
  count: number;
}

const ALLOWED = "I/N with 1 <= I <= N, counted from 1 as jest, vitest and playwright --shard (1/3, 2/3, 3/3)";

/** Parse `I/N` with 1 <= I <= N (1-based, as users write it) into a 0-based Shard. */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,9})\/(\d{1,9})$/.exec(text.trim());
  if (!m) throw new ParamError("shard", text, ALLOWED);
  const i = Number(m[1]);
  const count = Number(m[2]);
  if (!(count >= 1 && i >= 1 && i <= count)) throw new ParamError("shard", text, ALLOWED);
  return { index: i - 1, count };
}

/** A shard as users write it: `I/N`, 1-based. */
export function formatShard(s: Shard): string {
  return `${s.index + 1}/${s.count}`;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  if (!/^\d{1,9}$/.test(v)) throw new ParamError(name, v, "a non-negative integer (set by the cluster)");
  return Number(v);
}

/**
 * The shard from a cluster's environment. Null outside both.
 * - Slurm job arrays: `(SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP`
 *   of `SLURM_ARRAY_TASK_COUNT`, so `--array=0-7`, `--array=1-8` and `--array=0-14:2`
 *   all map to shards 0..7 of 8 (a list such as `--array=1,4,9` has no step and is refused).
 * - A Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (0-based) of `shardCount`, the Job's
 *   `completions` (`--shard-count`).
 * @throws ParamError (an InputError) when the variables do not make a shard, and an
 * InputError when `shardCount` is given but neither environment is (every pod would run
 * the whole grid).
 */
export function shardFromEnv(env: NodeJS.ProcessEnv, shardCount?: number): Shard | null {
  const id = envInt(env, "SLURM_ARRAY_TASK_ID");
  const total = envInt(env, "SLURM_ARRAY_TASK_COUNT");
  if (id !== undefined && total !== undefined) {
    const min = envInt(env, "SLURM_ARRAY_TASK_MIN") ?? 0;
    const step = envInt(env, "SLURM_ARRAY_TASK_STEP") ?? 1;
    const count = shardCount ?? total;
    const offset = id - min;
    if (step < 1 || offset < 0 || offset % step !== 0 || offset / step >= count)
      throw new ParamError(
        "SLURM_ARRAY_TASK_ID",
        id,
        `MIN + k × STEP with k in 0..${count - 1} (MIN ${min}, STEP ${step}, COUNT ${count}): use --array=A-B or A-B:STEP, not a list`,
      );
    return { index: offset / step, count };
  }
  const k = envInt(env, "JOB_COMPLETION_INDEX");
  if (k !== undefined) {
    if (shardCount === undefined)
      throw new ParamError("shard-count", undefined, "the Job's completions, required with JOB_COMPLETION_INDEX");
    if (k >= shardCount)
      throw new ParamError("JOB_COMPLETION_INDEX", k, `0..${shardCount - 1} (--shard-count ${shardCount})`);
    return { index: k, count: shardCount };
  }
  // --shard-count alone would run the whole grid in every pod of the Job: refuse.
  if (shardCount !== undefined)
    throw new InputError(
      `--shard-count ${shardCount} needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job, 0-based) ` +
        `or a Slurm array's SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, and none is set: to run one shard by hand, use --shard I/${shardCount}`,
    );
  return null;
}

/** Whether a point (by grid index) belongs to a shard (null: the whole grid). */
export function inShard(index: number, shard: Shard | null): boolean {
  return shard === null || index % shard.count === shard.index;
}
