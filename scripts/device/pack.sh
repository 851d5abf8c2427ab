#!/bin/bash
# Packs what the WebGPU check (webgpu-check.sh) needs on a lent GPU machine, which has no Node and
# reaches no registry: this machine's Node binary, the engine's production packages (Linux x64 only,
# no sources or maps), vitest for the parity fixtures, and the Vulkan/GL loaders from Debian.
# Everything goes to .gpu/ and .gl/ (git-ignored locally through .git/info/exclude), about 50 MB, under
# the device tool's 64 MiB. Run `npm run build` first; pass carry [".gpu", ".gl", "out"] to the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
for d in /.gpu/ /.gl/; do grep -qx "$d" .git/info/exclude 2>/dev/null || echo "$d" >> .git/info/exclude; done
mkdir -p .gpu .gl
xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
stage=$(mktemp -d)
for d in $(npm ls --omit=dev --all --parseable 2>/dev/null | sed "s|^$PWD/||" | grep '^node_modules/' | sort -u); do
  mkdir -p "$stage/$(dirname "$d")" && cp -a "$d" "$stage/$d"
done
( cd "$stage/node_modules"
  rm -rf webgpu/dist/{darwin-universal,linux-arm64,win32-arm64,win32-x64} better-sqlite3/{deps,src} better-sqlite3/build/Release/{obj,obj.target,sqlite3.a,test_extension.node}
  find . \( -name '*.map' -o -name '*.d.ts' -o -name '*_test.js' \) -delete
  find . -path '*/@tensorflow/*' \( -name '*.min.js' -o -name '*.es2017*' -o -name '*.esm.js' \) -delete
  find @tensorflow -maxdepth 2 -name src -type d -exec rm -rf {} + )
tar -C "$stage" -cJf .gpu/nm.tar.xz node_modules
rm -rf "$stage"
# vitest and what it loads (lightningcss is optional for it and 10 MB).
node -e "
const fs=require('fs'),path=require('path');const seen=new Set();
function walk(n,from){let d=from,p;for(;;){p=path.join(d,'node_modules',n);if(fs.existsSync(p))break;const u=path.dirname(d);if(u===d)return;d=u;}
 if(seen.has(p))return;seen.add(p);const j=JSON.parse(fs.readFileSync(path.join(p,'package.json')));
 for(const k of Object.keys({...j.dependencies,...j.optionalDependencies}))walk(k,p);}
walk('vitest',process.cwd());for(const s of seen)if(!/lightningcss-/.test(s))console.log(path.relative(process.cwd(),s));" > .gpu/vitest.list
tar -cJf .gpu/vitest.tar.xz -T .gpu/vitest.list
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial && apt-get $o update >/dev/null && (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh .gpu .gl
