#!/usr/bin/env bash
# The image proven on a machine without Docker Hub or GitHub (Debian packages and npm only), with podman:
#
#   1. a Debian base image with Node from debootstrap (cached: reused once imported),
#   2. Dockerfile.bot built with NODE_IMAGE/DEBIAN_IMAGE set to it and YTDLP_SOURCE=apt,
#   3. `start --role all` in it, against the project's stand-ins on the host, until its HEALTHCHECK
#      reports healthy,
#   4. deploy/telegram/docker-compose.yml (redis, the bot, two workers) with podman-compose and
#      deploy/telegram/compose.smoke.yaml, collecting an album through the bot from the Telegram stand-in.
#
# Run as root from anywhere: scripts/container-smoke.sh. Not part of `npm test` (it takes minutes and
# installs podman, podman-compose and debootstrap with apt when missing). It cleans up after itself
# (containers, the compose project, the stand-ins) and exits non-zero on failure. The base image, the
# built image and the audio cache stay for the next run.
#
# Settings (environment): SMOKE_SUITE (trixie), SMOKE_MIRROR (http://deb.debian.org/debian),
# SMOKE_BASE_IMAGE (localhost/cd-collector-base:$SMOKE_SUITE), SMOKE_IMAGE (localhost/cd-collector:smoke),
# SMOKE_KEEP=1 keeps the work directory (logs) and prints its path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUITE="${SMOKE_SUITE:-trixie}"
MIRROR="${SMOKE_MIRROR:-http://deb.debian.org/debian}"
ROOTFS_IMAGE="localhost/cd-collector-rootfs:${SUITE}"
BASE_IMAGE="${SMOKE_BASE_IMAGE:-localhost/cd-collector-base:${SUITE}}"
IMAGE="${SMOKE_IMAGE:-localhost/cd-collector:smoke}"
PROJECT=cdc-smoke
SINGLE="${PROJECT}-all"
HEALTH_TIMEOUT=180
ALBUM_TIMEOUT=300

# podman 4.3 on these hosts: crun refuses the hybrid cgroups and default ulimits cannot be set.
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'container-smoke: FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (podman builds and runs rootful here)"

WORK="$(mktemp -d /tmp/cdc-container-smoke.XXXXXX)"
STANDINS_PID=""
COMPOSE_UP=""

# ---------------------------------------------------------------------------------------------------
# Clean-up: whatever was started, however the script ends.
compose() {
  (cd "$WORK/compose" && podman-compose --podman-path "$WORK/podman-for-compose" -p "$PROJECT" \
    -f docker-compose.yml -f compose.smoke.yaml "$@")
}

