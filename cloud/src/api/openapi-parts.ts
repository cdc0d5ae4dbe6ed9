/** The building blocks of the OpenAPI document (openapi.ts, openapi-access.ts): shared schemas, parameters and answer shapes. */
export const hex32 = { type: 'string', pattern: '^0x[0-9a-f]{64}$' } as const;
export const address = { type: 'string', pattern: '^0x[0-9a-f]{40}$' } as const;
export const pod = { type: 'string', pattern: '^IT\\d{3}E\\d{8}[A-Z0-9]?$', examples: ['IT001E12345678'] } as const;
export const uint = { type: 'integer', minimum: 0 } as const;
export const nullable = (s: object): object => ({ oneOf: [s, { type: 'null' }] });
export const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: object, description: string): object => ({ description, content: { 'application/json': { schema } } });
export const errors = (...codes: number[]): Record<string, object> => Object.fromEntries(codes.map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]));
export const param = (name: string, where: 'query' | 'path', schema: object, description: string, required = where === 'path'): object =>
  ({ name, in: where, required, description, schema });

export const limitParam = param('limit', 'query', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'Page size.');
export const cursorParam = param('cursor', 'query', { type: 'string', pattern: '^[0-9]{1,16}$' }, 'Opaque cursor: the `next` of the previous page.');
export const idParam = param('id', 'path', { type: 'string', pattern: '^[0-9]{1,16}$' }, 'Reading id (store-assigned).');
export const secured = [{ apiKey: [] }, { bearer: [] }];
export const session = [{ bearer: [] }];
export const body = (schema: object, description: string): object => ({ required: true, description, content: { 'application/json': { schema } } });
export const noContent = (description: string): object => ({ description });
export const ms = { ...uint, description: 'ms since epoch' } as const;
export const topic = { type: 'string', pattern: '^certified/v1/IT\\d{3}E\\d{8}[A-Z0-9]?/readings$', examples: ['certified/v1/IT001E12345678/readings'] } as const;
export const subStatus = { enum: ['requested', 'accepted', 'refused', 'revoked', 'cancelled'] } as const;
export const role = { enum: ['admin', 'producer', 'consumer'] } as const;
export const signedFields = {
  signature: { type: 'string', pattern: '^0x[0-9a-fA-F]{130}$', description: 'Bring-your-own wallet: EIP-712 signature of the typed data (GET …/typed-data).' },
  deadline: { ...uint, description: 'The `deadline` of the signed typed data, seconds since epoch.' },
} as const;
export const subIdParam = param('id', 'path', { type: 'string', pattern: '^[0-9]{1,16}$' }, 'Subscription id.');
export const decision = (action: string, who: string): object => ({
  post: {
    summary: `${action} a subscription (${who})`, security: session, parameters: [subIdParam],
    requestBody: { required: false, content: { 'application/json': { schema: ref('SignedDecision') } } },
    responses: { 200: json(ref('Subscription'), 'The subscription after the certified decision.'), ...errors(400, 401, 403, 404, 409, 503) },
  },
});

export const anchorRequired = ['index', 'root', 'leafCount', 'fromMs', 'toMs', 'prevHash', 'anchorHash', 'transaction', 'blockNumber', 'status'];
export const anchorProperties = {
  index: uint, root: hex32, leafCount: { type: 'integer', minimum: 1 }, fromMs: uint, toMs: uint, prevHash: hex32,
  anchorHash: nullable(hex32), transaction: hex32, blockNumber: nullable(uint), status: { enum: ['sent', 'confirmed'] },
};

