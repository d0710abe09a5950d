// The run's environment (src/model/env.ts, issue 19): one function computes what the kernel
// preset, the backing, the mapping, the caller and the policy decide, and the engine and the
// checker both read it from the PageCache (pc.env). These tests hold the two sides equal on
// every preset × backing × mapping × caller × policy, hold a scenario's `kernel=` variant
// equal to a file whose `Kernel:` line names that release, and hold the folio orders the
// checker takes to exactly those the engine takes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { simulate, checkConfig, getPolicy, POLICY_IDS, type Policy, type RunEnv } from "../src/index.js";
import { BACKINGS, MAPPINGS, MAX_FOLIO_ORDER, folioOrders } from "../src/model/backings.js";
import { CALLER_IDS, type CallerId } from "../src/model/callers.js";
import { KERNEL_IDS, type KernelId } from "../src/model/kernels.js";
import { pinDecision, policyFollowsPreset, presetPolicyId } from "../src/model/env.js";
import { resolveParams } from "../src/model/params.js";
import { NO_DIRTYING } from "../src/model/release.js";
import { checkerEnv } from "../src/checker/explore.js";
import { parseScenario } from "../src/checker/scenario.js";
import { applyVariant } from "../src/checker/choices.js";
import { runScenario } from "../src/checker/judge.js";
import type { Coverage, Knobs } from "../src/checker/scenario.js";

/** The environment a (tiny) engine run builds: read from pc.env at the end-of-run callback. */
function engineEnvOf(input: Record<string, unknown>, policy?: Policy): RunEnv {
  let env: RunEnv | undefined;
  simulate({ duration: 1, files: 1, pinners: 1, ...input }, { policy, onEvent: (pc) => (env = pc.env) });
  return env!;
}

/** The parts of a pinner's decision that are data (the policies' hooks are closures). */
function decisionData(env: RunEnv, caller: CallerId) {
  const d = pinDecision(env, { caller, access: "write", path: "slow", longTerm: true });
  return {
    base: d.base.id,
    policy: d.policy.id,
    reference: d.policy.reference,
    release: d.policy.release,
    gup: d.gup,
    write: d.write,
    deviceWrites: d.deviceWrites,
    departs: d.departs,
  };
}

/** An environment with its policy (functions) replaced by the policy's id, for deepEqual. */
const plain = (e: RunEnv) => ({ ...e, policy: e.policy.id, mirror: e.mirror === null ? null : "mirror" });

test("engine and checker build the same environment on every kernel × backing × mapping × caller × policy", () => {
  const knobs: Knobs = { guard: null, fs: null, stable: false };
  let compared = 0;
  for (const kernel of [null, ...KERNEL_IDS]) {
    for (const backing of BACKINGS) {
      for (const mapping of MAPPINGS) {
        for (const caller of CALLER_IDS) {
          // Every built-in policy given explicitly, and (with a preset) none: the preset's per caller.
          const policies: (string | undefined)[] = [...POLICY_IDS, ...(kernel ? [undefined] : [])];
          for (const id of policies) {
            const input = { kernel, backing, mapping, caller, ...(id ? { policy: id } : {}) };
            // Anonymous memory is MAP_PRIVATE: a shared mapping asked for it is refused.
            if (backing === "anon" && mapping === "shared") {
              assert.throws(() => engineEnvOf(input), /invalid mapping: "shared"/);
              continue;
            }
            const engine = engineEnvOf(input);
            // The checker as a scenario gives it: Kernel/Backing/Mapping lines, the policy (or
            // none), its first GUP actor's caller.
            const coverage: Coverage = { kernel, mapping, backing, folio: null };
            const base = getPolicy(id ?? presetPolicyId(kernel!, caller));
            const checker = checkerEnv(base, knobs, coverage, policyFollowsPreset(kernel, caller, id));
            assert.deepEqual(plain(engine), plain(checker), JSON.stringify(input));
            assert.equal(engine.policy, checker.policy, "the same policy value");
            for (const c of CALLER_IDS) assert.deepEqual(decisionData(engine, c), decisionData(checker, c));
            compared++;
          }
        }
      }
    }
  }
  // (1 + 9 kernels) × 11 backing × mapping pairs (6 × 2 less anon shared) × 7 callers × 9
  // policies, plus 9 × 11 × 7 preset ones.
  assert.equal(compared, 10 * 11 * 7 * 9 + 9 * 11 * 7);
});

