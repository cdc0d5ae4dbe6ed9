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

/** Where Debian's (and Raspberry Pi OS's) nodejs package puts node. */
export const NODE_PATH = '/usr/bin/node';

/**
 * systemd unit: runs the agent as `lightnode` under the watchdog (Type=notify: the agent sends
 * READY=1 once started and WATCHDOG=1 while its health check passes, through `systemd-notify`,
 * hence NotifyAccess=all — edge/src/ops/watchdog.ts); first boot (natives, key, password) as
 * root via `+`. `pod` null: the generic unit of an image (the PoD lives on the boot partition).
 */
export function systemdUnit(pod: string | null, node: string = NODE_PATH): string {
  return `[Unit]
Description=Light Node agent${pod ? ` (PoD ${pod})` : ''}
Documentation=file:///opt/lightnode/README
After=network-online.target time-sync.target
Wants=network-online.target

[Service]
Type=notify
NotifyAccess=all
WatchdogSec=30s
TimeoutStartSec=15min
User=lightnode
Group=lightnode
SupplementaryGroups=dialout
StateDirectory=lightnode
StateDirectoryMode=0700
UMask=0077
WorkingDirectory=/var/lib/lightnode
Environment=NODE_ENV=production
ExecStartPre=+/opt/lightnode/first-boot.sh
ExecStart=${node} ${AGENT_NODE_FLAGS.join(' ')} /opt/lightnode/lightnode.cjs run --config /etc/lightnode/config.json
Restart=always
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=15s
MemoryMax=128M
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
NODE="\${NODE:-}"
if [ -z "$NODE" ]; then if [ -x "$OPT/bin/node" ]; then NODE="$OPT/bin/node"; else NODE=node; fi; fi
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

export { INSTALL_SH } from './device-scripts.js';
