/**
 * Bench BAL stand-in in its own process: acks every reading of every batch as stored, without
 * verifying (the bench measures the edge, not the BAL). argv: <mqtt url> <pod>. Prints `ready`.
 */
import mqtt from 'mqtt';

const [url, pod] = process.argv.slice(2) as [string, string];
const client = await mqtt.connectAsync(url, { clientId: `bench-acker-${process.pid}`, reconnectPeriod: 500 });
client.on('message', (_t, payload) => {
  const seqs: number[] = [];
  const re = /"seq":(\d+)/g;
  const text = payload.toString();
  for (let m = re.exec(text); m; m = re.exec(text)) seqs.push(Number(m[1]));
  client.publish(`ln/v1/${pod}/ack`, JSON.stringify({ v: 1, stored: seqs, duplicate: [], rejected: [] }), { qos: 1 });
});
await client.subscribeAsync(`ln/v1/${pod}/readings`, { qos: 1 });
process.stdout.write('ready\n');
