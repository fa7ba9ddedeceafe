#!/usr/bin/env bash
# Runs a sweep through a real single-node Slurm as an array job of 3 parts plus a merge job,
# and checks that the merged outputs are byte-identical to one whole run on this machine.
#
# It installs Slurm from Debian's packages if they are missing (root and apt-get needed),
# starts munged, slurmctld and slurmd on localhost (no systemd), and stops them at the end.
# Where Slurm cannot be installed or started, it says why and runs the same check with the
# parts as separate processes given the array-job variables Slurm would have set.
#
# Usage: deploy/slurm/check-on-slurm.sh [path/to/stratus]   (default target/debug/stratus)
# STRATUS_CHECK_WITHOUT_SLURM=1 runs the fallback check only.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
stratus="$(realpath "${1:-target/debug/stratus}")"
work="$(mktemp -d /tmp/stratus-slurm.XXXXXX)"
scenario="$work/sweep.toml"
overrides=(--replications 3)
parts=3
cat > "$scenario" <<'TOML'
# 3 points x 3 replications of an M/M/c station with a crash in the middle: 9 runs of about
# a second each, so the check takes seconds once Slurm is up.
name = "slurm-check"

[simulation]
duration = "5m"
warmup = "30s"
seed = 7

[[component]]
name = "app"
kind = "station"
servers = 4
service = { dist = "exponential", mean = "20ms" }

[[workload]]
name = "users"
target = "app"
arrival = { process = "poisson", rate = 150 }

[[fault]]
action = "crash"
target = "app"
at = "2m"
duration = "10s"

[sweep]
"component.app.servers" = [4, 5, 6]
TOML
started=()

cleanup() {
    for daemon in "${started[@]}"; do pkill -x "$daemon" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

say() { echo "check-on-slurm: $*"; }

start_slurm() {
    if [ -n "${STRATUS_CHECK_WITHOUT_SLURM:-}" ]; then
        say "STRATUS_CHECK_WITHOUT_SLURM is set: not starting Slurm"; return 1
    fi
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null; then
        if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
            say "Slurm is not installed and cannot be (needs root and apt-get)"; return 1
        fi
        say "installing slurmctld slurmd slurm-client munge from Debian's packages"
        if ! timeout 300 bash -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null 2>&1; }'; then
            say "apt-get could not install Slurm"; return 1
        fi
    fi
    local host conf
    host="$(hostname -s)"
    conf=/etc/slurm/slurm.conf
    mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
    if pgrep -x slurmctld >/dev/null; then
        say "a slurmctld is already running here: not touching it"; return 1
    fi
    cat > "$conf" <<CONF
ClusterName=stratus-check
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=${host} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=check Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        chown munge:munge /etc/munge/munge.key 2>/dev/null || true
        chmod 400 /etc/munge/munge.key
    fi
    chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
    if ! pgrep -x munged >/dev/null; then
        runuser -u munge -- /usr/sbin/munged || { say "munged did not start"; return 1; }
        started+=(munged)
    fi
    slurmctld || { say "slurmctld did not start (see /var/log/slurm/slurmctld.log)"; return 1; }
    started+=(slurmctld)
    slurmd || { say "slurmd did not start (see /var/log/slurm/slurmd.log)"; return 1; }
    started+=(slurmd)
    for _ in $(seq 1 60); do
        if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then return 0; fi
        sleep 0.5
    done
    say "the node did not come up within 30 s: $(sinfo -h -o '%T %E' 2>&1 | head -1)"
    return 1
}

say "one whole run on this machine"
"$stratus" run "$scenario" "${overrides[@]}" --out "$work/whole" --no-progress >/dev/null 2>"$work/whole.log"

if start_slurm; then
    say "Slurm is up: submitting an array job of $parts parts and a merge job"
    export STRATUS="$stratus" SCENARIO="$scenario" PARTS="$work/parts" OUT="$work/merged"
    export STRATUS_ARGS="${overrides[*]}"
    cd "$work"
    array=$(timeout 30 sbatch --parsable --array=0-$((parts - 1)) --export=ALL "$root/deploy/slurm/stratus-array.sbatch")
    if ! timeout 300 sbatch --wait --dependency=afterok:"$array" --export=ALL "$root/deploy/slurm/stratus-merge.sbatch" >/dev/null; then
        say "the Slurm jobs failed or took over 5 minutes:"
        tail -n 5 "$work"/stratus-*.log || true
        exit 1
    fi
    cd "$root"
    engine="Slurm ($(sinfo -V 2>/dev/null || echo slurm))"
else
    say "running the same check without Slurm: the parts as separate processes with Slurm's array-job variables"
    for id in $(seq 0 $((parts - 1))); do
        SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_COUNT=$parts SLURM_ARRAY_TASK_MIN=0 \
            "$stratus" run "$scenario" "${overrides[@]}" --shard auto --out "$work/parts/part-$id" --no-progress >/dev/null 2>>"$work/parts.log"
    done
    "$stratus" merge "$work"/parts/part-* --out "$work/merged" >/dev/null 2>>"$work/parts.log"
    engine="separate processes (Slurm could not start)"
fi

if diff -r "$work/whole" "$work/merged" >/dev/null; then
    say "ok: $parts parts through $engine, merged, are byte-identical to one whole run"
else
    say "FAILED: the merged outputs differ from one whole run:"
    diff -rq "$work/whole" "$work/merged" || true
    exit 1
fi
