/**
 * The notebook runner's process tree and how it stops (issue 24). The runner
 * (scripts/run-notebook.py) starts the tslab kernel through jupyter_client, which puts the
 * kernel in a session of its own (jupyter_client/launcher.py, launch_kernel:
 * `start_new_session=True`), so neither a signal to the runner nor one to the runner's
 * process group reaches it; and nbclient answers SIGINT/SIGTERM only by shutting the kernel
 * down gracefully and going on (nbclient/client.py, async_setup_kernel's on_signal), then
 * the runner saved what had run. Here the runner is started as a process-group leader,
 * the stop signal is forwarded to it, and after a bounded wait every process of the tree
 * still alive (the runner's group, and each descendant's group: the kernel's) gets SIGKILL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** How long the runner may take to stop after the forwarded signal before its tree is killed, ms (under stop.ts's GRACE_MS, 800). */
export const RUNNER_STOP_MS = 400;

/** The parent pid of `pid` from /proc/PID/stat (field 4, after the parenthesised name), or null. */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null; // gone, or no /proc
  }
}

/**
 * Every descendant of `pid` alive now (Linux: the ppid links of /proc/PID/stat), nearest
 * first; [] where there is no /proc.
 */
export function descendants(pid: number): number[] {
  let pids: number[];
  try {
    pids = readdirSync("/proc")
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const p of pids) {
    const pp = parentOf(p);
    if (pp !== null) children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const out: number[] = [];
  for (let i = -1; i < out.length; i++) out.push(...(children.get(i < 0 ? pid : out[i]!) ?? []));
  return out;
}

/** SIGKILL process group `pid` (a session or group leader's), else the process itself; a gone process is no error. */
function killHard(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // ESRCH: no such group (not a leader) or already gone
    }
  }
}

/**
 * Stop a runner started by spawnGroupLeader and everything it started: `signal` to the runner
 * (SIGINT or SIGTERM, as pinsim got), up to `waitMs` for it to exit, then SIGKILL to the
 * runner's group and to the group of every descendant seen before or at the end of the
 * wait. Resolves once the kills are sent.
 */
export async function stopTree(child: ChildProcess, signal: NodeJS.Signals, waitMs = RUNNER_STOP_MS): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const seen = new Set(descendants(pid));
  const exited = child.exitCode !== null || child.signalCode !== null;
  if (!exited) {
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    for (const p of descendants(pid)) seen.add(p); // a kernel launched during the wait
  }
  killHard(pid);
  for (const p of seen) killHard(p);
}

/** spawn(), the child leading a process group of its own (so its whole group can be killed). */
export function spawnGroupLeader(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, { env, stdio: ["pipe", "ignore", "pipe"], detached: true });
}
