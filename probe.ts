import { startProviderStandins } from './scripts/lib/provider-standins.ts';
import { providerState } from './src/providers/registry.ts';
import { workerVarsFor } from './scripts/lib/worker-vars.ts';

const exp = { expiresInSeconds: 2 };
const s = await startProviderStandins({ intervalSeconds: 1, github: exp, google: exp, microsoft: exp, oidc: { deviceCodeTtlSeconds: 2, clockToleranceSeconds: 1 } });
const vars = workerVarsFor({ discord: { apiUrl: 'http://127.0.0.1:9', applicationId: '1234567890123456789', publicKeyHex: 'a'.repeat(64) }, ...s });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (const id of ['github', 'google', 'microsoft', 'oidc'] as const) {
  const state = providerState(vars, id);
  if (state.kind !== 'enabled') { console.log(id, state); continue; }
  const p = state.provider;
  try {
    const d = await p.startDeviceLogin();
    await sleep(2200);
    console.log(id, 'expired', await p.pollDeviceLogin(d.deviceCode));
    await sleep(2200);
    console.log(id, 'expired later', await p.pollDeviceLogin(d.deviceCode));
    if (id === 'oidc') continue;
    const st = (s as any)[id];
    for (const fault of [{ kind: 'serverError' }, { kind: 'notJson' }, { kind: 'serverError', status: 503 }, ...(id === 'google' ? [{ kind: 'unavailable', retryAfterSeconds: 7 }] : [])]) {
      const d2 = await p.startDeviceLogin();
      st.injectFault(id === 'github' ? 'access_token' : 'token', fault);
      await sleep(1100);
      console.log(id, JSON.stringify(fault), await p.pollDeviceLogin(d2.deviceCode));
      st.injectFault(id === 'github' ? 'device/code' : id === 'google' ? 'device/code' : 'devicecode', fault);
      try { await p.startDeviceLogin(); console.log(id, 'start ok?!'); } catch (e) { console.log(id, 'start', JSON.stringify(fault), (e as any).transient, (e as Error).message); }
    }
  } catch (e) { console.log(id, 'ERROR', e); }
}
await s.close();
