#!/bin/bash
# The WebGPU check, run on a lent GPU machine by the device tool (see pack.sh for the carry):
#   run: bash scripts/device/webgpu-check.sh   carry: [".gpu", ".gl", "out"]   timeout_s: 300
# 1. which backend `auto` picks and why (atelier bench), 2. the PyTorch parity fixtures on webgpu,
# 3. a one-minute run on the built-in sample with the automatic backend, then prompted samples.
# Everything it prints lands in $OUT/r.tgz. Session 9 (H200, Vulkan): Dawn found the GPU and tfjs'
# webgpu backend initialised, but every synchronous read of GPU memory threw "OffscreenCanvas is not
# defined", so Atelier now skips it (backend.ts, probeSyncReadBack) and step 3 should train on wasm:
# the first thing to confirm when a GPU is lent again.
T0=$(date +%s)
R=$OUT/r; mkdir -p "$R"
log() { echo "[$(( $(date +%s) - T0 ))s] $*" | tee -a "$R/main.log"; }
{ nproc; nvidia-smi -L; } >> "$R/main.log" 2>&1
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/nodebin && xz -dc .gpu/node.xz > /tmp/nodebin/node && chmod +x /tmp/nodebin/node && export PATH=/tmp/nodebin:$PATH
tar -xJf .gpu/nm.tar.xz && tar -xJf .gpu/vitest.tar.xz
log "unpacked, node $(node -v)"
timeout 120 node bin/atelier.js bench --no-peer --workers 1 --steps 20 > "$R/bench-auto.log" 2>&1; log "bench (auto) rc $?"
timeout 60 node bin/atelier.js bench --backend webgpu --no-peer --workers 1 --steps 20 > "$R/bench-webgpu.log" 2>&1; log "bench (webgpu) rc $?"
ATELIER_TEST_BACKEND=webgpu timeout 150 node node_modules/vitest/vitest.mjs run tests/unit/ml/parity.test.ts > "$R/parity-webgpu.log" 2>&1; log "parity on webgpu rc $?"
D=/tmp/atelier-check; A="node bin/atelier.js --data-dir $D --json"
( $A projects create GPU && $A datasets add-sample --project GPU && timeout 110 $A train --project GPU --size 32 --minutes 1 --sample-every 100 &&
  $A generate --run 1 --count 8 --seed 7 --prompt face --out "$R/face" && $A generate --run 1 --count 8 --seed 7 --prompt animal --out "$R/animal" ) > "$R/train-auto.log" 2>&1
log "train + generate rc $?"
cp "$(ls $D/projects/*/runs/*/grids/*.png 2>/dev/null | tail -1)" "$R/grid-last.png" 2>/dev/null
cd "$OUT" && tar -czf r.tgz r && rm -rf r
