import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { TargetBatchSchema } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import { createTargetStore } from './target-store.ts';
import { buildTargetViews } from './target-view.ts';
import type { TargetSpec } from './targets-file.ts';

const web: TargetSpec = { name: 'default/web', protocol: 'tcp', address: '198.19.0.10:80', endpoints: ['198.18.1.5:8080'], query: '' };

describe('target views', () => {
  it('counts the nodes probing each address and names those failing it (two in a row)', () => {
    const store = createTargetStore([web]);
    for (const at of [1_000, 3_000]) {
      store.ingest(
        'node-1',
        'i',
        create(TargetBatchSchema, {
          results: [
            { target: web.name, address: web.address, ok: true },
            { target: web.name, address: '198.18.1.5:8080', ok: true },
          ],
        }),
        at,
      );
      store.ingest(
        'node-2',
        'i',
        create(TargetBatchSchema, { results: [{ target: web.name, address: web.address, ok: false, error: 'timeout' }] }),
        at,
      );
    }
    const [view] = buildTargetViews([web], store, 4_000, 60_000);
    expect(view).toEqual({
      name: 'default/web',
      protocol: 'tcp',
      service: { address: web.address, failingFrom: ['node-2'], failingCount: 1, probedFrom: 2 },
      endpoints: [{ address: '198.18.1.5:8080', failingFrom: [], failingCount: 0, probedFrom: 1 }],
    });
    expect(buildTargetViews([web], store, 100_000, 60_000)[0]!.service).toMatchObject({ probedFrom: 0, failingCount: 0 });
  });
});
