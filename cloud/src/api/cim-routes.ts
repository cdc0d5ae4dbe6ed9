/**
 * CIM export (issue 13 §2): `GET /api/readings/cim?pod=…&from=…&to=…` answers the readings of one
 * PoD over a time range as an IEC 61968-9 MeterReadings message (61968-100 `Verb=reply`,
 * `Noun=MeterReadings`), JSON or XML by `Accept` (shared/src/cim/). Same authentication and
 * visibility as `/api/readings`: a principal sees only its PoDs. Each CIM Reading carries the
 * stored reading's digest and, once anchored, its anchor transaction in `ReadingQualities`
 * (shared/README.md "Certification in CIM"). Quantities with no ReadingType are left out and
 * listed in `Reply.Error` with `Result=PARTIAL`. Paged by store id: the next cursor, when there
 * is more, is in the `X-Next-Cursor` response header (a CIM message has no place for it).
 * With `intervals=15min` it answers quarter-hour interval data instead (cim-intervals.ts).
 */
import { randomUUID } from 'node:crypto';
import type express from 'express';
import type { Request, Response, NextFunction } from 'express';
import { encodeCimJson } from '@lightnode/shared/cim/json-codec';
import { encodeCimXml } from '@lightnode/shared/cim/xml-codec';
import { readingsToMeterReadings, replyHeader } from '@lightnode/shared/cim/readings-map';
import type { CimMessage } from '@lightnode/shared/cim/model';
import type { BalStore } from '../store/types.js';
import { badRequest, forbidden } from './api-error.js';
import { canSeePod, type Principal } from './auth.js';
import { checkQueryKeys, optId, optTime, parseLimit, parsePod } from './query.js';
import { anchorTransactions, quarterHourMessage } from './cim-intervals.js';

/** `Source` of the messages the BAL writes. */
export const CIM_SOURCE = 'LightNode-BAL';

export interface CimRouteDeps {
  store: BalStore;
  principal: (req: Request) => Promise<Principal>;
  wrap: (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => void;
  /** Largest page (`limit`), also the default. */
  maxPage: number;
}

/** Mount the CIM export. Must come before `/api/readings/:id` (which would take `cim` as an id). */
export function mountCimRoutes(app: express.Express, deps: CimRouteDeps): void {
  app.get('/api/readings/cim', deps.wrap(async (req, res) => {
    const p = await deps.principal(req);
    const q = (req.query ?? {}) as Record<string, unknown>;
    if (q.intervals !== undefined) {
      sendCim(req, res, await quarterHourMessage(deps.store, p, q, deps.maxPage, CIM_SOURCE));
      return;
    }
    checkQueryKeys(q, ['pod', 'from', 'to', 'limit', 'cursor']);
    if (q.pod === undefined) throw badRequest('pod', 'a PoD code (a MeterReadings export is of one PoD)', undefined);
    const pod = parsePod(q.pod);
    const fromMs = optTime(q, 'from');
    const toMs = optTime(q, 'to');
    if (fromMs !== undefined && toMs !== undefined && toMs < fromMs) throw badRequest('to', `a time >= from (${fromMs})`, q.to);
    const limit = parseLimit(q, deps.maxPage, deps.maxPage);
    const afterId = optId(q, 'cursor');
    if (!canSeePod(p, pod)) throw forbidden(`no access to PoD ${pod}`);
    const page = await deps.store.listReadings({
      limit, pod, ...(p.pods ? { pods: [...p.pods] } : {}),
      ...(fromMs !== undefined ? { fromMs } : {}), ...(toMs !== undefined ? { toMs } : {}), ...(afterId !== undefined ? { afterId } : {}),
    });
    const txOf = anchorTransactions(deps.store);
    const certified = [];
    for (const r of page.items) certified.push({ reading: r.reading, digest: r.digest, anchorTransaction: await txOf(r.anchorIndex) });
    const { MeterReading, omitted } = readingsToMeterReadings(certified);
    const message: CimMessage = {
      Header: replyHeader({ Timestamp: new Date().toISOString(), Source: CIM_SOURCE, MessageID: randomUUID() }),
      Reply: { Result: omitted.length > 0 ? 'PARTIAL' : 'OK', Error: omitted },
      Payload: { MeterReadings: { MeterReading } },
    };
    if (page.nextAfterId !== null) res.set('X-Next-Cursor', String(page.nextAfterId));
    sendCim(req, res, message);
  }));
}

/** Answer a message as XML for `Accept: application/xml` or `text/xml`, else JSON. */
function sendCim(req: Request, res: Response, message: CimMessage): void {
  res.vary('Accept');
  // No acceptable type (e.g. Accept: text/html): answer JSON rather than 406 (RFC 9110 §12.5.1 allows either).
  const type = req.accepts(['application/json', 'application/xml', 'text/xml']);
  if (type === 'application/xml' || type === 'text/xml') {
    res.type('application/xml; charset=utf-8').send(encodeCimXml(message));
  } else {
    res.type('application/json; charset=utf-8').send(encodeCimJson(message));
  }
}