cleanup() {
  local status=$?
  set +e
  if [ "$status" != 0 ]; then
    log "logs of the failed run"
    for name in $("${PODMAN[@]}" ps -a --format '{{.Names}}' 2>/dev/null | grep -E "^${PROJECT}[-_]"); do
      printf -- '--- %s\n' "$name" >&2
      "${PODMAN[@]}" logs "$name" 2>&1 | grep -v '"route":"/healthz"' | tail -n 30 >&2
    done
    [ -f "$WORK/stand-ins.log" ] && { printf -- '--- stand-ins\n' >&2; tail -n 20 "$WORK/stand-ins.log" >&2; }
  fi
  log "cleaning up"
  "${PODMAN[@]}" rm -f -t 5 "$SINGLE" >/dev/null 2>&1
  "${PODMAN[@]}" volume rm -f "${SINGLE}-data" >/dev/null 2>&1
  if [ -n "$COMPOSE_UP" ]; then
    compose down -v -t 10 >"$WORK/compose-down.log" 2>&1
  fi
  # Whatever podman-compose left (it does not remove its network).
  for c in $("${PODMAN[@]}" ps -a -q --filter "label=io.podman.compose.project=${PROJECT}" 2>/dev/null); do
    "${PODMAN[@]}" rm -f -t 5 "$c" >/dev/null 2>&1
  done
  for v in $("${PODMAN[@]}" volume ls -q --filter "label=io.podman.compose.project=${PROJECT}" 2>/dev/null); do
    "${PODMAN[@]}" volume rm -f "$v" >/dev/null 2>&1
  done
  "${PODMAN[@]}" network rm -f "${PROJECT}_default" >/dev/null 2>&1
  if [ -n "$STANDINS_PID" ]; then
    kill -TERM "$STANDINS_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$STANDINS_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$STANDINS_PID" 2>/dev/null
  fi
  if [ "${SMOKE_KEEP:-}" = 1 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
  if [ "$status" = 0 ]; then echo "container-smoke: PASSED"; else echo "container-smoke: FAILED (exit $status)" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------
# Tools.
need=()
command -v podman >/dev/null || need+=(podman)
command -v podman-compose >/dev/null || need+=(podman-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v runc >/dev/null || need+=(runc)
[ -x /usr/libexec/podman/catatonit ] || need+=(catatonit) # compose's `init: true`
dpkg -s containernetworking-plugins >/dev/null 2>&1 || need+=(containernetworking-plugins)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v curl >/dev/null || die "curl is needed"
[ -x "$ROOT/node_modules/.bin/tsx" ] || die "run npm install first (the stand-ins run from the sources)"

free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# ---------------------------------------------------------------------------------------------------
# 1. The base image: Debian from debootstrap, plus Node and npm from Debian (debootstrap's own resolver
#    cannot install npm's dependency tree, apt in a first build can), plus the host's local CA
#    certificates (an intercepting proxy's CA, if any: npm must trust what the host trusts).
if "${PODMAN[@]}" image exists "$BASE_IMAGE"; then
  log "base image $BASE_IMAGE: cached"
else
  if ! "${PODMAN[@]}" image exists "$ROOTFS_IMAGE"; then
    log "debootstrap --variant=minbase $SUITE (downloads about 50 MB)"
    rootfs="$WORK/rootfs"
    debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
      || { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap"; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | "${PODMAN[@]}" import --quiet - "$ROOTFS_IMAGE" >/dev/null
    rm -rf "$rootfs"
  fi
  log "base image $BASE_IMAGE: $ROOTFS_IMAGE + nodejs, npm"
  mkdir -p "$WORK/base/local-ca"
  cp /usr/local/share/ca-certificates/*.crt "$WORK/base/local-ca/" 2>/dev/null || true
  cat >"$WORK/base/Containerfile" <<EOF
FROM $ROOTFS_IMAGE
COPY local-ca/ /usr/local/share/ca-certificates/
RUN set -eux; \\
    apt-get update; \\
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates passwd nodejs npm; \\
    rm -rf /var/lib/apt/lists/*; \\
    node --version; npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
EOF
  "${PODMAN[@]}" build --quiet --network host "${ULIMITS[@]}" --format docker -t "$BASE_IMAGE" \
    "$WORK/base" >"$WORK/base-build.log" 2>&1 || { tail -n 30 "$WORK/base-build.log" >&2; die "base image build"; }
fi
node_version="$("${PODMAN[@]}" run --rm --network host "${ULIMITS[@]}" "$BASE_IMAGE" node --version)"
log "base image node $node_version"

# ---------------------------------------------------------------------------------------------------
# 2. The image, with the build arguments for a machine without Docker Hub or GitHub.
# WITH_CDRDAO=true: role all includes the burner, whose health check wants cdrdao (without it the image's
# default command, role all, never becomes healthy).
BUILD_ARGS=(--build-arg "NODE_IMAGE=$BASE_IMAGE" --build-arg "DEBIAN_IMAGE=$BASE_IMAGE" --build-arg YTDLP_SOURCE=apt
  --build-arg WITH_CDRDAO=true)
log "podman build -f Dockerfile.bot ${BUILD_ARGS[*]} -t $IMAGE (log: build.log)"
started=$SECONDS
"${PODMAN[@]}" build --network host "${ULIMITS[@]}" --format docker -f "$ROOT/Dockerfile.bot" \
  "${BUILD_ARGS[@]}" -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1 \
  || { tail -n 40 "$WORK/build.log" >&2; die "podman build"; }
image_size="$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")"
image_size_h="$(numfmt --to=si --suffix=B "$image_size")"
log "built in $((SECONDS - started)) s"

# ---------------------------------------------------------------------------------------------------
# The stand-ins for Telegram, Spotify and YouTube on the host's loopback (no service of their own).
log "starting the stand-ins"
(cd "$ROOT" && exec node_modules/.bin/tsx scripts/container-smoke-stand-ins.ts "$WORK") >"$WORK/stand-ins.log" 2>&1 &
STANDINS_PID=$!
for _ in $(seq 1 120); do
  [ -s "$WORK/ready" ] && break
  kill -0 "$STANDINS_PID" 2>/dev/null || die "the stand-ins exited: $(tail -n 5 "$WORK/stand-ins.log")"
  sleep 0.5
done
[ -s "$WORK/ready" ] || die "the stand-ins did not start"
TG="$(cat "$WORK/ready")"
read -r ALBUM_LINK ALBUM_TRACKS <"$WORK/album"
sed 's/^/   /' "$WORK/stand-ins.log" >&2

# Ask a container's HEALTHCHECK until it passes (nothing runs podman's health timers without systemd).
healthz_body() {
  "${PODMAN[@]}" exec "$1" node -e 'fetch("http://127.0.0.1:" + (process.env.HTTP_PORT || "8080") + "/healthz")
    .then((r) => r.text()).then(console.log, (e) => console.log(String(e)))' 2>&1
}
health_status() {
  "${PODMAN[@]}" inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null \
    || "${PODMAN[@]}" inspect --format '{{.State.Healthcheck.Status}}' "$1"
}
wait_healthy() {
  local name=$1 deadline=$((SECONDS + HEALTH_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$("${PODMAN[@]}" inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" = true ] \
      || die "$name is not running"
    if "${PODMAN[@]}" healthcheck run "$name" >/dev/null 2>&1; then
      health_status "$name"
      return 0
    fi
    sleep 3
  done
  die "$name did not become healthy in ${HEALTH_TIMEOUT} s (status: $(health_status "$name"); /healthz: $(healthz_body "$name"))"
}

# ---------------------------------------------------------------------------------------------------
# 3. One container, role all (its own redis-server), on the host's network to reach the stand-ins.
single_port="$(free_port)"
log "podman run $IMAGE (start --role all, HTTP 127.0.0.1:$single_port)"
"${PODMAN[@]}" run -d --name "$SINGLE" --network host "${ULIMITS[@]}" \
  --env-file "$WORK/stand-ins.env" -e HTTP_HOST=127.0.0.1 -e "HTTP_PORT=$single_port" \
  -v "$WORK/stand-ins.toml:/app/config/bot.toml:ro" -v "${SINGLE}-data:/data" \
  "$IMAGE" >/dev/null 2>"$WORK/podman-run.log" || { cat "$WORK/podman-run.log" >&2; die "podman run"; }
single_health="$(wait_healthy "$SINGLE")"
single_healthz="$(curl -fsS "http://127.0.0.1:$single_port/healthz")"
ytdlp_version="$("${PODMAN[@]}" exec "$SINGLE" yt-dlp --version)"
node_in_image="$("${PODMAN[@]}" exec "$SINGLE" node --version)"
# Only one bot may poll the Telegram stand-in: this one goes before the compose stack starts.
"${PODMAN[@]}" rm -f -t 10 "$SINGLE" >/dev/null 2>>"$WORK/podman-run.log"
"${PODMAN[@]}" volume rm -f "${SINGLE}-data" >/dev/null

# ---------------------------------------------------------------------------------------------------
# 4. The compose stack: the production compose file as it is, plus the smoke override, in a project
#    directory of its own (its .env is generated; the image is the one built above).
mkdir -p "$WORK/compose"
cp "$ROOT/deploy/telegram/docker-compose.yml" "$ROOT/deploy/telegram/compose.smoke.yaml" "$WORK/compose/"
{
  echo "COMPOSE_PROJECT_NAME=$PROJECT"
  echo "CD_COLLECTOR_TAG=${IMAGE##*:}"
  echo "WITH_CDRDAO=false"
  echo "BOT_HTTP_PUBLISH=127.0.0.1:8080"
  echo "GRAFANA_ADMIN_PASSWORD=unused-by-the-smoke-test"
  cat "$WORK/stand-ins.env"
  echo "SMOKE_CONFIG=$WORK/stand-ins.toml"
  echo "SMOKE_REDIS_PORT=$(free_port)"
  echo "SMOKE_BOT_PORT=$(free_port)"
  echo "SMOKE_WORKER_PORT=$(free_port)"
  echo "SMOKE_WORKER2_PORT=$(free_port)"
} >"$WORK/compose/.env"
chmod 600 "$WORK/compose/.env"
# podman-compose 1.0.3 hands every container `--net <project>_default --network-alias <service>` after
# the service's own `--network host`; this podman drops those two for a container on the host's
# network and adds this host's podman flags.
cat >"$WORK/podman-for-compose" <<'EOF'
#!/usr/bin/env bash
args=() host=0
for a in "$@"; do [ "$a" = host ] && [ "${prev:-}" = --network ] && host=1; prev=$a; done
skip=0
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  if [ "$host" = 1 ] && { [ "$a" = --net ] || [ "$a" = --network-alias ]; }; then skip=1; continue; fi
  args+=("$a")
done
case "${args[0]:-}" in
  run | create) args=("${args[0]}" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "${args[@]:1}") ;;
esac
exec podman --runtime runc --cgroup-manager=cgroupfs "${args[@]}"
EOF
chmod +x "$WORK/podman-for-compose"

log "podman-compose up -d (redis, bot, worker, worker-2; log: compose-up.log)"
COMPOSE_UP=1
# The services by name: podman-compose 1.0.3 ignores `profiles` and would start the burner and monitoring.
compose up -d --no-build redis bot worker worker-2 >"$WORK/compose-up.log" 2>&1 || { tail -n 40 "$WORK/compose-up.log" >&2; die "podman-compose up"; }
containers=()
for service in redis bot worker worker-2; do
  name="$("${PODMAN[@]}" ps -a --filter "label=io.podman.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$service" --format '{{.Names}}' | head -n 1)"
  [ -n "$name" ] || { tail -n 40 "$WORK/compose-up.log" >&2; die "no container for the service $service"; }
  containers+=("$name")
done
for name in "${containers[@]}"; do wait_healthy "$name" >/dev/null; done
compose_state="$("${PODMAN[@]}" ps -a --filter "label=io.podman.compose.project=$PROJECT" \
  --format '{{.Names}}\t{{.Image}}\t{{.Status}}')"

# Collect the album through the bot, as the allowlisted person of the Telegram stand-in.
log "/download $ALBUM_LINK through the Telegram stand-in (expecting $ALBUM_TRACKS tracks)"
curl -fsS -o /dev/null "$TG/control/send-text" -H 'content-type: application/json' \
  -d "{\"from\":{\"id\":424242,\"firstName\":\"Ana\"},\"text\":\"/download $ALBUM_LINK\"}"
transcript_count() {
  curl -fsS "$TG/control/transcript?chatId=424242" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const t = JSON.parse(s), list = Array.isArray(t) ? t : (t.result ?? t.messages ?? []);
      console.log(list.filter((m) => m.kind === process.argv[1]).length);
    });' "$1"
}
audio=0
deadline=$((SECONDS + ALBUM_TIMEOUT))
while [ "$SECONDS" -lt "$deadline" ]; do
  audio="$(transcript_count audio)"
  [ "$audio" -ge "$ALBUM_TRACKS" ] && break
  sleep 3
done
curl -fsS "$TG/control/transcript?chatId=424242" >"$WORK/transcript.json"
[ "$audio" -ge "$ALBUM_TRACKS" ] || die "the album was not delivered in ${ALBUM_TIMEOUT} s: $audio of $ALBUM_TRACKS audio messages"
# Each worker's share, from its own /metrics (cdc_tracks_total by outcome).
worked=""
for service in worker worker-2; do
  var=SMOKE_WORKER_PORT; [ "$service" = worker-2 ] && var=SMOKE_WORKER2_PORT
  port="$(sed -n "s/^$var=//p" "$WORK/compose/.env")"
  tracks="$(curl -fsS "http://127.0.0.1:$port/metrics" | awk '/^cdc_tracks_total\{/ { n += $NF } END { print n + 0 }')"
  worked+="${worked:+, }$service $tracks"
done
titles="$(node -e '
  const t = require(process.argv[1]), list = Array.isArray(t) ? t : t.result;
  console.log(list.filter((m) => m.kind === "audio").map((m) => `${m.audio.performer} - ${m.audio.title}`).join("; "));
' "$WORK/transcript.json")"

# ---------------------------------------------------------------------------------------------------
cat <<EOF

container-smoke results
  image:            $IMAGE, $image_size_h ($image_size bytes), node $node_in_image, yt-dlp $ytdlp_version (Debian's)
  build args:       ${BUILD_ARGS[*]}
  role all:         health $single_health; /healthz $single_healthz
  compose services: (podman-compose $(podman-compose version 2>/dev/null | awk '/podman-compose/ {print $NF; exit}'))
$(printf '%s\n' "$compose_state" | sed 's/^/    /')
  album delivered:  $audio audio messages of $ALBUM_TRACKS tracks in chat 424242 ($ALBUM_LINK)
                    $titles
  tracks by worker: $worked
EOF
