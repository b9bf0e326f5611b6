#!/bin/sh
# runtime/ is in layers, core <- io <- data <- train: fails, naming the
# line, when a layer includes one above it.
cd "$1" || exit 2
status=0
check() {
  layer=$1
  shift
  for above in "$@"; do
    if grep -Hn "#include \"runtime/$above/" "$layer"/*; then
      status=1
    fi
  done
}
check core io data train
check io data train
check data train
exit $status
