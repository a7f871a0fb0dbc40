#!/bin/sh
# stance-prepare-volume: init container of the stance-server Deployment (trainer image).
#
# Lays out the shared model/feedback volume before the server starts:
#   $STANCE_VOLUME/models/stance.model          the serving model (STANCE_MODEL_PATH); seeded with
#                                               the default model when the volume is new
#   $STANCE_VOLUME/feedback/$POD_NAME/          this pod's STANCE_FEEDBACK_DIR: one directory per
#                                               pod, so replicas never append to the same file
# The directories are made here, as the pod's non-root user, because kubelet would create missing
# subPath directories as root, which the server (uid 65532) then cannot write.
#
# POSIX sh: busybox sh in the image (/busybox/sh), /bin/sh in deploy/tests.
set -eu

: "${STANCE_VOLUME:=/var/lib/stance}"
: "${STANCE_DEFAULT_MODEL:=/opt/stance/models/default.model}"
: "${POD_NAME:?POD_NAME must be set (downward API metadata.name)}"

models="$STANCE_VOLUME/models"
feedback="$STANCE_VOLUME/feedback/$POD_NAME"
mkdir -p "$models/candidates" "$feedback"

if [ ! -e "$models/stance.model" ]; then
    # Copy under a private name, then link(2) into place: link fails if the name exists, so a
    # concurrently promoted model (retrain job) or another pod's seed is never overwritten, and
    # the server never sees a half-written file.
    tmp="$models/candidates/.seed-$POD_NAME.$$"
    cp "$STANCE_DEFAULT_MODEL" "$tmp"
    if ln "$tmp" "$models/stance.model" 2>/dev/null; then
        echo "prepare-volume: seeded $models/stance.model with the default model"
    else
        echo "prepare-volume: $models/stance.model appeared meanwhile; kept it"
    fi
    rm -f "$tmp"
else
    echo "prepare-volume: serving model present at $models/stance.model"
fi
echo "prepare-volume: feedback directory $feedback"
