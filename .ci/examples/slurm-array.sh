#!/bin/bash
# Slurm: the quickstart as a job array of three tasks, one shard each (SLURM_ARRAY_TASK_ID is
# 1..3 here, as --shard K/N counts), on nodes where faultline may boot guests (Debian 12, root,
# a checkout after .ci/setup, shared by the nodes). Submit the array and the merge after it:
#   jid=$(sbatch --parsable .ci/examples/slurm-array.sh)
#   sbatch --dependency=afterany:$jid --wrap 'build/faultline merge runs/shard-1 runs/shard-2 runs/shard-3 -o runs/all'
# tests/ci-examples.sh checks the commands.
#SBATCH --job-name=faultline-shard
#SBATCH --array=1-3
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --output=runs/slurm-%A_%a.out
set -euo pipefail
build/faultline run --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" -o "runs/shard-$SLURM_ARRAY_TASK_ID" scenarios/quickstart.yaml
