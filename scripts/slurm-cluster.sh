#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests and for trying `hpsgen submit`:
# munged, slurmctld and slurmd with every file under one state folder, no systemd.
#
#   scripts/slurm-cluster.sh start STATE [--max-array-size N] [--port P]
#   scripts/slurm-cluster.sh stop STATE
#   scripts/slurm-cluster.sh env STATE      # prints: export SLURM_CONF=STATE/etc/slurm.conf
#   scripts/slurm-cluster.sh status STATE   # exit 0 when every daemon is alive
#
# Then `eval "$(scripts/slurm-cluster.sh env STATE)"` points sbatch, squeue and
# scontrol (and the jobs they start) at it. Needs root (SlurmUser=root) and Debian's
# slurmctld, slurmd, slurm-client and munge (scripts/install-deps.sh --test).
#
# `start` first stops whatever an earlier start left running under STATE; daemons are
# always stopped by the PIDs in STATE/run/*.pid, never by name. Ports: P for slurmctld,
# P+1 for slurmd (default: a free pair picked at random, so parallel runs do not meet).
# Tuned for tests: cred_expire=10 (a requeued job restarts after 10 s,
# not 120), sched_interval=1, EnforcePartLimits=ALL (an impossible request is refused
# instead of pending forever), MaxArraySize as given (default 1001, Slurm's own).
# --mem is enforced without cgroups: jobacct_gather/linux adds up the RSS of a job step's
# processes every second and OverMemoryKill kills a step past its --mem (the log says
# "exceeded memory limit"; Slurm's state stays FAILED, where cgroups would say OUT_OF_MEMORY).
set -euo pipefail

die() {
    echo "slurm-cluster: $*" >&2
    exit 1
}

usage() {
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

(($# >= 2)) || usage
action=$1
state=$2
shift 2
max_array=1001
port=""
while (($#)); do
    case $1 in
        --max-array-size) max_array=${2:?--max-array-size needs a number}; shift 2 ;;
        --port) port=${2:?--port needs a number}; shift 2 ;;
        *) die "unknown option '$1' (see $0 without arguments)" ;;
    esac
done
mkdir -p "$state"
state=$(cd "$state" && pwd)
conf=$state/etc/slurm.conf

# pid of a daemon, if its pid file names a live process
live_pid() {
    local f=$state/run/$1.pid pid
    [[ -f $f ]] || return 1
    pid=$(<"$f")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

stop_one() {
    local name=$1 pid i
    pid=$(live_pid "$name") || { rm -f "$state/run/$name.pid"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "slurm-cluster: $name ($pid) ignored SIGTERM for 10 s; SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$state/run/$name.pid"
}

stop_all() {
    # end this cluster's jobs first, so that no job step (slurmstepd and the job's own
    # processes, children of neither daemon) outlives it
    if live_pid slurmctld >/dev/null && [[ -f $conf ]]; then
        local i
        SLURM_CONF=$conf scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do
            [[ -z $(SLURM_CONF=$conf squeue -h -o %i 2>/dev/null) ]] && break
            sleep 0.1
        done
    fi
    stop_one slurmd
    stop_one slurmctld
    stop_one munged
}

free_port() {  # a port nobody listens on, with the next one free too
    local p i
    for ((i = 0; i < 50; i++)); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free port pair found; pass --port"
}

start() {
    [[ $(id -u) -eq 0 ]] || die "needs root (the test cluster runs as SlurmUser=root); run as root or skip the Slurm tests"
    local b
    for b in munged slurmctld slurmd sbatch squeue scontrol; do
        command -v "$b" >/dev/null || [[ -x /usr/sbin/$b ]] ||
            die "$b not found: install slurmctld slurmd slurm-client munge (scripts/install-deps.sh --test)"
    done
    export PATH=$PATH:/usr/sbin
    stop_all
    rm -rf "$state/spool" "$state/log" "$state/etc"
    mkdir -p "$state"/{etc,run,log,spool/ctld,spool/d,munge-etc,munge-run,munge-lib}
    chmod 0700 "$state/munge-etc" "$state/munge-lib"
    chmod 0755 "$state/munge-run"
    [[ -f $state/munge-etc/munge.key ]] || {
        head -c 1024 /dev/urandom >"$state/munge-etc/munge.key"
        chmod 0600 "$state/munge-etc/munge.key"
    }
    [[ -n $port ]] || port=$(free_port)
    local host hw
    host=$(hostname -s)
    hw=$(slurmd -C | head -n1 | sed -e 's/^NodeName=[^ ]* //')
    cat >"$conf" <<EOF
# a one-node test cluster written by scripts/slurm-cluster.sh
ClusterName=hpstest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge-run/munge.socket.2,cred_expire=10
StateSaveLocation=$state/spool/ctld
SlurmdSpoolDir=$state/spool/d
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=256
EnforcePartLimits=ALL
SchedulerParameters=sched_interval=1,bf_interval=1
MaxArraySize=$max_array
MinJobAge=300
KillWait=10
ReturnToService=2
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
JobCompType=jobcomp/filetxt
JobCompLoc=$state/log/jobcomp.txt
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    munged --key-file "$state/munge-etc/munge.key" --socket "$state/munge-run/munge.socket.2" \
        --pid-file "$state/run/munged.pid" --log-file "$state/log/munged.log" \
        --seed-file "$state/munge-lib/munged.seed" ||
        die "munged did not start; see $state/log/munged.log"
    slurmctld -f "$conf" || die "slurmctld did not start; see $state/log/slurmctld.log"
    slurmd -f "$conf" -N "$host" || die "slurmd did not start; see $state/log/slurmd.log"
    export SLURM_CONF=$conf
    local i
    for ((i = 0; i < 100; i++)); do
        if [[ $(sinfo -h -N -o %t 2>/dev/null) == idle ]]; then
            echo "slurm-cluster: up: node $host idle, ports $port/$((port + 1)), MaxArraySize=$max_array, state in $state"
            echo "slurm-cluster: use it with: export SLURM_CONF=$conf"
            return 0
        fi
        sleep 0.1
    done
    echo "slurm-cluster: the node did not become idle in 10 s:" >&2
    sinfo -N -l >&2 || true
    tail -n 20 "$state/log/slurmctld.log" "$state/log/slurmd.log" >&2 || true
    stop_all
    exit 1
}

case $action in
    start) start ;;
    stop) stop_all; echo "slurm-cluster: stopped ($state)" ;;
    env) echo "export SLURM_CONF=$conf" ;;
    status)
        ok=0
        for d in munged slurmctld slurmd; do
            if pid=$(live_pid "$d"); then echo "$d: running ($pid)"; else echo "$d: not running"; ok=1; fi
        done
        exit $ok
        ;;
    *) usage ;;
esac
