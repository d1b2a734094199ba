/** A Server-Sent Events client for tests: collects every event and waits for one that matches. */
import { EventEmitter } from 'node:events';
import { waitForEvent } from '../../../scripts/lib/wait.ts';

export interface StreamEvent {
  type: string;
  data: any;
}

export interface EventStream {
  /** Every event so far, in order. */
  readonly events: StreamEvent[];
  /** Everything received, raw, for "this secret never appeared" checks. */
  text(): string;
  /** The first event (received or to come) that matches. */
  waitFor(match: (event: StreamEvent) => boolean, what: string, timeoutMs?: number): Promise<StreamEvent>;
  close(): void;
}

export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  if (response.status !== 200) throw new Error(`event stream answered ${response.status}`);
  const events: StreamEvent[] = [];
  const arrivals = new EventEmitter<{ event: [StreamEvent] }>();
  let raw = '';
  let pending = '';
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      const text = decoder.decode(chunk as Uint8Array, { stream: true });
      raw += text;
      pending += text;
      let end: number;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
        const event = { type, data: JSON.parse(data) };
        events.push(event);
        arrivals.emit('event', event);
      }
    }
  })().catch(() => undefined); // ends with an AbortError on close()
  return {
    events,
    text: () => raw,
    waitFor: (match, what, timeoutMs = 10_000) =>
      waitForEvent<StreamEvent, [StreamEvent]>(arrivals, 'event', (event?: StreamEvent) => (event ? (match(event) ? event : undefined) : events.find(match)), what, timeoutMs),
    close: () => abort.abort(),
  };
}
