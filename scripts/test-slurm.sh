#!/usr/bin/env bash
# npm run test:slurm: a real Slurm on this machine (one node: slurmctld + slurmd + munged),
# the README's sweep.sbatch submitted as an array job with a step (--array=0-4:2: 3 shards),
# one array task SIGKILLed mid-run with scancel and requeued (it must resume its directory),
# the shards merged and compared byte for byte with an unsharded run.
# Needs root (apt-get, daemons). Installs Debian's slurm-wlm and munge where missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARDS=3
W=$(mktemp -d /tmp/pinsim-slurm.XXXXXX)
# The smoke preset with 15 times its simulated time (~0.2 s of work a run, ~1 s a point):
# as shipped a shard's 3 points take well under a second on an idle machine, so the victim
# could finish between two looks at its journal and the kill below found no job to kill.
SWEEP=slurm-smoke
CONFIG=$W/$SWEEP.json
node -e '
  const c = JSON.parse(require("fs").readFileSync("data/sweeps/smoke.json", "utf8"));
  c.name = process.argv[2];
  c.base.duration *= 15;
  require("fs").writeFileSync(process.argv[1], JSON.stringify(c, null, 2) + "\n");
' "$CONFIG" "$SWEEP"
export SLURM_CONF=$W/slurm.conf
STARTED_MUNGE=""
say() { printf '\n== %s\n' "$*"; }

cleanup() {
  set +e
  for f in "$W/slurmd.pid" "$W/slurmctld.pid"; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  [ -n "$STARTED_MUNGE" ] && [ -s "$W/munged.pid" ] && kill "$(cat "$W/munged.pid")" 2>/dev/null
  rm -rf "$ROOT"/data/results/$SWEEP-shard-*-of-$SHARDS
}
trap cleanup EXIT

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge (apt)"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends slurm-wlm munge
fi

say "munged"
if ! munge -n >/dev/null 2>&1; then
  [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge
  runuser -u munge -- /usr/sbin/munged
  sleep 0.5
  pgrep -n -u munge -x munged > "$W/munged.pid"   # the one just started, stopped at the end
  STARTED_MUNGE=1
fi
munge -n | unmunge | grep -q 'STATUS:.*Success'
echo "munge ok"

say "slurm.conf (one node: $(hostname -s))"
mkdir -p "$W/state" "$W/spool"
NODE_LINE=$(slurmd -C | head -1 | sed 's/ RealMemory=.*//')
cat > "$SLURM_CONF" <<CONF
ClusterName=pinsim
SlurmctldHost=$(hostname -s)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
SlurmctldPort=6917
SlurmdPort=6918
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
KillWait=5
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
$NODE_LINE State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
cat "$SLURM_CONF" | sed 's/^/  /'

say "slurmctld, slurmd"
slurmctld -c
slurmd
for i in $(seq 1 60); do
  state=$(sinfo -h -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 1
done
sinfo
[ "$(sinfo -h -o %t)" = idle ] || { echo "node not idle"; tail -20 "$W/slurmctld.log" "$W/slurmd.log"; exit 1; }

say "unsharded reference: pinsim sweep $SWEEP --out $W/ref"
npm run build --silent
node bin/pinsim.js sweep "$CONFIG" --out "$W/ref" --workers 1 --quiet

say "sbatch --array=0-4:2 sweep.sbatch ($SHARDS shards)"
rm -rf "$ROOT"/data/results/$SWEEP-shard-*-of-$SHARDS
jid=$(sbatch --parsable --array=0-4:2 --cpus-per-task=1 --output="$W/slurm-%A_%a.out" \
  --export=ALL,PINSIM_SWEEP=$CONFIG,PINSIM_PROGRESS_MS=1000 sweep.sbatch)
echo "job $jid"
victim="${jid}_4"   # SLURM_ARRAY_TASK_ID 4 = shard 3/3
vdir="$ROOT/data/results/$SWEEP-shard-3-of-$SHARDS"
# Wait until the victim runs and has journalled a point, then SIGKILL it mid-run.
for i in $(seq 1 600); do
  n=$(ls "$vdir/.points" 2>/dev/null | grep -c '^[0-9]*\.json$' || true)
  [ "${n:-0}" -ge 1 ] && break
  sleep 0.2
done
points_before=$(ls "$vdir/.points" | grep -c '^[0-9]*\.json$')
scancel --full --signal=KILL "$victim" || true   # judged below: a victim that had finished is a failure of its own
echo "scancel --full --signal=KILL $victim after $points_before journalled point(s) of 3"
for i in $(seq 1 120); do
  st=$(scontrol show job "$victim" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  case "$st" in FAILED|CANCELLED|COMPLETED|NODE_FAIL) break;; esac
  sleep 0.5
done
echo "$victim: $st"
[ "$st" != COMPLETED ] || { echo "the victim finished before the kill"; exit 1; }
[ "$points_before" -lt 3 ] || { echo "the victim had finished every point before the kill"; exit 1; }
cp "$W/slurm-${jid}_4.out" "$W/victim-first.out" 2>/dev/null || true
scontrol requeue "$victim"
echo "scontrol requeue $victim"

say "waiting for the array"
for i in $(seq 1 900); do
  left=$(squeue -h -j "$jid" 2>/dev/null | wc -l)
  [ "$left" -eq 0 ] && break
  sleep 1
done
squeue -j "$jid" || true
for t in 0 2 4; do
  st=$(scontrol show job "${jid}_$t" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  echo "${jid}_$t: $st"; tail -2 "$W/slurm-${jid}_$t.out" | sed 's/^/    /'
  [ "$st" = COMPLETED ] || { echo "task $t did not complete"; exit 1; }
done
grep -q "resumed" "$W/slurm-${jid}_4.out" || { echo "the requeued task did not resume"; cat "$W/slurm-${jid}_4.out"; exit 1; }
echo "requeued task $victim: $(grep -m1 -o '[0-9]* resumed' "$W/slurm-${jid}_4.out") (points found finished on disk, skipped)"

say "merge and compare with the unsharded run"
node bin/pinsim.js merge "$ROOT"/data/results/$SWEEP-shard-{1,2,3}-of-$SHARDS --out "$W/merged"
for f in manifest.json runs.csv runs.jsonl summary.csv; do
  cmp "$W/merged/$f" "$W/ref/$f" && echo "identical: $f"
done
diff -r "$W/merged" "$W/ref" && echo "identical: every file, journal included"
say "test:slurm passed"
