import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, lastUserText, startFakeAnthropic } from '../fixtures/fake-anthropic/server.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(url: string, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Parses an SSE body into its events (name + JSON data). */
function sseEvents(body: string): Array<{ event: string; data: Record<string, unknown> }> {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

const userMessage = (text: string) => ({
  role: 'user',
  content: [
    { type: 'text', text: '<system-reminder>\nsome context\n</system-reminder>\n\n' },
    { type: 'text', text },
  ],
});

describe('fake Anthropic Messages API', () => {
  let fake: FakeAnthropic | null = null;
  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it('answers HEAD /, count_tokens and 404, and records every request', async () => {
    fake = await startFakeAnthropic();
    expect((await call(fake.url, 'HEAD', '/')).status).toBe(200);
    const count = await call(fake.url, 'POST', '/v1/messages/count_tokens?beta=true', {
      model: 'm',
      messages: [userMessage('count me')],
    });
    expect(count.status).toBe(200);
    expect((JSON.parse(count.body) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    const missing = await call(fake.url, 'GET', '/v1/models');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'HEAD /',
      'POST /v1/messages/count_tokens?beta=true',
      'GET /v1/models',
    ]);
  });

  it('streams the reply to the last user text as SSE events in the Messages API order', async () => {
    fake = await startFakeAnthropic();
    const answer = await call(fake.url, 'POST', '/v1/messages?beta=true', {
      model: 'claude-x',
      stream: true,
      max_tokens: 100,
      messages: [
        userMessage('old question'),
        { role: 'assistant', content: 'old answer' },
        userMessage('new question'),
      ],
    });
    expect(answer.status).toBe(200);
    expect(String(answer.headers['content-type'])).toContain('text/event-stream');
    const events = sseEvents(answer.body);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const text = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (e.data.delta as { text: string }).text)
      .join('');
    expect(text).toBe('FAKE REPLY: new question');
    expect(events[0]?.data).toMatchObject({ message: { model: 'claude-x', role: 'assistant' } });
    expect(events[5]?.data).toMatchObject({
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: 6 },
    });
    const start = events[0]?.data.message as { usage?: { input_tokens?: number } } | undefined;
    expect(start?.usage?.input_tokens).toBeGreaterThan(0);
    expect(fake.messageRequests()[0]?.userText).toBe('new question');
  });

  it('answers without streaming, structured-output requests with fitting JSON, and tool use on demand', async () => {
    fake = await startFakeAnthropic({
      reply: (c) =>
        c.userText === 'use a tool'
          ? { text: 'ok', toolUse: { name: 'Bash', input: { command: 'ls' } } }
          : undefined,
    });
    const plain = await call(fake.url, 'POST', '/v1/messages', {
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'plain string content' }],
    });
    expect(JSON.parse(plain.body)).toMatchObject({
      type: 'message',
      content: [{ type: 'text', text: 'FAKE REPLY: plain string content' }],
      stop_reason: 'end_turn',
    });
    const title = await call(fake.url, 'POST', '/v1/messages', {
      model: 'm',
      messages: [userMessage('<session>\nhi\n</session>')],
      output_config: {
        format: {
          type: 'json_schema',
          schema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
        },
      },
    });
    const titleText = (JSON.parse(title.body) as { content: Array<{ text: string }> }).content[0]?.text ?? '';
    expect(JSON.parse(titleText)).toEqual({ title: 'Fake session title' });
    expect(fake.turnRequests()).toHaveLength(1);

    const tool = await call(fake.url, 'POST', '/v1/messages', {
      model: 'm',
      stream: true,
      messages: [userMessage('use a tool')],
    });
    const events = sseEvents(tool.body);
    const toolStart = events.find(
      (e) =>
        e.event === 'content_block_start' && (e.data.content_block as { type: string }).type === 'tool_use',
    );
    expect(toolStart?.data).toMatchObject({ index: 1, content_block: { name: 'Bash' } });
    const json = events
      .filter(
        (e) =>
          e.event === 'content_block_delta' && (e.data.delta as { type: string }).type === 'input_json_delta',
      )
      .map((e) => (e.data.delta as { partial_json: string }).partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ command: 'ls' });
    expect(events.find((e) => e.event === 'message_delta')?.data).toMatchObject({
      delta: { stop_reason: 'tool_use' },
    });
  });

  it('answers HTTP errors on demand with an Anthropic error body', async () => {
    fake = await startFakeAnthropic({ reply: () => ({ errorStatus: 529 }) });
    const answer = await call(fake.url, 'POST', '/v1/messages', { model: 'm', messages: [userMessage('x')] });
    expect(answer.status).toBe(529);
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('finds the typed text: last text block of the last user message, reminders removed', () => {
    expect(lastUserText({ messages: [userMessage('typed')] })).toEqual({
      text: 'typed',
      hasToolResult: false,
    });
    expect(
      lastUserText({
        messages: [
          userMessage('first'),
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'out' }] },
          { role: 'system', content: 'not a user' },
        ],
      }),
    ).toEqual({ text: '', hasToolResult: true });
  });
});
