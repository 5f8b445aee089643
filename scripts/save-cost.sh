#!/usr/bin/env bash
# The cost of the trainer's periodic save of resume.bin (docs/slurm.md, "Kills without warning"; the figures in docs/performance.md):
#   scripts/save-cost.sh STUDY POINT STEPS [EVERY]
# trains POINT of a generated and built study folder (hpsgen generate, then a build of its
# trainer) for STEPS steps on one thread into runs/save-cost, saving every EVERY seconds
# (default 1), and prints resume.bin's size, the median and the largest time of a save
# (the trainer's "saved ... (MB in ms)" lines: write, fsync, rename, fsync of the folder)
# and the median as a share of the default interval, 600 s.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,8p' "$0"; exit 2; }
study=$1 point=$2 steps=$3 every=${4:-1}
cd "$study"
trainer=$(awk -F'\t' -v p="$point" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "trainer") c = i }
                                     $2 == p { print $c }' grid.tsv)
[ -n "$trainer" ] || { echo "save-cost: no point $point in $study/grid.tsv" >&2; exit 2; }
rm -rf runs/save-cost
"build/bin/$trainer" --settings "settings/$point.json" --run-dir runs/save-cost --steps "$steps" --threads 1 \
    --checkpoint-every "$every" --progress 100000 |
    sed -nE 's/.*: saved .*\(([0-9.]+) MB in ([0-9.]+) ms\)$/\1 \2/p' | sort -n -k2 |
    awk -v point="$point" '{ mb = $1; t[NR] = $2 }
        END {
            if (NR == 0) { print "save-cost: no save; give it more steps" > "/dev/stderr"; exit 1 }
            m = t[int((NR + 1) / 2)]
            printf "%s: resume.bin %.1f MB; %d saves, median %.0f ms, largest %.0f ms; %.4f %% of 600 s\n",
                   point, mb, NR, m, t[NR], m / 600000 * 100
        }'
