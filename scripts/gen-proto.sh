#!/usr/bin/env bash
# Generates TypeScript for @grpc/grpc-js from proto/ with Debian's protoc and ts-proto's plugin:
# no tool here downloads a binary, so the build works offline.
set -euo pipefail
cd "$(dirname "$0")/.."
out=gen
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
protoc \
  --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$out.tmp" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,oneof=unions,removeEnumPrefix=true,importSuffix=.js,useExactTypes=false,forceLong=number,unrecognizedEnum=false \
  -I proto proto/callscribe/v1/*.proto
rm -rf "$out" && mv "$out.tmp" "$out"
