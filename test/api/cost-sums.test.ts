// What the agents spent, summed beyond their sessions: a scheduled run deletes each iteration's
// session, yet /api/status, /metrics and `claudeman status` still count it, per day, case and run,
// and a restart counts nothing twice.
import { afterEach, describe, expect, it } from 'vitest';
import { localDay } from '../../src/agent/session/cost-ledger.js';
import type { ScheduledRun } from '../../src/protocol/rest/scheduled.js';
import type { StatusSnapshot } from '../../src/protocol/rest/status.js';
import { pollAsync } from '../helpers/api-client.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('cost sums', () => {
  const servers: ClaudemanTestServer[] = [];
  const temp = makeTempDir('claudeman-costs-');
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const status = async (s: ClaudemanTestServer): Promise<StatusSnapshot> =>
    (await (await s.api('/api/status')).json()) as StatusSnapshot;

  it('counts deleted scheduled iterations per day, case and run; /metrics says the same; a restart keeps it', async () => {
    const dataDir = `${temp.path}/data`;
    const casesDir = `${temp.path}/cases`;
    const first = await startClaudeman({ dataDir, casesDir });
    servers.push(first);
    expect((await first.send('POST', '/api/cases', { name: 'alpha' })).status).toBe(201);
    const created = (await (
      await first.send('POST', '/api/scheduled', {
        prompt: 'spend [[cost:0.5]]',
        workingDir: `${casesDir}/alpha`,
        durationMinutes: 0.02,
      })
    ).json()) as { run: ScheduledRun };
    const runId = created.run.id;
    let run = created.run;
    await pollAsync(async () => {
      run = (await (await first.api(`/api/scheduled/${runId}`)).json()) as ScheduledRun;
      return run.status !== 'running';
    }, 'the run to end');
    expect(run.totalCost).toBeGreaterThanOrEqual(0.5);
    expect((await status(first)).sessions).toEqual([]); // every iteration's session is gone

    const costs = (await status(first)).costs;
    expect(costs.totalUsd).toBeCloseTo(run.totalCost, 6);
    expect(costs.todayUsd).toBeCloseTo(run.totalCost, 6);
    expect(costs.days).toEqual([{ day: localDay(Date.now()), usd: expect.closeTo(run.totalCost, 6) }]);
    expect(costs.cases).toEqual([{ case: 'alpha', usd: expect.closeTo(run.totalCost, 6) }]);
    expect(costs.scheduledRuns).toEqual([{ id: runId, usd: run.totalCost }]);
    expect(costs.ralphUsd).toBe(0);
    const metrics = await (await first.api('/metrics')).text();
    const sample = (line: string): number =>
      Number(
        metrics
          .split('\n')
          .find((l) => l.startsWith(`${line} `))
          ?.split(' ')[1],
      );
    expect(sample('claudeman_cost_usd_total')).toBeCloseTo(run.totalCost, 6);
    expect(sample('claudeman_case_cost_usd{case="alpha"}')).toBeCloseTo(run.totalCost, 6);
    expect(metrics).toContain(`claudeman_scheduled_run_cost_usd{run="${runId}"} ${run.totalCost}`);

    await first.close();
    servers.length = 0;
    const second = await startClaudeman({ dataDir, casesDir });
    servers.push(second);
    expect((await status(second)).costs).toMatchObject({
      totalUsd: costs.totalUsd,
      todayUsd: costs.todayUsd,
      cases: costs.cases,
    });
  });
});