test("a user's policy value whose id is a built-in one is run as given, never swapped for the built-in", () => {
  // Under a kernel preset, groups of other callers take their caller's preset policy unless a
  // policy was given; a Policy value is always given. Its afterGrab counts the calls.
  let grabs = 0;
  const mine: Policy = { ...getPolicy("longterm-refused"), afterGrab: () => void grabs++ };
  const groups = [
    { caller: "rdma", longTerm: false },
    { caller: "vfio", longTerm: false },
  ];
  // tmpfs: no dirty tracking, so 6.5's long-term refusal does not apply and RDMA/VFIO pin.
  const r = simulate(
    { kernel: "6.6", backing: "tmpfs", pinnerGroups: groups, duration: 120, seed: 1 },
    { policy: mine },
  );
  assert.ok(r.metrics.pinsTaken! > 0);
  // every page each group pinned ran the user's hook (RDMA and VFIO on 6.6 would run foll-pin's otherwise)
  assert.equal(grabs, r.metrics.pinsTaken);
});

test("a kernel= variant is the scenario with that Kernel: line, for every scenario file and every preset", () => {
  const dir = join(import.meta.dirname, "..", "data", "scenarios");
  let compared = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".scenario"))) {
    const text = readFileSync(join(dir, f), "utf8");
    for (const k of KERNEL_IDS) {
      const withLine = /^Kernel:.*$/m.test(text)
        ? text.replace(/^Kernel:.*$/m, `Kernel: ${k}`)
        : `${text}\nKernel: ${k}\n`;
      const withVariant = `${text}\nVariant kv: kernel=${k}\n`;
      let a: ReturnType<typeof parseScenario>;
      try {
        a = parseScenario(withLine, f);
      } catch (e) {
        // A kernel the scenario cannot run on (a folio order it lacks) is refused both ways,
        // with the same message after FILE:LINE (the Kernel:/Folio: line or the variant's).
        const strip = (m: string) => m.replace(/^[^:]*:\d+: /, "");
        assert.throws(
          () => parseScenario(withVariant, f),
          (v: Error) => strip(v.message) === strip((e as Error).message),
        );
        continue;
      }
      const b = parseScenario(withVariant, f);
      const va = applyVariant(a, a.variants[0]),
        vb = applyVariant(b, b.variants.find((v) => v.name === "kv")!);
      assert.deepEqual(vb.coverage, va.coverage);
      assert.deepEqual(vb.knobs, va.knobs);
      // The environment and every GUP actor's decision, as checkConfig builds them.
      const caller = (va.actors.find((x) => x.kind === "gup")?.options.get("caller")?.[0] ?? "generic") as CallerId;
      for (const id of a.policiesFromKernel ? [undefined] : a.policies) {
        const policy = getPolicy(id ?? presetPolicyId(k, caller));
        const knobs: Knobs = { guard: va.knobs.guard[0], fs: va.knobs.fs[0], stable: va.knobs.stable[0] };
        const ea = checkerEnv(policy, knobs, va.coverage, policyFollowsPreset(k, caller, id));
        const eb = checkerEnv(
          policy,
          { guard: vb.knobs.guard[0], fs: vb.knobs.fs[0], stable: vb.knobs.stable[0] },
          vb.coverage,
          policyFollowsPreset(k, caller, id),
        );
        assert.deepEqual(plain(eb), plain(ea), `${f} on ${k}`);
        for (const c of CALLER_IDS) assert.deepEqual(decisionData(eb, c), decisionData(ea, c));
      }
      // The kernel-preset files: the searches themselves, verdicts and state counts.
      if (/^Kernel:/m.test(text)) {
        const lineRuns = runScenario(a, { variants: ["base"] });
        const variantRuns = runScenario(b, { variants: ["kv"] });
        assert.deepEqual(
          variantRuns.map((r) => [r.policy, r.result.states, r.result.verdicts]),
          lineRuns.map((r) => [r.policy, r.result.states, r.result.verdicts]),
          `${f} on ${k}`,
        );
      }
      compared++;
    }
  }
  assert.ok(compared >= 100, `${compared} scenario × kernel pairs compared`);
});

