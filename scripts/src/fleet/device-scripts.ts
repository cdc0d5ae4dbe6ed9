/**
 * The shell scripts and the first-boot unit that run on the device (POSIX sh: dash on Raspberry
 * Pi OS). Each takes a root prefix (install.sh: PREFIX, first boot: LIGHTNODE_ROOT) so it can
 * run against a root filesystem tree; the tests run them in a chroot of an image's root.
 */

/** Folder on the boot (FAT) partition that carries one PoD's part of an image. */
export const BOOT_DIR = 'lightnode';
/** Report the first boot writes beside it (no secrets): PoD, device address, how it enrols. */
export const BOOT_REPORT = 'lightnode-enrolment.txt';

export const FIRSTBOOT_UNIT_NAME = 'lightnode-firstboot.service';

/**
 * Oneshot unit of an image: runs once, when the boot partition carries a lightnode/ folder
 * (/boot/firmware on Raspberry Pi OS bookworm, /boot before), before the agent.
 */
export const FIRSTBOOT_UNIT = `[Unit]
Description=Light Node first boot: install this PoD's identity from the boot partition
Documentation=file:///opt/lightnode/README
ConditionPathExists=|/boot/firmware/${BOOT_DIR}/config.json
ConditionPathExists=|/boot/${BOOT_DIR}/config.json
After=local-fs.target systemd-sysusers.service
Before=lightnode.service

[Service]
Type=oneshot
ExecStart=/opt/lightnode/image-first-boot.sh
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
`;

/** Shell lines shared by the scripts: the lightnode user and its numeric ids in a root prefix. */
const ENSURE_USER = `ensure_user() {
  if ! grep -q '^lightnode:' "$R/etc/passwd" 2>/dev/null; then
    if command -v systemd-sysusers >/dev/null 2>&1; then
      if [ -n "$R" ]; then systemd-sysusers --root="$R" "$R/usr/lib/sysusers.d/lightnode.conf"; else systemd-sysusers /usr/lib/sysusers.d/lightnode.conf; fi
    elif [ -n "$R" ]; then useradd --prefix "$R" --system --home-dir /var/lib/lightnode --shell /usr/sbin/nologin --user-group --groups dialout lightnode
    else useradd --system --home-dir /var/lib/lightnode --shell /usr/sbin/nologin --user-group --groups dialout lightnode
    fi
  fi
  LNUID=$(awk -F: '$1=="lightnode"{print $3}' "$R/etc/passwd")
  LNGID=$(awk -F: '$1=="lightnode"{print $4}' "$R/etc/passwd")
  [ -n "$LNUID" ] && [ -n "$LNGID" ] || fail "could not create the lightnode user"
}`;

/**
 * First boot of a flashed image (ExecStart of lightnode-firstboot.service, as root): moves the
 * PoD's files from the boot partition into /etc/lightnode (owned by lightnode; key, password
 * and config 0600), makes the device key when the image carries none, enables the agent,
 * overwrites and deletes the boot partition's copies, and reports the enrolment on the console,
 * in the journal and in lightnode-enrolment.txt on the boot partition. A second run finds no
 * folder and does nothing.
 */
export const IMAGE_FIRST_BOOT = `#!/bin/sh
# Light Node: first boot of a flashed image. See scripts/README.md (fleet image).
set -eu
R="\${LIGHTNODE_ROOT:-}"
OPT="$R/opt/lightnode"; ETC="$R/etc/lightnode"; DATA="$R/var/lib/lightnode"; SYSD="$R/etc/systemd/system"
say() { echo "lightnode-firstboot: $*"; echo "lightnode-firstboot: $*" > /dev/console 2>/dev/null || true; }
fail() { say "$*"; exit 1; }
${ENSURE_USER}
BOOT=""
for b in "$R/boot/firmware" "$R/boot"; do
  if [ -f "$b/${BOOT_DIR}/config.json" ]; then BOOT="$b"; break; fi
done
[ -n "$BOOT" ] || { say "no ${BOOT_DIR}/ folder on the boot partition: nothing to do"; exit 0; }
SRC="$BOOT/${BOOT_DIR}"
(cd "$SRC" && sha256sum -c --quiet --strict SHA256SUMS) || fail "the files in $SRC do not match their SHA256SUMS: nothing installed (flash the card again)"
KEY=device; [ -f "$SRC/keystore.json" ] && KEY=image
ensure_user
install -d -m 0700 -o "$LNUID" -g "$LNGID" "$ETC" "$DATA"
for f in config.json keystore.json keystore.password ca.pem; do
  [ -f "$SRC/$f" ] || continue
  m=0600; [ "$f" = ca.pem ] && m=0644
  install -m "$m" -o "$LNUID" -g "$LNGID" "$SRC/$f" "$ETC/.$f.new"
  mv -f "$ETC/.$f.new" "$ETC/$f"
done
# the device key: the image's (key mode cli), or made here (key mode device); address shown
LIGHTNODE_ROOT="$R" "$OPT/first-boot.sh" >/dev/null
chown -R "$LNUID:$LNGID" "$ETC" "$DATA"
chmod 0700 "$ETC"
for f in config.json keystore.json keystore.password; do [ -f "$ETC/$f" ] && chmod 0600 "$ETC/$f"; done
ADDR=$(cat "$ETC/address" 2>/dev/null || true)
POD=$(sed -n 's/^ *"pod": *"\\([^"]*\\)".*/\\1/p' "$ETC/config.json" | head -n 1)
# the boot partition is FAT (no modes, readable on any laptop): overwrite, then delete
for f in "$SRC"/* "$SRC"/.[!.]*; do
  [ -f "$f" ] || continue
  n=$(wc -c < "$f")
  dd if=/dev/zero of="$f" bs=1 count="$n" conv=notrunc 2>/dev/null || true
  rm -f "$f"
done
rmdir "$SRC" 2>/dev/null || true
sync
mkdir -p "$SYSD/multi-user.target.wants"
ln -sf /etc/systemd/system/lightnode.service "$SYSD/multi-user.target.wants/lightnode.service"
rm -f "$SYSD/multi-user.target.wants/${FIRSTBOOT_UNIT_NAME}"
if [ "$KEY" = image ]; then HOW="registered when the image was built (fleet image)"; else HOW="enrol it: fleet enroll --pod $POD --address $ADDR"; fi
{
  echo "pod=$POD"
  echo "address=$ADDR"
  echo "key=$KEY"
  echo "enrolment=$HOW"
  echo "installed=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$BOOT/${BOOT_REPORT}"
say "PoD $POD, device address $ADDR: $HOW"
if [ -z "$R" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl --no-block start lightnode.service
fi
`;

