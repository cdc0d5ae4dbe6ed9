/**
 * Where a Light Node bundle puts things on a Raspberry Pi OS root filesystem, and the text
 * of the files that are the same for every PoD (systemd unit, first-boot script, install
 * script, sysusers entry). Paths inside the agent config are relative (to /etc/lightnode and
 * the data dir), so the same tree runs from `/` on a Pi and from a scratch directory in a lab.
 */

import { AGENT_NODE_FLAGS } from '@lightnode/edge/agent-bundle';

export const TARGET = {
  optDir: 'opt/lightnode',
  etcDir: 'etc/lightnode',
  dataDir: 'var/lib/lightnode',
  agent: 'opt/lightnode/lightnode.cjs',
  agentPackage: 'opt/lightnode/package.json',
  templatesDir: 'opt/lightnode/templates',
  firstBoot: 'opt/lightnode/first-boot.sh',
  config: 'etc/lightnode/config.json',
  ca: 'etc/lightnode/ca.pem',
  keystore: 'etc/lightnode/keystore.json',
  keystorePassword: 'etc/lightnode/keystore.password',
  unit: 'etc/systemd/system/lightnode.service',
  unitWants: 'etc/systemd/system/multi-user.target.wants/lightnode.service',
  sysusers: 'usr/lib/sysusers.d/lightnode.conf',
} as const;

/** Relative paths as written into config.json (resolved by the agent against the config dir / dataDir). */
export const CONFIG_PATHS = {
  dataDir: '../../var/lib/lightnode',               // from /etc/lightnode
  keystore: '../../../etc/lightnode/keystore.json', // from /var/lib/lightnode
  keystorePassword: '../../../etc/lightnode/keystore.password',
  ca: '../../../etc/lightnode/ca.pem',
} as const;

/** systemd unit: runs the agent as `lightnode`, first boot (key, password) as root via `+`. */
export function systemdUnit(pod: string): string {
  return `[Unit]
Description=Light Node agent (PoD ${pod})
Documentation=file:///opt/lightnode/README
After=network-online.target time-sync.target
Wants=network-online.target

[Service]
Type=simple
User=lightnode
Group=lightnode
SupplementaryGroups=dialout
StateDirectory=lightnode
StateDirectoryMode=0700
UMask=0077
WorkingDirectory=/var/lib/lightnode
ExecStartPre=+/opt/lightnode/first-boot.sh
ExecStart=/usr/bin/node ${AGENT_NODE_FLAGS.join(' ')} /opt/lightnode/lightnode.cjs run --config /etc/lightnode/config.json
Restart=always
RestartSec=5
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
ReadWritePaths=/var/lib/lightnode

[Install]
WantedBy=multi-user.target
`;
}

/** sysusers.d entry: systemd creates the `lightnode` user at boot (no uid baked into the image). */
export const SYSUSERS = `u lightnode - "Light Node agent" /var/lib/lightnode
m lightnode dialout
`;

/**
 * First boot (idempotent, runs before every start as root): natives installed once with npm,
 * a random keystore password and a device key generated when the bundle carries none (key
 * mode "device"), the device address shown on the console and in /etc/lightnode/address,
 * ownership handed to the agent user.
 */
export const FIRST_BOOT = `#!/bin/sh
# Light Node first boot: see scripts/README.md (fleet bundle). Safe to run on every start.
set -eu
ROOT="\${LIGHTNODE_ROOT:-}"
OPT="$ROOT/opt/lightnode"; ETC="$ROOT/etc/lightnode"
NODE="\${NODE:-node}"
if [ ! -d "$OPT/node_modules" ] && command -v npm >/dev/null 2>&1; then
  (cd "$OPT" && npm install --omit=dev --no-audit --no-fund)
fi
if [ ! -s "$ETC/keystore.password" ]; then
  umask 077
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > "$ETC/keystore.password"
fi
if [ ! -s "$ETC/keystore.json" ]; then
  "$NODE" "$OPT/lightnode.cjs" keygen --config "$ETC/config.json"
fi
ADDR=$("$NODE" "$OPT/lightnode.cjs" address --config "$ETC/config.json" 2>/dev/null || true)
if [ -n "$ADDR" ]; then
  echo "$ADDR" > "$ETC/address"
  echo "Light Node device address: $ADDR (enrol with: fleet enroll --pod <pod> --address $ADDR)" > /dev/console 2>/dev/null || true
  echo "Light Node device address: $ADDR"
fi
if id lightnode >/dev/null 2>&1; then
  chown -R lightnode:lightnode "$ETC" "$ROOT/var/lib/lightnode" 2>/dev/null || true
fi
chmod 0600 "$ETC/keystore.json" "$ETC/keystore.password" "$ETC/config.json" 2>/dev/null || true
`;

/** install.sh at the bundle's top: installs the bundle on a running Pi (as root), same layout as `fleet flash`. */
export const INSTALL_SH = `#!/bin/sh
# Install this Light Node bundle on the machine it runs on (as root), then start the agent.
# Offline alternative: \`fleet flash --bundle <this dir> --target <mounted rootfs>\`.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null 2>&1 || { echo "install.sh: Node.js >= 20 is required" >&2; exit 1; }
cp -R "$HERE/rootfs/." /
[ -f "$HERE/secrets/keystore.password" ] && install -m 0600 "$HERE/secrets/keystore.password" /etc/lightnode/keystore.password
chmod 0700 /etc/lightnode
for f in config.json keystore.json keystore.password; do [ -f "/etc/lightnode/$f" ] && chmod 0600 "/etc/lightnode/$f"; done
systemd-sysusers /usr/lib/sysusers.d/lightnode.conf 2>/dev/null || id lightnode >/dev/null 2>&1 || useradd --system --home /var/lib/lightnode --groups dialout lightnode
mkdir -p /var/lib/lightnode
(cd /opt/lightnode && npm install --omit=dev --no-audit --no-fund)
systemctl daemon-reload
systemctl enable --now lightnode.service
sleep 2
cat /etc/lightnode/address 2>/dev/null || true
`;
