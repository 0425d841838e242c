/**
 * TLS for apps. /apps/:app/sni-endpoints: certificates (Heroku's SNI endpoints API),
 * each serving the app's domains it covers (or the ones chosen with `domains`).
 * /apps/:app/https: the per-app HTTP→HTTPS redirect (Heroku has none built in).
 * GET /router/tls (operators): every certificate with its decrypted key, for routers.
 * Each change publishes certs.changed; domain changes already publish routes.changed.
 */
import crypto from 'node:crypto';
import type Router from '@koa/router';
import { Op } from 'sequelize';
import { z } from 'zod';
import { errorMessage, InvalidInputError, NotFoundError, UnavailableError, subjects } from '../../shared';
import { Cert, HttpsSetting } from '../cert-models';
import { checkCertificate, coveredNames, coversHost } from '../certificates';
import { CertVault } from '../cert-vault';
import { transaction } from '../db';
import { App, Domain } from '../models';
import { appFor, requireAdmin } from './access';
import type { ControllerServices, State } from './context';
import { parseBody } from './validate';

export const addCertBody = z.object({
  certificate_chain: z.string().min(1).max(64 * 1024),
  private_key: z.string().min(1).max(16 * 1024),
  /** Limit the certificate to these of the app's domains; absent: every app domain it covers. */
  domains: z.array(z.string().max(253).transform((h) => h.toLowerCase().replace(/\.$/, ''))).min(1).optional(),
});
export const httpsSettingsBody = z.object({ force_https: z.boolean() });

/** What routers get: one certificate and the host names it serves. */
export interface RouterCert {
  id: string;
  app: string;
  hostnames: string[];
  certificate_chain: string;
  private_key: string;
}
export interface RouterTls {
  /** Oldest first: for a name served by two certificates the later (newer) one wins. */
  certificates: RouterCert[];
  /** Apps whose plain-HTTP requests are redirected to HTTPS. */
  force_https: string[];
}

export interface SniEndpoint {
  id: string;
  name: string;
  app: { id: number; name: string };
  certificate_chain: string;
  /** The app's host names this certificate serves now. */
  domains: string[];
  ssl_cert: { cert_domains: string[]; starts_at: string; expires_at: string; issuer: string; subject: string; self_signed: boolean; fingerprint: string };
  created_at: string;
  updated_at: string;
}

const vaults = new Map<string, CertVault>();
function vaultOf(s: ControllerServices): CertVault {
  if (!s.dataDir) throw new UnavailableError('This controller was started without a data directory, so it cannot keep private keys. Start it with PAAS_DATA_DIR.');
  let v = vaults.get(s.dataDir);
  if (!v) vaults.set(s.dataDir, (v = CertVault.open(s.dataDir)));
  return v;
}

async function appDomains(app: App, s: ControllerServices): Promise<string[]> {
  const custom = await Domain.findAll({ where: { appId: app.id }, order: [['hostname', 'ASC']] });
  return [`${app.name}.${s.domain}`, ...custom.map((d) => d.hostname)];
}

const parseList = (json: string | null): string[] | null => (json ? (JSON.parse(json) as string[]) : null);

/** The app domains a certificate serves: those it covers, within its chosen list if it has one. */
function servedDomains(cert: Cert, domains: string[]): string[] {
  const names = parseList(cert.certDomains) ?? [];
  const chosen = parseList(cert.domains);
  return domains.filter((d) => coversHost(names, d) && (!chosen || chosen.includes(d)));
}

function present(cert: Cert, app: App, domains: string[]): SniEndpoint {
  const leaf = new crypto.X509Certificate(cert.certificateChain);
  return {
    id: cert.id,
    name: cert.name,
    app: { id: app.id, name: app.name },
    certificate_chain: cert.certificateChain,
    domains: servedDomains(cert, domains),
    ssl_cert: {
      cert_domains: coveredNames(leaf),
      starts_at: new Date(leaf.validFrom).toISOString(),
      expires_at: new Date(leaf.validTo).toISOString(),
      issuer: leaf.issuer.replace(/\n/g, ', '),
      subject: leaf.subject.replace(/\n/g, ', '),
      self_signed: leaf.issuer === leaf.subject && leaf.verify(leaf.publicKey),
      fingerprint: leaf.fingerprint256,
    },
    created_at: cert.createdAt.toISOString(),
    updated_at: cert.updatedAt.toISOString(),
  };
}

async function certOf(app: App, idOrName: string): Promise<Cert> {
  const cert = await Cert.findOne({ where: { appId: app.id, [Op.or]: [{ id: idOrName }, { name: idOrName }] } });
  if (!cert) throw new NotFoundError(`${app.name} has no certificate ${idOrName}. See \`paas certs -a ${app.name}\`.`);
  return cert;
}

