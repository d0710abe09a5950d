/**
 * What a lab guest's console log says about a probe that did not finish: an OOM kill.
 * The kernel prints one line per victim, "<message>: Killed process PID (COMM) total-vm:…"
 * (mm/oom_kill.c __oom_kill_process), the message "Memory cgroup out of memory" when a
 * memory cgroup's limit asked for it (mm/memcontrol.c mem_cgroup_out_of_memory) and
 * "Out of memory" machine-wide (mm/oom_kill.c out_of_memory); 6.1 to 6.18 alike.
 */

/** One OOM kill the console log reports. */
export interface OomKill {
  /** The victim's PID (in the guest). */
  pid: number;
  /** Its command name (task comm, at most 15 characters). */
  comm: string;
  /** Whether a memory cgroup's OOM killer chose it (else the machine-wide one). */
  memcg: boolean;
  /** The line as printed, from the message up to the victim's name. */
  line: string;
}

const KILLED = /(Memory cgroup out of memory|Out of memory): Killed process (\d+) \(([^)]*)\)/g;

/** Every OOM kill in `log` (console text, any line prefix), in order. */
export function oomKills(log: string): OomKill[] {
  return [...log.matchAll(KILLED)].map((m) => ({
    pid: Number(m[2]),
    comm: m[3],
    memcg: m[1] === "Memory cgroup out of memory",
    line: m[0],
  }));
}

/** The PID in a probe's start record (`{"type":"start",…,"pid":N}`), or null. */
export function startPid(text: string): number | null {
  const line = text.split("\n").find((l) => l.includes('"type":"start"'));
  const m = line ? /"pid":(\d+)/.exec(line) : null;
  return m ? Number(m[1]) : null;
}

/**
 * Why a probe whose start record names `pid` ended early, if the console log shows it
 * OOM-killed: "the probe was killed by the memory cgroup's OOM killer (raw/console.log:
 * "Memory cgroup out of memory: Killed process 302 (reclaim)")"; null otherwise.
 */
export function oomWhy(log: string, pid: number | null): string | null {
  if (pid === null) return null;
  const k = oomKills(log).find((x) => x.pid === pid);
  if (!k) return null;
  const who = k.memcg ? "the memory cgroup's OOM killer" : "the OOM killer (machine-wide)";
  return `the probe was killed by ${who} (raw/console.log: ${JSON.stringify(k.line)})`;
}
