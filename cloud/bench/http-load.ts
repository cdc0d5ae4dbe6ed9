// Open-loop HTTP load (child process of bench/api.ts, so its CPU is not the BAL's): for each
// stream, requests are scheduled at a fixed rate and each latency is measured from its SCHEDULED
// start (no coordinated omission: a stalled server shows up as queueing in the figures).
// argv[2] = JSON { durationMs, streams: [{ name, rate, urls: string[], headers }] }; replies on IPC.
import http from 'node:http';

interface Stream { name: string; rate: number; urls: string[]; headers: Record<string, string> }
const spec = JSON.parse(process.argv[2]!) as { durationMs: number; streams: Stream[] };
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function get(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

async function run(s: Stream, t0: number): Promise<{ name: string; sent: number; ok: number; errors: number; p50: number; p99: number; max: number }> {
  const lat: number[] = [];
  let ok = 0; let errors = 0; let sent = 0;
  const total = Math.floor((s.rate * spec.durationMs) / 1000);
  const pending: Promise<void>[] = [];
  await new Promise<void>((done) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) * s.rate) / 1000));
      while (sent < due) {
        const scheduled = t0 + (sent * 1000) / s.rate;
        const url = s.urls[sent % s.urls.length]!;
        sent++;
        pending.push(get(url, s.headers).then((status) => {
          lat.push(performance.now() - scheduled);
          if (status === 200) ok++; else errors++;
        }));
      }
      if (sent >= total) done(); else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  lat.sort((a, b) => a - b);
  const q = (p: number) => Number((lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0).toFixed(2));
  return { name: s.name, sent, ok, errors, p50: q(0.5), p99: q(0.99), max: q(1 - 1e-9) };
}

const t0 = performance.now();
const cpu0 = process.cpuUsage();
const results = await Promise.all(spec.streams.map((s) => run(s, t0)));
const cpu = process.cpuUsage(cpu0);
process.send!({ results, cpuUs: cpu.user + cpu.system });
agent.destroy();
process.disconnect();