export function certRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/sni-endpoints', async (ctx) => {
    const app = await appFor(ctx);
    const domains = await appDomains(app, s);
    const certs = await Cert.findAll({ where: { appId: app.id }, order: [['createdAt', 'ASC']] });
    ctx.body = certs.map((c) => present(c, app, domains));
  });

  router.get('/apps/:app/sni-endpoints/:endpoint', async (ctx) => {
    const app = await appFor(ctx);
    ctx.body = present(await certOf(app, ctx.params.endpoint), app, await appDomains(app, s));
  });

  router.post('/apps/:app/sni-endpoints', async (ctx) => {
    const app = await appFor(ctx);
    const body = parseBody(addCertBody, ctx.request.body);
    const checked = checkCertificate(body.certificate_chain, body.private_key);
    const domains = await appDomains(app, s);
    const covered = domains.filter((d) => coversHost(checked.names, d));
    if (body.domains) {
      for (const d of body.domains) {
        if (!domains.includes(d)) throw new InvalidInputError(`${d} is not a domain of ${app.name}. Add it first with \`paas domains:add ${d} -a ${app.name}\`.`, 'unknown_domain');
        if (!covered.includes(d)) throw new InvalidInputError(`The certificate does not cover ${d}; it covers ${checked.names.join(', ')}.`, 'domain_not_covered');
      }
    } else if (covered.length === 0) {
      throw new InvalidInputError(
        `The certificate covers ${checked.names.join(', ')}, none of which is a domain of ${app.name} (${domains.join(', ')}). ` +
          `Add the domain first with \`paas domains:add NAME -a ${app.name}\`, or use a certificate for one of the app's domains.`,
        'no_matching_domain',
      );
    }
    const sealed = vaultOf(s).seal(checked.privateKey);
    const cert = await transaction(s.sequelize, async (t) => {
      const row = await Cert.create(
        {
          id: crypto.randomUUID(),
          name: `${app.name}-${crypto.randomBytes(3).toString('hex')}`,
          appId: app.id,
          certificateChain: checked.chain,
          privateKey: sealed,
          certDomains: JSON.stringify(checked.names),
          domains: body.domains ? JSON.stringify(body.domains) : null,
          expiresAt: checked.expiresAt,
        },
        { transaction: t },
      );
      await s.outbox.record(t, { subject: subjects.certsChanged, value: { app: app.name } });
      return row;
    });
    ctx.status = 201;
    ctx.body = present(cert, app, domains);
  });

  router.delete('/apps/:app/sni-endpoints/:endpoint', async (ctx) => {
    const app = await appFor(ctx);
    const cert = await certOf(app, ctx.params.endpoint);
    const shown = present(cert, app, await appDomains(app, s));
    await transaction(s.sequelize, async (t) => {
      await cert.destroy({ transaction: t });
      await s.outbox.record(t, { subject: subjects.certsChanged, value: { app: app.name } });
    });
    ctx.body = shown;
  });

  router.get('/apps/:app/https', async (ctx) => {
    const app = await appFor(ctx);
    ctx.body = { force_https: (await HttpsSetting.findByPk(app.id))?.forceHttps ?? false };
  });

  router.patch('/apps/:app/https', async (ctx) => {
    const app = await appFor(ctx);
    const { force_https } = parseBody(httpsSettingsBody, ctx.request.body);
    await transaction(s.sequelize, async (t) => {
      await HttpsSetting.upsert({ appId: app.id, forceHttps: force_https }, { transaction: t });
      await s.outbox.record(t, { subject: subjects.certsChanged, value: { app: app.name } });
    });
    ctx.body = { force_https };
  });

  router.get('/router/tls', async (ctx) => {
    requireAdmin(ctx);
    const apps = new Map((await App.findAll()).map((a) => [a.id, a]));
    const domainsOf = new Map<number, string[]>();
    const certificates: RouterCert[] = [];
    for (const cert of await Cert.findAll({ order: [['createdAt', 'ASC']] })) {
      const app = apps.get(cert.appId);
      if (!app) continue;
      if (!domainsOf.has(app.id)) domainsOf.set(app.id, await appDomains(app, s));
      const hostnames = servedDomains(cert, domainsOf.get(app.id) ?? []);
      if (hostnames.length === 0) continue;
      try {
        certificates.push({ id: cert.id, app: app.name, hostnames, certificate_chain: cert.certificateChain, private_key: vaultOf(s).open(cert.privateKey) });
      } catch (err) {
        // One unreadable key must not take every other app's HTTPS down.
        s.log.warn('certificate skipped', { app: app.name, cert: cert.name, err: errorMessage(err) });
      }
    }
    const forced = await HttpsSetting.findAll({ where: { forceHttps: true } });
    ctx.body = { certificates, force_https: forced.flatMap((f) => apps.get(f.appId)?.name ?? []) } satisfies RouterTls;
  });
}