/**
 * install.sh at a bundle's top: installs or upgrades the bundle on a device that already runs
 * (as root). Idempotent; keeps /var/lib/lightnode (the spool) and an existing device key;
 * reuses the installed runtime packages when the bundle needs the same ones; checks the new
 * agent (it must load its config, key and spool with its natives, and under systemd stay up
 * for HEALTH_WAIT seconds) and puts the previous version back when it does not.
 */
export const INSTALL_SH = `#!/bin/sh
# Install or upgrade this Light Node bundle on the machine it runs on (as root).
#   PREFIX=/tree         install into a root filesystem tree instead of /
#   NODE=/path/to/node   node binary (default: the installed /opt/lightnode/bin/node, else node on PATH)
#   HEALTH_WAIT=20       seconds the upgraded service must stay up without a restart (systemd only)
# Offline alternative: \`fleet flash --bundle <this dir> --target <mounted rootfs>\`, or \`fleet image\`.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
R="\${PREFIX:-}"
OPT="$R/opt/lightnode"; ETC="$R/etc/lightnode"; DATA="$R/var/lib/lightnode"; SYSD="$R/etc/systemd/system"
say() { echo "install.sh: $*"; }
fail() { echo "install.sh: $*" >&2; exit 1; }
${ENSURE_USER}
LIVE=0; if [ -z "$R" ] && [ -d /run/systemd/system ]; then LIVE=1; fi

# --- checks before anything changes
[ -f "$HERE/SHA256SUMS" ] || fail "no SHA256SUMS beside install.sh: not a complete bundle; nothing installed"
(cd "$HERE/rootfs" && sha256sum -c --quiet --strict ../SHA256SUMS) || fail "the bundle's files do not match SHA256SUMS (changed or truncated); nothing installed"
NODE="\${NODE:-}"
if [ -z "$NODE" ]; then
  if [ -x "$OPT/bin/node" ]; then NODE="$OPT/bin/node"; else NODE=$(command -v node || true); fi
fi
[ -n "$NODE" ] && "$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || fail "Node.js >= 20 is required (set NODE=); nothing installed"
NEWKEY=0
if [ ! -s "$ETC/keystore.json" ] && [ -f "$HERE/rootfs/etc/lightnode/keystore.json" ]; then
  [ -s "$HERE/secrets/keystore.password" ] || fail "the bundle carries an encrypted device key but no secrets/keystore.password; nothing installed"
  NEWKEY=1
fi

# --- the new agent folder, staged beside the installed one
rm -rf "$OPT.new"
mkdir -p "$OPT.new" "$R/usr/lib/sysusers.d"
cp -R "$HERE/rootfs/opt/lightnode/." "$OPT.new/"
same_runtime() {
  [ -d "$OPT/node_modules" ] && [ -f "$OPT/package.json" ] && "$NODE" -e '
    const d = (p) => JSON.stringify(require(p).dependencies || {});
    process.exit(d(process.argv[1]) === d(process.argv[2]) ? 0 : 1)' "$OPT/package.json" "$OPT.new/package.json"
}
if same_runtime; then
  cp -R "$OPT/node_modules" "$OPT.new/"
else
  (cd "$OPT.new" && npm install --omit=dev --no-audit --no-fund) || { rm -rf "$OPT.new"; fail "npm install of the runtime packages failed; nothing changed"; }
fi
if [ -x "$OPT/bin/node" ] && [ ! -e "$OPT.new/bin/node" ]; then mkdir -p "$OPT.new/bin"; cp -p "$OPT/bin/node" "$OPT.new/bin/node"; fi
cp "$HERE/rootfs/usr/lib/sysusers.d/lightnode.conf" "$R/usr/lib/sysusers.d/lightnode.conf"
ensure_user

# --- swap, keeping the previous version for a rollback
if [ "$LIVE" = 1 ]; then systemctl stop lightnode.service 2>/dev/null || true; fi
rm -rf "$OPT.prev"
HADPREV=0
if [ -d "$OPT" ]; then mv "$OPT" "$OPT.prev"; HADPREV=1; fi
mv "$OPT.new" "$OPT"
mkdir -p "$SYSD/multi-user.target.wants"
for f in "$SYSD/lightnode.service" "$ETC/config.json" "$ETC/ca.pem"; do
  if [ -f "$f" ]; then cp -p "$f" "$f.prev"; else rm -f "$f.prev"; fi
done
install -m 0644 "$HERE/rootfs/etc/systemd/system/lightnode.service" "$SYSD/lightnode.service"
# a device imaged with its own node (fleet image --node) keeps running that one
if [ -x "$OPT/bin/node" ]; then sed -i 's#^ExecStart=/usr/bin/node #ExecStart=/opt/lightnode/bin/node #' "$SYSD/lightnode.service"; fi
install -d -m 0700 -o "$LNUID" -g "$LNGID" "$ETC" "$DATA"
install -m 0600 -o "$LNUID" -g "$LNGID" "$HERE/rootfs/etc/lightnode/config.json" "$ETC/config.json"
if [ -f "$HERE/rootfs/etc/lightnode/ca.pem" ]; then install -m 0644 "$HERE/rootfs/etc/lightnode/ca.pem" "$ETC/ca.pem"; fi
if [ "$NEWKEY" = 1 ]; then
  install -m 0600 -o "$LNUID" -g "$LNGID" "$HERE/rootfs/etc/lightnode/keystore.json" "$ETC/keystore.json"
  install -m 0600 -o "$LNUID" -g "$LNGID" "$HERE/secrets/keystore.password" "$ETC/keystore.password"
elif [ -f "$HERE/rootfs/etc/lightnode/keystore.json" ] && ! cmp -s "$HERE/rootfs/etc/lightnode/keystore.json" "$ETC/keystore.json"; then
  say "kept the device's own key (the bundle's key is not installed over it)"
fi
LIGHTNODE_ROOT="$R" NODE="$NODE" "$OPT/first-boot.sh" >/dev/null
chown -R "$LNUID:$LNGID" "$ETC" "$DATA"
ln -sf /etc/systemd/system/lightnode.service "$SYSD/multi-user.target.wants/lightnode.service"

# --- health check: the new agent opens its config, key and spool (as lightnode); under systemd it stays up
as_agent() {
  if command -v setpriv >/dev/null 2>&1; then setpriv --reuid="$LNUID" --regid="$LNGID" --clear-groups "$@"; else "$@"; fi
}
healthy() {
  (cd "$DATA" && as_agent "$NODE" "$OPT/lightnode.cjs" status --config "$ETC/config.json") > /dev/null || return 1
  if [ "$LIVE" = 1 ]; then
    systemctl daemon-reload
    systemctl restart lightnode.service || return 1
    i=0
    while [ "$i" -lt "\${HEALTH_WAIT:-20}" ]; do
      sleep 1; i=$((i + 1))
      systemctl is-active --quiet lightnode.service || return 1
    done
    [ "$(systemctl show -p NRestarts --value lightnode.service)" = 0 ] || return 1
  fi
  return 0
}
if healthy; then
  rm -rf "$OPT.prev"
  rm -f "$SYSD/lightnode.service.prev" "$ETC/config.json.prev" "$ETC/ca.pem.prev"
  say "installed agent $(sed -n 's/^ *"version": *"\\([^"]*\\)".*/\\1/p' "$OPT/package.json" | head -n 1) (device $(cat "$ETC/address" 2>/dev/null || echo unknown))"
  exit 0
fi
if [ "$HADPREV" = 0 ]; then
  rm -f "$SYSD/multi-user.target.wants/lightnode.service"
  if [ "$LIVE" = 1 ]; then systemctl stop lightnode.service 2>/dev/null || true; fi
  fail "the new agent failed its health check; no previous version to go back to, the service is left disabled"
fi
if [ "$LIVE" = 1 ]; then systemctl stop lightnode.service 2>/dev/null || true; fi
rm -rf "$OPT.failed"
mv "$OPT" "$OPT.failed"
mv "$OPT.prev" "$OPT"
for f in "$SYSD/lightnode.service" "$ETC/config.json" "$ETC/ca.pem"; do
  if [ -f "$f.prev" ]; then mv -f "$f.prev" "$f"; fi
done
chown -R "$LNUID:$LNGID" "$ETC"
if [ "$LIVE" = 1 ]; then systemctl daemon-reload; systemctl restart lightnode.service || true; fi
fail "the new agent failed its health check: rolled back to the previous version (the new one is kept in $OPT.failed); spool and key untouched"
`;
