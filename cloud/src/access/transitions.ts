/**
 * The subscription state machine (docs/data-access.md "Subscription state machine") as data,
 * and `decide`, which says who may take which action from which state. Pure: no store, no
 * chain. The SubscriptionRegistry contract enforces the same table on chain.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { SubscriptionAction, SubscriptionStatus, UserRole } from './types.js';

/** Where each action leads, from each state it is allowed in (`none`: no subscription yet). */
export const TRANSITIONS: Readonly<Record<SubscriptionAction, Readonly<Partial<Record<SubscriptionStatus | 'none', SubscriptionStatus>>>>> = {
  request: { none: 'requested', refused: 'requested', revoked: 'requested', cancelled: 'requested' },
  accept: { requested: 'accepted' },
  refuse: { requested: 'refused' },
  revoke: { accepted: 'revoked' },
  cancel: { requested: 'cancelled', accepted: 'cancelled' },
};

/** Actions of the consumer on its own subscription; the others are the topic owner's (or the admin's). */
export const CONSUMER_ACTIONS: readonly SubscriptionAction[] = ['request', 'cancel'];

/** Who acts. */
export interface Actor { id: number; role: UserRole }

/** Whose subscription it is: the consumer, and the producer owning the topic. */
export interface SubscriptionParties { consumerId: number; producerId: number }

function refuse(code: 'BAL_ACCESS_FORBIDDEN' | 'BAL_ACCESS_NOT_TOPIC_OWNER' | 'BAL_ACCESS_SELF_DECISION', message: string, action: SubscriptionAction, actor: Actor): never {
  throw new LightNodeError(code, message, { action, actorId: actor.id, role: actor.role });
}

/** Throws unless `actor` may take `action` on this subscription at all (whatever its state). */
export function authorize(action: SubscriptionAction, actor: Actor, subscription: SubscriptionParties): void {
  const own = actor.id === subscription.consumerId;
  if (CONSUMER_ACTIONS.includes(action)) {
    if (actor.role !== 'consumer') refuse('BAL_ACCESS_FORBIDDEN', `a ${actor.role} may not ${action} a subscription`, action, actor);
    if (!own) refuse('BAL_ACCESS_FORBIDDEN', `a consumer may ${action} only its own subscription`, action, actor);
    return;
  }
  if (actor.role === 'admin') return;
  if (actor.role === 'producer') {
    if (actor.id !== subscription.producerId) refuse('BAL_ACCESS_NOT_TOPIC_OWNER', `only the topic's producer may ${action}`, action, actor);
    return;
  }
  if (own) refuse('BAL_ACCESS_SELF_DECISION', `a consumer may not ${action} its own request`, action, actor);
  refuse('BAL_ACCESS_FORBIDDEN', `a consumer may not ${action} a subscription`, action, actor);
}

/**
 * The status `action` by `actor` leads to from `current` (null: no subscription yet), or a
 * coded refusal: who may act first (BAL_ACCESS_FORBIDDEN, _NOT_TOPIC_OWNER, _SELF_DECISION),
 * then the state (BAL_ACCESS_DUPLICATE_REQUEST, BAL_ACCESS_TRANSITION_INVALID).
 */
export function decide(current: SubscriptionStatus | null, action: SubscriptionAction, actor: Actor, subscription: SubscriptionParties): SubscriptionStatus {
  authorize(action, actor, subscription);
  const next = TRANSITIONS[action][current ?? 'none'];
  if (next !== undefined) return next;
  const details = { action, from: current };
  if (action === 'request') throw new LightNodeError('BAL_ACCESS_DUPLICATE_REQUEST', `a subscription is already ${current}`, details);
  throw new LightNodeError('BAL_ACCESS_TRANSITION_INVALID', `cannot ${action} a subscription that is ${current ?? 'absent'}`, details);
}
