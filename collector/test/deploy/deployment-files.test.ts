/**
 * The deployment files (collector/Dockerfile, deploy/compose, deploy/kubernetes) cannot be run
 * here (no Docker engine, registry or cluster), so they are held to the code instead: they parse,
 * and their ports, paths, settings, bin and driver names are the collector's own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { STORE_PASSWORD_VARIABLE } from '@aitdr/exporter';
import { SETTING_NAMES, resolveConfig } from '../../src/config.js';
import { buildCollectorApp } from '../../src/http/app.js';
import { CollectorMetrics } from '../../src/receiver/metrics.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

const DEFAULTS = resolveConfig({});
const HTTP_PORT = DEFAULTS.port;
const GRPC_PORT = DEFAULTS.grpcPort!;
/** What the files may set: the collector's settings and the store password the exporter reads. */
const KNOWN_VARIABLES = new Set<string>([...SETTING_NAMES, STORE_PASSWORD_VARIABLE]);
const collectorPackage = JSON.parse(read('collector/package.json')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, unknown>;
};
const DRIVERS = ['pg', 'better-sqlite3', 'oracledb'];

type Yaml = Record<string, unknown>;
const as = <T>(value: unknown) => value as T;

/** Answers GET for a path the collector's HTTP app serves (anything but 404). */
async function served(path: string): Promise<boolean> {
  const app = buildCollectorApp(
    { maxBodyBytes: 1024 },
    {
      intake: { accept: () => Promise.resolve() },
      metrics: new CollectorMetrics(),
      readiness: () => ({ ready: true, checks: {} }),
    },
  );
  try {
    return (await app.inject({ method: 'GET', url: path })).statusCode !== 404;
  } finally {
    await app.close();
  }
}

function expectOtelcolConfig(config: Yaml, resolver: (lb: Yaml) => void): void {
  const lb = as<Yaml>(as<Yaml>(config.exporters).loadbalancing);
  expect(lb.routing_key).toBe('traceID');
  expect(as<Yaml>(lb.protocol).otlp).toBeDefined();
  resolver(as<Yaml>(lb.resolver));
  const traces = as<{ traces: { receivers: string[]; exporters: string[] } }>(
    as<Yaml>(config.service).pipelines,
  ).traces;
  expect(traces).toEqual({ receivers: ['otlp'], exporters: ['loadbalancing'] });
}

