#!/bin/bash
# Slurm job array: one task per shard. `--shard auto` reads SLURM_ARRAY_TASK_ID (minus
# SLURM_ARRAY_TASK_MIN) and SLURM_ARRAY_TASK_COUNT. A requeued or resubmitted task resumes
# from its committed parts (--resume).
#   cd /path/to/faceflow-lab && npm ci --omit=dev
#   jid=$(sbatch --parsable deploy/slurm-embed.sh /data/images /scratch/faceflow-out)
#   sbatch --dependency=afterok:$jid --wrap "node bin/faceflow.mjs merge /scratch/faceflow-out"
#SBATCH --job-name=faceflow-embed
#SBATCH --array=0-15
#SBATCH --cpus-per-task=4
#SBATCH --mem=6G
#SBATCH --time=12:00:00
#SBATCH --requeue
#SBATCH --output=faceflow-embed-%A_%a.log
set -euo pipefail
INPUT=${1:?usage: sbatch deploy/slurm-embed.sh <images dir> <output dir> [preset]}
OUT=${2:?usage: sbatch deploy/slurm-embed.sh <images dir> <output dir> [preset]}
PRESET=${3:-presets/baseline-mtcnn-facenet.json}
srun node bin/faceflow.mjs embed "$PRESET" --input "$INPUT" --out "$OUT" \
  --shard auto --resume --workers "${SLURM_CPUS_PER_TASK:-1}"
