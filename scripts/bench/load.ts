/**
 * One load round with autocannon: a fixed number of connections for a fixed time, cycling through `requests`,
 * every answer checked against what that request must get (status, and body as JSON or text).
 */
import autocannon from 'autocannon';

export interface CheckedRequest {
  body: string;
  headers: Record<string, string>;
  expectStatus: number;
  /** The answer's body must parse to this JSON value (compared as canonical JSON text)… */
  expectJson?: unknown;
  /** …or equal this text (surrounding whitespace aside). */
  expectText?: string;
  /** Told about every answer to this request, right or wrong. */
  onAnswer?: (right: boolean) => void;
}

export interface LoadOptions {
  url: string;
  durationSeconds: number;
  connections: number;
}

export interface LoadResult {
  /** Answers received (autocannon's count). */
  requests: number;
  /** Answers checked by us, and how many were wrong (status or body). */
  checked: number;
  wrong: number;
  /** Up to 3 examples of wrong answers, for the report. */
  wrongExamples: string[];
  errors: number;
  timeouts: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

const canonical = (value: unknown) => JSON.stringify(value);

function isRight(request: CheckedRequest, status: number, body: string): boolean {
  if (status !== request.expectStatus) return false;
  if (request.expectText !== undefined) return body.trim() === request.expectText;
  if (request.expectJson !== undefined) {
    try {
      return canonical(JSON.parse(body)) === canonical(request.expectJson);
    } catch {
      return false;
    }
  }
  return true;
}

export async function runLoad(requests: CheckedRequest[], options: LoadOptions): Promise<LoadResult> {
  let checked = 0;
  let wrong = 0;
  const wrongExamples: string[] = [];
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    requests: requests.map((request) => ({
      method: 'POST',
      body: request.body,
      headers: request.headers,
      onResponse: (status: number, body: string) => {
        checked++;
        const right = isRight(request, status, body);
        request.onAnswer?.(right);
        if (right) return;
        wrong++;
        if (wrongExamples.length < 3) wrongExamples.push(`HTTP ${status} ${body.slice(0, 120)} (expected ${request.expectStatus})`);
      },
    })),
  });
  return {
    requests: result.requests.total,
    checked,
    wrong,
    wrongExamples,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    requestsPerSecond: result.requests.total / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
  };
}
