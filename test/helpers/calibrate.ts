// What the calibrate tests share: the reference machine (every requirement of
// src/calibrate/environment.ts met) and a probe cache whose probes are shell scripts.
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compilerVersion, probeSources, type Environment } from "../../src/calibrate/index.js";

/** The reference machine (a 6.18 host at HZ 250, root, kpageflags, io_uring on), its release `kernelRelease`. */
export function referenceEnv(kernelRelease = "6.18.44-fc-v782"): Environment {
  return {
    platform: "linux",
    kernelRelease,
    kernelVersion: "#1 SMP",
    machine: "x86_64",
    root: true,
    kpageflags: true,
    pagemap: true,
    ioUringDisabled: 0,
    hz: { value: 250, source: "/proc/config.gz" },
    thp: "madvise",
    cpus: 2,
  };
}

/**
 * A cache folder under `tmp` whose three probes run `script`: buildProbes finds them under
 * the key it computes (build.ts: sha256 of the sources' hash and the compiler's version
 * line, cut to 16 hex digits).
 */
export function fakeProbeCache(tmp: string, script: string): string {
  const cache = mkdtempSync(join(tmp, "cache-"));
  const key = createHash("sha256").update(probeSources().hash).update(compilerVersion()!).digest("hex").slice(0, 16);
  const dir = join(cache, "calibrate", key);
  mkdirSync(dir, { recursive: true });
  for (const p of ["clean-delay", "detector", "longterm"]) {
    writeFileSync(join(dir, p), `#!/bin/sh\n${script}\n`);
    chmodSync(join(dir, p), 0o755);
  }
  return cache;
}
