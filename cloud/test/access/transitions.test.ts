// The subscription state machine of docs/data-access.md, as a table: every action × every state
// × every kind of actor (consumer on its own or another's subscription, producer on its own or
// another's topic, admin), with the status reached or the refusal code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { decide, type Actor } from '../../src/access/transitions.js';
import { SUBSCRIPTION_ACTIONS, SUBSCRIPTION_STATUSES, type SubscriptionAction, type SubscriptionStatus } from '../../src/access/types.js';

const PARTIES = { consumerId: 10, producerId: 20 };
const ACTORS: Record<string, Actor> = {
  'consumer (own)': { id: 10, role: 'consumer' },
  'consumer (other)': { id: 11, role: 'consumer' },
  'producer (own topic)': { id: 20, role: 'producer' },
  'producer (other topic)': { id: 21, role: 'producer' },
  admin: { id: 1, role: 'admin' },
};

// Columns: the state before — none, requested, accepted, refused, revoked, cancelled.
const STATES: (SubscriptionStatus | null)[] = [null, 'requested', 'accepted', 'refused', 'revoked', 'cancelled'];
const DUP = 'BAL_ACCESS_DUPLICATE_REQUEST';
const INV = 'BAL_ACCESS_TRANSITION_INVALID';
const FORB = 'BAL_ACCESS_FORBIDDEN';
const SELF = 'BAL_ACCESS_SELF_DECISION';
const OWNER = 'BAL_ACCESS_NOT_TOPIC_OWNER';
const all = (x: string): string[] => STATES.map(() => x);

const TABLE: Record<string, Record<SubscriptionAction, string[]>> = {
  'consumer (own)': {
    request: ['requested', DUP, DUP, 'requested', 'requested', 'requested'],
    accept: all(SELF),
    refuse: all(SELF),
    revoke: all(SELF),
    cancel: [INV, 'cancelled', 'cancelled', INV, INV, INV],
  },
  'consumer (other)': { request: all(FORB), accept: all(FORB), refuse: all(FORB), revoke: all(FORB), cancel: all(FORB) },
  'producer (own topic)': {
    request: all(FORB),
    accept: [INV, 'accepted', INV, INV, INV, INV],
    refuse: [INV, 'refused', INV, INV, INV, INV],
    revoke: [INV, INV, 'revoked', INV, INV, INV],
    cancel: all(FORB),
  },
  'producer (other topic)': { request: all(FORB), accept: all(OWNER), refuse: all(OWNER), revoke: all(OWNER), cancel: all(FORB) },
  admin: {
    request: all(FORB),
    accept: [INV, 'accepted', INV, INV, INV, INV],
    refuse: [INV, 'refused', INV, INV, INV, INV],
    revoke: [INV, INV, 'revoked', INV, INV, INV],
    cancel: all(FORB),
  },
};

function outcome(current: SubscriptionStatus | null, action: SubscriptionAction, actor: Actor): string {
  try { return decide(current, action, actor, PARTIES); } catch (err) {
    assert.ok(isLightNodeError(err), String(err));
    return err.code;
  }
}

test('the table covers 5 actions × 6 states × 5 actors', () => {
  assert.equal(STATES.slice(1), [...SUBSCRIPTION_STATUSES]);
  let n = 0;
  for (const name of Object.keys(ACTORS)) for (const a of SUBSCRIPTION_ACTIONS) { assert.is(TABLE[name]![a].length, 6, `${name} ${a}`); n += 6; }
  assert.is(n, 150);
});

for (const [name, actor] of Object.entries(ACTORS)) {
  test(`decide: ${name}`, () => {
    for (const action of SUBSCRIPTION_ACTIONS) {
      STATES.forEach((state, i) => {
        assert.is(outcome(state, action, actor), TABLE[name]![action][i], `${name} ${action} from ${state ?? 'none'}`);
      });
    }
  });
}

test('refusals carry the action and the state, never more', () => {
  try { decide('accepted', 'request', ACTORS['consumer (own)']!, PARTIES); assert.unreachable(); } catch (err) {
    assert.ok(isLightNodeError(err, DUP));
    assert.equal(err.details, { action: 'request', from: 'accepted' });
  }
  try { decide('requested', 'accept', ACTORS['producer (other topic)']!, PARTIES); assert.unreachable(); } catch (err) {
    assert.ok(isLightNodeError(err, OWNER));
    assert.equal(err.details, { action: 'accept', actorId: 21, role: 'producer' });
  }
});

test.run();
