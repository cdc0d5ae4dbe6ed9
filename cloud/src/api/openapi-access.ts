/** The data-access routes of the OpenAPI document (docs/data-access.md): login, users, producers, subscriptions, the seed's certification pair. */
import { pod, ref, json, errors, param, secured, session, body, noContent, topic, subStatus, role, signedFields, subIdParam, decision } from './openapi-parts.js';

export const ACCESS_PATHS = {
    '/api/login': {
      post: {
        summary: 'Log in a data user', requestBody: body({ type: 'object', required: ['username', 'password'], additionalProperties: false, properties: { username: { type: 'string' }, password: { type: 'string' } } }, 'Credentials.'),
        responses: { 200: json(ref('Login'), 'A session token.'), ...errors(400, 401, 429, 503) },
      },
    },
    '/api/logout': { post: { summary: 'End this login session', security: session, responses: { 204: noContent('Logged out.'), ...errors(401, 403, 503) } } },
    '/api/me': { get: { summary: 'The logged-in user', security: session, responses: { 200: json(ref('User'), 'Profile, wallet and custody.'), ...errors(400, 401, 403, 503) } } },
    '/api/me/password': {
      put: {
        summary: 'Change my password (ends my sessions)', security: session,
        requestBody: body({ type: 'object', required: ['currentPassword', 'newPassword'], additionalProperties: false, properties: { currentPassword: { type: 'string' }, newPassword: { type: 'string', minLength: 10, maxLength: 256 } } }, 'Old and new password.'),
        responses: { 204: noContent('Changed.'), ...errors(400, 401, 403, 503) },
      },
    },
    '/api/users': {
      get: { summary: 'Users (admin)', security: session, parameters: [param('role', 'query', role, 'Only this role.')], responses: { 200: json(ref('UserList'), 'Users, ascending id.'), ...errors(400, 401, 403, 503) } },
      post: { summary: 'Create a user (admin)', security: session, requestBody: body(ref('NewUser'), 'The user.'), responses: { 201: json(ref('User'), 'Created.'), ...errors(400, 401, 403, 409, 503) } },
    },
    '/api/users/{username}': {
      patch: {
        summary: 'Enable, disable or set the password of a user (admin)', security: session, parameters: [param('username', 'path', { type: 'string' }, 'Username.')],
        requestBody: body({ type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean' }, password: { type: 'string', minLength: 10, maxLength: 256 } } }, 'What to change.'),
        responses: { 200: json(ref('User'), 'The user.'), ...errors(400, 401, 403, 404, 503) },
      },
    },
    '/api/users/{username}/streams': {
      post: {
        summary: "Add a stream (a PoD's certified topic) to a producer (admin)", security: session, parameters: [param('username', 'path', { type: 'string' }, 'Producer.')],
        requestBody: body({ type: 'object', required: ['pod'], additionalProperties: false, properties: { pod } }, 'The PoD.'),
        responses: { 201: json(ref('Stream'), 'The stream, registered on chain.'), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    '/api/producers': { get: { summary: 'Producers and their topics, with my status per topic', security: secured, responses: { 200: json(ref('ProducerList'), 'Rows.'), ...errors(400, 401, 403, 503) } } },
    '/api/subscriptions': {
      get: {
        summary: 'Subscriptions: a consumer its own, a producer those on its topics, admin and dso all', security: secured,
        parameters: [param('status', 'query', subStatus, 'Only this status.'), param('topic', 'query', { type: 'string' }, 'Only this topic.')],
        responses: { 200: json(ref('SubscriptionList'), 'Ascending id.'), ...errors(400, 401, 403, 503) },
      },
      post: {
        summary: 'Request a topic (consumer)', security: session,
        requestBody: body({ type: 'object', required: ['topic'], additionalProperties: false, properties: { topic, ...signedFields } }, 'The topic (and a bring-your-own wallet\'s signature).'),
        responses: { 201: json(ref('Subscription'), 'Requested and certified.'), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    '/api/subscriptions/typed-data': {
      get: {
        summary: 'Typed data of a request, for bring-your-own wallets', security: session,
        parameters: [param('topic', 'query', topic, 'The topic.', true), param('action', 'query', { const: 'request' }, 'Only request.')],
        responses: { 200: json(ref('TypedData'), 'Sign this.'), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    '/api/subscriptions/{id}': { get: { summary: 'One subscription', security: secured, parameters: [subIdParam], responses: { 200: json(ref('Subscription'), 'The subscription.'), ...errors(400, 401, 403, 404, 503) } } },
    '/api/subscriptions/{id}/history': { get: { summary: 'Every transition of a subscription', security: secured, parameters: [subIdParam], responses: { 200: json(ref('SubscriptionHistory'), 'Oldest first.'), ...errors(400, 401, 403, 404, 503) } } },
    '/api/subscriptions/{id}/typed-data': {
      get: {
        summary: 'Typed data of a decision, for bring-your-own wallets', security: session,
        parameters: [subIdParam, param('action', 'query', { enum: ['request', 'accept', 'refuse', 'revoke', 'cancel'] }, 'The decision.', true)],
        responses: { 200: json(ref('TypedData'), 'Sign this.'), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    '/api/subscriptions/{id}/accept': decision('Accept', 'producer of the topic or admin'),
    '/api/subscriptions/{id}/refuse': decision('Refuse', 'producer of the topic or admin'),
    '/api/subscriptions/{id}/revoke': decision('Revoke', 'producer of the topic or admin'),
    '/api/subscriptions/{id}/cancel': decision('Cancel', 'the consumer'),
    '/api/certification': {
      post: {
        summary: 'The certified subscription of (provider, consumer, topic) (seed API)', security: secured,
        description: 'Relays the latest stored decisions first when the chain does not hold them yet.',
        requestBody: body(ref('CertificationRequest'), 'providerId, consumerId (wallets) and topic.'),
        responses: { 200: json(ref('CertifiedSubscription'), 'As recorded on chain.'), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    '/api/certification/{topic}': {
      get: {
        summary: "A topic's certified subscriptions, read from the chain (seed API)", security: secured,
        description: 'The topic contains `/`: send it %-encoded as one segment (certified%2Fv1%2F…%2Freadings) or as the raw path.',
        parameters: [param('topic', 'path', topic, 'The topic.')],
        responses: { 200: json(ref('TopicCertification'), 'On-chain subscriptions, with the transaction where the store holds the same status.'), ...errors(400, 401, 404, 503) },
      },
    },
};
