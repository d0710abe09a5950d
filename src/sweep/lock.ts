/**
 * The results directory's lock: one sweep or merge writes a directory at a time.
 */
import { readdirSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { oneLine } from "../errors.js";
import { ResultsError } from "./errors.js";
import { FILES, errCode, writeAtomic } from "./store.js";

/** A held lock: release it at the end; `check` throws if it was lost meanwhile. */
export interface DirLock {
  /** Remove the lock (proper-lockfile; one already gone is ignored) and this process's owner file. */
  release(): void;
  /** Throws ResultsError if the lock was lost (its refresh failed or another process took it). */
  check(): void;
}

const LOCK_STALE_MS = 30_000;
const OWNER_PREFIX = `${FILES.lockOwner}.`;

interface Owner {
  file: string;
  host: string;
  pid: number;
}

/** The owner files `DIR/.pinsim.lock.owner.HOST.PID` (a contender writes its own before locking). */
function owners(dir: string): Owner[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const m = n.startsWith(OWNER_PREFIX) ? /^(.*)\.(\d+)$/.exec(n.slice(OWNER_PREFIX.length)) : null;
    return m ? [{ file: join(dir, n), host: m[1]!, pid: Number(m[2]) }] : [];
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const deadHere = (o: Owner): boolean => o.host === hostname() && !pidAlive(o.pid);

/**
 * Take the lock on a results directory: proper-lockfile's `DIR/.pinsim.lock/` (mkdir is
 * atomic, also on NFS), its mtime refreshed every 5 s and stale after 30 s without a
 * refresh (a holder preempted on another node). Each contender first writes its own owner
 * file `DIR/.pinsim.lock.owner.HOST.PID`, so the holder of a lock always has one: when every
 * owner file names a dead process of this host (a sweep killed by SIGKILL, an OOM kill, a
 * requeued Slurm task on the same node) the lock is taken over at once instead of after 30 s.
 * A live holder: one line, ResultsError. The lock directory itself stays empty
 * (proper-lockfile removes it with rmdir).
 */
export function lockDir(dir: string, what: string): DirLock {
  const path = join(dir, FILES.lock);
  const mine = join(dir, `${OWNER_PREFIX}${hostname()}.${process.pid}`);
  let lost: Error | null = null;
  const opts = {
    lockfilePath: path,
    realpath: false,
    stale: LOCK_STALE_MS,
    update: 5_000,
    onCompromised: (e: Error) => {
      lost = e;
    },
  };
  try {
    writeAtomic(
      dir,
      `${OWNER_PREFIX}${hostname()}.${process.pid}`,
      JSON.stringify({ command: what, started: new Date().toISOString() }) + "\n",
    );
  } catch (e) {
    if (e instanceof ResultsError) throw e;
    throw new ResultsError(`output directory ${dir}: not writable (${errCode(e)})`);
  }
  const take = (): (() => void) | null => {
    try {
      return lockfile.lockSync(dir, opts);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ELOCKED") return null;
      rmSync(mine, { force: true });
      throw new ResultsError(`output directory ${dir}: cannot lock (${errCode(e)})`);
    }
  };
  let release = take();
  if (!release) {
    const others = owners(dir).filter((o) => o.file !== mine);
    if (others.length > 0 && others.every(deadHere)) {
      for (const o of others) rmSync(o.file, { force: true });
      rmSync(path, { recursive: true, force: true });
      release = take();
    }
    if (!release) {
      rmSync(mine, { force: true });
      const live = owners(dir).find((o) => o.file !== mine && !deadHere(o));
      const who = live ? `pinsim pid ${live.pid} on ${live.host}` : "another process";
      throw new ResultsError(
        `output directory ${dir} is locked by ${who} (a sweep or merge is writing it): wait for it to finish or use another --out`,
      );
    }
  }
  // Owner files of dead processes of this host (killed before or after locking), and the
  // temp files of those killed while writing one (NAME.<murmurhash>): gone.
  const here = `${OWNER_PREFIX}${hostname()}.`;
  for (const n of readdirSync(dir)) {
    const m = n.startsWith(here) ? /^(\d+)(?:\.\d+)?$/.exec(n.slice(here.length)) : null;
    if (m && join(dir, n) !== mine && (Number(m[1]) === process.pid || !pidAlive(Number(m[1]))))
      rmSync(join(dir, n), { force: true });
  }
  const held = release;
  return {
    release: () => {
      try {
        held();
      } catch {
        /* already gone */
      }
      rmSync(mine, { force: true });
    },
    check: () => {
      if (lost)
        throw new ResultsError(
          `output directory ${dir}: lost its lock (${oneLine((lost as Error).message)}); rerun the same command to continue`,
        );
    },
  };
}

/** Whether a live sweep or merge holds the lock of `dir` (an unfinished shard, say). */
export function isLocked(dir: string): boolean {
  const path = join(dir, FILES.lock);
  try {
    if (!lockfile.checkSync(dir, { lockfilePath: path, realpath: false, stale: LOCK_STALE_MS })) return false;
  } catch {
    return false;
  }
  const o = owners(dir);
  return !(o.length > 0 && o.every(deadHere));
}