describe('collector/Dockerfile', () => {
  const dockerfile = read('collector/Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  const of = (keyword: string) => instructions.filter((line) => line.startsWith(`${keyword} `));

  it('builds in one stage and runs in another, as a user that is not root', () => {
    expect(of('FROM')).toHaveLength(2);
    expect(of('FROM')[0]).toMatch(/ AS build$/);
    expect(of('COPY').some((line) => line.startsWith('COPY --from=build '))).toBe(true);
    expect(of('USER')).toEqual(['USER node']);
  });

  it('runs the collector bin of collector/package.json', () => {
    const bin = collectorPackage.bin['aitdr-collector']!.replace(/^\.\//, '');
    expect(of('ENTRYPOINT')).toEqual([`ENTRYPOINT ["node", "/opt/aitdr-collector/${bin}"]`]);
  });

  it('exposes the default ports, sets only known settings, and checks a served path', async () => {
    expect(of('EXPOSE')).toEqual([`EXPOSE ${HTTP_PORT} ${GRPC_PORT}`]);
    const env = of('ENV')
      .join(' ')
      .matchAll(/(\w+)=(\S+)/g);
    const settings = Object.fromEntries([...env].map(([, name, value]) => [name!, value!]));
    for (const name of Object.keys(settings).filter((n) => n.startsWith('AITDR_')))
      expect(KNOWN_VARIABLES).toContain(name);
    expect(settings).toMatchObject({
      AITDR_COLLECTOR_PORT: String(HTTP_PORT),
      AITDR_GRPC_PORT: String(GRPC_PORT),
      AITDR_COLLECTOR_HOST: '0.0.0.0',
    });
    const healthcheck = /http:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(of('HEALTHCHECK')[0] ?? '');
    expect(healthcheck?.[1]).toBe(String(HTTP_PORT));
    expect(await served(healthcheck![2]!)).toBe(true);
  });

  it("installs only the chosen driver, in the range of the collector's optional peers", () => {
    const add = instructions.find((line) => line.includes('--filter @aitdr/collector add'));
    expect(add).toContain("peerDependencies['$STORE_DRIVER']");
    expect(add).toContain('add --save-prod "$STORE_DRIVER@$range"');
    for (const driver of DRIVERS) {
      expect(collectorPackage.peerDependencies).toHaveProperty(driver);
      expect(collectorPackage.peerDependenciesMeta[driver]).toEqual({ optional: true });
      expect(collectorPackage.dependencies).not.toHaveProperty(driver);
    }
    expect(of('ARG')).toEqual(['ARG STORE_DRIVER=pg']);
  });
});

describe('deploy/compose', () => {
  const compose = parse(read('deploy/compose/compose.yaml'), { merge: true }) as {
    services: Record<string, Yaml>;
  };
  const otelcol = parse(read('deploy/compose/otelcol-config.yaml')) as Yaml;
  const collectors = Object.entries(compose.services).filter(([name]) => name.startsWith('collector-'));

  it('runs three collectors from collector/Dockerfile, each with its own state volume', () => {
    expect(collectors.map(([name]) => name)).toEqual(['collector-1', 'collector-2', 'collector-3']);
    const volumes = collectors.map(([, service]) => as<string[]>(service.volumes)[0]);
    expect(new Set(volumes.map((v) => v!.split(':')[0])).size).toBe(3);
    for (const [, service] of collectors) {
      expect(service.build).toMatchObject({ context: '../..', dockerfile: 'collector/Dockerfile' });
      const env = as<Record<string, string>>(service.environment);
      for (const name of Object.keys(env)) expect(KNOWN_VARIABLES).toContain(name);
      expect(() => resolveConfig(env)).not.toThrow();
      expect(resolveConfig(env)).toMatchObject({ port: HTTP_PORT, grpcPort: GRPC_PORT });
      expect(env.AITDR_STORE).toMatch(/^postgres:\/\/\w+@postgres:5432\//);
      expect(as<string[]>(service.volumes)[0]).toMatch(new RegExp(`:${env.AITDR_COLLECTOR_STATE_DIR}$`));
    }
  });

  it('fronts them with otelcol-contrib routing by trace ID to each collector gRPC port', () => {
    const front = compose.services.otelcol!;
    expect(front.image).toMatch(/^otel\/opentelemetry-collector-contrib:/);
    expect(as<string[]>(front.volumes)[0]).toMatch(/^\.\/otelcol-config\.yaml:/);
    expect(front.ports).toEqual([`${GRPC_PORT}:${GRPC_PORT}`, `${HTTP_PORT}:${HTTP_PORT}`]);
    expectOtelcolConfig(otelcol, (resolver) => {
      expect(as<{ hostnames: string[] }>(resolver.static).hostnames).toEqual(
        collectors.map(([name]) => `${name}:${GRPC_PORT}`),
      );
    });
  });
});

describe('deploy/kubernetes', () => {
  const documents = parseAllDocuments(read('deploy/kubernetes/aitdr-collectors.yaml')).map(
    (document) => document.toJS() as Yaml & { kind: string; metadata: { name: string } },
  );
  const byName = (kind: string, name: string) =>
    documents.find((d) => d.kind === kind && d.metadata.name === name) as Yaml;

  it('runs the collectors as a StatefulSet with a state volume each, probed on served paths', async () => {
    const set = byName('StatefulSet', 'aitdr-collector');
    const spec = as<{
      serviceName: string;
      template: { spec: { containers: Yaml[] } };
      volumeClaimTemplates: { metadata: { name: string } }[];
    }>(set.spec);
    expect(spec.serviceName).toBe('aitdr-collector-headless');
    const [container] = spec.template.spec.containers;
    const env = as<{ name: string; value?: string }[]>(container!.env);
    for (const { name } of env) expect(KNOWN_VARIABLES).toContain(name);
    const values = Object.fromEntries(env.filter((e) => e.value).map((e) => [e.name, e.value!]));
    expect(resolveConfig(values)).toMatchObject({ port: HTTP_PORT, grpcPort: GRPC_PORT });
    expect(as<{ containerPort: number }[]>(container!.ports).map((p) => p.containerPort)).toEqual([
      GRPC_PORT,
      HTTP_PORT,
    ]);
    const mount = as<{ name: string; mountPath: string }[]>(container!.volumeMounts)[0]!;
    expect(mount).toEqual({
      name: spec.volumeClaimTemplates[0]!.metadata.name,
      mountPath: values.AITDR_COLLECTOR_STATE_DIR,
    });
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      const path = as<{ httpGet: { path: string } }>(container![probe]).httpGet.path;
      expect(await served(path)).toBe(true);
    }
    expect(as<{ httpGet: { path: string } }>(container!.readinessProbe).httpGet.path).toBe('/ready');
  });

  it('resolves the collectors through the headless Service by DNS and routes by trace ID', () => {
    const headless = as<{ clusterIP: string; ports: { port: number }[] }>(
      byName('Service', 'aitdr-collector-headless').spec,
    );
    expect(headless.clusterIP).toBe('None');
    expect(headless.ports.map((p) => p.port)).toEqual([GRPC_PORT, HTTP_PORT]);
    const config = parse(
      as<{ 'config.yaml': string }>(byName('ConfigMap', 'otelcol-loadbalancer').data)['config.yaml'],
    ) as Yaml;
    expectOtelcolConfig(config, (resolver) => {
      expect(resolver.dns).toEqual({
        hostname: 'aitdr-collector-headless.default.svc.cluster.local',
        port: GRPC_PORT,
      });
    });
  });
});