test("the checker takes exactly the folio orders the engine takes, with the same default and message", () => {
  for (const kernel of [null, ...KERNEL_IDS] as (KernelId | null)[]) {
    for (const backing of BACKINGS) {
      const orders = folioOrders(backing, kernel);
      // Defaults: the engine's folioOrder when not given, the checker's Folio-less coverage.
      const engineDefault = resolveParams({ kernel, backing }).folioOrder;
      const checkerDefault = checkerEnv(
        getPolicy("foll-pin"),
        { guard: null, fs: null, stable: false },
        {
          kernel,
          backing,
          mapping: "shared",
          folio: null,
        },
      ).folioOrder;
      assert.equal(checkerDefault, engineDefault, `${backing} on ${kernel}`);
      assert.equal(engineDefault, orders[0]); // the smallest order the backing has (hugetlbfs: 9)
      for (let order = 0; order <= MAX_FOLIO_ORDER; order++) {
        let engineError = "";
        try {
          resolveParams({ kernel, backing, folioOrder: order, pagesPerFile: 512 });
        } catch (e) {
          engineError = (e as Error).message;
        }
        const text = [
          "Scenario: S",
          "Policies: foll-pin",
          ...(kernel ? [`Kernel: ${kernel}`] : []),
          `Backing: ${backing}`,
          `Folio: order=${order}`,
          "Actor P0: flusher",
        ].join("\n");
        let checkerError = "";
        try {
          parseScenario(text, "S.scenario");
        } catch (e) {
          checkerError = (e as Error).message;
        }
        assert.equal(engineError === "", orders.includes(order), `engine ${backing}/${kernel}/${order}`);
        if (engineError === "") assert.equal(checkerError, "", `checker takes ${backing}/${kernel}/${order}`);
        // The same one line, after the scenario's FILE:LINE: prefix (the Folio: line, 4 or 5).
        else assert.equal(checkerError, `S.scenario:${kernel ? 5 : 4}: expected ${engineError}`);
      }
    }
  }
});

test("a trylock release priced with misses: share 0 is the plain trylock, share 1 never dirties", () => {
  // The engine holds no page lock between events, so i915's trylock always succeeds there
  // (2d691aeca4ae); trylockMissShare makes a share of them fail, from a stream of its own.
  const small = { duration: 600, files: 4, pagesPerFile: 16, pinners: 2, pinDuration: 60, seed: 1 };
  const base = getPolicy("foll-pin");
  const trylock: Policy = { ...base, id: "t", release: { lock: "trylock", dirty: "always" } };
  const miss = (share: number): Policy => ({ ...trylock, release: { ...trylock.release, trylockMissShare: share } });
  const never: Policy = { ...base, id: "n", release: NO_DIRTYING };
  assert.deepEqual(simulate(small, { policy: miss(0) }).metrics, simulate(small, { policy: trylock }).metrics);
  assert.deepEqual(simulate(small, { policy: miss(1) }).metrics, simulate(small, { policy: never }).metrics);
  // Between the two, lost data grows with the share (foll-pin-like release loses nothing on this seed).
  const lost = [0, 0.5, 1].map((s) => simulate(small, { policy: miss(s) }).metrics.lostData!);
  assert.equal(lost[0], 0);
  assert.ok(lost[2] > 0 && lost[1] <= lost[2], JSON.stringify(lost));
});

test("a malformed release is refused in one line naming the field, before the run or the search", () => {
  const base = getPolicy("foll-pin");
  const config = {
    page: { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 },
    knobs: { guard: null, fs: "ext4-warn", stable: false },
    actors: [{ kind: "gup", name: "P0", path: "slow", dma: 1, longterm: true }],
  } as const;
  // The allowed text lists the declared values (src/model/release.ts RELEASE_LOCKS, RELEASE_DIRTYING).
  const allowed = '\\{ lock: "none" \\| "lock" \\| "trylock", dirty: "always" \\| "if-clean" \\| "never"';
  const releases: unknown[] = [
    undefined,
    { lock: "spin", dirty: "always" },
    { lock: "lock", dirty: "sometimes" },
    { lock: "trylock", dirty: "always", trylockMissShare: 2 },
  ];
  for (const release of releases) {
    const policy = { ...base, id: "x", release } as unknown as Policy;
    assert.throws(() => simulate({ duration: 10 }, { policy }), {
      name: "InputError",
      message: new RegExp(`^invalid options\\.policy\\.release: .* \\(allowed: ${allowed}`),
    });
    assert.throws(() => checkConfig({ ...config, policy }), {
      name: "InputError",
      message: new RegExp(`^invalid policy\\.release: .* \\(allowed: ${allowed}`),
    });
  }
});
