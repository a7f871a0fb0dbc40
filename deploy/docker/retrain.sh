#!/bin/sh
# stance-retrain: the retraining CronJob's command (trainer image).
#
#   1. train a candidate on the shipped corpus plus every non-empty per-pod feedback directory
#      (stance-train removes duplicates and resolves conflicting labels);
#   2. stance-train promote: the gate compares candidate and current model on the held-out test
#      split of the evaluation data and, only if the candidate passes, renames it over
#      $STANCE_VOLUME/models/stance.model;
#   3. the servers notice the new file within STANCE_MODEL_POLL_INTERVAL and hot-swap it.
#
# The candidate is written inside the models directory so that promote's rename stays on one
# filesystem and is atomic. The model being replaced is kept as previous.model (for rollback).
# A refused candidate makes this script, and so the Job, fail: that is the alert.
#
# POSIX sh: busybox sh in the image (/busybox/sh), /bin/sh in deploy/tests.
set -eu

: "${STANCE_VOLUME:=/var/lib/stance}"
: "${STANCE_CORPUS:=/opt/stance/training/data}"
# Evaluation data for the gate, comma-separated files or directories (stance-train's own
# STANCE_EVAL_DATA syntax). Default: the shipped corpus, scored on its fixed held-out test split
# (rows `stance-train train` never fits on), so a candidate is refused when the collected feedback
# makes it worse on curated examples neither model has seen.
: "${STANCE_EVAL_DATA:=$STANCE_CORPUS}"
: "${STANCE_DEFAULT_MODEL:=/opt/stance/models/default.model}"
: "${STANCE_TRAIN:=stance-train}"

models="$STANCE_VOLUME/models"
current="$models/stance.model"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$models/candidates"
candidate="$models/candidates/candidate-$stamp.$$.model"
backup="$models/candidates/previous-$stamp.$$.model"
trap 'rm -f "$candidate" "$backup"' EXIT

# Training inputs: the corpus, then each feedback directory that holds at least one file.
set -- "$STANCE_CORPUS"
feedback_dirs=0
for dir in "$STANCE_VOLUME"/feedback/*/; do
    [ -d "$dir" ] || continue
    for f in "$dir"*; do
        if [ -f "$f" ]; then
            set -- "$@" "${dir%/}"
            feedback_dirs=$((feedback_dirs + 1))
            break
        fi
    done
done
echo "retrain: training on $STANCE_CORPUS and $feedback_dirs feedback director(y/ies)"
# --skip-invalid: a row cut short (a server killed mid-append, a full disk) is counted and reported,
# not allowed to block every later retraining until someone edits the file by hand.
"$STANCE_TRAIN" train --skip-invalid --data "$@" --out "$candidate"

if [ ! -e "$current" ]; then
    # A volume the servers have not prepared yet: start from the default model, as they would.
    cp "$STANCE_DEFAULT_MODEL" "$backup"
    ln "$backup" "$current" 2>/dev/null || true
fi
# Hard link, not copy: after promote renames over stance.model this name still holds the old file.
rm -f "$backup"
ln "$current" "$backup"

echo "retrain: promotion gate, evaluated on the test split of $STANCE_EVAL_DATA"
"$STANCE_TRAIN" promote --candidate "$candidate" --current "$current" \
    --data "$STANCE_EVAL_DATA" --test-split

mv -f "$backup" "$models/previous.model"
echo "retrain: promoted; previous model kept at $models/previous.model"
