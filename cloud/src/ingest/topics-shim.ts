// TEMPORARY until @lightnode/shared/topics lands: same layout as docs/interfaces.md.
export type TopicKind = 'readings' | 'ack' | 'status' | 'setpoints' | 'activations';
const KINDS = new Set(['readings', 'ack', 'status', 'setpoints', 'activations']);
export function topicFor(pod: string, kind: TopicKind): string { return `ln/v1/${pod}/${kind}`; }
export function parseTopic(topic: string): { pod: string; kind: TopicKind } | null {
  const p = topic.split('/');
  if (p.length !== 4 || p[0] !== 'ln' || p[1] !== 'v1' || !KINDS.has(p[3]!)) return null;
  return { pod: p[2]!, kind: p[3] as TopicKind };
}
